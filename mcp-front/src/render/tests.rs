use super::*;

#[test]
fn units() {
    assert_eq!(bytes(0), "0B");
    assert_eq!(bytes(1023), "1023B");
    assert_eq!(bytes(1536), "1.5K");
    assert_eq!(bytes(4 << 30), "4.0G");
    assert_eq!(bytes(120 << 30), "120G");
    assert_eq!(bytes(u64::MAX), "16.0E");
    assert_eq!(uptime(0), "-");
    assert_eq!(uptime(42), "42s");
    assert_eq!(uptime(3 * 60 + 5), "3m");
    assert_eq!(uptime(5 * 3600 + 12 * 60), "5h12m");
    assert_eq!(uptime(3 * 86_400 + 4 * 3600 + 59), "3d4h");
    assert_eq!(elapsed(3400), "3.4 s");
    assert_eq!(truncate("héllo", 2), "h");
}

#[test]
fn utc_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00 UTC");
    assert_eq!(utc(951_825_600), "2000-02-29 12:00 UTC");
    assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
    assert_eq!(utc(4_102_444_799), "2099-12-31 23:59 UTC");
}

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

/// The float formatting [`Bytes`] replaced: the reference it must agree with.
fn bytes_by_float(n: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if v >= 99.95 {
        format!("{v:.0}{}", UNITS[unit])
    } else {
        format!("{v:.1}{}", UNITS[unit])
    }
}

#[test]
fn bytes_agree_with_formatting_the_quotient_as_a_float() {
    // Every size up to 4 MiB, then each unit's edges and its exact halves (the ties of
    // rounding to tenths and to units), and random sizes, all below 2^53, where every
    // size is an exact float.
    let mut sizes: Vec<u64> = (0..4 << 20).collect();
    for shift in (10..=50).step_by(10) {
        let unit = 1u64 << shift;
        for k in [1, 2, 99, 100, 1023, 1024] {
            for d in [-2i64, -1, 0, 1, 2] {
                sizes.push((k * unit).saturating_add_signed(d));
            }
        }
        for k in [0, 1, 5, 9, 10, 11, 19, 995, 999, 1000, 1001, 1999, 2047] {
            for d in [-1i64, 0, 1] {
                sizes.push((k * unit / 10 + unit / 20).saturating_add_signed(d));
                sizes.push((k * unit + unit / 2).saturating_add_signed(d));
            }
        }
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sizes.push(x >> (11 + x % 40));
    }
    for n in sizes.into_iter().filter(|n| *n < 1 << 53) {
        assert_eq!(bytes(n), bytes_by_float(n), "{n}");
    }
}

#[test]
fn percent_rounds_as_formatting_the_float_does() {
    for i in 0..=200_000 {
        let (used, total) = (f64::from(i) / 1000.0, 100.0);
        let by_float = format!("{:.0}%", (used / total * 100.0).clamp(0.0, 999.0));
        assert_eq!(percent(used, total), by_float, "{used}");
    }
    assert_eq!(percent(0.5, 100.0), "0%");
    assert_eq!(percent(1.5, 100.0), "2%");
    assert_eq!(percent(20.0, 1.0), "999%");
    assert_eq!(percent(-0.0, 1.0), "0%");
    assert_eq!(percent(1.0, 0.0), "-");
    assert_eq!(percent(f64::NAN, 1.0), "-");
}

#[test]
fn utc_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00 UTC");
    assert_eq!(utc(951_825_600), "2000-02-29 12:00 UTC");
    assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
    assert_eq!(utc(4_102_444_799), "2099-12-31 23:59 UTC");
}

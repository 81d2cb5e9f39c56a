use super::*;
use std::time::Duration;

/// Hands `body` over in 16 KiB chunks, waiting whenever the sink says so, as the
/// client does; the listing's guests, or that it failed. Gives up after 20 s: a
/// receiving side that waits for a thread that will not read is a hang.
async fn through_thread(body: &str) -> Result<usize, String> {
    through_thread_bytes(body.as_bytes()).await
}

async fn through_thread_bytes(body: &[u8]) -> Result<usize, String> {
    let mut b = Background::start(String::new(), Vec::new());
    b.announced(body.len());
    let handing = async {
        for chunk in body.chunks(16 * 1024) {
            b.chunk(Bytes::copy_from_slice(chunk));
            b.ready().await;
            if let Reading::Thread {
                backlog, handed, ..
            } = &b.0
            {
                assert!(backlog.caught_up(*handed), "ready while far behind");
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), handing)
        .await
        .expect("receiving waited for good");
    b.finish()
        .await
        .0
        .map(|s| s.len())
        .map_err(|e| e.to_string())
}

fn entries(n: u32) -> String {
    let entry = |v: u32| format!(r#"{{"type":"lxc","vmid":{v},"node":"pve2","tags":"a;b"}}"#);
    (100..100 + n).map(entry).collect::<Vec<_>>().join(",")
}

#[tokio::test]
async fn receiving_waits_for_the_reading_and_never_for_good() {
    // Several windows of entries: receiving waits, and every guest is read.
    let many = format!("{{\"data\":[{}]}}", entries(60_000));
    assert!(many.len() > 3 * WINDOW);
    assert_eq!(through_thread(&many).await, Ok(60_000));
    // One entry longer than the window: the thread waits for its end, so receiving
    // must go on.
    let long = format!(
        r#"{{"data":[{{"type":"qemu","vmid":101,"node":"n","name":"{}"}}]}}"#,
        "x".repeat(3 * WINDOW)
    );
    assert_eq!(through_thread(&long).await, Ok(1));
    // A shape read whole at the end (an escaped key): nothing is read meanwhile.
    let escaped = format!("{{\"d\\u0061ta\":[{}]}}", entries(60_000));
    assert_eq!(through_thread(&escaped).await, Ok(60_000));
    // Refused after many windows were read and let go of: between entries, or an
    // entry that does not read (waited for to the end, as one cut short is), with
    // many windows after it.
    let many = entries(60_000);
    for broken in [
        format!("{{\"data\":[{many},5]}}"),
        format!("{{\"data\":[{many},{{\"type\":5}},{many}]}}"),
    ] {
        let refused = through_thread(&broken).await.unwrap_err();
        assert!(refused.contains("not a list of resources"), "{refused}");
    }
    // Not UTF-8 early in many windows: the rest is taken (and not kept), never waited
    // for, and the answer refused where it stopped being UTF-8.
    let mut bytes = format!("{{\"data\":[{}]}}", entries(60_000)).into_bytes();
    bytes[100] = 0xff;
    let refused = through_thread_bytes(&bytes).await.unwrap_err();
    assert!(refused.contains("not UTF-8 (at byte 100)"), "{refused}");
}

//! `pve-helper explain` as an admin runs it: the deciding rule, assumptions stated,
//! exit 0 allowed, 1 refused, 2 bad input.

use std::process::Command;

const LAB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../policy/examples/lab-operator.toml"
);

fn explain(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pve-helper"))
        .args(["explain", "--policy", LAB])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn allowed_refused_and_confirmed_requests() {
    let (code, out, _) = explain(&["vm_action 101 start"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("decision: allow\nrule:     guests.actions"),
        "{out}"
    );
    assert!(
        out.contains("assuming: guest 101 is assumed to exist"),
        "{out}"
    );

    let (code, out, _) = explain(&["--guest", "250 pool=lab node=pve2", "vm_action 250 stop"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("decision: confirm") && out.contains("needs the user's confirmation"),
        "{out}"
    );
    assert!(!out.contains("assuming:"), "{out}");

    let (code, out, _) = explain(&["--guest", "250 pool=lab", "vm_action 250 stop confirmed"]);
    assert_eq!(code, 0, "{out}");

    let (code, out, _) = explain(&["proxmox_api POST /nodes/pve1/termproxy"]);
    assert_eq!(code, 1);
    assert!(out.contains("rule:     fixed floor"), "{out}");

    let (code, out, _) = explain(&["--as", "root", "vm_status 101"]);
    assert_eq!(code, 1, "allowed request, but root is not a client: {out}");
    assert!(out.contains("root is NOT a client"), "{out}");

    let (code, out, _) = explain(&[r#"{"op":"guest_status","args":{"vmid":150}}"#]);
    assert_eq!(code, 1);
    assert!(out.contains("decision: not_found"), "{out}");
}

#[test]
fn bad_input_is_exit_2_with_a_reason() {
    for (req, why) in [
        ("vm_action 5 stop", "vmid 5 is out of range"),
        ("vm_action 101 destroy", "is not one of start"),
        ("proxmox_api GET /a/../b", "'..'"),
        ("teleport 101", "unknown request"),
        (
            r#"{"op":"guest_status","args":{"vmid":101,"x":1}}"#,
            "unknown field",
        ),
    ] {
        let (code, _, err) = explain(&[req]);
        assert_eq!(code, 2, "{req}");
        assert!(err.contains(why), "{req}: {err}");
    }
}

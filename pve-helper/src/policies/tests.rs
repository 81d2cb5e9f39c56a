//! Unit tests of loading and reloading the policies: which file serves whom, what a
//! change, a broken file, a removed file and a user named twice do, and which files
//! of the directory are refused.

use super::*;
use std::os::unix::fs::PermissionsExt;

const MAIN: &str = "[clients]\nusers = [\"claude-user\"]\n[guests]\nallow = [\"100-199\"]\n";
const CI: &str = "[guests]\nallow = [\"200-299\"]\nactions = [\"start\"]\n";

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let t = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(t.clients()).unwrap();
        t.write_main(MAIN);
        t
    }
    fn main(&self) -> PathBuf {
        self.dir.path().join("policy.toml")
    }
    fn clients(&self) -> PathBuf {
        self.dir.path().join("clients.d")
    }
    fn write_main(&self, text: &str) {
        std::fs::write(self.main(), text).unwrap();
    }
    fn write(&self, name: &str, text: &str) {
        let p = self.clients().join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    fn load(&self) -> Result<(Policies, Notes), Notes> {
        Policies::load(&self.main(), &self.clients())
    }
}

fn scope(p: &Policy) -> String {
    format!("{:?}", p.guests.allow)
}

#[test]
fn each_client_is_served_by_its_own_file_or_the_main_one() {
    let t = Tree::new();
    t.write("ci-bot.toml", CI);
    let (p, _) = t.load().unwrap();
    let ci = p.for_client(4000, Some("ci-bot")).unwrap();
    assert!(ci.path.ends_with("clients.d/ci-bot.toml"));
    assert_eq!(ci.policy.clients, [ClientSpec::Name("ci-bot".into())]);
    assert!(scope(&ci.policy).contains("200"));
    let lab = p.for_client(4001, Some("claude-user")).unwrap();
    assert!(Arc::ptr_eq(&lab.policy, &p.main.policy));
    assert!(p.for_client(4002, Some("someone")).is_none());
    assert!(p.for_client(4002, None).is_none());
    assert_eq!(p.clients().len(), 2);
}

#[test]
fn a_missing_directory_holds_no_client() {
    let t = Tree::new();
    std::fs::remove_dir(t.clients()).unwrap();
    let (p, _) = t.load().unwrap();
    assert!(p.own.is_empty());
}

#[test]
fn a_clients_file_names_no_one_but_its_user() {
    let t = Tree::new();
    t.write(
        "ci-bot.toml",
        &format!("[clients]\nusers = [\"ci-bot\"]\n{CI}"),
    );
    assert!(t.load().is_ok());
    t.write(
        "ci-bot.toml",
        &format!("[clients]\nusers = [\"ci-bot\", \"claude-user\"]\n{CI}"),
    );
    let e = t.load().unwrap_err().join("\n");
    assert!(
        e.contains("ci-bot.toml:2:20: \"claude-user\" is not \"ci-bot\""),
        "{e}"
    );
    t.write("ci-bot.toml", &format!("[clients]\nusers = [0]\n{CI}"));
    let e = t.load().unwrap_err().join("\n");
    assert!(
        e.contains("ci-bot.toml:2:10: uid 0 is not \"ci-bot\""),
        "{e}"
    );
}

#[test]
fn a_user_named_by_two_files_is_an_error_at_the_main_files_entry() {
    let t = Tree::new();
    t.write_main("[clients]\nusers = [\"claude-user\",\n  \"ci-bot\"]\n");
    t.write("ci-bot.toml", CI);
    let e = t.load().unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    let main = t.main().display().to_string();
    assert!(
        e[0].starts_with(&format!("{main}:3:3: \"ci-bot\" has a policy of its own, ")),
        "{e:?}"
    );
    assert!(e[0].contains("clients.d/ci-bot.toml"), "{e:?}");
    // Root is uid 0 and named "root" on every host: a uid conflicts as a name does.
    t.write_main("[clients]\nusers = [0]\n");
    t.write("root.toml", CI);
    let e = t.load().unwrap_err();
    assert!(
        e[0].contains(":2:10: uid 0 (root) has a policy of its own"),
        "{e:?}"
    );
}

#[test]
fn files_that_cannot_be_trusted_are_refused_with_the_reason() {
    let t = Tree::new();
    t.write("9999.toml", CI);
    t.write("-x.toml", CI);
    t.write("ci-bot.toml", CI);
    std::os::unix::fs::symlink(
        t.clients().join("ci-bot.toml"),
        t.clients().join("other.toml"),
    )
    .unwrap();
    t.write("loose.toml", CI);
    std::fs::set_permissions(
        t.clients().join("loose.toml"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    // Not policies: left alone.
    t.write("ci-bot.toml.dpkg-old", "garbage");
    t.write(".ci-bot.toml.swp", "garbage");
    t.write("README", "garbage");
    let e = t.load().unwrap_err().join("\n");
    assert!(e.contains("9999.toml: \"9999\" is not a login name"), "{e}");
    assert!(e.contains("-x.toml: \"-x\" is not a login name"), "{e}");
    assert!(e.contains("other.toml: is a symbolic link"), "{e}");
    assert!(
        e.contains("loose.toml: is writable by group or others (mode 0666)"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 4, "{e}");
    std::fs::set_permissions(t.clients(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = t.load().unwrap_err().join("\n");
    assert!(
        e.contains("the clients directory is writable by group or others"),
        "{e}"
    );
}

#[test]
fn a_reload_keeps_unchanged_files_and_the_old_policy_of_a_broken_one() {
    let t = Tree::new();
    t.write("ci-bot.toml", CI);
    t.write("auditor.toml", "[guests]\nallow = [\"*\"]\n");
    let (old, _) = t.load().unwrap();

    let same = old.reload();
    assert!(
        same.problems.is_empty() && same.changed.is_empty(),
        "{same:?}"
    );
    assert!(Arc::ptr_eq(&same.policies.main.policy, &old.main.policy));
    assert!(Arc::ptr_eq(
        &same.policies.own["ci-bot"].policy,
        &old.own["ci-bot"].policy
    ));

    // ci-bot changes, auditor breaks: ci-bot's change is taken, auditor keeps its old.
    t.write("ci-bot.toml", "[guests]\nallow = [\"300-399\"]\n");
    t.write("auditor.toml", "[guests]\nallow = [\"*\"\n");
    let r = old.reload();
    assert_eq!(r.changed, [t.clients().join("ci-bot.toml")]);
    assert!(scope(&r.policies.own["ci-bot"].policy).contains("300"));
    assert!(Arc::ptr_eq(
        &r.policies.own["auditor"].policy,
        &old.own["auditor"].policy
    ));
    assert!(Arc::ptr_eq(&r.policies.main.policy, &old.main.policy));
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(
        r.problems[0].contains("clients.d/auditor.toml:"),
        "{:?}",
        r.problems
    );

    // A removed file removes its client; a new good one adds one; a new bad one none.
    let before = r.policies;
    std::fs::remove_file(t.clients().join("auditor.toml")).unwrap();
    t.write("newbie.toml", CI);
    t.write("broken.toml", "[guests\n");
    let r = before.reload();
    assert!(!r.policies.own.contains_key("auditor"));
    assert!(r.policies.own.contains_key("newbie"));
    assert!(!r.policies.own.contains_key("broken"));
    assert!(r.policies.for_client(4000, Some("auditor")).is_none());
    assert!(r.changed.contains(&t.clients().join("auditor.toml")));
}

#[test]
fn a_reload_that_would_name_a_user_twice_keeps_the_file_that_changed_as_it_was() {
    let t = Tree::new();
    t.write("ci-bot.toml", CI);
    let (old, _) = t.load().unwrap();
    // The main policy now names ci-bot too: the main change is refused.
    t.write_main("[clients]\nusers = [\"claude-user\", \"ci-bot\"]\n");
    let r = old.reload();
    assert!(Arc::ptr_eq(&r.policies.main.policy, &old.main.policy));
    assert!(Arc::ptr_eq(
        &r.policies.own["ci-bot"].policy,
        &old.own["ci-bot"].policy
    ));
    assert!(
        r.problems[0].contains("has a policy of its own"),
        "{:?}",
        r.problems
    );
    // A new file for a user the main policy serves is not taken.
    t.write_main(MAIN);
    t.write("claude-user.toml", CI);
    let r = old.reload();
    assert!(!r.policies.own.contains_key("claude-user"));
    assert!(Arc::ptr_eq(&r.policies.main.policy, &old.main.policy));
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
}

#[test]
fn check_reports_every_file_and_finds_the_user_named_twice() {
    let t = Tree::new();
    t.write("ci-bot.toml", CI);
    t.write("bad.toml", "[guests]\nallow = [\"x y\"]\n");
    let c = check(&t.main(), &t.clients());
    assert!(!c.ok());
    assert_eq!(c.files.len(), 3);
    assert!(c.files.iter().filter(|f| f.result.is_err()).count() == 1);
    std::fs::remove_file(t.clients().join("bad.toml")).unwrap();
    t.write_main("[clients]\nusers = [\"ci-bot\"]\n");
    let c = check(&t.main(), &t.clients());
    assert_eq!(c.across.len(), 1, "{:?}", c.across);
    assert!(c.files.iter().all(|f| f.result.is_ok()));
}

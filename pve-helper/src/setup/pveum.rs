//! Driving `pveum`, Proxmox's user-management tool: reading the current users, roles,
//! ACLs and tokens (its JSON output, trusted no more than any input), and planning the
//! few commands that bring them to what the helper needs. Planning is pure; running
//! is argv only, never a shell. The token secret `pveum` prints is never echoed.

use serde::Deserialize;
use std::{
    collections::BTreeSet,
    ffi::OsString,
    process::{Command, Stdio},
};

#[derive(Debug, thiserror::Error)]
pub enum PveumError {
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`pveum {args}` failed ({status}): {stderr}")]
    Failed {
        args: String,
        status: String,
        stderr: String,
    },
    #[error("`pveum {args}` printed output that cannot be read: {message}")]
    Output { args: String, message: String },
}

/// What the helper's Proxmox identity should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub user: String,
    pub role: String,
    pub token: String,
    pub privileges: Vec<&'static str>,
    /// Whether a new token must be made even if one exists (its secret is not on disk).
    pub new_token: bool,
}

impl Wanted {
    /// `USER!TOKEN`, how ACLs and the token file name the token.
    pub fn token_id(&self) -> String {
        format!("{}!{}", self.user, self.token)
    }
}

/// What Proxmox has now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Current {
    pub user_exists: bool,
    /// The role's privileges, when the role exists.
    pub role_privileges: Option<BTreeSet<String>>,
    pub token_exists: bool,
    pub user_acl: bool,
    pub token_acl: bool,
}

/// One `pveum` invocation of the plan; `creates_token` marks the one whose output holds
/// the new secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub args: Vec<String>,
    pub creates_token: bool,
}

fn step(args: &[&str]) -> Step {
    Step {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        creates_token: false,
    }
}

/// The commands that turn `now` into `want`, in order; empty when nothing is to do.
pub fn plan(now: &Current, want: &Wanted) -> Vec<Step> {
    let privs = want.privileges.join(",");
    let token_id = want.token_id();
    let mut steps = Vec::new();
    if !now.user_exists {
        steps.push(step(&[
            "user",
            "add",
            &want.user,
            "--comment",
            "pve-mcp helper (managed by pve-helper setup)",
        ]));
    }
    let wanted_privs: BTreeSet<String> = want.privileges.iter().map(|p| (*p).to_owned()).collect();
    match &now.role_privileges {
        None => steps.push(step(&["role", "add", &want.role, "--privs", &privs])),
        Some(have) if *have != wanted_privs => {
            steps.push(step(&["role", "modify", &want.role, "--privs", &privs]));
        }
        Some(_) => {}
    }
    if !now.user_acl || !now.user_exists {
        steps.push(step(&[
            "acl", "modify", "/", "--users", &want.user, "--roles", &want.role,
        ]));
    }
    let make_token = !now.token_exists || want.new_token || !now.user_exists;
    if make_token {
        if now.token_exists && now.user_exists {
            steps.push(step(&["user", "token", "remove", &want.user, &want.token]));
        }
        steps.push(Step {
            creates_token: true,
            ..step(&[
                "user",
                "token",
                "add",
                &want.user,
                &want.token,
                "--privsep",
                "1",
                "--comment",
                "pve-mcp helper",
                "--output-format",
                "json",
            ])
        });
    }
    // Removing a token removes its ACLs: a new token always needs its ACL.
    if make_token || !now.token_acl {
        steps.push(step(&[
            "acl", "modify", "/", "--tokens", &token_id, "--roles", &want.role,
        ]));
    }
    steps
}

/// Runs `pveum` (found on `PATH`, or the given program).
#[derive(Debug, Clone)]
pub struct Pveum {
    pub program: OsString,
}

impl Pveum {
    /// Runs `pveum args`, returning its stdout.
    pub fn run(&self, args: &[String]) -> Result<Vec<u8>, PveumError> {
        let out = Command::new(&self.program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| PveumError::Spawn {
                program: self.program.to_string_lossy().into_owned(),
                source,
            })?;
        if !out.status.success() {
            return Err(PveumError::Failed {
                args: args.join(" "),
                status: out.status.to_string(),
                stderr: crate::pve::sanitize(&String::from_utf8_lossy(&out.stderr)),
            });
        }
        Ok(out.stdout)
    }

    fn list<T: for<'de> Deserialize<'de>>(&self, args: &[&str]) -> Result<Vec<T>, PveumError> {
        let mut argv: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        argv.extend(["--output-format".to_owned(), "json".to_owned()]);
        let out = self.run(&argv)?;
        serde_json::from_slice(&out).map_err(|e| PveumError::Output {
            args: argv.join(" "),
            message: e.to_string(),
        })
    }

    /// Reads what Proxmox has for `want`'s user, role and token.
    pub fn current(&self, want: &Wanted) -> Result<Current, PveumError> {
        #[derive(Deserialize)]
        struct User {
            userid: String,
        }
        #[derive(Deserialize)]
        struct Role {
            roleid: String,
            #[serde(default)]
            privs: String,
        }
        #[derive(Deserialize)]
        struct Acl {
            path: String,
            #[serde(rename = "type")]
            kind: String,
            ugid: String,
            roleid: String,
        }
        #[derive(Deserialize)]
        struct Token {
            tokenid: String,
        }
        let users: Vec<User> = self.list(&["user", "list"])?;
        let user_exists = users.iter().any(|u| u.userid == want.user);
        let roles: Vec<Role> = self.list(&["role", "list"])?;
        let role_privileges = roles.into_iter().find(|r| r.roleid == want.role).map(|r| {
            r.privs
                .split([',', ' '])
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        });
        let acls: Vec<Acl> = self.list(&["acl", "list"])?;
        let has_acl = |kind: &str, ugid: &str| {
            acls.iter()
                .any(|a| a.path == "/" && a.kind == kind && a.ugid == ugid && a.roleid == want.role)
        };
        let token_exists = user_exists && {
            let tokens: Vec<Token> = self.list(&["user", "token", "list", &want.user])?;
            tokens.iter().any(|t| t.tokenid == want.token)
        };
        Ok(Current {
            user_exists,
            role_privileges,
            token_exists,
            user_acl: has_acl("user", &want.user),
            token_acl: has_acl("token", &want.token_id()),
        })
    }
}

/// The token line `USER!TOKEN=SECRET` from `pveum user token add --output-format json`.
/// The secret is only returned, never put in an error.
pub fn token_line(output: &[u8]) -> Result<String, PveumError> {
    #[derive(Deserialize)]
    struct Added {
        #[serde(rename = "full-tokenid")]
        full_tokenid: String,
        value: String,
    }
    let bad = |message: &str| PveumError::Output {
        args: "user token add".into(),
        message: message.to_owned(),
    };
    let added: Added = serde_json::from_slice(output)
        .map_err(|_| bad("expected JSON with full-tokenid and value"))?;
    let line = format!("{}={}", added.full_tokenid, added.value);
    crate::secret::ApiToken::parse(&line)
        .map(|_| line)
        .ok_or_else(|| bad("the token id or secret has an unexpected form"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want() -> Wanted {
        Wanted {
            user: "mcp@pve".into(),
            role: "R".into(),
            token: "mcp".into(),
            privileges: vec!["Sys.Audit", "VM.Audit"],
            new_token: false,
        }
    }

    fn verbs(steps: &[Step]) -> Vec<String> {
        steps.iter().map(|s| s.args[..2].join(" ")).collect()
    }

    #[test]
    fn fresh_cluster_gets_everything() {
        let steps = plan(&Current::default(), &want());
        assert_eq!(
            verbs(&steps),
            [
                "user add",
                "role add",
                "acl modify",
                "user token",
                "acl modify"
            ]
        );
        assert!(steps[3].creates_token);
        assert_eq!(steps[1].args[4], "Sys.Audit,VM.Audit");
        assert_eq!(steps[4].args[4], "mcp@pve!mcp");
    }

    #[test]
    fn converged_state_needs_nothing() {
        let now = Current {
            user_exists: true,
            role_privileges: Some(["VM.Audit".into(), "Sys.Audit".into()].into()),
            token_exists: true,
            user_acl: true,
            token_acl: true,
        };
        assert!(plan(&now, &want()).is_empty());
        let stale = Current {
            role_privileges: Some(["VM.Audit".into()].into()),
            ..now.clone()
        };
        assert_eq!(verbs(&plan(&stale, &want())), ["role modify"]);
        let lost = plan(
            &now,
            &Wanted {
                new_token: true,
                ..want()
            },
        );
        assert_eq!(lost[0].args[..3], ["user", "token", "remove"]);
        assert!(lost[1].creates_token);
        assert_eq!(verbs(&lost)[2], "acl modify");
    }

    #[test]
    fn token_output_is_parsed_and_never_echoed() {
        let ok = br#"{"full-tokenid":"mcp@pve!mcp","info":{"privsep":"1"},"value":"0b7e-11aa"}"#;
        assert_eq!(token_line(ok).unwrap(), "mcp@pve!mcp=0b7e-11aa");
        let bad = br#"{"full-tokenid":"mcp@pve!mcp","value":"s3cr3t with space"}"#;
        let e = token_line(bad).unwrap_err().to_string();
        assert!(!e.contains("s3cr3t"), "{e}");
    }
}

/// `current` reads pveum's JSON exactly as pve-access-control prints it on PVE 8 and 9
/// (`PVE::API2::User::index` with its tokens, `PVE::API2::Role::index` with privileges
/// joined by commas, `PVE::API2::ACL::read_acl`, `PVE::API2::User::token_index`), extra
/// fields and all.
#[cfg(test)]
mod shapes {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const USERS: &str = r#"[{"comment":"pve-mcp helper (managed by pve-helper setup)","email":null,"enable":1,"expire":0,"firstname":null,"groups":"","keys":null,"lastname":null,"realm-type":"pve","tfa-locked-until":null,"tokens":[{"comment":"pve-mcp helper","expire":0,"privsep":1,"tokenid":"mcp"}],"totp-locked":0,"userid":"mcp@pve"},{"enable":1,"expire":0,"realm-type":"pam","userid":"root@pam"}]"#;
    const ROLES: &str = r#"[{"privs":"Datastore.Allocate,Datastore.AllocateSpace,Datastore.AllocateTemplate,Datastore.Audit,Group.Allocate,Mapping.Audit,Mapping.Modify,Mapping.Use,Permissions.Modify,Pool.Allocate,Pool.Audit,Realm.Allocate,Realm.AllocateUser,SDN.Allocate,SDN.Audit,SDN.Use,Sys.AccessNetwork,Sys.Audit,Sys.Console,Sys.Incoming,Sys.Modify,Sys.PowerMgmt,Sys.Syslog,User.Modify,VM.Allocate,VM.Audit,VM.Backup,VM.Clone,VM.Config.CDROM,VM.Config.CPU,VM.Config.Cloudinit,VM.Config.Disk,VM.Config.HWType,VM.Config.Memory,VM.Config.Network,VM.Config.Options,VM.Console,VM.GuestAgent.Audit,VM.GuestAgent.FileRead,VM.GuestAgent.FileSystemMgmt,VM.GuestAgent.FileWrite,VM.GuestAgent.Unrestricted,VM.Migrate,VM.PowerMgmt,VM.Replicate,VM.Snapshot,VM.Snapshot.Rollback","roleid":"PVEAdmin","special":1},{"privs":"Sys.Audit,VM.Audit,VM.PowerMgmt","roleid":"MCPHelper","special":0}]"#;
    const ACLS: &str = r#"[{"path":"/","propagate":1,"roleid":"MCPHelper","type":"user","ugid":"mcp@pve"},{"path":"/","propagate":1,"roleid":"MCPHelper","type":"token","ugid":"mcp@pve!mcp"},{"path":"/vms/100","propagate":1,"roleid":"PVEVMUser","type":"group","ugid":"ops"}]"#;
    const TOKENS: &str = r#"[{"comment":"pve-mcp helper","expire":0,"privsep":1,"tokenid":"mcp"}]"#;

    #[test]
    fn pve_access_control_output_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("pveum");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\ncase \"$1 $2\" in\n\"user list\") echo '{USERS}' ;;\n\"role list\") echo '{ROLES}' ;;\n\"acl list\") echo '{ACLS}' ;;\n\"user token\") echo '{TOKENS}' ;;\nesac\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let pveum = Pveum {
            program: script.into_os_string(),
        };
        let want = Wanted {
            user: "mcp@pve".into(),
            role: "MCPHelper".into(),
            token: "mcp".into(),
            privileges: vec!["Sys.Audit", "VM.Audit", "VM.PowerMgmt"],
            new_token: false,
        };
        let now = pveum.current(&want).unwrap();
        assert!(now.user_exists && now.token_exists && now.user_acl && now.token_acl);
        assert_eq!(
            now.role_privileges.unwrap().into_iter().collect::<Vec<_>>(),
            ["Sys.Audit", "VM.Audit", "VM.PowerMgmt"]
        );
    }
}

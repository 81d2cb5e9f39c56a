//! Every policy in force, and which one judges a client: the main policy file serves
//! the users its `[clients]` names; each file `LOGIN.toml` of the clients directory
//! (`clients.d/` beside the policy) is the whole policy of that one login user. A user
//! is served by one file or by none. The files are admin input read by `policy`'s
//! parser; the directory is checked here (`dir`) for names, links, owners and modes.
//! Loading at start is all or nothing; a reload is per file: an unchanged file keeps
//! its policy (the same `Arc`), a bad one keeps the policy it replaces, a removed one
//! removes its client.

mod check;
mod dir;
#[cfg(test)]
mod tests;

use crate::policy::{ClientSpec, Policy, PolicyError, client_positions};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
};

pub use check::{Checked, FileCheck, check};
pub use dir::{Found, scan};

/// One policy file as loaded: its text (to tell whether it changed) and its policy.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    pub path: PathBuf,
    text: String,
    pub policy: Arc<Policy>,
}

/// The main policy and each client's own.
#[derive(Debug, Clone)]
pub struct Policies {
    pub main: PolicyFile,
    /// Login name → that client's own policy file.
    pub own: BTreeMap<String, PolicyFile>,
    /// The clients directory.
    pub dir: PathBuf,
}

/// What a load or reload found wrong or worth saying, one line each, naming the file
/// (and line and column where there is one).
pub type Notes = Vec<String>;

/// A reload's outcome: the policies now in force, and what could not be taken.
#[derive(Debug)]
pub struct Reloaded {
    pub policies: Policies,
    /// Files whose new content is in force.
    pub changed: Vec<PathBuf>,
    /// Files whose change was refused (their old policy stays), and why.
    pub problems: Notes,
    pub warnings: Notes,
}

fn read_main(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Parses one file's text: the main policy when `login` is `None`.
fn parse(path: &Path, text: String, login: Option<&str>) -> Result<(PolicyFile, Notes), Notes> {
    let parsed = match login {
        None => Policy::parse(&text, path),
        Some(login) => Policy::parse_own(&text, path, login),
    };
    match parsed {
        Ok((policy, warnings)) => Ok((
            PolicyFile {
                path: path.to_owned(),
                text,
                policy: Arc::new(policy),
            },
            warnings.iter().map(ToString::to_string).collect(),
        )),
        Err(PolicyError::Invalid(diags)) => Err(diags
            .iter()
            .filter(|d| d.severity == crate::policy::Severity::Error)
            .map(ToString::to_string)
            .collect()),
        Err(e) => Err(vec![e.to_string()]),
    }
}

/// The uid of a local login name, if the user exists.
fn uid_of(login: &str) -> Option<u32> {
    nix::unistd::User::from_name(login)
        .ok()
        .flatten()
        .map(|u| u.uid.as_raw())
}

/// The login name of a local uid, if the user exists.
pub fn name_of(uid: u32) -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
}

/// Each client that the main policy names and that has its own file too, with the
/// message saying where.
fn conflicts(main: &PolicyFile, own: &BTreeMap<String, PolicyFile>) -> Vec<(String, String)> {
    let named = client_positions(&main.text);
    let mut out = Vec::new();
    for (login, file) in own {
        let uid = uid_of(login);
        for (spec, line, col) in &named {
            let same = match spec {
                ClientSpec::Name(n) => n == login,
                ClientSpec::Uid(u) => Some(*u) == uid,
            };
            if same {
                let what = match spec {
                    ClientSpec::Name(_) => format!("{login:?}"),
                    ClientSpec::Uid(u) => format!("uid {u} ({login})"),
                };
                out.push((
                    login.clone(),
                    format!(
                        "{}:{line}:{col}: {what} has a policy of its own, {}: a user is served \
                         by one policy; remove it from one of them",
                        main.path.display(),
                        file.path.display()
                    ),
                ));
            }
        }
    }
    out
}

impl Policies {
    /// Loads the main policy and every file of `dir` (a missing directory holds
    /// none): all of them, or every problem found.
    pub fn load(main: &Path, dir: &Path) -> Result<(Self, Notes), Notes> {
        let mut problems = Notes::new();
        let mut warnings = Notes::new();
        let main = match read_main(main)
            .map_err(|e| vec![e])
            .and_then(|text| parse(main, text, None))
        {
            Ok((file, w)) => {
                warnings.extend(w);
                Some(file)
            }
            Err(p) => {
                problems.extend(p);
                None
            }
        };
        let mut own = BTreeMap::new();
        match scan(dir) {
            Err(e) => problems.push(e),
            Ok(found) => {
                for f in found {
                    match f {
                        Found::File { login, path, text } => {
                            match parse(&path, text, Some(&login)) {
                                Ok((file, w)) => {
                                    warnings.extend(w);
                                    if uid_of(&login).is_none() {
                                        warnings.push(format!(
                                            "{}: there is no local user {login:?}; `pve-helper setup` creates it",
                                            path.display()
                                        ));
                                    }
                                    own.insert(login, file);
                                }
                                Err(p) => problems.extend(p),
                            }
                        }
                        Found::Refused { problem, .. } => problems.push(problem),
                    }
                }
            }
        }
        let Some(main) = main else {
            return Err(problems);
        };
        problems.extend(conflicts(&main, &own).into_iter().map(|(_, m)| m));
        if problems.is_empty() {
            Ok((
                Self {
                    main,
                    own,
                    dir: dir.to_owned(),
                },
                warnings,
            ))
        } else {
            Err(problems)
        }
    }

    /// Reads every file again. A file whose text is unchanged keeps its policy; one
    /// that does not load, or names a user another file serves, keeps the policy it
    /// would replace (or, new, is not taken); a file gone takes its client with it.
    pub fn reload(&self) -> Reloaded {
        let mut problems = Notes::new();
        let mut warnings = Notes::new();
        let main = match read_main(&self.main.path) {
            Ok(text) if text == self.main.text => self.main.clone(),
            Ok(text) => match parse(&self.main.path, text, None) {
                Ok((file, w)) => {
                    warnings.extend(w);
                    file
                }
                Err(p) => {
                    problems.extend(p);
                    self.main.clone()
                }
            },
            Err(e) => {
                problems.push(e);
                self.main.clone()
            }
        };
        let mut own = BTreeMap::new();
        match scan(&self.dir) {
            Err(e) => {
                problems.push(format!("{e}; every client's own policy stays as it was"));
                own = self.own.clone();
            }
            Ok(found) => {
                for f in found {
                    self.reload_one(f, &mut own, &mut problems, &mut warnings);
                }
            }
        }
        let mut reloaded = Reloaded {
            policies: Self {
                main,
                own,
                dir: self.dir.clone(),
            },
            changed: Vec::new(),
            problems,
            warnings,
        };
        self.undo_conflicts(&mut reloaded);
        reloaded.changed = self.changes(&reloaded.policies);
        reloaded
    }

    /// Takes one file of the directory found by a reload into `own`.
    fn reload_one(
        &self,
        found: Found,
        own: &mut BTreeMap<String, PolicyFile>,
        problems: &mut Notes,
        warnings: &mut Notes,
    ) {
        match found {
            Found::File { login, path, text } => {
                if let Some(old) = self.own.get(&login).filter(|o| o.text == text) {
                    own.insert(login, old.clone());
                    return;
                }
                match parse(&path, text, Some(&login)) {
                    Ok((file, w)) => {
                        warnings.extend(w);
                        own.insert(login, file);
                    }
                    Err(p) => {
                        problems.extend(p);
                        if let Some(old) = self.own.get(&login) {
                            own.insert(login, old.clone());
                        }
                    }
                }
            }
            Found::Refused { login, problem } => {
                problems.push(problem);
                if let Some((login, old)) = login.and_then(|l| self.own.get(&l).map(|o| (l, o))) {
                    own.insert(login, old.clone());
                }
            }
        }
    }

    /// Where a reload made a user named by two files, the file that changed goes back
    /// to what it was (a new client file is not taken).
    fn undo_conflicts(&self, r: &mut Reloaded) {
        // Each round undoes at least one change, or stops.
        for _ in 0..=self.own.len() + r.policies.own.len() + 1 {
            let found = conflicts(&r.policies.main, &r.policies.own);
            let mut undone = false;
            for (login, message) in found {
                let p = &mut r.policies;
                let own_changed = match (p.own.get(&login), self.own.get(&login)) {
                    (Some(new), Some(old)) => !Arc::ptr_eq(&new.policy, &old.policy),
                    (Some(_), None) => true,
                    _ => false,
                };
                if own_changed {
                    match self.own.get(&login) {
                        Some(old) => p.own.insert(login.clone(), old.clone()),
                        None => p.own.remove(&login),
                    };
                    r.problems
                        .push(format!("{message} (that file's change is not taken)"));
                    undone = true;
                } else if !Arc::ptr_eq(&p.main.policy, &self.main.policy) {
                    p.main = self.main.clone();
                    r.problems
                        .push(format!("{message} (that file's change is not taken)"));
                    undone = true;
                }
            }
            if !undone {
                return;
            }
        }
    }

    /// The files whose policy `new` holds and `self` did not.
    fn changes(&self, new: &Policies) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if !Arc::ptr_eq(&new.main.policy, &self.main.policy) {
            out.push(new.main.path.clone());
        }
        for (login, file) in &new.own {
            if self
                .own
                .get(login)
                .is_none_or(|o| !Arc::ptr_eq(&o.policy, &file.policy))
            {
                out.push(file.path.clone());
            }
        }
        for (login, file) in &self.own {
            if !new.own.contains_key(login) {
                out.push(file.path.clone());
            }
        }
        out
    }

    /// The policy file serving the local user `uid` (login `name`, if it has one):
    /// its own file, else the main policy if that names it, else none.
    pub fn for_client(&self, uid: u32, name: Option<&str>) -> Option<&PolicyFile> {
        if let Some(own) = name.and_then(|n| self.own.get(n)) {
            return Some(own);
        }
        self.main
            .policy
            .clients
            .iter()
            .any(|c| match c {
                ClientSpec::Uid(u) => *u == uid,
                ClientSpec::Name(n) => Some(n.as_str()) == name,
            })
            .then_some(&self.main)
    }

    /// The policy file serving `user`, a login name or uid as an admin types it.
    pub fn for_user(&self, user: &str) -> Option<&PolicyFile> {
        let (uid, name) = match user.parse::<u32>() {
            Ok(uid) => (Some(uid), name_of(uid)),
            Err(_) => (uid_of(user), Some(user.to_owned())),
        };
        match uid {
            Some(uid) => self.for_client(uid, name.as_deref()),
            // A user not (yet) on this host: by name alone.
            None => name.as_deref().and_then(|n| {
                self.own.get(n).or_else(|| {
                    self.main
                        .policy
                        .clients
                        .contains(&ClientSpec::Name(n.to_owned()))
                        .then_some(&self.main)
                })
            }),
        }
    }

    /// Every client of every file, as its file names it.
    pub fn clients(&self) -> Vec<ClientSpec> {
        let mut out = self.main.policy.clients.clone();
        out.extend(self.own.keys().map(|l| ClientSpec::Name(l.clone())));
        out
    }

    /// Every policy in force with its file, the main one first.
    pub fn files(&self) -> impl Iterator<Item = &PolicyFile> {
        std::iter::once(&self.main).chain(self.own.values())
    }
}

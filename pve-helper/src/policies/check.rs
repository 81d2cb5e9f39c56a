//! `pve-helper check` over every policy: each file validated on its own (so that
//! every file's errors are reported, not the first file's), then the users two files
//! name. Reads files; prints nothing (the command line does).

use super::{Found, Notes, Policies, PolicyFile, conflicts, parse, read_main, scan};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// One file's verdict.
#[derive(Debug)]
pub struct FileCheck {
    pub path: PathBuf,
    /// The client it serves alone, for a file of the clients directory.
    pub login: Option<String>,
    /// The policy and its warnings, or its errors.
    pub result: Result<(PolicyFile, Notes), Notes>,
}

/// Every file's verdict, the main policy first, and the problems between files (or
/// of the directory itself).
#[derive(Debug)]
pub struct Checked {
    pub files: Vec<FileCheck>,
    pub across: Notes,
}

impl Checked {
    pub fn ok(&self) -> bool {
        self.across.is_empty() && self.files.iter().all(|f| f.result.is_ok())
    }

    /// The policies, if every file loaded and no user is named twice.
    pub fn into_policies(self, dir: &Path) -> Option<Policies> {
        if !self.ok() {
            return None;
        }
        let mut files = self.files.into_iter();
        let main = files.next()?.result.ok()?.0;
        let own = files
            .filter_map(|f| Some((f.login?, f.result.ok()?.0)))
            .collect();
        Some(Policies {
            main,
            own,
            dir: dir.to_owned(),
        })
    }
}

/// Validates the main policy `main` and every client file of `dir`.
pub fn check(main: &Path, dir: &Path) -> Checked {
    let mut files = vec![FileCheck {
        path: main.to_owned(),
        login: None,
        result: read_main(main)
            .map_err(|e| vec![e])
            .and_then(|text| parse(main, text, None)),
    }];
    let mut across = Notes::new();
    match scan(dir) {
        Err(e) => across.push(e),
        Ok(found) => {
            for f in found {
                files.push(match f {
                    Found::File { login, path, text } => FileCheck {
                        result: parse(&path, text, Some(&login)),
                        path,
                        login: Some(login),
                    },
                    Found::Refused { login, problem } => FileCheck {
                        path: PathBuf::new(),
                        login,
                        result: Err(vec![problem]),
                    },
                });
            }
        }
    }
    if let Some(Ok((main, _))) = files.first().map(|f| &f.result) {
        let own: BTreeMap<String, PolicyFile> = files
            .iter()
            .filter_map(|f| Some((f.login.clone()?, f.result.as_ref().ok()?.0.clone())))
            .collect();
        across.extend(conflicts(main, &own).into_iter().map(|(_, m)| m));
    }
    Checked { files, across }
}

//! Guest paths: Linux ones under `/`, case-sensitive; Windows ones under a
//! drive (`C:\`), either slash, compared without case but shown as written.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Linux,
    Windows,
}

impl Os {
    /// Windows-like for `config.guestId`s starting with `win` (any case).
    pub fn from_guest_id(id: &str) -> Os {
        if id.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("win")) {
            Os::Windows
        } else {
            Os::Linux
        }
    }

    pub fn sep(self) -> char {
        match self {
            Os::Linux => '/',
            Os::Windows => '\\',
        }
    }
}

/// A normalized absolute guest path: its components as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GPath {
    pub os: Os,
    /// Windows: the drive (`C:`) first.
    parts: Vec<String>,
}

impl GPath {
    /// `/`, or `C:\` on Windows.
    pub fn root(os: Os) -> GPath {
        let parts = match os {
            Os::Linux => vec![],
            Os::Windows => vec!["C:".into()],
        };
        GPath { os, parts }
    }

    /// `s` made absolute against `cwd` (when relative and a `cwd` is given),
    /// with `.` and `..` resolved; `None` for a relative path without `cwd`.
    pub fn parse(os: Os, cwd: Option<&GPath>, s: &str) -> Option<GPath> {
        let s = s.trim();
        if s.is_empty() {
            return cwd.cloned();
        }
        let (mut parts, rest) = match os {
            Os::Linux if s.starts_with('/') => (vec![], s),
            Os::Windows if s.len() >= 2 && s.as_bytes()[1] == b':' => {
                let drive = s.get(..2)?.to_ascii_uppercase();
                (vec![drive], s.get(2..)?)
            }
            // `\Temp` on Windows: the current drive's root.
            Os::Windows if s.starts_with(['\\', '/']) => {
                let drive = cwd.and_then(|c| c.parts.first().cloned());
                (vec![drive.unwrap_or_else(|| "C:".into())], s)
            }
            _ => (cwd?.parts.clone(), s),
        };
        let min = usize::from(os == Os::Windows);
        let seps: &[char] = match os {
            Os::Linux => &['/'],
            Os::Windows => &['\\', '/'],
        };
        for c in rest.split(seps) {
            match c {
                "" | "." => {}
                ".." => {
                    if parts.len() > min {
                        parts.pop();
                    }
                }
                c => parts.push(c.to_string()),
            }
        }
        Some(GPath { os, parts })
    }

    /// The lookup key: the path as written on Linux, lower-cased on Windows.
    pub fn key(&self) -> String {
        let d = self.display();
        match self.os {
            Os::Linux => d,
            Os::Windows => d.to_lowercase(),
        }
    }

    pub fn display(&self) -> String {
        let sep = self.os.sep();
        match self.os {
            Os::Linux => {
                let mut s = String::new();
                for p in &self.parts {
                    s.push(sep);
                    s.push_str(p);
                }
                if s.is_empty() { "/".into() } else { s }
            }
            Os::Windows => {
                let mut s = self.parts.first().cloned().unwrap_or_else(|| "C:".into());
                for p in self.parts.iter().skip(1) {
                    s.push(sep);
                    s.push_str(p);
                }
                if self.parts.len() <= 1 {
                    s.push(sep);
                }
                s
            }
        }
    }

    pub fn is_root(&self) -> bool {
        self.parts.len() <= usize::from(self.os == Os::Windows)
    }

    pub fn parent(&self) -> Option<GPath> {
        if self.is_root() {
            return None;
        }
        let mut p = self.clone();
        p.parts.pop();
        Some(p)
    }

    /// The last component (`""` for the root).
    pub fn name(&self) -> &str {
        if self.is_root() {
            ""
        } else {
            self.parts.last().map(String::as_str).unwrap_or("")
        }
    }

    pub fn join(&self, name: &str) -> GPath {
        let mut p = self.clone();
        p.parts.push(name.to_string());
        p
    }

    /// Whether `self` is `other` or inside it.
    pub fn within(&self, other: &GPath) -> bool {
        let k = self.key();
        let o = other.key();
        k == o
            || k.starts_with(&format!(
                "{}{}",
                o.trim_end_matches(self.os.sep()),
                self.os.sep()
            ))
    }
}

//! A guest's file system: absolute paths → directories and files with bytes,
//! an owner, a mode and times. Linux paths are case-sensitive under `/`;
//! Windows paths sit under a drive (`C:\`), take either slash and compare
//! without case, and keep the case they were created with.
//!
//! Permissions are a small fixed policy rather than a full ACL model: an
//! admin may do anything; another user may read all but the admin's home
//! (`/root`, `C:\Users\Administrator`) and write only inside their own home
//! and the temp directory (`/tmp`, `C:\Temp`), as a fresh guest behaves.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::Instant;

pub use super::path::{GPath, Os};

/// Which family of guest the VM runs.

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Dir,
    /// Shared, so copying a guest at the start of a change copies no bytes.
    File(Arc<Vec<u8>>),
}

#[derive(Clone, Debug)]
pub struct Node {
    /// The full path as created (its case, the OS's separator).
    pub path: String,
    pub body: Body,
    pub owner: String,
    /// POSIX permission bits; on Windows only the owner-write bit matters (read-only).
    pub mode: u32,
    pub mtime: Instant,
    pub atime: Instant,
}

impl Node {
    pub fn is_dir(&self) -> bool {
        self.body == Body::Dir
    }

    pub fn size(&self) -> i64 {
        match &self.body {
            Body::Dir => 4096,
            Body::File(b) => b.len() as i64,
        }
    }

    /// Bytes a file holds (0 for a directory).
    pub fn size_bytes(&self) -> u64 {
        match &self.body {
            Body::Dir => 0,
            Body::File(b) => b.len() as u64,
        }
    }

    /// The last path component.
    pub fn name(&self) -> &str {
        self.path
            .rsplit(['/', '\\'])
            .find(|s| !s.is_empty())
            .unwrap_or(&self.path)
    }
}

/// Who asks: a guest user's name and whether they are an administrator.
#[derive(Clone, Copy, Debug)]
pub struct Who<'a> {
    pub name: &'a str,
    pub admin: bool,
}

/// Why a file operation failed; each names the path (as given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsError {
    NotFound(String),
    AlreadyExists(String),
    NotADirectory(String),
    NotAFile(String),
    NotEmpty(String),
    Denied(String),
    /// Not an absolute path of this guest's kind.
    BadPath(String),
    /// Longer than [`MAX_PATH`] (the start of it).
    TooLong(String),
    /// The file would grow past [`MAX_FILE`].
    TooBig(String),
    /// The guest's disk ([`MAX_GUEST_BYTES`]) is full.
    NoSpace(String),
}

/// The longest path a guest takes (Linux's `PATH_MAX`; Windows with long
/// paths off allows less, but one bound keeps memory per directory tree small).
pub const MAX_PATH: usize = 4096;
/// The largest file a guest holds (what one transfer moves).
pub const MAX_FILE: usize = super::transfer::MAX_BYTES;
/// What all of a guest's files may hold together: a simulator's guest is
/// small, and a runaway `cat f >> f` must fill it, not the host's memory.
pub const MAX_GUEST_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Fs {
    pub os: Os,
    pub(super) nodes: BTreeMap<String, Node>,
    /// Bytes all files hold.
    used: u64,
}

impl Fs {
    pub fn new(os: Os, now: Instant) -> Fs {
        let mut fs = Fs {
            os,
            nodes: BTreeMap::new(),
            used: 0,
        };
        let root = fs.root();
        fs.put(&root, Body::Dir, "root", 0o755, now);
        fs
    }

    pub fn root(&self) -> GPath {
        GPath::root(self.os)
    }

    /// An absolute path of this guest, or `BadPath` / `TooLong`.
    pub fn path(&self, cwd: Option<&GPath>, s: &str) -> Result<GPath, FsError> {
        let too_long = || {
            let start: String = s.chars().take(80).collect();
            FsError::TooLong(format!("{start}…"))
        };
        if s.len() > MAX_PATH {
            return Err(too_long());
        }
        let p = GPath::parse(self.os, cwd, s).ok_or_else(|| FsError::BadPath(s.to_string()))?;
        // Relative to a deep working directory, the result may still be too long.
        if p.display().len() > MAX_PATH {
            return Err(too_long());
        }
        Ok(p)
    }

    pub fn get(&self, p: &GPath) -> Option<&Node> {
        self.nodes.get(&p.key())
    }

    /// Seeding and internal writes: no checks, the parent is assumed.
    pub(crate) fn put(&mut self, p: &GPath, body: Body, owner: &str, mode: u32, now: Instant) {
        // Keep the parent's spelling, so `c:\temp\X` created in `C:\Temp` reads `C:\Temp\X`.
        let path = match p.parent().and_then(|pp| self.get(&pp)) {
            Some(parent) => {
                let base = parent.path.trim_end_matches(self.os.sep());
                format!("{base}{}{}", self.os.sep(), p.name())
            }
            None => p.display(),
        };
        let node = Node {
            path,
            body,
            owner: owner.to_string(),
            mode,
            mtime: now,
            atime: now,
        };
        self.used += node.size_bytes();
        if let Some(old) = self.nodes.insert(p.key(), node) {
            self.used = self.used.saturating_sub(old.size_bytes());
        }
    }

    fn home(&self, who: Who<'_>) -> GPath {
        let root = self.root();
        match self.os {
            Os::Linux => root.join("home").join(who.name),
            Os::Windows => root.join("Users").join(who.name),
        }
    }

    fn tmp(&self) -> GPath {
        let root = self.root();
        match self.os {
            Os::Linux => root.join("tmp"),
            Os::Windows => root.join("Temp"),
        }
    }

    fn private(&self) -> GPath {
        let root = self.root();
        match self.os {
            Os::Linux => root.join("root"),
            Os::Windows => root.join("Users").join("Administrator"),
        }
    }

    pub fn can_read(&self, who: Who<'_>, p: &GPath) -> bool {
        who.admin || !p.within(&self.private())
    }

    /// Creating, changing or removing `p`: inside the user's home or temp.
    pub fn can_write(&self, who: Who<'_>, p: &GPath) -> bool {
        let strictly = |d: &GPath| p.within(d) && p.key() != d.key();
        who.admin || strictly(&self.home(who)) || strictly(&self.tmp())
    }

    fn check_read(&self, who: Who<'_>, p: &GPath) -> Result<(), FsError> {
        if self.can_read(who, p) {
            Ok(())
        } else {
            Err(FsError::Denied(p.display()))
        }
    }

    pub(super) fn check_write(&self, who: Who<'_>, p: &GPath) -> Result<(), FsError> {
        if self.can_write(who, p) {
            Ok(())
        } else {
            Err(FsError::Denied(p.display()))
        }
    }

    /// Changing an existing file's bytes: also refused when it has no write
    /// bits (Windows: read-only), except to Linux's root.
    fn check_content_write(&self, who: Who<'_>, p: &GPath) -> Result<(), FsError> {
        self.check_write(who, p)?;
        let read_only = self.get(p).is_some_and(|n| n.mode & 0o222 == 0);
        if read_only && !(who.admin && self.os == Os::Linux) {
            return Err(FsError::Denied(p.display()));
        }
        Ok(())
    }

    /// A readable node, or why not.
    pub fn stat(&self, who: Who<'_>, p: &GPath) -> Result<&Node, FsError> {
        // An unreadable directory hides whether its entries exist.
        if let Some(parent) = p.parent() {
            self.check_read(who, &parent)?;
        }
        self.get(p).ok_or_else(|| FsError::NotFound(p.display()))
    }

    /// A directory's entries by name, or a file itself.
    pub fn list(&self, who: Who<'_>, p: &GPath) -> Result<Vec<&Node>, FsError> {
        let node = self.stat(who, p)?;
        if !node.is_dir() {
            return Ok(vec![node]);
        }
        self.check_read(who, p)?;
        let sep = self.os.sep();
        let key = p.key();
        let prefix = format!("{}{sep}", key.trim_end_matches(sep));
        let mut out: Vec<&Node> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains(sep))
            .map(|(_, n)| n)
            .collect();
        out.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(out)
    }

    /// A file's bytes.
    pub fn read(&self, who: Who<'_>, p: &GPath) -> Result<Arc<Vec<u8>>, FsError> {
        let node = self.stat(who, p)?;
        self.check_read(who, p)?;
        match &node.body {
            Body::File(b) => Ok(b.clone()),
            Body::Dir => Err(FsError::NotAFile(p.display())),
        }
    }

    /// The parent of a path about to be created: an existing, writable directory.
    pub(super) fn parent_dir(&self, who: Who<'_>, p: &GPath) -> Result<(), FsError> {
        let parent = p
            .parent()
            .ok_or_else(|| FsError::AlreadyExists(p.display()))?;
        match self.stat(who, &parent)? {
            n if n.is_dir() => self.check_write(who, p),
            _ => Err(FsError::NotADirectory(parent.display())),
        }
    }

    pub fn mkdir(
        &mut self,
        who: Who<'_>,
        p: &GPath,
        parents: bool,
        now: Instant,
    ) -> Result<(), FsError> {
        if let Some(n) = self.get(p) {
            return match (parents, n.is_dir()) {
                (true, true) => Ok(()),
                _ => Err(FsError::AlreadyExists(p.display())),
            };
        }
        // The missing directories, outermost first (a loop, not recursion:
        // a path may have any number of components).
        let mut missing = vec![p.clone()];
        while parents
            && let Some(parent) = missing.last().and_then(GPath::parent)
            && self.get(&parent).is_none()
        {
            missing.push(parent);
        }
        for d in missing.iter().rev() {
            self.parent_dir(who, d)?;
            self.put(d, Body::Dir, who.name, 0o755, now);
        }
        Ok(())
    }

    /// Whether a file may be written at `p`: what an upload checks when it is
    /// set up and again when the bytes arrive.
    pub fn check_upload(&self, who: Who<'_>, p: &GPath, overwrite: bool) -> Result<(), FsError> {
        match self.get(p) {
            Some(n) if n.is_dir() => Err(FsError::NotAFile(p.display())),
            Some(_) if !overwrite => Err(FsError::AlreadyExists(p.display())),
            Some(_) => self.check_content_write(who, p),
            None => self.parent_dir(who, p),
        }
    }

    /// Creates or replaces (`overwrite`) or appends to a file.
    pub fn write(
        &mut self,
        who: Who<'_>,
        p: &GPath,
        bytes: &[u8],
        mode: WriteMode,
        now: Instant,
    ) -> Result<(), FsError> {
        match self.get(p) {
            Some(n) if n.is_dir() => return Err(FsError::NotAFile(p.display())),
            Some(_) if mode == WriteMode::CreateNew => {
                return Err(FsError::AlreadyExists(p.display()));
            }
            Some(_) => self.check_content_write(who, p)?,
            None => self.parent_dir(who, p)?,
        }
        let old = self.get(p).map(Node::size_bytes).unwrap_or(0);
        let new = match mode {
            WriteMode::Append => old + bytes.len() as u64,
            _ => bytes.len() as u64,
        };
        if new > MAX_FILE as u64 {
            return Err(FsError::TooBig(p.display()));
        }
        if self.used.saturating_sub(old) + new > MAX_GUEST_BYTES {
            return Err(FsError::NoSpace(p.display()));
        }
        let key = p.key();
        if let Some(n) = self.nodes.get_mut(&key) {
            self.used = self.used.saturating_sub(old) + new;
            let mut data = match (&n.body, mode) {
                (Body::File(old), WriteMode::Append) => old.as_ref().clone(),
                _ => vec![],
            };
            data.extend_from_slice(bytes);
            n.body = Body::File(Arc::new(data));
            n.mtime = now;
            return Ok(());
        }
        self.put(
            p,
            Body::File(Arc::new(bytes.to_vec())),
            who.name,
            0o644,
            now,
        );
        Ok(())
    }

    /// `touch`: an empty file, or a newer modification time.
    pub fn touch(&mut self, who: Who<'_>, p: &GPath, now: Instant) -> Result<(), FsError> {
        if self.get(p).is_some() {
            self.check_write(who, p)?;
            if let Some(n) = self.nodes.get_mut(&p.key()) {
                n.mtime = now;
                n.atime = now;
            }
            return Ok(());
        }
        self.write(who, p, b"", WriteMode::Append, now)
    }

    pub(super) fn drop_node(&mut self, key: &str) {
        if let Some(n) = self.nodes.remove(key) {
            self.used = self.used.saturating_sub(n.size_bytes());
        }
    }

    /// Bytes all files hold together.
    pub fn used(&self) -> u64 {
        self.used
    }
}

/// How [`Fs::write`] treats an existing file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// Fails with `AlreadyExists` if the file exists.
    CreateNew,
    Replace,
    Append,
}

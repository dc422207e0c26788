//! Changes to a guest file system's shape: removing files and directories
//! (recursively or not) and moving them with everything inside.

use super::fs::{Fs, FsError, GPath, Os, Who};

impl Fs {
    pub fn remove_file(&mut self, who: Who<'_>, p: &GPath) -> Result<(), FsError> {
        if self.stat(who, p)?.is_dir() {
            return Err(FsError::NotAFile(p.display()));
        }
        self.check_write(who, p)?;
        self.drop_node(&p.key());
        Ok(())
    }

    pub fn remove_dir(&mut self, who: Who<'_>, p: &GPath, recursive: bool) -> Result<(), FsError> {
        if !self.stat(who, p)?.is_dir() {
            return Err(FsError::NotADirectory(p.display()));
        }
        self.check_write(who, p)?;
        let sep = self.os.sep();
        let prefix = format!("{}{sep}", p.key().trim_end_matches(sep));
        let inside: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len())
            .map(|(k, _)| k.clone())
            .collect();
        if p.is_root() {
            return Err(FsError::Denied(p.display()));
        }
        if !inside.is_empty() && !recursive {
            return Err(FsError::NotEmpty(p.display()));
        }
        for k in inside {
            self.drop_node(&k);
        }
        self.drop_node(&p.key());
        Ok(())
    }

    /// Moves a file or directory (with everything inside) to `to`.
    pub fn rename(
        &mut self,
        who: Who<'_>,
        from: &GPath,
        to: &GPath,
        overwrite: bool,
    ) -> Result<(), FsError> {
        if from.is_root() {
            return Err(FsError::Denied(from.display()));
        }
        let (is_dir, old_display) = {
            let n = self.stat(who, from)?;
            (n.is_dir(), n.path.clone())
        };
        self.check_write(who, from)?;
        if let Some(n) = self.get(to) {
            if n.is_dir() || !overwrite || is_dir {
                return Err(FsError::AlreadyExists(to.display()));
            }
        } else {
            self.parent_dir(who, to)?;
        }
        if to.within(from) && is_dir {
            return Err(FsError::Denied(to.display()));
        }
        let sep = self.os.sep();
        let old = from.key();
        let prefix = format!("{}{sep}", old.trim_end_matches(sep));
        let moved: Vec<String> = self
            .nodes
            .range(old.clone()..)
            .take_while(|(k, _)| **k == old || k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        let new_base = to.display();
        for k in moved {
            if let Some(mut n) = self.nodes.remove(&k) {
                let tail = n.path.get(old_display.len()..).unwrap_or("");
                n.path = format!("{new_base}{tail}");
                let key = match self.os {
                    Os::Linux => n.path.clone(),
                    Os::Windows => n.path.to_lowercase(),
                };
                self.nodes.insert(key, n);
            }
        }
        Ok(())
    }
}

//! Reading OVF packages as they stream from a datastore: a [`Source`] over a
//! `/folder` (or NFC) answer that hands out bytes piece by piece, and the
//! few parts of USTAR an OVA needs (512-byte headers with the name, the
//! octal size and the header checksum; data padded to 512). Nothing here
//! holds more than one network chunk of a disk.

use axum::body::Bytes;

use crate::error::ToolError;
use crate::vsphere::FolderResponse;

/// A tar header and its data are laid out in blocks of this size.
const BLOCK: u64 = 512;
/// The largest descriptor read whole (descriptors are a few KB).
pub(super) const MAX_DESCRIPTOR: u64 = 16 << 20;

/// A body read piece by piece; `what` names it in errors.
pub(super) struct Source {
    resp: FolderResponse,
    pending: Bytes,
    pub(super) what: String,
}

impl Source {
    pub(super) fn new(resp: FolderResponse, what: &str) -> Self {
        Source {
            resp,
            pending: Bytes::new(),
            what: what.to_string(),
        }
    }

    /// Up to `max` next bytes; `None` at the end of the body.
    pub(super) async fn take(&mut self, max: u64) -> Result<Option<Bytes>, ToolError> {
        if self.pending.is_empty() {
            match self.resp.chunk().await {
                Ok(Some(c)) => self.pending = c,
                Ok(None) => return Ok(None),
                Err(e) => {
                    return Err(ToolError::new(format!("Reading {} failed: {e}", self.what)));
                }
            }
        }
        let n = usize::try_from(max)
            .unwrap_or(usize::MAX)
            .min(self.pending.len());
        Ok(Some(self.pending.split_to(n)))
    }

    /// Exactly `n` bytes, gathered (for headers and descriptors only).
    pub(super) async fn read_exact(&mut self, n: u64) -> Result<Vec<u8>, ToolError> {
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        while (out.len() as u64) < n {
            match self.take(n - out.len() as u64).await? {
                Some(b) => out.extend_from_slice(&b),
                None => return Err(self.truncated()),
            }
        }
        Ok(out)
    }

    /// Skips `n` bytes.
    pub(super) async fn skip(&mut self, mut n: u64) -> Result<(), ToolError> {
        while n > 0 {
            match self.take(n).await? {
                Some(b) => n -= b.len() as u64,
                None => return Err(self.truncated()),
            }
        }
        Ok(())
    }

    fn truncated(&self) -> ToolError {
        ToolError::new(format!(
            "{} ends early: the file is truncated or corrupt",
            self.what
        ))
    }
}

/// One member of an OVA: its name and size; its data follows in the source.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) size: u64,
}

/// Bytes of padding after an entry of `size` bytes.
pub(super) fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

/// The next entry's header; `None` at the archive's end (a zero block).
pub(super) async fn next_entry(src: &mut Source) -> Result<Option<Entry>, ToolError> {
    let h = src.read_exact(BLOCK).await?;
    if h.iter().all(|b| *b == 0) {
        return Ok(None);
    }
    parse_header(&h)
        .map(Some)
        .map_err(|why| ToolError::new(format!("{} is not a valid OVA (tar): {why}", src.what)))
}

fn octal(field: &[u8]) -> Option<u64> {
    let s: String = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| *b as char)
        .collect();
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(&field[..field.iter().position(|b| *b == 0).unwrap_or(field.len())])
        .to_string()
}

/// A USTAR header block: checked sum, name (with the ustar prefix), size.
pub(super) fn parse_header(h: &[u8]) -> Result<Entry, String> {
    if h.len() != BLOCK as usize {
        return Err("short header".into());
    }
    let want = octal(&h[148..156]).ok_or("unreadable header checksum")?;
    // The checksum counts its own field as spaces.
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                *b as u64
            }
        })
        .sum();
    if sum != want {
        return Err(format!(
            "header checksum {want} does not match its bytes ({sum})"
        ));
    }
    let size = octal(&h[124..136]).ok_or("unreadable entry size")?;
    let mut name = text(&h[0..100]);
    if &h[257..262] == b"ustar" {
        let prefix = text(&h[345..500]);
        if !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
    }
    Ok(Entry { name, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, size: u64) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let sz = format!("{size:011o}\0");
        h[124..136].copy_from_slice(sz.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|b| *b as u64).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    #[test]
    fn a_ustar_header_reads_back() {
        let e = parse_header(&header("tiny.ovf", 3579)).expect("a valid header");
        assert_eq!(e.name, "tiny.ovf");
        assert_eq!(e.size, 3579);
        assert_eq!(padding(3579), 512 - 3579 % 512);
        assert_eq!(padding(1024), 0);
    }

    #[test]
    fn a_broken_checksum_is_refused() {
        let mut h = header("tiny.ovf", 10);
        h[0] = b'x';
        assert!(
            parse_header(&h)
                .expect_err("a broken checksum")
                .contains("checksum")
        );
    }
}

//! The bytes of files clients upload through the `/folder` door: in memory
//! (chunks as they arrived, under a total limit) or, when `Config::datastore_dir`
//! is set, in a file under `<dir>/<datastore>/` written chunk by chunk, so a
//! large upload never sits whole in memory. A [`Blob`] frees what it holds
//! when the last reference goes (the file table and its undo frames hold
//! `Arc`s, so a rolled-back delete still has its bytes, and a copy shares them).
//!
//! Reading is streamed the same way ([`FileBody`]); a file without a blob (a
//! VM's disk, `.vmx`, a seeded ISO) reads as zeros of its size — a disk's
//! descriptor and extent are one entry here, so its `.vmdk` reads as the
//! extent would: zeros of the disk's capacity, thin or not.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::body::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncSeekExt, AsyncWriteExt, ReadBuf};

/// Reads and writes move this much at a time.
const CHUNK: usize = 64 * 1024;
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// Where uploaded bytes go and how much may be held.
#[derive(Debug)]
pub struct ContentStore {
    /// Uploaded bytes all in-memory files may hold together.
    pub memory_limit: u64,
    /// Largest single upload the door accepts (413 beyond it).
    pub max_file: u64,
    /// Backing directory: uploads are written under `<dir>/<datastore>/`.
    pub dir: Option<PathBuf>,
    in_memory: AtomicU64,
}

/// Numbers the backing files; one counter for the process, so simulators
/// sharing a directory never pick the same name.
static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// 256 MiB of uploads in memory by default: enough for the ISOs and scripts
/// tests and demos move, small enough for a laptop.
pub const DEFAULT_MEMORY_LIMIT: u64 = 256 << 20;
/// 64 GiB per file by default, as a large ISO or OVA needs.
pub const DEFAULT_MAX_FILE: u64 = 64 << 30;

impl Default for ContentStore {
    fn default() -> Self {
        ContentStore::new(DEFAULT_MEMORY_LIMIT, DEFAULT_MAX_FILE, None)
    }
}

/// Why an upload's bytes could not be kept.
#[derive(Debug)]
pub enum WriteError {
    /// The in-memory limit would be passed (no backing directory).
    MemoryFull {
        limit: u64,
    },
    TooLarge {
        limit: u64,
    },
    Io(io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::MemoryFull { limit } => write!(
                f,
                "the simulator holds at most {limit} bytes of uploads in memory; start it with a datastore directory for more"
            ),
            WriteError::TooLarge { limit } => {
                write!(f, "the file is larger than the {limit}-byte upload limit")
            }
            WriteError::Io(e) => write!(f, "cannot write the upload: {e}"),
        }
    }
}

impl ContentStore {
    pub fn new(memory_limit: u64, max_file: u64, dir: Option<PathBuf>) -> Self {
        ContentStore {
            memory_limit,
            max_file,
            dir,
            in_memory: AtomicU64::new(0),
        }
    }

    /// Bytes of uploads held in memory now.
    pub fn in_memory(&self) -> u64 {
        self.in_memory.load(Ordering::Relaxed)
    }

    fn reserve(&self, n: u64) -> bool {
        self.in_memory
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                u.checked_add(n).filter(|t| *t <= self.memory_limit)
            })
            .is_ok()
    }

    fn release(&self, n: u64) {
        self.in_memory.fetch_sub(n, Ordering::Relaxed);
    }

    /// In-memory bytes for a file a test or fixture sets up directly.
    pub fn memory_blob(self: &std::sync::Arc<Self>, bytes: Vec<u8>) -> Result<Blob, WriteError> {
        let n = bytes.len() as u64;
        if !self.reserve(n) {
            return Err(WriteError::MemoryFull {
                limit: self.memory_limit,
            });
        }
        Ok(Blob {
            store: self.clone(),
            len: n,
            data: Data::Memory(vec![Bytes::from(bytes)]),
        })
    }

    /// Starts an upload for datastore `ds_name`, file `name` (its last path
    /// element, kept in the backing file's name so the directory is readable).
    pub async fn begin(
        self: &std::sync::Arc<Self>,
        ds_name: &str,
        name: &str,
    ) -> Result<Upload, WriteError> {
        let blob = match &self.dir {
            None => Blob {
                store: self.clone(),
                len: 0,
                data: Data::Memory(vec![]),
            },
            Some(dir) => {
                let sub = dir.join(safe_name(ds_name)).join(".vcsim-files");
                tokio::fs::create_dir_all(&sub)
                    .await
                    .map_err(WriteError::Io)?;
                let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
                let path = sub.join(format!("{}-{n}-{}", std::process::id(), safe_name(name)));
                let file = tokio::fs::File::create(&path)
                    .await
                    .map_err(WriteError::Io)?;
                let blob = Blob {
                    store: self.clone(),
                    len: 0,
                    data: Data::Disk(path),
                };
                return Ok(Upload {
                    blob,
                    file: Some(file),
                });
            }
        };
        Ok(Upload { blob, file: None })
    }
}

/// A datastore or file name as one harmless path element.
fn safe_name(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_start_matches('.').to_string()
}

#[derive(Debug)]
enum Data {
    Memory(Vec<Bytes>),
    Disk(PathBuf),
}

/// An uploaded file's bytes.
#[derive(Debug)]
pub struct Blob {
    store: std::sync::Arc<ContentStore>,
    len: u64,
    data: Data,
}

impl Blob {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The backing file, when the bytes are on the host's disk.
    pub fn disk_path(&self) -> Option<&std::path::Path> {
        match &self.data {
            Data::Disk(p) => Some(p),
            Data::Memory(_) => None,
        }
    }

    /// All the bytes, for tests and small reads (reads the backing file).
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        match &self.data {
            Data::Memory(chunks) => Ok(chunks.iter().flat_map(|c| c.iter().copied()).collect()),
            Data::Disk(p) => std::fs::read(p),
        }
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        match &self.data {
            Data::Memory(_) => self.store.release(self.len),
            Data::Disk(p) => {
                if let Err(e) = std::fs::remove_file(p)
                    && e.kind() != io::ErrorKind::NotFound
                {
                    tracing::warn!(path = %p.display(), error = %e, "cannot remove an upload's file");
                }
            }
        }
    }
}

/// An upload in progress; dropped unfinished, it frees what it wrote.
#[derive(Debug)]
pub struct Upload {
    blob: Blob,
    file: Option<tokio::fs::File>,
}

impl Upload {
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), WriteError> {
        let n = chunk.len() as u64;
        let max = self.blob.store.max_file;
        if self.blob.len + n > max {
            return Err(WriteError::TooLarge { limit: max });
        }
        match (&mut self.file, &mut self.blob.data) {
            (Some(f), _) => f.write_all(&chunk).await.map_err(WriteError::Io)?,
            (None, Data::Memory(chunks)) => {
                if !self.blob.store.reserve(n) {
                    return Err(WriteError::MemoryFull {
                        limit: self.blob.store.memory_limit,
                    });
                }
                chunks.push(chunk);
            }
            (None, Data::Disk(_)) => {
                return Err(WriteError::Io(io::Error::other(
                    "the upload's file is closed",
                )));
            }
        }
        self.blob.len += n;
        Ok(())
    }

    pub async fn finish(mut self) -> Result<Blob, WriteError> {
        if let Some(mut f) = self.file.take() {
            f.flush().await.map_err(WriteError::Io)?;
        }
        Ok(self.blob)
    }
}

/// A response body streaming `len` bytes of a file from `start`.
pub struct FileBody {
    remaining: u64,
    src: Source,
}

enum Source {
    Zeros,
    Memory {
        blob: std::sync::Arc<Blob>,
        chunk: usize,
        offset: usize,
    },
    Disk {
        file: tokio::fs::File,
        buf: Vec<u8>,
    },
}

impl FileBody {
    /// `blob` `None`: zeros.
    pub async fn open(
        blob: Option<std::sync::Arc<Blob>>,
        start: u64,
        len: u64,
    ) -> io::Result<FileBody> {
        let src = match blob {
            None => Source::Zeros,
            Some(b) => match &b.data {
                Data::Disk(p) => {
                    let mut file = tokio::fs::File::open(p).await?;
                    file.seek(io::SeekFrom::Start(start)).await?;
                    Source::Disk {
                        file,
                        buf: vec![0; CHUNK],
                    }
                }
                Data::Memory(chunks) => {
                    let (mut chunk, mut offset) = (0, start as usize);
                    while chunk < chunks.len() && offset >= chunks[chunk].len() {
                        offset -= chunks[chunk].len();
                        chunk += 1;
                    }
                    Source::Memory {
                        blob: b.clone(),
                        chunk,
                        offset,
                    }
                }
            },
        };
        Ok(FileBody {
            remaining: len,
            src,
        })
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = this.remaining.min(CHUNK as u64) as usize;
        let data = match &mut this.src {
            Source::Zeros => Bytes::from_static(&ZEROS[..want]),
            Source::Memory {
                blob,
                chunk,
                offset,
            } => {
                let Data::Memory(chunks) = &blob.data else {
                    return Poll::Ready(Some(Err(io::Error::other("not an in-memory file"))));
                };
                let Some(c) = chunks.get(*chunk) else {
                    return Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into())));
                };
                let end = (*offset + want).min(c.len());
                let out = c.slice(*offset..end);
                *offset = end;
                if *offset >= c.len() {
                    *chunk += 1;
                    *offset = 0;
                }
                out
            }
            Source::Disk { file, buf } => {
                let mut rb = ReadBuf::new(&mut buf[..want]);
                match Pin::new(file).poll_read(cx, &mut rb) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready(Ok(())) if rb.filled().is_empty() => {
                        return Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into())));
                    }
                    Poll::Ready(Ok(())) => Bytes::copy_from_slice(rb.filled()),
                }
            }
        };
        this.remaining -= data.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

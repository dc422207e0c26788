//! The vSphere client: session, PropertyCollector reads, lookups, tasks.
//! Requests and answers are `vim25` values; this module never touches XML.

mod exchange;
mod folder;
mod http_errors;
mod lookup;
mod nfc;
mod props;
mod retry;
mod session;
mod tasks;
mod transfer;

pub use exchange::HttpAnswer;
pub use folder::FolderResponse;
pub use props::{NAME, Obj, PAGE_SIZE, PropSet};
pub use retry::{CallLimits, RETRY_PAUSE, is_read_only};
pub use session::{Client, ServiceContent, install_crypto_provider};
pub use tasks::{TASK_INFO, TaskEnd};
pub use transfer::TransferError;

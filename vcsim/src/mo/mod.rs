//! One module per managed type, as govmomi's simulator has one file per
//! type. Each holds that type's method handlers (the functions the method
//! table in `methods.rs` names) and the rules they share; a big type is split
//! by concern (`virtual_machine/`).

pub(crate) mod alarm_eval;
pub(crate) mod alarm_manager;
pub(crate) mod cluster;
pub(crate) mod cluster_drs;
pub(crate) mod datastore;
pub(crate) mod event_history_collector;
pub(crate) mod event_manager;
pub(crate) mod file_manager;
pub(crate) mod folder;
pub(crate) mod guest_ops;
pub(crate) mod history;
pub(crate) mod host_datastore_browser;
pub(crate) mod host_date_time_system;
pub(crate) mod host_network_system;
pub(crate) mod host_service_system;
pub(crate) mod host_system;
pub(crate) mod http_nfc_lease;
pub(crate) mod managed_entity;
pub(crate) mod monitor;
pub(crate) mod ovf_manager;
pub(crate) mod perf;
pub(crate) mod performance_manager;
pub(crate) mod property_collector;
pub(crate) mod resource_pool;
pub(crate) mod search_index;
pub(crate) mod service_instance;
pub(crate) mod session_manager;
pub(crate) mod task_history_collector;
pub(crate) mod view_manager;
pub(crate) mod virtual_machine;

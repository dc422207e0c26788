//! One module per managed type, as govmomi's simulator has one file per
//! type. Each holds that type's method handlers (the functions the method
//! table in `methods.rs` names) and the rules they share; a big type is split
//! by concern (`virtual_machine/`).

pub mod event_manager;
pub mod folder;
pub mod managed_entity;
pub mod property_collector;
pub mod search_index;
pub mod service_instance;
pub mod session_manager;
pub mod view_manager;
pub mod virtual_machine;

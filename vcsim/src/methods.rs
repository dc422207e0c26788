//! The method table: the only place that says which vSphere methods vcsim
//! implements, on which managed type, and by which handler. A method on a
//! subtype of a row's type is served by that row (`Rename_Task` on every
//! ManagedEntity). Anything not listed answers `MethodNotFound`.

use std::future::Future;
use std::pin::Pin;

use vim25::{Fault, Value};

use crate::call::{Call, Reply};
use crate::mo::guest_ops::{
    auth_manager as guest_auth, file_manager as guest_files, process_manager as guest_procs,
};
use crate::mo::{
    alarm_manager as alarms, cluster, cluster_drs, event_history_collector as event_collector,
    event_manager, file_manager, folder, history, host_datastore_browser as browser,
    host_date_time_system as host_clock, host_network_system as host_net,
    host_service_system as host_services, host_system as host, http_nfc_lease as lease,
    managed_entity, ovf_manager, performance_manager as perf, property_collector as pc,
    search_index, service_instance, session_manager, task_history_collector as task_collector,
    view_manager, virtual_machine as vm,
};

/// How a handler answers.
pub(crate) enum Handler {
    Sync(fn(&Call) -> Reply),
    /// Opens a session: the reply and the cookie the HTTP layer hands out.
    Login(fn(&Call) -> Result<(Value, String), Fault>),
    /// Waits without holding the state lock (`WaitForUpdates`).
    Async(fn(Call) -> Pin<Box<dyn Future<Output = Reply> + Send>>),
}

pub(crate) struct Method {
    /// The managed type the method is implemented for (and its subtypes).
    pub kind: &'static str,
    pub name: &'static str,
    /// Callable before login.
    pub public: bool,
    pub handler: Handler,
}

const fn sync(kind: &'static str, name: &'static str, f: fn(&Call) -> Reply) -> Method {
    Method {
        kind,
        name,
        public: false,
        handler: Handler::Sync(f),
    }
}

const fn public(m: Method) -> Method {
    Method { public: true, ..m }
}

#[rustfmt::skip]
static METHODS: &[Method] = &[
    public(sync("ServiceInstance", "RetrieveServiceContent", service_instance::retrieve_service_content)),
    public(sync("ServiceInstance", "CurrentTime", service_instance::current_time)),
    Method { kind: "SessionManager", name: "Login", public: true, handler: Handler::Login(session_manager::login) },
    sync("SessionManager", "Logout", session_manager::logout),
    sync("SessionManager", "SessionIsActive", session_manager::session_is_active),
    sync("ManagedObject", "Fetch", pc::fetch),
    sync("PropertyCollector", "RetrieveProperties", pc::retrieve_properties),
    sync("PropertyCollector", "RetrievePropertiesEx", pc::retrieve_properties_ex),
    sync("PropertyCollector", "ContinueRetrievePropertiesEx", pc::continue_retrieve_properties_ex),
    sync("PropertyCollector", "CancelRetrievePropertiesEx", pc::cancel_retrieve_properties_ex),
    sync("PropertyCollector", "CreateFilter", pc::create_filter),
    sync("PropertyCollector", "CancelWaitForUpdates", pc::cancel_wait_for_updates),
    Method { kind: "PropertyCollector", name: "WaitForUpdates", public: false, handler: Handler::Async(pc::wait_for_updates) },
    Method { kind: "PropertyCollector", name: "WaitForUpdatesEx", public: false, handler: Handler::Async(pc::wait_for_updates_ex) },
    Method { kind: "PropertyCollector", name: "CheckForUpdates", public: false, handler: Handler::Async(pc::check_for_updates) },
    sync("PropertyFilter", "DestroyPropertyFilter", pc::destroy_property_filter),
    sync("ViewManager", "CreateContainerView", view_manager::create_container_view),
    sync("View", "DestroyView", view_manager::destroy_view),
    sync("EventManager", "QueryEvents", event_manager::query_events),
    sync("EventManager", "CreateCollectorForEvents", event_collector::create_collector_for_events),
    sync("TaskManager", "CreateCollectorForTasks", task_collector::create_collector_for_tasks),
    sync("EventHistoryCollector", "ReadNextEvents", history::read_next),
    sync("EventHistoryCollector", "ReadPreviousEvents", history::read_previous),
    sync("TaskHistoryCollector", "ReadNextTasks", history::read_next),
    sync("TaskHistoryCollector", "ReadPreviousTasks", history::read_previous),
    sync("HistoryCollector", "SetCollectorPageSize", history::set_page_size),
    sync("HistoryCollector", "RewindCollector", history::rewind),
    sync("HistoryCollector", "ResetCollector", history::reset),
    sync("HistoryCollector", "DestroyCollector", history::destroy),
    sync("SearchIndex", "FindByInventoryPath", search_index::find_by_inventory_path),
    sync("SearchIndex", "FindChild", search_index::find_child),
    sync("SearchIndex", "FindByDatastorePath", search_index::find_by_datastore_path),
    sync("SearchIndex", "FindByUuid", search_index::find_by_uuid),
    sync("SearchIndex", "FindByIp", search_index::find_by_ip),
    sync("SearchIndex", "FindByDnsName", search_index::find_by_dns_name),
    sync("SearchIndex", "FindAllByUuid", search_index::find_all_by_uuid),
    sync("SearchIndex", "FindAllByIp", search_index::find_all_by_ip),
    sync("SearchIndex", "FindAllByDnsName", search_index::find_all_by_dns_name),
    sync("ManagedEntity", "Reload", managed_entity::reload),
    sync("ManagedEntity", "Rename_Task", managed_entity::rename),
    sync("Folder", "CreateFolder", folder::create_folder),
    sync("Folder", "CreateVM_Task", folder::create_vm),
    sync("Folder", "MoveIntoFolder_Task", folder::move_into_folder),
    sync("Folder", "Destroy_Task", folder::destroy),
    sync("ComputeResource", "ReconfigureComputeResource_Task", cluster::reconfigure),
    sync("ClusterComputeResource", "ReconfigureCluster_Task", cluster::reconfigure),
    sync("ClusterComputeResource", "RefreshRecommendation", cluster_drs::refresh_recommendation),
    sync("ClusterComputeResource", "ApplyRecommendation", cluster_drs::apply_recommendation),
    sync("ClusterComputeResource", "CancelRecommendation", cluster_drs::cancel_recommendation),
    sync("VirtualMachine", "PowerOnVM_Task", vm::power::power_on),
    sync("VirtualMachine", "PowerOffVM_Task", vm::power::power_off),
    sync("VirtualMachine", "SuspendVM_Task", vm::power::suspend),
    sync("VirtualMachine", "ResetVM_Task", vm::power::reset),
    sync("VirtualMachine", "ShutdownGuest", vm::guest::shutdown_guest),
    sync("VirtualMachine", "RebootGuest", vm::guest::reboot_guest),
    sync("VirtualMachine", "StandbyGuest", vm::guest::standby_guest),
    sync("VirtualMachine", "Destroy_Task", vm::lifecycle::destroy),
    sync("VirtualMachine", "CloneVM_Task", vm::lifecycle::clone_vm),
    sync("VirtualMachine", "MarkAsTemplate", vm::lifecycle::mark_as_template),
    sync("VirtualMachine", "MarkAsVirtualMachine", vm::lifecycle::mark_as_virtual_machine),
    sync("VirtualMachine", "ReconfigVM_Task", vm::reconfig::reconfigure),
    sync("VirtualMachine", "RelocateVM_Task", vm::relocate::relocate),
    sync("VirtualMachine", "CreateSnapshot_Task", vm::snapshot::create_snapshot),
    sync("VirtualMachine", "CreateScreenshot_Task", vm::screenshot::create_screenshot),
    sync("VirtualMachine", "RevertToCurrentSnapshot_Task", vm::snapshot::revert_to_current_snapshot),
    sync("VirtualMachine", "RemoveAllSnapshots_Task", vm::snapshot::remove_all_snapshots),
    sync("VirtualMachineSnapshot", "RevertToSnapshot_Task", vm::snapshot::revert_to_snapshot),
    sync("VirtualMachineSnapshot", "RemoveSnapshot_Task", vm::snapshot::remove_snapshot),
    sync("VirtualMachineSnapshot", "RenameSnapshot", vm::snapshot::rename_snapshot),
    sync("GuestAuthManager", "ValidateCredentialsInGuest", guest_auth::validate_credentials),
    sync("GuestFileManager", "ListFilesInGuest", guest_files::list_files),
    sync("GuestFileManager", "MakeDirectoryInGuest", guest_files::make_directory),
    sync("GuestFileManager", "DeleteFileInGuest", guest_files::delete_file),
    sync("GuestFileManager", "DeleteDirectoryInGuest", guest_files::delete_directory),
    sync("GuestFileManager", "MoveFileInGuest", guest_files::move_file),
    sync("GuestFileManager", "MoveDirectoryInGuest", guest_files::move_directory),
    sync("GuestFileManager", "CreateTemporaryFileInGuest", guest_files::create_temporary_file),
    sync("GuestFileManager", "CreateTemporaryDirectoryInGuest", guest_files::create_temporary_directory),
    sync("GuestFileManager", "ChangeFileAttributesInGuest", guest_files::change_attributes),
    sync("GuestFileManager", "InitiateFileTransferToGuest", guest_files::initiate_to_guest),
    sync("GuestFileManager", "InitiateFileTransferFromGuest", guest_files::initiate_from_guest),
    sync("GuestProcessManager", "StartProgramInGuest", guest_procs::start_program),
    sync("GuestProcessManager", "ListProcessesInGuest", guest_procs::list_processes),
    sync("GuestProcessManager", "TerminateProcessInGuest", guest_procs::terminate_process),
    sync("GuestProcessManager", "ReadEnvironmentVariableInGuest", guest_procs::read_environment),
    sync("HostDatastoreBrowser", "SearchDatastore_Task", browser::search_datastore),
    sync("HostDatastoreBrowser", "SearchDatastoreSubFolders_Task", browser::search_datastore_sub_folders),
    sync("OvfManager", "ParseDescriptor", ovf_manager::parse_descriptor),
    sync("OvfManager", "ValidateHost", ovf_manager::validate_host),
    sync("OvfManager", "CreateImportSpec", ovf_manager::create_import_spec),
    sync("OvfManager", "CreateDescriptor", ovf_manager::create_descriptor),
    sync("ResourcePool", "ImportVApp", lease::import_vapp),
    sync("VirtualMachine", "ExportVm", lease::export_vm),
    sync("HttpNfcLease", "HttpNfcLeaseProgress", lease::progress),
    sync("HttpNfcLease", "HttpNfcLeaseComplete", lease::complete),
    sync("HttpNfcLease", "HttpNfcLeaseAbort", lease::abort),
    sync("HttpNfcLease", "HttpNfcLeaseGetManifest", lease::get_manifest),
    sync("FileManager", "MakeDirectory", file_manager::make_directory),
    sync("FileManager", "DeleteDatastoreFile_Task", file_manager::delete_datastore_file),
    sync("FileManager", "MoveDatastoreFile_Task", file_manager::move_datastore_file),
    sync("FileManager", "CopyDatastoreFile_Task", file_manager::copy_datastore_file),
    sync("AlarmManager", "GetAlarm", alarms::get_alarm),
    sync("AlarmManager", "GetAlarmState", alarms::get_alarm_state),
    sync("PerformanceManager", "QueryPerfCounter", perf::query_perf_counter),
    sync("PerformanceManager", "QueryPerfCounterByLevel", perf::query_perf_counter_by_level),
    sync("PerformanceManager", "QueryPerfProviderSummary", perf::query_perf_provider_summary),
    sync("PerformanceManager", "QueryAvailablePerfMetric", perf::query_available_perf_metric),
    sync("PerformanceManager", "QueryPerf", perf::query_perf),
    sync("HostSystem", "EnterMaintenanceMode_Task", host::enter_maintenance_mode),
    sync("HostSystem", "ExitMaintenanceMode_Task", host::exit_maintenance_mode),
    sync("HostSystem", "RebootHost_Task", host::reboot_host),
    sync("HostSystem", "ShutdownHost_Task", host::shutdown_host),
    sync("HostServiceSystem", "StartService", host_services::start_service),
    sync("HostServiceSystem", "StopService", host_services::stop_service),
    sync("HostServiceSystem", "RestartService", host_services::restart_service),
    sync("HostServiceSystem", "UpdateServicePolicy", host_services::update_service_policy),
    sync("HostServiceSystem", "RefreshServices", host_services::refresh_services),
    sync("HostDateTimeSystem", "QueryDateTime", host_clock::query_date_time),
    sync("HostDateTimeSystem", "QueryAvailableTimeZones", host_clock::query_available_time_zones),
    sync("HostDateTimeSystem", "UpdateDateTimeConfig", host_clock::update_date_time_config),
    sync("HostDateTimeSystem", "RefreshDateTimeSystem", host_clock::refresh_date_time_system),
    sync("HostNetworkSystem", "UpdateNetworkConfig", host_net::update_network_config),
    sync("HostNetworkSystem", "UpdateDnsConfig", host_net::update_dns_config),
    sync("HostNetworkSystem", "RefreshNetworkSystem", host_net::refresh_network_system),
];

/// The row serving `method` on a receiver of type `kind`, if any.
pub(crate) fn lookup(kind: &str, method: &str) -> Option<&'static Method> {
    METHODS
        .iter()
        .find(|m| m.name == method && vim25::schema().is_subtype(kind, m.kind))
}

/// Every `(managed type, method)` vcsim implements, sorted.
pub(crate) fn rows() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<_> = METHODS.iter().map(|m| (m.kind, m.name)).collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use vim25::schema;

    /// Every row names a method the schema defines on that type or a
    /// supertype, so the table cannot promise a method vSphere lacks.
    #[test]
    fn issue_7_every_row_is_a_schema_method_of_its_type() {
        let mut bad = vec![];
        for m in METHODS {
            match schema().method(m.name) {
                None => bad.push(format!("{}.{}: no such method", m.kind, m.name)),
                Some(def) if !schema().is_subtype(m.kind, &def.owner) => bad.push(format!(
                    "{}.{}: defined on {}, not a supertype",
                    m.kind, m.name, def.owner
                )),
                Some(_) => {}
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }

    /// Every row is reachable: the lookup dispatch does finds it for its own
    /// type, and no two rows claim the same (type, method).
    #[test]
    fn issue_7_every_row_is_reachable_and_unique() {
        let rows = rows();
        for (kind, name) in &rows {
            let found = lookup(kind, name).expect("a row is found for its own type");
            assert_eq!((found.kind, found.name), (*kind, *name));
        }
        let mut dedup = rows.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), rows.len(), "duplicate rows");
        // Only the calls a client makes before logging in are public.
        let public: Vec<_> = METHODS
            .iter()
            .filter(|m| m.public)
            .map(|m| m.name)
            .collect();
        assert_eq!(public, ["RetrieveServiceContent", "CurrentTime", "Login"]);
    }

    #[test]
    fn unlisted_methods_and_types_have_no_row() {
        assert!(lookup("VirtualMachine", "CreateSnapshotEx_Task").is_none());
        // Destroy_Task is implemented for VMs and folders only, not every
        // ManagedEntity (issue 13 added folders).
        assert!(lookup("Datastore", "Destroy_Task").is_none());
        assert!(lookup("Folder", "Destroy_Task").is_some());
        assert!(lookup("VirtualMachine", "Destroy_Task").is_some());
        assert!(lookup("ClusterComputeResource", "Rename_Task").is_some());
    }
}

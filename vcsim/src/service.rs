//! The ServiceInstance and the singleton managers `ServiceContent` names.
//! Every MoRef handed out in `ServiceContent` exists as an object, so a client
//! that reads a manager's properties gets an answer rather than a fault.

use vim25::{Data, Fault, MoRef, Value};

use crate::state::State;
use crate::uuid_for;

/// vCenter's fixed ids for the singletons, by `ServiceContent` field.
const MANAGERS: &[(&str, &str, &str)] = &[
    (
        "propertyCollector",
        "PropertyCollector",
        "propertyCollector",
    ),
    ("viewManager", "ViewManager", "ViewManager"),
    ("setting", "OptionManager", "VpxSettings"),
    ("userDirectory", "UserDirectory", "UserDirectory"),
    ("sessionManager", "SessionManager", "SessionManager"),
    (
        "authorizationManager",
        "AuthorizationManager",
        "AuthorizationManager",
    ),
    ("serviceManager", "ServiceManager", "ServiceMgr"),
    ("perfManager", "PerformanceManager", "PerfMgr"),
    (
        "scheduledTaskManager",
        "ScheduledTaskManager",
        "ScheduledTaskManager",
    ),
    ("alarmManager", "AlarmManager", "AlarmManager"),
    ("eventManager", "EventManager", "EventManager"),
    ("taskManager", "TaskManager", "TaskManager"),
    ("extensionManager", "ExtensionManager", "ExtensionManager"),
    (
        "customizationSpecManager",
        "CustomizationSpecManager",
        "CustomizationSpecManager",
    ),
    (
        "customFieldsManager",
        "CustomFieldsManager",
        "CustomFieldsManager",
    ),
    ("diagnosticManager", "DiagnosticManager", "DiagMgr"),
    ("licenseManager", "LicenseManager", "LicenseManager"),
    ("searchIndex", "SearchIndex", "SearchIndex"),
    ("fileManager", "FileManager", "FileManager"),
    (
        "datastoreNamespaceManager",
        "DatastoreNamespaceManager",
        "DatastoreNamespaceManager",
    ),
    (
        "virtualDiskManager",
        "VirtualDiskManager",
        "virtualDiskManager",
    ),
    ("ovfManager", "OvfManager", "OvfManager"),
    (
        "dvSwitchManager",
        "DistributedVirtualSwitchManager",
        "DVSManager",
    ),
    (
        "localizationManager",
        "LocalizationManager",
        "LocalizationManager",
    ),
    (
        "storageResourceManager",
        "StorageResourceManager",
        "StorageResourceManager",
    ),
    (
        "guestOperationsManager",
        "GuestOperationsManager",
        "guestOperationsManager",
    ),
    (
        "overheadMemoryManager",
        "OverheadMemoryManager",
        "OverheadMemoryManager",
    ),
    (
        "certificateManager",
        "CertificateManager",
        "certificateManager",
    ),
    ("ioFilterManager", "IoFilterManager", "IoFilterManager"),
    ("cryptoManager", "CryptoManager", "CryptoManager"),
];

pub(crate) const ROOT_FOLDER_ID: &str = "group-d1";

/// What the simulator says it is in `ServiceContent.about`.
pub(crate) fn about_for(p: crate::Personality) -> Data {
    match p {
        crate::Personality::VCenter => about(),
        crate::Personality::Esxi => Data::new("AboutInfo")
            .with("name", "VMware ESXi")
            .with("fullName", "VMware ESXi 8.0.3 build-24022510")
            .with("vendor", "VMware, Inc.")
            .with("version", "8.0.3")
            .with("build", "24022510")
            .with("localeVersion", "INTL")
            .with("localeBuild", "000")
            .with("osType", "vmnix-x86")
            .with("productLineId", "embeddedEsx")
            .with("apiType", "HostAgent")
            .with("apiVersion", "8.0.3.0")
            .with("licenseProductName", "VMware ESX Server")
            .with("licenseProductVersion", "8.0"),
    }
}

/// Makes `ServiceContent.about` (as handed out and as the ServiceInstance's
/// `content` property) the one of personality `p`.
pub(crate) fn set_personality(st: &mut State, p: crate::Personality) -> Result<(), Fault> {
    st.content.set("about", about_for(p));
    let si = MoRef::new("ServiceInstance", "ServiceInstance");
    st.objects
        .set(&si, "content", Value::data(st.content.clone()))
}

pub(crate) fn about() -> Data {
    Data::new("AboutInfo")
        .with("name", "VMware vCenter Server")
        .with("fullName", "VMware vCenter Server 8.0.3 build-24022515")
        .with("vendor", "VMware, Inc.")
        .with("version", "8.0.3")
        .with("build", "24022515")
        .with("localeVersion", "INTL")
        .with("localeBuild", "000")
        .with("osType", "linux-x64")
        .with("productLineId", "vpx")
        .with("apiType", "VirtualCenter")
        .with("apiVersion", "8.0.3.0")
        .with("instanceUuid", uuid_for("vcsim/instance"))
        .with("licenseProductName", "VMware VirtualCenter Server")
        .with("licenseProductVersion", "8.0")
}

/// Creates the ServiceInstance, the root folder and every manager.
pub(crate) fn install(st: &mut State) -> Result<(), Fault> {
    let root = MoRef::new("Folder", ROOT_FOLDER_ID);
    let mut content = Data::new("ServiceContent")
        .with("rootFolder", &root)
        .with("about", about());
    for (field, kind, id) in MANAGERS {
        let m = MoRef::new(kind, id);
        content.set(field, &m);
        st.objects.insert(m, Data::new(kind));
    }
    st.objects.insert(
        root,
        Data::new("Folder")
            .with("name", "Datacenters")
            .with("childType", vec!["Folder", "Datacenter"])
            .with("childEntity", Value::array(vec![]))
            .with("overallStatus", "green")
            .with("configStatus", "green"),
    );
    st.content = content;
    let si = MoRef::new("ServiceInstance", "ServiceInstance");
    st.objects.insert(
        si,
        Data::new("ServiceInstance").with("content", st.content.clone()),
    );
    let em = st.svc("eventManager");
    st.objects.set(
        &em,
        "description",
        Value::data(
            Data::new("EventDescription")
                .with("category", Value::array(vec![]))
                .with("eventInfo", Value::array(vec![])),
        ),
    )?;
    let tm = st.svc("taskManager");
    st.objects.set(&tm, "recentTask", Value::array(vec![]))?;
    st.objects.set(&tm, "maxCollector", Value::Int(32))?;
    crate::mo::performance_manager::install(st)?;
    st.monitor.started = crate::now();
    crate::mo::alarm_manager::install(st)?;
    let vm = st.svc("viewManager");
    st.objects.set(&vm, "viewList", Value::array(vec![]))?;
    // The guest operations managers, as vCenter's fixed ids.
    let gom = st.svc("guestOperationsManager");
    for (field, kind, id) in [
        (
            "authManager",
            "GuestAuthManager",
            "guestOperationsAuthManager",
        ),
        (
            "fileManager",
            "GuestFileManager",
            "guestOperationsFileManager",
        ),
        (
            "processManager",
            "GuestProcessManager",
            "guestOperationsProcessManager",
        ),
    ] {
        let m = MoRef::new(kind, id);
        st.objects.insert(m.clone(), Data::new(kind));
        st.objects.set(&gom, field, Value::moref(m))?;
    }
    Ok(())
}

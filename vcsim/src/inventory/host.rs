//! What an ESXi host reports about itself beyond its summary: `hardware`
//! (system, BIOS, CPU packages, memory, PCI devices), `config` (product,
//! network, services, date and time) and its `configManager` objects
//! (HostServiceSystem, HostDateTimeSystem, HostNetworkSystem), shaped as
//! ESXi 8 reports them (field names from the vim25 schema; values as a
//! two-socket Xeon host with two uplinks and one management VMkernel NIC).

use vim25::{Data, Fault, MoRef, Value};

use crate::state::State;

/// The CPU every simulated host has; `summary.hardware.cpuMhz` says the same.
pub(crate) const CPU_MHZ: i64 = 2200;
pub(crate) const CPU_PACKAGES: i64 = 2;
const CPU_MODEL: &str = "Intel(R) Xeon(R) CPU E5-2650 v4 @ 2.20GHz";

/// ESXi 8's services with their default policy and running state (`key`,
/// label, required, policy, running). vpxa runs because vCenter manages the host.
const SERVICES: &[(&str, &str, bool, &str, bool)] = &[
    ("DCUI", "Direct Console UI", false, "on", true),
    ("TSM", "ESXi Shell", false, "off", false),
    ("TSM-SSH", "SSH", false, "off", false),
    ("lbtd", "Load-Based Teaming Daemon", false, "on", true),
    ("lwsmd", "Active Directory Service", false, "off", false),
    ("ntpd", "NTP Daemon", false, "off", false),
    ("pcscd", "PC/SC Smart Card Daemon", false, "off", false),
    ("sfcbd-watchdog", "CIM Server", false, "on", true),
    ("snmpd", "SNMP Server", false, "on", false),
    ("vmsyslogd", "Syslog Server", true, "on", true),
    ("vpxa", "VMware vCenter Agent", false, "on", true),
    ("xorg", "X.Org Server", false, "on", false),
];

/// The host's number in its id (`host-42` → 42), for addresses and MACs.
fn ordinal(m: &MoRef) -> i64 {
    m.value
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// `hardware`: system info, BIOS, CPU packages/cores/threads/Hz, memory, PCI.
pub(crate) fn hardware(uuid: &str, cores: i64, memory: i64) -> Data {
    let hz = CPU_MHZ * 1_000_000;
    let per_pkg = (cores / CPU_PACKAGES).max(1);
    let pkgs: Vec<Value> = (0..CPU_PACKAGES)
        .map(|i| {
            let threads: Vec<Value> = (0..per_pkg).map(|t| Value::Int(i * per_pkg + t)).collect();
            Value::data(
                Data::new("HostCpuPackage")
                    .with("index", i)
                    .with("vendor", "intel")
                    .with("hz", hz)
                    .with("busHz", 100_000_000i64)
                    .with("description", CPU_MODEL)
                    .with("threadId", Value::array(threads)),
            )
        })
        .collect();
    let pci = |id: &str, class: i64, vendor: i64, device: i64, vname: &str, dname: &str| {
        Value::data(
            Data::new("HostPciDevice")
                .with("id", id)
                .with("classId", class)
                .with("bus", 0)
                .with("slot", 0)
                .with("function", 0)
                .with("vendorId", vendor)
                .with("subVendorId", vendor)
                .with("vendorName", vname)
                .with("deviceId", device)
                .with("subDeviceId", 0)
                .with("deviceName", dname),
        )
    };
    Data::new("HostHardwareInfo")
        .with(
            "systemInfo",
            Data::new("HostSystemInfo")
                .with("vendor", "VMware, Inc. (vcsim)")
                .with("model", "VMware Virtual Platform")
                .with("uuid", uuid)
                .with(
                    "serialNumber",
                    format!("VMware-{}", &uuid[..8.min(uuid.len())]),
                ),
        )
        .with(
            "cpuInfo",
            Data::new("HostCpuInfo")
                .with("numCpuPackages", CPU_PACKAGES)
                .with("numCpuCores", cores)
                .with("numCpuThreads", cores)
                .with("hz", hz),
        )
        .with("cpuPkg", Value::array(pkgs))
        .with("memorySize", memory)
        .with("smcPresent", false)
        .with(
            "pciDevice",
            Value::array(vec![
                pci(
                    "0000:00:00.0",
                    1536,
                    -32634,
                    29072,
                    "Intel Corporation",
                    "440BX/ZX/DX - 82443BX/ZX/DX Host bridge",
                ),
                pci(
                    "0000:0b:00.0",
                    512,
                    -32634,
                    4303,
                    "Intel Corporation",
                    "82545EM Gigabit Ethernet Controller",
                ),
                pci(
                    "0000:03:00.0",
                    263,
                    5549,
                    1984,
                    "VMware",
                    "PVSCSI SCSI Controller",
                ),
            ]),
        )
        .with(
            "biosInfo",
            Data::new("HostBIOSInfo")
                .with("biosVersion", "6.00")
                .with("releaseDate", "2020-11-12T00:00:00Z")
                .with("vendor", "VMware, Inc.")
                .with("firmwareType", "UEFI"),
        )
}

fn policy() -> Data {
    Data::new("HostNetworkPolicy")
}

/// `config.network`: vSwitch0 with two uplinks, the VM port groups and the
/// Management Network with vmk0, DNS and the default route.
pub(crate) fn network(m: &MoRef, name: &str, port_groups: &[String]) -> Data {
    let n = ordinal(m);
    let mac = |nic: i64| {
        format!(
            "00:50:56:{:02x}:{:02x}:{:02x}",
            nic,
            (n >> 8) & 0xff,
            n & 0xff
        )
    };
    let ip = format!("192.168.{}.{}", (n / 250) % 256, n % 250 + 2);
    let mut groups: Vec<String> = port_groups.to_vec();
    groups.push("Management Network".into());
    let pg = |g: &String| {
        Value::data(
            Data::new("HostPortGroup")
                .with("key", format!("key-vim.host.PortGroup-{g}"))
                .with("computedPolicy", policy())
                .with(
                    "spec",
                    Data::new("HostPortGroupSpec")
                        .with("name", g.as_str())
                        .with("vlanId", 0)
                        .with("vswitchName", "vSwitch0")
                        .with("policy", policy()),
                ),
        )
    };
    let pnic = |i: i64| {
        Value::data(
            Data::new("PhysicalNic")
                .with("key", format!("key-vim.host.PhysicalNic-vmnic{i}"))
                .with("device", format!("vmnic{i}"))
                .with("pci", format!("0000:0b:0{i}.0"))
                .with("driver", "nvmxnet3")
                .with(
                    "linkSpeed",
                    Data::new("PhysicalNicLinkInfo")
                        .with("speedMb", 10000)
                        .with("duplex", true),
                )
                .with(
                    "spec",
                    Data::new("PhysicalNicSpec").with(
                        "ip",
                        Data::new("HostIpConfig")
                            .with("dhcp", false)
                            .with("ipAddress", "")
                            .with("subnetMask", ""),
                    ),
                )
                .with("wakeOnLanSupported", false)
                .with("mac", mac(i + 1)),
        )
    };
    let short = name.split('.').next().unwrap_or(name);
    Data::new("HostNetworkInfo")
        .with(
            "vswitch",
            vec![
                Data::new("HostVirtualSwitch")
                    .with("name", "vSwitch0")
                    .with("key", "key-vim.host.VirtualSwitch-vSwitch0")
                    .with("numPorts", 1536)
                    .with("numPortsAvailable", 1530)
                    .with("mtu", 1500)
                    .with(
                        "spec",
                        Data::new("HostVirtualSwitchSpec")
                            .with("numPorts", 128)
                            .with("policy", policy())
                            .with("mtu", 1500),
                    ),
            ],
        )
        .with("portgroup", Value::array(groups.iter().map(pg).collect()))
        .with("pnic", Value::array(vec![pnic(0), pnic(1)]))
        .with(
            "vnic",
            vec![
                Data::new("HostVirtualNic")
                    .with("device", "vmk0")
                    .with("key", "key-vim.host.VirtualNic-vmk0")
                    .with("portgroup", "Management Network")
                    .with(
                        "spec",
                        Data::new("HostVirtualNicSpec")
                            .with(
                                "ip",
                                Data::new("HostIpConfig")
                                    .with("dhcp", false)
                                    .with("ipAddress", ip)
                                    .with("subnetMask", "255.255.0.0"),
                            )
                            .with("mac", mac(0))
                            .with("portgroup", "Management Network")
                            .with("mtu", 1500)
                            .with("netStackInstanceKey", "defaultTcpipStack"),
                    ),
            ],
        )
        .with("dnsConfig", dns(short))
        .with(
            "ipRouteConfig",
            Data::new("HostIpRouteConfig")
                .with("defaultGateway", "192.168.0.1")
                .with("gatewayDevice", "vmk0"),
        )
}

fn dns(short: &str) -> Data {
    Data::new("HostDnsConfig")
        .with("dhcp", false)
        .with("hostName", short)
        .with("domainName", "vcsim.local")
        .with("address", vec!["192.168.0.1"])
        .with("searchDomain", vec!["vcsim.local"])
}

/// `config.service`: ESXi's services in their default states.
pub(crate) fn services() -> Data {
    let list: Vec<Value> = SERVICES
        .iter()
        .map(|(key, label, required, policy, running)| {
            Value::data(
                Data::new("HostService")
                    .with("key", *key)
                    .with("label", *label)
                    .with("required", *required)
                    .with("uninstallable", false)
                    .with("running", *running)
                    .with("policy", *policy)
                    .with(
                        "sourcePackage",
                        Data::new("HostServiceSourcePackage")
                            .with("sourcePackageName", "esx-base")
                            .with(
                                "description",
                                "This VIB contains all of the base functionality of vSphere ESXi.",
                            ),
                    ),
            )
        })
        .collect();
    Data::new("HostServiceInfo").with("service", Value::array(list))
}

/// `config.dateTimeInfo`: UTC, NTP not configured (ESXi's default).
pub(crate) fn date_time() -> Data {
    Data::new("HostDateTimeInfo")
        .with("timeZone", utc())
        .with("systemClockProtocol", "ntp")
        .with(
            "ntpConfig",
            Data::new("HostNtpConfig").with("server", Value::array(vec![])),
        )
}

/// The one time zone ESXi offers (ESXi keeps its clock in UTC).
pub(crate) fn utc() -> Data {
    Data::new("HostDateTimeSystemTimeZone")
        .with("key", "UTC")
        .with("name", "UTC")
        .with("description", "UTC")
        .with("gmtOffset", 0)
}

/// Creates the host's configManager objects and returns `configManager`.
/// Each manager holds its own copy of what it manages (`serviceInfo`,
/// `dateTimeInfo`, `networkInfo`), written together with the host's
/// `config` by its methods.
pub(crate) fn managers(st: &mut State, m: &MoRef, config: &Data) -> Result<Data, Fault> {
    let id = &m.value;
    let services = MoRef::new("HostServiceSystem", &format!("serviceSystem-{id}"));
    let clock = MoRef::new("HostDateTimeSystem", &format!("dateTimeSystem-{id}"));
    let net = MoRef::new("HostNetworkSystem", &format!("networkSystem-{id}"));
    let get = |f: &str| config.get(f).cloned();
    st.objects.insert(
        services.clone(),
        Data::new("HostServiceSystem").with_opt("serviceInfo", get("service")),
    );
    st.objects.insert(
        clock.clone(),
        Data::new("HostDateTimeSystem").with_opt("dateTimeInfo", get("dateTimeInfo")),
    );
    let network = get("network");
    let dns = network.as_ref().and_then(|n| n.path("dnsConfig").cloned());
    let route = network
        .as_ref()
        .and_then(|n| n.path("ipRouteConfig").cloned());
    st.objects.insert(
        net.clone(),
        Data::new("HostNetworkSystem")
            .with_opt("networkInfo", network)
            .with_opt("dnsConfig", dns)
            .with_opt("ipRouteConfig", route),
    );
    Ok(Data::new("HostConfigManager")
        .with("networkSystem", &net)
        .with("serviceSystem", &services)
        .with("dateTimeSystem", &clock))
}

/// `config`: product, network, services, date and time.
pub(crate) fn config(m: &MoRef, name: &str, product: Data, port_groups: &[String]) -> Data {
    Data::new("HostConfigInfo")
        .with("host", m)
        .with("product", product)
        .with("network", network(m, name, port_groups))
        .with("service", services())
        .with("dateTimeInfo", date_time())
}

/// The host a configManager object belongs to: its id names it.
pub(crate) fn host_of_manager(m: &MoRef) -> MoRef {
    let id = m.value.split_once('-').map(|(_, h)| h).unwrap_or("");
    MoRef::new("HostSystem", id)
}

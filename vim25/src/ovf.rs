//! OVF descriptors (DMTF DSP0243) as data: the parts a VM import or export
//! needs — file references, disks, networks and one virtual system's
//! hardware items — read from a descriptor and written back as one. The
//! XML stays in this crate (`xml.rs`), as every other document does; the
//! simulator's `OvfManager` and a client's deploy/export work on
//! [`Envelope`]s.

use crate::xml::{Element, parse as parse_xml, push_escaped};

/// A descriptor's content.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Envelope {
    pub files: Vec<FileRef>,
    pub disks: Vec<Disk>,
    pub networks: Vec<Network>,
    pub system: System,
}

/// `References/File`: a file of the package.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileRef {
    pub id: String,
    pub href: String,
    pub size: Option<i64>,
}

/// `DiskSection/Disk`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Disk {
    pub disk_id: String,
    pub file_ref: Option<String>,
    pub capacity_bytes: i64,
    pub populated_size: Option<i64>,
    pub format: String,
}

/// `NetworkSection/Network`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Network {
    pub name: String,
    pub description: String,
}

/// The `VirtualSystem`: identity, guest OS and hardware.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct System {
    pub id: String,
    pub name: String,
    pub annotation: String,
    /// `vmw:osType` (a vSphere guest id) if given.
    pub os_type: String,
    pub items: Vec<Item>,
}

/// One `Item` (CIM_ResourceAllocationSettingData) of the hardware section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    pub instance_id: String,
    pub resource_type: u32,
    pub resource_sub_type: String,
    pub element_name: String,
    pub parent: String,
    pub address_on_parent: String,
    pub host_resource: String,
    pub connection: String,
    pub virtual_quantity: i64,
}

/// CIM resource types the descriptors use.
pub mod resource {
    pub const CPU: u32 = 3;
    pub const MEMORY: u32 = 4;
    pub const IDE: u32 = 5;
    pub const SCSI: u32 = 6;
    pub const ETHERNET: u32 = 10;
    pub const CDROM: u32 = 15;
    pub const DISK: u32 = 17;
}

impl System {
    pub fn quantity(&self, resource_type: u32) -> Option<i64> {
        self.items
            .iter()
            .find(|i| i.resource_type == resource_type)
            .map(|i| i.virtual_quantity)
    }
}

impl Envelope {
    pub fn disk(&self, id: &str) -> Option<&Disk> {
        self.disks.iter().find(|d| d.disk_id == id)
    }

    pub fn file(&self, id: &str) -> Option<&FileRef> {
        self.files.iter().find(|f| f.id == id)
    }
}

/// Bytes per unit of `ovf:capacityAllocationUnits` (`byte * 2^30`, `GB`…).
fn units(s: &str) -> Option<i64> {
    let t = s.replace(' ', "");
    match t.as_str() {
        "" | "byte" => Some(1),
        "KB" | "KiB" | "kilobytes" => Some(1 << 10),
        "MB" | "MiB" | "megabytes" => Some(1 << 20),
        "GB" | "GiB" | "gigabytes" => Some(1 << 30),
        _ => {
            let exp = t.strip_prefix("byte*2^")?.parse::<u32>().ok()?;
            (exp < 63).then(|| 1i64 << exp)
        }
    }
}

/// An attribute by local name, whatever prefix the document bound.
fn attr<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.attrs
        .iter()
        .find(|(k, _)| crate::xml::local(k) == name)
        .map(|(_, v)| v.as_str())
}

fn children<'a>(e: &'a Element, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    e.children.iter().filter(move |c| c.name == name)
}

fn text(e: &Element, name: &str) -> String {
    e.child(name)
        .map(|c| c.text.trim().to_string())
        .unwrap_or_default()
}

/// Reads a descriptor. Refused, with what is wrong: text that is not XML,
/// a root other than `Envelope`, no `VirtualSystem`, a disk capacity that
/// is not a number.
pub fn parse(descriptor: &str) -> Result<Envelope, String> {
    let root =
        parse_xml(descriptor.as_bytes()).map_err(|e| format!("the descriptor is not XML: {e}"))?;
    if root.name != "Envelope" {
        return Err(format!(
            "the descriptor's root element is {}, not Envelope",
            root.name
        ));
    }
    let mut env = Envelope::default();
    if let Some(refs) = root.child("References") {
        for f in children(refs, "File") {
            env.files.push(FileRef {
                id: attr(f, "id").unwrap_or_default().to_string(),
                href: attr(f, "href").unwrap_or_default().to_string(),
                size: attr(f, "size").and_then(|s| s.parse().ok()),
            });
        }
    }
    if let Some(ds) = root.child("DiskSection") {
        for d in children(ds, "Disk") {
            let id = attr(d, "diskId").unwrap_or_default().to_string();
            let cap = attr(d, "capacity").unwrap_or("0");
            let n: i64 = cap
                .parse()
                .map_err(|_| format!("disk {id}: capacity '{cap}' is not a number"))?;
            let unit_s = attr(d, "capacityAllocationUnits").unwrap_or("byte");
            let unit = units(unit_s)
                .ok_or_else(|| format!("disk {id}: unknown capacity unit '{unit_s}'"))?;
            env.disks.push(Disk {
                disk_id: id,
                file_ref: attr(d, "fileRef").map(str::to_string),
                capacity_bytes: n.saturating_mul(unit),
                populated_size: attr(d, "populatedSize").and_then(|s| s.parse().ok()),
                format: attr(d, "format").unwrap_or_default().to_string(),
            });
        }
    }
    if let Some(ns) = root.child("NetworkSection") {
        for n in children(ns, "Network") {
            env.networks.push(Network {
                name: attr(n, "name").unwrap_or_default().to_string(),
                description: text(n, "Description"),
            });
        }
    }
    let vs = root
        .child("VirtualSystem")
        .or_else(|| {
            root.child("VirtualSystemCollection")
                .and_then(|c| c.child("VirtualSystem"))
        })
        .ok_or("the descriptor has no VirtualSystem")?;
    env.system.id = attr(vs, "id").unwrap_or_default().to_string();
    env.system.name = match text(vs, "Name") {
        n if n.is_empty() => env.system.id.clone(),
        n => n,
    };
    env.system.annotation = vs
        .child("AnnotationSection")
        .map(|a| text(a, "Annotation"))
        .unwrap_or_default();
    if let Some(os) = vs.child("OperatingSystemSection") {
        env.system.os_type = attr(os, "osType").unwrap_or_default().to_string();
    }
    if let Some(hw) = vs.child("VirtualHardwareSection") {
        for i in children(hw, "Item") {
            env.system.items.push(Item {
                instance_id: text(i, "InstanceID"),
                resource_type: text(i, "ResourceType").parse().unwrap_or(0),
                resource_sub_type: text(i, "ResourceSubType"),
                element_name: text(i, "ElementName"),
                parent: text(i, "Parent"),
                address_on_parent: text(i, "AddressOnParent"),
                host_resource: text(i, "HostResource"),
                connection: text(i, "Connection"),
                virtual_quantity: text(i, "VirtualQuantity").parse().unwrap_or(0),
            });
        }
    }
    Ok(env)
}

fn open(out: &mut String, tag: &str, attrs: &[(&str, &str)]) {
    out.push('<');
    out.push_str(tag);
    for (k, v) in attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        push_escaped(out, v);
        out.push('"');
    }
    out.push('>');
}

fn leaf(out: &mut String, tag: &str, value: &str) {
    open(out, tag, &[]);
    push_escaped(out, value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// Writes `env` as an OVF 1.0 descriptor vSphere reads back.
pub fn write(env: &Envelope) -> String {
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    open(
        &mut o,
        "Envelope",
        &[
            ("xmlns", "http://schemas.dmtf.org/ovf/envelope/1"),
            ("xmlns:ovf", "http://schemas.dmtf.org/ovf/envelope/1"),
            (
                "xmlns:rasd",
                "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
            ),
            (
                "xmlns:vssd",
                "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData",
            ),
            ("xmlns:vmw", "http://www.vmware.com/schema/ovf"),
        ],
    );
    o.push_str("<References>");
    for f in &env.files {
        let size = f.size.map(|s| s.to_string()).unwrap_or_default();
        let mut a = vec![("ovf:href", f.href.as_str()), ("ovf:id", f.id.as_str())];
        if f.size.is_some() {
            a.push(("ovf:size", size.as_str()));
        }
        open(&mut o, "File", &a);
        o.push_str("</File>");
    }
    o.push_str("</References><DiskSection><Info>Virtual disk information</Info>");
    for d in &env.disks {
        let cap = d.capacity_bytes.to_string();
        let mut a = vec![
            ("ovf:capacity", cap.as_str()),
            ("ovf:capacityAllocationUnits", "byte"),
            ("ovf:diskId", d.disk_id.as_str()),
            ("ovf:format", d.format.as_str()),
        ];
        if let Some(f) = &d.file_ref {
            a.push(("ovf:fileRef", f.as_str()));
        }
        open(&mut o, "Disk", &a);
        o.push_str("</Disk>");
    }
    o.push_str("</DiskSection><NetworkSection><Info>The list of logical networks</Info>");
    for n in &env.networks {
        open(&mut o, "Network", &[("ovf:name", n.name.as_str())]);
        leaf(&mut o, "Description", &n.description);
        o.push_str("</Network>");
    }
    o.push_str("</NetworkSection>");
    let s = &env.system;
    open(&mut o, "VirtualSystem", &[("ovf:id", s.id.as_str())]);
    leaf(&mut o, "Info", "A virtual machine");
    leaf(&mut o, "Name", &s.name);
    if !s.annotation.is_empty() {
        o.push_str("<AnnotationSection><Info>A human-readable annotation</Info>");
        leaf(&mut o, "Annotation", &s.annotation);
        o.push_str("</AnnotationSection>");
    }
    open(
        &mut o,
        "OperatingSystemSection",
        &[("ovf:id", "1"), ("vmw:osType", s.os_type.as_str())],
    );
    leaf(
        &mut o,
        "Info",
        "The kind of installed guest operating system",
    );
    o.push_str("</OperatingSystemSection><VirtualHardwareSection><Info>Virtual hardware requirements</Info>");
    o.push_str("<System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID>");
    leaf(&mut o, "vssd:VirtualSystemIdentifier", &s.name);
    o.push_str("<vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>");
    for i in &s.items {
        o.push_str("<Item>");
        // rasd elements in the schema's (alphabetical) order.
        let fields = [
            ("rasd:AddressOnParent", i.address_on_parent.clone()),
            ("rasd:Connection", i.connection.clone()),
            ("rasd:ElementName", i.element_name.clone()),
            ("rasd:HostResource", i.host_resource.clone()),
            ("rasd:InstanceID", i.instance_id.clone()),
            ("rasd:Parent", i.parent.clone()),
            ("rasd:ResourceSubType", i.resource_sub_type.clone()),
            ("rasd:ResourceType", i.resource_type.to_string()),
        ];
        for (tag, v) in fields {
            if !v.is_empty() {
                leaf(&mut o, tag, &v);
            }
        }
        if i.virtual_quantity > 0 {
            if i.resource_type == resource::MEMORY {
                leaf(&mut o, "rasd:AllocationUnits", "byte * 2^20");
            }
            leaf(
                &mut o,
                "rasd:VirtualQuantity",
                &i.virtual_quantity.to_string(),
            );
        }
        o.push_str("</Item>");
    }
    o.push_str("</VirtualHardwareSection></VirtualSystem></Envelope>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:href="tiny-disk1.vmdk" ovf:id="file1" ovf:size="1024"/></References>
  <DiskSection><Disk ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1"/></DiskSection>
  <NetworkSection><Network ovf:name="VM Network"><Description>net</Description></Network></NetworkSection>
  <VirtualSystem ovf:id="tiny"><Name>tiny</Name>
    <VirtualHardwareSection>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>64</rasd:VirtualQuantity></Item>
    </VirtualHardwareSection></VirtualSystem></Envelope>"#;

    #[test]
    fn issue_13_parses_and_writes_back_the_same_envelope() {
        let env = parse(TINY).expect("parses");
        assert_eq!(env.disks[0].capacity_bytes, 1 << 30);
        assert_eq!(env.networks[0].name, "VM Network");
        assert_eq!(env.system.quantity(resource::CPU), Some(2));
        assert_eq!(env.system.quantity(resource::MEMORY), Some(64));
        let again = parse(&write(&env)).expect("its own output parses");
        assert_eq!(again.disks, env.disks);
        assert_eq!(again.system.items, env.system.items);
    }

    #[test]
    fn issue_13_refuses_what_is_not_a_descriptor() {
        assert!(
            parse("not xml at all <")
                .expect_err("refused")
                .contains("not XML")
        );
        assert!(
            parse("<Foo/>")
                .expect_err("refused")
                .contains("not Envelope")
        );
        assert!(
            parse("<Envelope/>")
                .expect_err("refused")
                .contains("no VirtualSystem")
        );
    }
}

"""pyvmomi and OVF: import fixtures/ovf/tiny.ovf as a VM through
OvfManager.CreateImportSpec and ResourcePool.ImportVApp, upload its disk to
the lease's URL (pyvmomi's session cookie, urllib, as deploy scripts do),
complete the lease; then export the VM with ExportVm, download its disk and
describe it with CreateDescriptor.
Usage: pyvmomi_ovf.py HOST PORT USER PASSWORD VMNAME (the name to import as).
Prints one line per check; exits non-zero on the first failure."""

import os
import ssl
import sys
import time
import urllib.error
import urllib.request

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

CTX = ssl._create_unverified_context()
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "ovf")


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def http(method, url, cookie, data=None):
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Cookie", cookie)
    if data is not None:
        req.add_header("Content-Type", "application/x-vnd.vmware-streamVmdk")
    try:
        with urllib.request.urlopen(req, context=CTX) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_ready(lease):
    for _ in range(200):
        if lease.state != vim.HttpNfcLease.State.initializing:
            break
        time.sleep(0.05)
    return lease.state


def main():
    host, port, user, pwd, name = sys.argv[1:6]
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd, sslContext=CTX)
    content = si.RetrieveContent()
    cookie = si._stub.cookie
    dc = content.rootFolder.childEntity[0]
    cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
    ds = [d for d in dc.datastore if d.name == "LocalDS_0"][0]
    net = [n for n in dc.network if n.name == "VM Network"][0]
    with open(os.path.join(FIXTURES, "tiny.ovf")) as f:
        descriptor = f.read()
    with open(os.path.join(FIXTURES, "tiny-disk1.vmdk"), "rb") as f:
        disk = f.read()
    om = content.ovfManager

    parsed = om.ParseDescriptor(descriptor, vim.OvfManager.ParseDescriptorParams())
    check(parsed.defaultEntityName == "tiny", "ParseDescriptor names the VM tiny")
    check([n.name for n in parsed.network] == ["VM Network"], "and its network")

    cisp = vim.OvfManager.CreateImportSpecParams(
        entityName=name, diskProvisioning="thin",
        networkMapping=[vim.OvfManager.NetworkMapping(name="VM Network", network=net)])
    spec = om.CreateImportSpec(descriptor, cluster.resourcePool, ds, cisp)
    check(not spec.error, "CreateImportSpec has no errors")
    check(len(spec.fileItem) == 1 and spec.fileItem[0].path == "tiny-disk1.vmdk", "one disk to upload")

    lease = cluster.resourcePool.ImportVApp(spec.importSpec, dc.vmFolder)
    check(wait_ready(lease) == vim.HttpNfcLease.State.ready, "the import lease becomes ready")
    items = {i.deviceId: i for i in spec.fileItem}
    for u in lease.info.deviceUrl:
        item = items.get(u.importKey)
        check(item is not None, "deviceUrl %s matches a fileItem" % u.importKey)
        url = u.url.replace("*", "%s:%s" % (host, port))
        status, body = http("PUT", url, cookie, disk)
        check(status == 200, "PUT %s answers 200 (%s %s)" % (url, status, body[:80]))
    lease.HttpNfcLeaseProgress(100)
    manifest = lease.HttpNfcLeaseGetManifest()
    check(len(manifest) == 1 and manifest[0].size == len(disk), "the manifest lists the disk")
    lease.HttpNfcLeaseComplete()
    check(lease.state == vim.HttpNfcLease.State.done, "the import lease is done")
    vm = lease.info.entity
    check(vm.name == name, "the VM %s exists" % name)
    disks = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    check(len(disks) == 1 and disks[0].capacityInKB == 16 * 1024, "with its 16 MiB disk")

    out = vm.ExportVm()
    check(wait_ready(out) == vim.HttpNfcLease.State.ready, "the export lease becomes ready")
    files = []
    for u in out.info.deviceUrl:
        url = u.url.replace("*", "%s:%s" % (host, port))
        status, body = http("GET", url, cookie)
        check(status == 200 and body == disk, "GET %s is the disk that was uploaded" % u.targetId)
        files.append(vim.OvfManager.OvfFile(deviceId=u.key, path=u.targetId, size=len(body)))
    out.HttpNfcLeaseComplete()
    desc = om.CreateDescriptor(vm, vim.OvfManager.CreateDescriptorParams(ovfFiles=files, name=name))
    check(not desc.error and files[0].path in desc.ovfDescriptor, "CreateDescriptor references the disk")
    again = om.ParseDescriptor(desc.ovfDescriptor, vim.OvfManager.ParseDescriptorParams())
    check(again.approximateFlatDeploymentSize == 16 << 20, "and reads back with the disk's capacity")
    Disconnect(si)
    print("done")


main()

"""pyvmomi device script against vcsim: add, grow and remove a disk, add a
NIC, give it a manual MAC and remove it, insert an ISO and add a serial port
(the VM powered off), each through ReconfigVM_Task, checking
config.hardware.device through pyvmomi's own objects and the faults vCenter
raises, and that a thick disk's file takes the datastore's free space. Usage: pyvmomi_devices.py HOST PORT USER PASSWORD VMNAME.
Prints one line per check; exits non-zero on the first failure."""

import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

GB_KB = 1024 * 1024


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def reconfigure(vm, *changes):
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=list(changes))))


def refused(vm, fault, what, *changes):
    try:
        reconfigure(vm, *changes)
    except fault:
        print("ok: %s raises %s" % (what, fault.__name__))
        return
    except Exception as e:  # noqa: BLE001 - the wrong fault is a failure
        check(False, "%s raises %s, not %r" % (what, fault.__name__, e))
    check(False, "%s is refused" % what)


def by_label(vm, label):
    return next((d for d in vm.config.hardware.device
                 if d.deviceInfo.label == label), None)


def of_type(vm, t):
    return [d for d in vm.config.hardware.device if isinstance(d, t)]


def disk_spec(vm, unit, kb, thin=True):
    scsi = of_type(vm, vim.vm.device.VirtualSCSIController)[0]
    disk = vim.vm.device.VirtualDisk(
        key=-1, controllerKey=scsi.key, unitNumber=unit, capacityInKB=kb,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            diskMode="persistent", thinProvisioned=thin, fileName=""))
    return vim.vm.device.VirtualDeviceSpec(
        operation="add", fileOperation="create", device=disk)


def disk_checks(vm):
    refused(vm, vim.fault.InvalidDeviceSpec, "a disk on SCSI unit 7",
            disk_spec(vm, 7, GB_KB))
    reconfigure(vm, disk_spec(vm, 1, 2 * GB_KB))
    disk = by_label(vm, "Hard disk 2")
    check(disk is not None and disk.capacityInKB == 2 * GB_KB, "Hard disk 2 added")
    check(disk.unitNumber == 1, "on unit 1")
    check(disk.backing.fileName.endswith(".vmdk"), "a vmdk file")
    disk.capacityInKB = 3 * GB_KB
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(operation="edit", device=disk))
    check(by_label(vm, "Hard disk 2").capacityInKB == 3 * GB_KB, "grown to 3 GB")
    disk = by_label(vm, "Hard disk 2")
    disk.capacityInKB = GB_KB
    refused(vm, vim.fault.InvalidDeviceOperation, "shrinking a disk",
            vim.vm.device.VirtualDeviceSpec(operation="edit", device=disk))
    disk = by_label(vm, "Hard disk 2")
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(
        operation="remove", fileOperation="destroy", device=disk))
    check(by_label(vm, "Hard disk 2") is None, "Hard disk 2 removed")
    # A thick disk takes its capacity from the datastore; destroying it gives it back.
    ds = vm.datastore[0]
    free = ds.summary.freeSpace
    reconfigure(vm, disk_spec(vm, 1, GB_KB, thin=False))
    check(ds.summary.freeSpace == free - GB_KB * 1024,
          "freeSpace falls by a thick disk's 1 GB")
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(
        operation="remove", fileOperation="destroy", device=by_label(vm, "Hard disk 2")))
    check(ds.summary.freeSpace == free, "freeSpace back after the disk is destroyed")


def nic_checks(vm, net):
    nic = vim.vm.device.VirtualE1000(
        key=-1,
        backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
            deviceName=net.name, network=net),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(
            startConnected=True, allowGuestControl=True, connected=False))
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(operation="add", device=nic))
    nic = by_label(vm, "Network adapter 2")
    check(isinstance(nic, vim.vm.device.VirtualE1000), "Network adapter 2 added")
    check(nic.macAddress.startswith("00:50:56:"), "a generated VMware MAC")
    check(nic.backing.network == net, "on %s" % net.name)
    nic.addressType = "manual"
    nic.macAddress = "00:50:56:80:00:01"
    refused(vm, vim.fault.InvalidDeviceSpec, "a MAC outside the manual range",
            vim.vm.device.VirtualDeviceSpec(operation="edit", device=nic))
    nic = by_label(vm, "Network adapter 2")
    nic.addressType = "manual"
    nic.macAddress = "00:50:56:01:02:03"
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(operation="edit", device=nic))
    check(by_label(vm, "Network adapter 2").macAddress == "00:50:56:01:02:03",
          "manual MAC set")
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(
        operation="remove", device=by_label(vm, "Network adapter 2")))
    check(by_label(vm, "Network adapter 2") is None, "Network adapter 2 removed")


def cold_device_checks(vm, ds):
    iso = vim.vm.device.VirtualCdrom(
        key=-1,
        backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName="[NoSuchDS] a.iso"),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(
            startConnected=True, allowGuestControl=True, connected=False))
    spec = vim.vm.device.VirtualDeviceSpec(operation="add", device=iso)
    refused(vm, vim.fault.InvalidDatastorePath, "an ISO on a missing datastore", spec)
    iso.backing.fileName = "[%s] iso/a.iso" % ds.name
    reconfigure(vm, spec)
    check(by_label(vm, "CD/DVD drive 1") is not None, "the built-in drive is there")
    drive = by_label(vm, "CD/DVD drive 2")
    check(drive is not None and drive.backing.fileName == iso.backing.fileName,
          "ISO inserted")
    port = vim.vm.device.VirtualSerialPort(
        key=-2, yieldOnPoll=True,
        backing=vim.vm.device.VirtualSerialPort.URIBackingInfo(
            serviceURI="telnet://:9001", direction="server"))
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(operation="add", device=port))
    port = by_label(vm, "Serial port 1")
    check(isinstance(port.backing, vim.vm.device.VirtualSerialPort.URIBackingInfo),
          "a URI-backed serial port")
    check(port.backing.serviceURI == "telnet://:9001", "serviceURI")
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(operation="remove", device=port))
    check(by_label(vm, "Serial port 1") is None, "serial port removed")


def main():
    host, port, user, pwd, vm_name = sys.argv[1:6]
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                      disableSslCertValidation=True)
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.VirtualMachine], True)
    vm = next(v for v in view.view if v.name == vm_name)
    keys = [d.key for d in vm.config.hardware.device]
    check(len(keys) == len(set(keys)), "device keys unique")
    disk_checks(vm)
    nic_checks(vm, vm.network[0])
    WaitForTask(vm.PowerOffVM_Task())
    cold_device_checks(vm, vm.datastore[0])
    keys = [d.key for d in vm.config.hardware.device]
    check(len(keys) == len(set(keys)), "device keys still unique")
    view.DestroyView()
    Disconnect(si)
    print("done")


if __name__ == "__main__":
    main()

"""pyvmomi smoke test against vcsim: connect, list VMs through a container
view, read properties by attribute access, power a VM off and on through
tasks (Tools back a moment after the power-on), and log out. Usage: pyvmomi_smoke.py HOST PORT USER PASSWORD VMNAME.
Prints one line per check; exits non-zero on the first failure."""

import sys
import time

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def main():
    host, port, user, pwd, vm_name = sys.argv[1:6]
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                      disableSslCertValidation=True)
    content = si.RetrieveContent()
    check(content.about.apiType == "VirtualCenter", "about.apiType")
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.VirtualMachine], True)
    vms = list(view.view)
    names = sorted(vm.name for vm in vms)
    check(vm_name in names, "VM %s listed among %s" % (vm_name, names))
    vm = next(v for v in vms if v.name == vm_name)
    check(vm.runtime.powerState == "poweredOn", "initial power state")
    check(vm.config.hardware.numCPU >= 1, "config.hardware.numCPU")
    check(vm.summary.config.name == vm_name, "summary.config.name")
    check(vm.summary.runtime.powerState == "poweredOn", "summary.runtime")
    check(vm.guest.toolsRunningStatus == "guestToolsRunning", "tools running")
    check(len(vm.config.hardware.device) > 0, "device list")
    check(vm.runtime.host.name != "", "runtime.host.name")
    WaitForTask(vm.PowerOffVM_Task())
    check(vm.runtime.powerState == "poweredOff", "powered off")
    try:
        WaitForTask(vm.PowerOffVM_Task())
        check(False, "second power off fails")
    except vim.fault.InvalidPowerState:
        print("ok: second power off raises InvalidPowerState")
    WaitForTask(vm.PowerOnVM_Task())
    check(vm.runtime.powerState == "poweredOn", "powered on again")
    # VMware Tools comes up a moment after the boot, with the guest's identity.
    deadline = time.time() + 30
    while (vm.guest.toolsRunningStatus != "guestToolsRunning"
           and time.time() < deadline):
        time.sleep(0.05)
    check(vm.guest.toolsRunningStatus == "guestToolsRunning",
          "tools running again after power-on")
    check(vm.guest.hostName == vm_name, "guest.hostName after power-on")
    check(bool(vm.guest.ipAddress), "guest.ipAddress after power-on")
    view.DestroyView()
    Disconnect(si)
    print("done")


if __name__ == "__main__":
    main()

"""pyvmomi snapshot round trip against vcsim: take snapshots (with memory,
disk-only, names repeated), read vm.snapshot and vm.rootSnapshot through
pyvmomi's own objects, revert (power state and CPU count come back), rename,
remove one (children move up), remove all, and check the faults; the
disk's delta file and its parent backing, and consolidation back to the base.
Usage: pyvmomi_snapshots.py HOST PORT USER PASSWORD VMNAME.
Prints one line per check; exits non-zero on the first failure."""

import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def flat(tree, parent=None):
    """(name, parent name, state, id) of every node, parents first."""
    out = []
    for n in tree:
        out.append((n.name, parent, n.state, n.id))
        out.extend(flat(n.childSnapshotList, n.name))
    return out


def take(vm, name, memory):
    task = vm.CreateSnapshot_Task(name=name, description=name + " notes",
                                  memory=memory, quiesce=False)
    WaitForTask(task)
    check(task.info.entity == vm, "task %s acts on the VM" % name)
    snap = task.info.result
    check(isinstance(snap, vim.vm.Snapshot), "result of %s is a snapshot" % name)
    return snap


def first_disk(obj):
    return [d for d in obj.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualDisk)][0]


def main():
    host, port, user, pwd, vm_name = sys.argv[1:6]
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                      disableSslCertValidation=True)
    content = si.RetrieveContent()
    vm = content.searchIndex.FindByInventoryPath("DC0/vm/" + vm_name)
    check(vm is not None and vm.name == vm_name, "found " + vm_name)
    check(vm.snapshot is None, "no snapshots at first")

    base_disk = first_disk(vm).backing.fileName
    base = take(vm, "base", True)
    delta = first_disk(vm).backing
    check(delta.fileName.endswith("-000001.vmdk") and delta.parent.fileName == base_disk,
          "the disk writes to a delta on its base file")
    check(first_disk(base).backing.fileName == base_disk, "the snapshot keeps the base")
    names = [f.name for f in vm.layoutEx.file]
    check(delta.fileName in names and any(n.endswith(".vmsn") for n in names),
          "layoutEx lists the delta and the snapshot file")
    cpus = vm.config.hardware.numCPU
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(numCPUs=cpus + 3)))
    cold = take(vm, "cold", True)
    again = take(vm, "cold", False)

    info = vm.snapshot
    check(isinstance(info, vim.vm.SnapshotInfo), "vm.snapshot is a SnapshotInfo")
    check(info.currentSnapshot == again, "the last one is current")
    check([s for s in vm.rootSnapshot] == [base], "rootSnapshot")
    got = flat(info.rootSnapshotList)
    check([(n, p, s) for n, p, s, _ in got] == [
        ("base", None, "poweredOn"),
        ("cold", "base", "poweredOff"),
        ("cold", "cold", "poweredOff"),
    ], "tree %s" % got)
    check([i for _, _, _, i in got] == [1, 2, 3], "ids count up")
    root = info.rootSnapshotList[0]
    check(root.snapshot == base and root.vm == vm, "tree node refs")
    check(root.description == "base notes" and not root.quiesced, "node fields")
    check(root.createTime is not None, "createTime")
    check(base.config.hardware.numCPU == cpus, "snapshot keeps the config")
    check(list(base.childSnapshot) == [cold], "childSnapshot")

    WaitForTask(base.RevertToSnapshot_Task())
    check(vm.runtime.powerState == "poweredOn", "revert powers on")
    check(vm.config.hardware.numCPU == cpus, "revert restores the CPUs")
    check(vm.snapshot.currentSnapshot == base, "current moves on revert")
    WaitForTask(cold.RevertToSnapshot_Task())
    check(vm.runtime.powerState == "poweredOff", "disk-state snapshot: off")
    check(vm.config.hardware.numCPU == cpus + 3, "and its CPUs")
    WaitForTask(vm.RevertToCurrentSnapshot_Task())
    check(vm.snapshot.currentSnapshot == cold, "revert to current")

    cold.RenameSnapshot(name="cold-renamed", description="renamed")
    node = vm.snapshot.rootSnapshotList[0].childSnapshotList[0]
    check(node.name == "cold-renamed" and node.description == "renamed",
          "RenameSnapshot")

    WaitForTask(cold.RemoveSnapshot_Task(removeChildren=False))
    got = flat(vm.snapshot.rootSnapshotList)
    check([(n, p) for n, p, _, _ in got] == [("base", None), ("cold", "base")],
          "child moved up %s" % got)
    check(vm.snapshot.currentSnapshot == base, "current moved to the parent")
    try:
        cold.RenameSnapshot(name="x")
        check(False, "a removed snapshot is gone")
    except vmodl.fault.ManagedObjectNotFound:
        print("ok: removed snapshot raises ManagedObjectNotFound")

    WaitForTask(vm.RemoveAllSnapshots_Task())
    check(vm.snapshot is None, "RemoveAllSnapshots empties vm.snapshot")
    check(len(vm.rootSnapshot) == 0, "and rootSnapshot")
    disk = first_disk(vm).backing
    check(disk.fileName == base_disk and disk.parent is None,
          "deltas consolidated into the base disk")
    try:
        vm.RevertToCurrentSnapshot_Task()
        check(False, "revert without snapshots fails")
    except vim.fault.NotFound:
        print("ok: revert without snapshots raises NotFound")
    Disconnect(si)
    print("done")


if __name__ == "__main__":
    main()

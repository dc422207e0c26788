"""pyvmomi against vcsim's fault-injection control API (issue 14), the way a
pytest suite would drive it: the control API with urllib, vSphere with
pyvmomi. A rule makes PowerOnVM_Task's task fail with
InsufficientResourcesFault (the VM stays off); cleared, the VM powers on; a
hang holds a call until released; a restart ends the session (the old one
fails NotAuthenticated) and a new SmartConnect works.
Usage: pyvmomi_faults.py HOST PORT USER PASSWORD VMNAME.
Prints one line per check; exits non-zero on the first failure."""

import json
import ssl
import sys
import threading
import time
import urllib.request

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


class Control:
    """The simulator's /vcsim/ control API (JSON in and out)."""

    def __init__(self, host, port):
        self.base = "https://%s:%s/vcsim/" % (host, port)
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")


def find_vm(si, name):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.VirtualMachine], True)
    try:
        return next(v for v in view.view if v.name == name)
    finally:
        view.Destroy()


def main():
    host, port, user, pwd, vm_name = sys.argv[1:6]
    ctl = Control(host, port)
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                      disableSslCertValidation=True)
    vm = find_vm(si, vm_name)
    WaitForTask(vm.PowerOffVM_Task())
    check(vm.runtime.powerState == "poweredOff", "VM powered off first")

    status, rule = ctl.call("POST", "faults", {
        "method": "PowerOnVM_Task", "fault": "InsufficientResourcesFault",
        "message": "Insufficient memory resources.", "count": 1})
    check(status == 201 and rule["id"] >= 1, "rule added: %s" % rule)
    try:
        WaitForTask(vm.PowerOnVM_Task())
        check(False, "the power-on fails")
    except vim.fault.InsufficientResourcesFault as e:
        check("Insufficient memory" in e.msg, "WaitForTask raises InsufficientResourcesFault: %s" % e.msg)
    check(vm.runtime.powerState == "poweredOff", "the VM is still off")
    _, listed = ctl.call("GET", "faults")
    check(listed["rules"][0]["hits"] == 1, "the rule counts one hit")
    ctl.call("DELETE", "faults")
    WaitForTask(vm.PowerOnVM_Task())
    check(vm.runtime.powerState == "poweredOn", "cleared, the VM powers on")

    # A hang holds the call; the control API still answers; release lets it through.
    ctl.call("POST", "hang")
    got = {}
    t = threading.Thread(target=lambda: got.update(time=si.CurrentTime()))
    t.start()
    held = 0
    for _ in range(500):
        held = ctl.call("GET", "status")[1]["held"]
        if held == 1:
            break
        time.sleep(0.01)
    check(held == 1 and t.is_alive(), "the call is held while hung")
    ctl.call("POST", "release")
    t.join(30)
    check(not t.is_alive() and "time" in got, "released, the call answers")

    # A restart: the old session is gone, a new login works, the VM is as it was.
    status, body = ctl.call("POST", "restart", {"down_ms": 300})
    check(status == 202, "restart accepted: %s" % body)
    outcome = None
    for _ in range(300):
        try:
            vm.runtime.powerState
        except vim.fault.NotAuthenticated:
            outcome = "NotAuthenticated"
            break
        except Exception:  # down (refused, closed): try again
            pass
        time.sleep(0.02)
    check(outcome == "NotAuthenticated", "the old session fails NotAuthenticated")
    si2 = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                       disableSslCertValidation=True)
    check(find_vm(si2, vm_name).runtime.powerState == "poweredOn",
          "a new session sees the VM powered on")
    Disconnect(si2)
    print("done")


if __name__ == "__main__":
    main()

"""pyvmomi and the simulated guest: run a program through
GuestProcessManager and wait for its exit code, list the files it made,
upload and download through the transfer URLs vcsim serves (with urllib,
checking the bytes round-trip), see a wrong guest password refused, and
fetch /screen with the session cookie checking the PNG header's size.
Usage: pyvmomi_guest.py HOST PORT USER PASSWORD VMNAME.
Prints one line per check; exits non-zero on the first failure."""

import ssl
import struct
import sys
import time
import urllib.error
import urllib.request

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

CTX = ssl._create_unverified_context()
# The upload the Rust side reads back from the guest.
UPLOAD = bytes(range(256)) * 4


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def http(url, method="GET", data=None, cookie=None):
    req = urllib.request.Request(url, data=data, method=method)
    if cookie:
        req.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(req, context=CTX) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    host, port, user, pwd, vm_name = sys.argv[1:6]
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                      disableSslCertValidation=True)
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.VirtualMachine], True)
    vm = [v for v in view.view if v.name == vm_name][0]
    gom = content.guestOperationsManager
    pm, fm = gom.processManager, gom.fileManager
    creds = vim.vm.guest.NamePasswordAuthentication(
        username="root", password="vmware")

    spec = vim.vm.guest.ProcessManager.ProgramSpec(
        programPath="/bin/sh", arguments='-c "echo hi > /tmp/x; sleep 1"')
    pid = pm.StartProgramInGuest(vm, creds, spec)
    check(pid > 0, "StartProgramInGuest gives a pid")
    # The sleep runs in simulated time, which follows the wall clock here:
    # poll (bounded) until the process has ended.
    info = None
    for _ in range(100):
        info = pm.ListProcessesInGuest(vm, creds, [pid])[0]
        if info.exitCode is not None:
            break
        time.sleep(0.1)
    check(info.exitCode == 0 and info.endTime is not None,
          "the program exits 0 with an end time")
    check(info.name == "sh" and "echo hi" in info.cmdLine, "its name and cmdLine")

    listing = fm.ListFilesInGuest(vm, creds, "/tmp", matchPattern="^x$")
    names = [(f.path, f.type, f.size) for f in listing.files]
    check(names == [("x", "file", 3)], "ListFilesInGuest finds /tmp/x")

    dl = fm.InitiateFileTransferFromGuest(vm, creds, "/tmp/x")
    status, body = http(dl.url)
    check(status == 200 and body == b"hi\n" and dl.size == 3,
          "download /tmp/x through its URL")

    attrs = vim.vm.guest.FileManager.PosixFileAttributes()
    url = fm.InitiateFileTransferToGuest(
        vm, creds, "/tmp/up.bin", attrs, len(UPLOAD), True)
    status, _ = http(url, "PUT", UPLOAD)
    check(status == 200, "upload through the transfer URL")
    status, _ = http(url, "PUT", UPLOAD)
    check(status == 404, "a transfer URL works once")
    dl = fm.InitiateFileTransferFromGuest(vm, creds, "/tmp/up.bin")
    status, body = http(dl.url)
    check(status == 200 and body == UPLOAD, "the upload round-trips")

    bad = vim.vm.guest.NamePasswordAuthentication(
        username="root", password="wrong")
    try:
        fm.ListFilesInGuest(vm, bad, "/tmp")
        check(False, "a wrong guest password is refused")
    except vim.fault.InvalidGuestLogin:
        check(True, "a wrong guest password is refused")

    status, png = http("https://%s:%s/screen?id=%s&w=320&h=240"
                       % (host, port, vm._moId), cookie=si._stub.cookie)
    check(status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n", "GET /screen")
    w, h = struct.unpack(">II", png[16:24])
    check((w, h) == (320, 240), "the PNG header says 320x240")
    Disconnect(si)
    print("done")


if __name__ == "__main__":
    main()

"""pyvmomi and datastore files: browse a datastore with
SearchDatastoreSubFolders_Task, make a folder with FileManager, upload and
download through /folder with pyvmomi's own session cookie (urllib, as
scripts do), then copy, move and delete with FileManager, checking each step
by browsing again or reading the file back.
Usage: pyvmomi_datastore.py HOST PORT USER PASSWORD VMNAME.
Prints one line per check; exits non-zero on the first failure."""

import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

CTX = ssl._create_unverified_context()


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def http(method, url, cookie, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method)
    if cookie:
        req.add_header("Cookie", cookie)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, context=CTX) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def search(browser, path, patterns=None, sub=False):
    """{folderPath: [(type, name, size)]} of a search."""
    spec = vim.host.DatastoreBrowser.SearchSpec(
        matchPattern=patterns or ["*"],
        details=vim.host.DatastoreBrowser.FileInfo.Details(
            fileType=True, fileSize=True, modification=True),
        query=[])
    if sub:
        task = browser.SearchDatastoreSubFolders_Task(path, spec)
    else:
        task = browser.SearchDatastore_Task(path, spec)
    WaitForTask(task)
    results = task.info.result if sub else [task.info.result]
    return {r.folderPath: [(type(f).__name__, f.path, f.fileSize)
                           for f in (r.file or [])] for r in results}


def names(listing, folder):
    return [n for (_, n, _) in listing.get(folder, [])]


def main():
    host, port, user, pwd, vm_name = sys.argv[1:6]
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                      disableSslCertValidation=True)
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    ds = [d for d in dc.datastore if d.name == "LocalDS_0"][0]
    fm = content.fileManager
    cookie = si._stub.cookie

    # Browse: one result per folder, the VM's folder with its typed files.
    listing = search(ds.browser, "[LocalDS_0]", sub=True)
    check("[LocalDS_0]" in listing, "a result for the datastore's root")
    vm_folder = "[LocalDS_0] " + vm_name
    check(vm_folder in listing, "a result for the VM's folder")
    types = dict((n, t) for (t, n, _) in listing[vm_folder])
    check(types.get(vm_name + ".vmx") == "vim.host.DatastoreBrowser.VmConfigInfo",
          "the .vmx is a VmConfigFileInfo (%s)" % types.get(vm_name + ".vmx"))
    check(types.get(vm_name + ".vmdk") == "vim.host.DatastoreBrowser.VmDiskInfo",
          "the .vmdk is a VmDiskFileInfo")
    isos = search(ds.browser, "[LocalDS_0] iso", ["*.iso"])
    check(sorted(names(isos, "[LocalDS_0] iso")) == ["a.iso", "b.iso", "ubuntu.iso"],
          "the seeded ISOs match *.iso")

    # A folder, then an upload into it through /folder with the cookie.
    fm.MakeDirectory("[LocalDS_0] upload/sub", dc, True)
    check("sub" in names(search(ds.browser, "[LocalDS_0] upload"), "[LocalDS_0] upload"),
          "MakeDirectory made upload/sub")
    q = urllib.parse.urlencode({"dcPath": dc.name, "dsName": ds.name})
    base = "https://%s:%s/folder/" % (host, port)
    url = base + "upload/sub/hello.txt?" + q
    body = b"hello from pyvmomi\n" * 1000
    status, _ = http("PUT", url, cookie, body)
    check(status == 201, "PUT /folder creates the file (%d)" % status)
    status, got = http("GET", url, cookie)
    check(status == 200 and got == body, "GET /folder reads it back")
    status, got = http("GET", url, cookie, headers={"Range": "bytes=6-9"})
    check(status == 206 and got == b"from", "GET with Range: 206")
    status, _ = http("GET", url, None)
    check(status == 401, "no cookie: 401")
    status, _ = http("PUT", base + "nowhere/x.txt?" + q, cookie, b"x")
    check(status == 404, "PUT into a missing folder: 404")
    found = search(ds.browser, "[LocalDS_0] upload/sub", ["*.txt"])
    check(found.get("[LocalDS_0] upload/sub") ==
          [("vim.host.DatastoreBrowser.FileInfo", "hello.txt", len(body))],
          "the browser sees the upload with its size")

    # Copy, move, delete with FileManager.
    WaitForTask(fm.CopyDatastoreFile_Task(
        "[LocalDS_0] upload/sub/hello.txt", dc, "[LocalDS_0] upload/copy.txt", dc, False))
    status, got = http("GET", base + "upload/copy.txt?" + q, cookie)
    check(status == 200 and got == body, "the copy has the same bytes")
    try:
        WaitForTask(fm.CopyDatastoreFile_Task(
            "[LocalDS_0] upload/sub/hello.txt", dc, "[LocalDS_0] upload/copy.txt", dc, False))
        check(False, "copying onto an existing file fails")
    except vim.fault.FileAlreadyExists:
        check(True, "copying onto an existing file: FileAlreadyExists")
    WaitForTask(fm.MoveDatastoreFile_Task(
        "[LocalDS_0] upload/copy.txt", dc, "[LocalDS_0] upload/moved.txt", dc, False))
    listed = names(search(ds.browser, "[LocalDS_0] upload"), "[LocalDS_0] upload")
    check("moved.txt" in listed and "copy.txt" not in listed, "the move renamed it")
    WaitForTask(fm.DeleteDatastoreFile_Task("[LocalDS_0] upload", dc))
    status, _ = http("GET", url, cookie)
    check(status == 404, "after deleting the folder its files are gone")
    try:
        WaitForTask(fm.DeleteDatastoreFile_Task("[LocalDS_0] upload", dc))
        check(False, "deleting it again fails")
    except vim.fault.FileNotFound:
        check(True, "deleting it again: FileNotFound")
    try:
        search(ds.browser, "[LocalDS_0] upload")
        check(False, "browsing a deleted folder fails")
    except vim.fault.FileNotFound:
        check(True, "browsing a deleted folder: FileNotFound")
    Disconnect(si)
    print("done")


if __name__ == "__main__":
    main()

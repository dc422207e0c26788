"""pyvmomi and the console: log in with pyvmomi, fetch /screen for a VM
with pyvmomi's own session cookie (as scripts that save screenshots do),
and check the PNG decodes (zlib, the stdlib) to the requested size; without
the cookie the door answers 401, for an unknown VM 404.
Usage: pyvmomi_screen.py HOST PORT USER PASSWORD VMNAME.
Prints one line per check; exits non-zero on the first failure."""

import ssl
import struct
import sys
import urllib.error
import urllib.request
import zlib

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def get(url, cookie):
    ctx = ssl._create_unverified_context()
    req = urllib.request.Request(url)
    if cookie:
        req.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(req, context=ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def decode(png):
    """(width, height, raw scanlines) of an 8-bit RGB PNG."""
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature")
    pos, idat, size = 8, b"", None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            check((depth, colour) == (8, 2), "8-bit RGB")
            size = (w, h)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return size[0], size[1], zlib.decompress(idat)


def main():
    host, port, user, pwd, vm_name = sys.argv[1:6]
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                      disableSslCertValidation=True)
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.VirtualMachine], True)
    vm = [v for v in view.view if v.name == vm_name][0]
    base = "https://%s:%s/screen" % (host, port)
    cookie = si._stub.cookie
    status, png = get("%s?id=%s&w=200&h=150" % (base, vm._moId), cookie)
    check(status == 200, "GET /screen with the session cookie")
    w, h, raw = decode(png)
    check((w, h) == (200, 150), "the PNG is 200x150")
    check(len(raw) == h * (1 + w * 3), "the pixel data decodes in full")
    status, _ = get("%s?id=%s" % (base, vm._moId), None)
    check(status == 401, "no cookie: 401")
    status, _ = get("%s?id=vm-nope" % base, cookie)
    check(status == 404, "unknown VM: 404")
    Disconnect(si)
    print("done")


if __name__ == "__main__":
    main()

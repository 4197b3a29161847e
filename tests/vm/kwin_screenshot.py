#!/usr/bin/env python3
"""Reads KWin's output back into a PNG through KWin's D-Bus screenshot API.

Usage: kwin_screenshot.py OUT.png    (DBUS_SESSION_BUS_ADDRESS: KWin's session bus)

Calls org.kde.KWin.ScreenShot2.CaptureActiveScreen with the write end of a pipe; KWin answers
with the image's width, height, stride and QImage format and writes its raw pixels into the
pipe. KWin serves only authorized clients (a desktop file naming the interface) unless it runs
with KWIN_SCREENSHOT_NO_PERMISSION_CHECKS=1, as the vm suite starts it. KWin offers no Wayland
capture protocol that grim or dmafeed-conform speaks, hence this. Needs PyGObject (Gio).
Exit status: 0 written, 1 failure (the reason on stderr), 2 usage.
"""
import os
import sys
import threading

import gi

from rgb_png import write_png  # beside this script

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

# QImage::Format values KWin uses for screenshots, and where R, G and B are in each 4-byte pixel.
QIMAGE_RGB_OFFSETS = {
    4: (2, 1, 0),   # Format_RGB32: 0xffRRGGBB, little-endian B G R X
    5: (2, 1, 0),   # Format_ARGB32
    6: (2, 1, 0),   # Format_ARGB32_Premultiplied (opaque pixels are unchanged)
    16: (0, 1, 2),  # Format_RGBX8888: R G B X
    17: (0, 1, 2),  # Format_RGBA8888
    18: (0, 1, 2),  # Format_RGBA8888_Premultiplied
}


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    read_end, write_end = os.pipe()
    data = bytearray()

    def drain():   # KWin writes while (or after) it answers: read concurrently, until EOF
        while chunk := os.read(read_end, 1 << 16):
            data.extend(chunk)

    # A daemon: should KWin keep its end open, the main thread stops waiting after 60 s anyway.
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    fds = Gio.UnixFDList()
    fds.append(write_end)   # a duplicate travels with the call
    os.close(write_end)
    try:
        reply, _ = bus.call_with_unix_fd_list_sync(
            "org.kde.KWin", "/org/kde/KWin/ScreenShot2", "org.kde.KWin.ScreenShot2", "CaptureActiveScreen",
            GLib.Variant("(a{sv}h)", ({}, 0)), GLib.VariantType("(a{sv})"), Gio.DBusCallFlags.NONE, 60000, fds, None)
    except GLib.Error as e:
        print(f"kwin_screenshot: CaptureActiveScreen failed: {e.message}", file=sys.stderr)
        return 1
    finally:
        for fd in fds.steal_fds():   # our duplicate: the reader sees EOF once KWin closes its own
            os.close(fd)
    meta = reply.unpack()[0]
    width, height, stride, fmt = (meta.get(k) for k in ("width", "height", "stride", "format"))
    reader.join(60)
    if meta.get("type", "raw") != "raw" or fmt not in QIMAGE_RGB_OFFSETS:
        print(f"kwin_screenshot: an image this script does not read: {meta}", file=sys.stderr)
        return 1
    if len(data) < stride * height:
        print(f"kwin_screenshot: {len(data)} bytes of {stride * height} for {width}x{height}", file=sys.stderr)
        return 1
    r, g, b = QIMAGE_RGB_OFFSETS[fmt]
    rows = []
    for y in range(height):
        row = data[y * stride:y * stride + width * 4]
        out = bytearray(width * 3)
        out[0::3], out[1::3], out[2::3] = row[r::4], row[g::4], row[b::4]
        rows.append(bytes(out))
    write_png(argv[1], width, height, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

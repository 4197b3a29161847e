#!/usr/bin/env python3
"""Reads mutter's output back into a PNG through mutter's screen cast D-Bus API and PipeWire.

Usage: mutter_screencast.py OUT.png    (DBUS_SESSION_BUS_ADDRESS: mutter's session bus;
                                        XDG_RUNTIME_DIR: where PipeWire's socket is)

Calls org.gnome.Mutter.ScreenCast.CreateSession, then RecordMonitor on that session with an empty
connector (mutter's primary monitor, the cursor hidden) and Start; the stream object's
PipeWireStreamAdded signal names the PipeWire node mutter feeds. One frame of that node is read
with GStreamer (pipewiresrc ! videoconvert ! appsink) and written as an 8-bit RGB PNG; then the
session is stopped. A PipeWire daemon and a session manager (wireplumber, which links the two
streams) must run beside mutter, as the vm suite starts them. mutter offers no Wayland capture
protocol that grim or dmafeed-conform speaks, hence this. Needs PyGObject (Gio, Gst).
Exit status: 0 written, 1 failure (the reason on stderr), 2 usage.
"""
import sys

import gi

from rgb_png import write_png  # beside this script

gi.require_version("Gio", "2.0")
gi.require_version("Gst", "1.0")
from gi.repository import Gio, GLib, Gst  # noqa: E402

SERVICE = "org.gnome.Mutter.ScreenCast"
TIMEOUT_S = 30


class Failure(Exception):
    pass


def call(bus, path, interface, method, args, reply_type):
    try:
        return bus.call_sync(SERVICE, path, interface, method, args,
                             GLib.VariantType(reply_type) if reply_type else None,
                             Gio.DBusCallFlags.NONE, TIMEOUT_S * 1000, None)
    except GLib.Error as e:
        raise Failure(f"{interface}.{method} failed: {e.message}") from None


def stop(bus, session):
    """Stops the screen cast; one that closed already is no error of the capture."""
    try:
        call(bus, session, SERVICE + ".Session", "Stop", None, None)
    except Failure as e:
        print(f"mutter_screencast: {e}", file=sys.stderr)


def start_stream(bus):
    """(session path, PipeWire node id) of a running screen cast of the primary monitor."""
    session = call(bus, "/org/gnome/Mutter/ScreenCast", SERVICE, "CreateSession",
                   GLib.Variant("(a{sv})", ({},)), "(o)").unpack()[0]
    stream = call(bus, session, SERVICE + ".Session", "RecordMonitor",
                  GLib.Variant("(sa{sv})", ("", {"cursor-mode": GLib.Variant("u", 0)})), "(o)").unpack()[0]
    loop = GLib.MainLoop()
    node = []

    def on_added(_bus, _sender, _path, _interface, _signal, params):
        node.append(params.unpack()[0])
        loop.quit()

    bus.signal_subscribe(SERVICE, SERVICE + ".Stream", "PipeWireStreamAdded", stream, None,
                         Gio.DBusSignalFlags.NONE, on_added)
    call(bus, session, SERVICE + ".Session", "Start", None, None)
    GLib.timeout_add_seconds(TIMEOUT_S, loop.quit)
    loop.run()
    if not node:
        stop(bus, session)
        raise Failure(f"no PipeWireStreamAdded from {stream} within {TIMEOUT_S} s")
    return session, node[0]


def read_frame(node):
    """(width, height, RGBx bytes) of one frame of PipeWire node `node`."""
    Gst.init(None)
    # path: the node's id (target-object wants its serial or name, which mutter does not say).
    pipeline = Gst.parse_launch(f"pipewiresrc path={node} always-copy=true ! videoconvert ! "
                                "video/x-raw,format=RGBx ! appsink name=sink sync=false max-buffers=1")
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        sample = sink.emit("try-pull-sample", TIMEOUT_S * Gst.SECOND)
        if sample is None:
            message = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            reason = message.parse_error()[0].message if message else f"no frame within {TIMEOUT_S} s"
            raise Failure(f"pipewiresrc path={node}: {reason}")
        caps = sample.get_caps().get_structure(0)
        width, height = caps.get_value("width"), caps.get_value("height")
        buffer = sample.get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        if not ok:
            raise Failure("cannot map the frame")
        data = bytes(info.data)
        buffer.unmap(info)
    finally:
        pipeline.set_state(Gst.State.NULL)
    if len(data) < width * height * 4:
        raise Failure(f"{len(data)} bytes for a {width}x{height} RGBx frame")
    return width, height, data


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        session, node = start_stream(bus)
        try:
            width, height, data = read_frame(node)
        finally:
            stop(bus, session)
    except (Failure, GLib.Error) as e:
        print(f"mutter_screencast: {e}", file=sys.stderr)
        return 1
    stride = width * 4
    rows = []
    for y in range(height):
        row = data[y * stride:y * stride + stride]
        out = bytearray(width * 3)
        out[0::3], out[1::3], out[2::3] = row[0::4], row[1::4], row[2::4]
        rows.append(bytes(out))
    write_png(argv[1], width, height, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

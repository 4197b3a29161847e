"""An 8-bit RGB PNG from rows of pixels, with the standard library alone: what the vm suite's
capture scripts (kwin_screenshot.py, mutter_screencast.py) write their captures as."""
import struct
import zlib


def write_png(path, width, height, rows):
    """Writes `rows` (height of them, bytes of width*3 each: R, G, B) to `path` as a PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + row for row in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

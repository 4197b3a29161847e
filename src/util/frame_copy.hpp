// The copy of frame bytes into a buffer's mapping (a Y4M frame from the input file's mapping, a
// CPU-drawn frame's rows), the one copy per frame that CPU-filled buffers cost.
#pragma once

#include <cstddef>

namespace dmafeed {

// Copies `size` bytes from `src` to `dst` (which do not overlap), as memcpy does, at the same speed
// wherever `src` sits relative to `dst`.
//
// Why not memcpy: a Y4M frame's data follows its "FRAME" line, so it sits at an odd offset in the
// file, while the plane it goes to is page-aligned. glibc picks its memcpy by CPU model; on one it
// does not know to have fast unaligned loads (the rig's emulated "QEMU TCG CPU", measured) it takes
// the SSSE3 variant, which realigns the source with PALIGNR: 500-640 MB/s there from an odd
// offset, against 800-890 MB/s for this loop (and for memcpy between aligned buffers). On x86-64
// this is 16-byte unaligned loads and aligned stores (SSE2, part of the baseline); elsewhere memcpy.
void copy_frame_bytes(void* dst, const void* src, size_t size) noexcept;

}  // namespace dmafeed

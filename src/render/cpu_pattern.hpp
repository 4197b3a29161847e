// CPU test patterns, drawn in place: the pixels of a sources::PatternFrame that differ from what
// the buffer holds are computed (sources::pattern_pixel), packed (pixels::Packer) and written
// straight into the buffer's kept CPU mappings (Buffer::write_region). No frame-sized copy and no
// GPU work: on a Vulkan device that is the CPU (lavapipe) this is the compute shader's work
// without the dispatch, the shader build and the fence; and it is how buffers that have no
// Vulkan image (a GBM bo on a display-only driver) get partial redraws.
//
// Each rectangle is widened to whole chroma blocks first, so that a subsampled texel is always
// packed from all the pixels it covers: the bytes are those a full PatternSource::render gives.
// A pattern of 10-bit codes (pq-ramp) is drawn through them (sources::fill_pattern_10bit and the
// Packer's 10-bit path), into the formats that keep them only (sources::check_pattern_format).
#pragma once

#include "alloc/buffer.hpp"
#include "pixels/color.hpp"
#include "pixels/packer.hpp"
#include "sources/pattern.hpp"
#include "util/result.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dmafeed::render {

class CpuPatternDrawer {
public:
    // Why `buffer` cannot be drawn on the CPU; empty when it can (LINEAR, and a format the packer knows).
    static std::string cannot_draw(const Buffer& buffer);

    // Draws `frame` (the buffer's size) into `buffer`: only `regions` when given (the buffer shows
    // a frame that differs from `frame` only there), else all of it. Errors: a frame of another
    // size, a format that cannot show the pattern (sources::check_pattern_format).
    Result<void> draw(const Buffer& buffer, const sources::PatternFrame& frame, pixels::YuvEncoding encoding,
                      std::optional<std::span<const PixelRect>> regions = std::nullopt);

private:
    // Packers by region size and encoding, kept: a moving box's regions keep their size.
    struct CachedPacker {
        DrmFormat format;
        uint32_t width = 0, height = 0;
        pixels::YuvEncoding encoding;
        pixels::Packer packer;
    };
    std::vector<CachedPacker> packers_;
    pixels::RgbImage scratch_;
    pixels::Rgb10Image scratch_10bit_;
};

// `rect` widened to multiples of `hsub` x `vsub` (its far edges may stop at the image's edge),
// clipped to width x height. Empty (width 0) when it lies outside.
PixelRect align_to_blocks(PixelRect rect, uint32_t hsub, uint32_t vsub, uint32_t width, uint32_t height) noexcept;

}  // namespace dmafeed::render

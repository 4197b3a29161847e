// Test patterns as CPU pixels, packed into any 8-bit RGB or YUV format of the format table.
//
// Interim: the `dmafeed` CLI's patterns are rendered here on the CPU and uploaded (one copy per
// frame through the Vulkan staging buffer, or written through a CPU mapping). GPU rendering
// straight into the exported image is the next step (see the README's roadmap).
//
// Every pattern but `solid` carries a frame stamp in its top 8 rows: 64 cells across the width,
// white for 1 and black for 0, most significant bit first: the frame number (32 bits), then the
// time in milliseconds since the first frame (32 bits). A capture tells which frame it shows
// (decode_stamp).
#pragma once

#include "drm/format.hpp"
#include "sources/packer.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmafeed::sources {

enum class PatternKind { smpte, ramp, checker, moving_box, solid };

struct PatternSpec {
    PatternKind kind = PatternKind::smpte;
    Rgb colour;  // solid
    // "smpte", "ramp", "checker", "moving-box", "solid:RRGGBB" (hex). The error lists the choices.
    static Result<PatternSpec> parse(std::string_view text);
    std::string to_string() const;
};

class PatternSource {
public:
    static Result<PatternSource> create(const PatternSpec& spec, DrmFormat format, uint32_t width, uint32_t height);
    // Frame `frame`, `time_ms` after the first: the planes stay valid until the next render().
    std::vector<PlanePixels> render(uint64_t frame, uint64_t time_ms);
    const RgbImage& image() const noexcept { return image_; }

private:
    PatternSource(PatternSpec spec, Packer packer, RgbImage image)
        : spec_{spec}, packer_{std::move(packer)}, image_{std::move(image)}
    {
    }
    PatternSpec spec_;
    Packer packer_;
    RgbImage image_;
};

// Rows 0..7 of a pattern hold the stamp; nullopt when the cells are not clearly black or white.
struct Stamp {
    uint32_t frame = 0;
    uint32_t time_ms = 0;
};
void draw_stamp(RgbImage& image, Stamp stamp);
std::optional<Stamp> decode_stamp(const RgbImage& image);

}  // namespace dmafeed::sources

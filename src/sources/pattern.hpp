// Test patterns, pixel by pixel: a PatternFrame is everything that makes one frame, and
// pattern_pixel() its colour at (x, y) in integer arithmetic. The GPU renderer
// (src/render/pattern.comp) evaluates the same function in a compute shader straight into the
// exported image; PatternSource draws it on the CPU (for buffers the GPU cannot write, and as the
// reference the GPU output is compared with) and packs it into any format the Packer fills.
//
// Every pattern but `solid` carries a frame stamp in its top 8 rows: 64 cells across the width,
// white for 1 and black for 0, most significant bit first: the frame number (32 bits), then the
// time in milliseconds since the first frame (32 bits). A capture tells which frame it shows
// (decode_stamp).
#pragma once

#include "drm/format.hpp"
#include "pixels/packer.hpp"
#include "util/rect.hpp"
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
    pixels::Rgb colour;  // solid
    // "smpte", "ramp", "checker", "moving-box", "solid:RRGGBB" (hex). The error lists the choices.
    static Result<PatternSpec> parse(std::string_view text);
    std::string to_string() const;
};

// One frame of a pattern. Per-frame quantities (the box position, the checker phase, the stamp)
// are worked out here once, so that a pixel needs only 32-bit integer arithmetic.
struct PatternFrame {
    PatternKind kind = PatternKind::smpte;
    pixels::Rgb colour;  // solid
    uint32_t width = 0, height = 0;
    uint32_t box_x = 0, box_y = 0, box_size = 0;  // moving-box
    uint32_t checker_phase = 0;                   // 0 or 1: which squares are white
    bool stamped = false;                         // every kind but solid
    uint32_t stamp_frame = 0, stamp_time_ms = 0;
};
PatternFrame pattern_frame(const PatternSpec& spec, uint32_t width, uint32_t height, uint64_t frame, uint64_t time_ms);
pixels::Rgb pattern_pixel(const PatternFrame& frame, uint32_t x, uint32_t y) noexcept;
// Whether rows `y` and `y - 1` (y >= 1) have the same pixels at every x: a row can then be
// copied instead of computed. Rows differ only at the stamp's edge, a checker square's edge and
// the box's top and bottom.
bool pattern_row_repeats(const PatternFrame& frame, uint32_t y) noexcept;
// Every pixel of `rows` rows from row `y0`, columns x0 .. x0 + image.width - 1, into `image`
// (rows 0 .. rows - 1), a row computed only where it does not repeat the one above.
void fill_pattern(const PatternFrame& frame, uint32_t x0, uint32_t y0, pixels::RgbImage& image);

using dmafeed::PixelRect;
// The pixels where `after` differs from `before` (a buffer that shows `before` needs only these
// redrawn to show `after`): the band of stamp cells that differ in each stamp word, the parts of
// the box's old place that it left and of its new place that it was not in (rectangles that
// overlap only where the box crosses the stamp rows), or everything when the pattern, its size or
// the checker phase changed. Empty: nothing changed.
std::vector<PixelRect> pattern_changes(const PatternFrame& before, const PatternFrame& after);

class PatternSource {
public:
    static Result<PatternSource> create(const PatternSpec& spec, DrmFormat format, uint32_t width, uint32_t height,
                                        pixels::YuvEncoding encoding = {});
    // Frame `frame`, `time_ms` after the first: the planes stay valid until the next render().
    std::vector<PlanePixels> render(uint64_t frame, uint64_t time_ms);
    const pixels::RgbImage& image() const noexcept { return image_; }

private:
    PatternSource(PatternSpec spec, pixels::Packer packer, pixels::RgbImage image)
        : spec_{spec}, packer_{std::move(packer)}, image_{std::move(image)}
    {
    }
    PatternSpec spec_;
    pixels::Packer packer_;
    pixels::RgbImage image_;
};

// Rows 0..7 of a pattern hold the stamp; nullopt when the cells are not clearly black or white.
struct Stamp {
    uint32_t frame = 0;
    uint32_t time_ms = 0;
};
void draw_stamp(pixels::RgbImage& image, Stamp stamp);
std::optional<Stamp> decode_stamp(const pixels::RgbImage& image);

}  // namespace dmafeed::sources

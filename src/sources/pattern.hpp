// Test patterns, pixel by pixel: a PatternFrame is everything that makes one frame, and
// pattern_pixel() its colour at (x, y) in integer arithmetic. The GPU renderer
// (src/render/pattern.comp) evaluates the same function in a compute shader straight into the
// exported image; PatternSource draws it on the CPU (for buffers the GPU cannot write, and as the
// reference the GPU output is compared with) and packs it into any format the Packer fills.
//
// Every pattern but `solid` and `pq-ramp` carries a frame stamp in its top 8 rows: 64 cells across
// the width, white for 1 and black for 0, most significant bit first: the frame number (32 bits),
// then the time in milliseconds since the first frame (32 bits). A capture tells which frame it
// shows (decode_stamp).
//
// `pq-ramp` is an HDR test pattern for buffers declared as PQ (SMPTE ST 2084): ten grey bars from
// left to right, bar i covering the pixels x with x * 10 / width == i, over the whole height, each
// at a known luminance L whose 10-bit full-range code is round(1023 * PQ^-1(L)) (pixels/transfer.hpp):
//
//      L (cd/m²)   PQ signal   10-bit code   half float (code / 1023)
//          0       0.0000007        0           0x0000
//          0.1     0.0623          64           0x2c01
//          1       0.1499         153           0x30c9
//         10       0.2997         307           0x34cd
//        100       0.5081         520           0x3811
//        203       0.5807         594           0x38a5   (BT.2408's HDR reference white)
//        400       0.6526         668           0x3939
//       1000       0.7518         769           0x3a04
//       4000       0.9026         923           0x3b38
//      10000       1.0000        1023           0x3c00
//
// Those codes are what the buffer holds, bit-exact, in R, G and B: as they are in the 10-bit RGB
// formats (XRGB2101010, ARGB2101010, XBGR2101010, ABGR2101010), as the half float nearest to
// code / 1023 in the half-float ones (XRGB16161616F family), as round(code * 65535 / 1023) in 16-bit
// unorm ones (pixels::keeps_10_bit_rgb). An 8-bit or YUV format cannot hold them: that is an error
// (check_pattern_format) naming the formats that can. The pattern is static and unstamped (a
// measured bar in every row), so it is drawn on the CPU (fill_pattern_10bit, then the Packer's
// 10-bit path) for every allocator: the GPU shader writes 8-bit formats only and refuses it.
#pragma once

#include "drm/format.hpp"
#include "pixels/packer.hpp"
#include "util/rect.hpp"
#include "util/result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmafeed::sources {

enum class PatternKind { smpte, ramp, checker, moving_box, solid, pq_ramp };

// pq-ramp's bars, left to right (the table above). pattern_test checks the codes against
// pixels::pq_inverse_eotf.
struct PqStep {
    double luminance = 0;  // cd/m²
    uint16_t code = 0;     // round(1023 * PQ^-1(luminance))
};
inline constexpr std::array<PqStep, 10> pq_ramp_steps{{{0, 0},
                                                       {0.1, 64},
                                                       {1, 153},
                                                       {10, 307},
                                                       {100, 520},
                                                       {203, 594},
                                                       {400, 668},
                                                       {1000, 769},
                                                       {4000, 923},
                                                       {10000, 1023}}};

struct PatternSpec {
    PatternKind kind = PatternKind::smpte;
    pixels::Rgb colour;  // solid
    // "smpte", "ramp", "checker", "moving-box", "pq-ramp", "solid:RRGGBB" (hex). The error lists
    // the choices.
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
    bool stamped = false;                         // every kind but solid and pq-ramp
    uint32_t stamp_frame = 0, stamp_time_ms = 0;
};
PatternFrame pattern_frame(const PatternSpec& spec, uint32_t width, uint32_t height, uint64_t frame, uint64_t time_ms);
// The colour at (x, y) in 8 bits; pq-ramp's is the 8-bit grey nearest to its code (round(code * 255
// / 1023)), a picture of it for previews, never what a buffer gets.
pixels::Rgb pattern_pixel(const PatternFrame& frame, uint32_t x, uint32_t y) noexcept;

// Whether a pattern's values need more than 8 bits (pq-ramp): it is drawn with fill_pattern_10bit.
bool needs_10_bits(PatternKind kind) noexcept;
// An error when `format` cannot show `kind`: pq-ramp in a format that does not keep 10-bit RGB
// (pixels::keeps_10_bit_rgb), naming the formats that do.
Result<void> check_pattern_format(PatternKind kind, DrmFormat format);
// The colour at (x, y) as 10-bit codes: pq-ramp's exact codes; other kinds' 8-bit colours scaled
// (round(v * 1023 / 255)).
pixels::Rgb10 pattern_pixel_10bit(const PatternFrame& frame, uint32_t x, uint32_t y) noexcept;
// Whether rows `y` and `y - 1` (y >= 1) have the same pixels at every x: a row can then be
// copied instead of computed. Rows differ only at the stamp's edge, a checker square's edge and
// the box's top and bottom.
bool pattern_row_repeats(const PatternFrame& frame, uint32_t y) noexcept;
// Every pixel of `rows` rows from row `y0`, columns x0 .. x0 + image.width - 1, into `image`
// (rows 0 .. rows - 1), a row computed only where it does not repeat the one above.
void fill_pattern(const PatternFrame& frame, uint32_t x0, uint32_t y0, pixels::RgbImage& image);
// The same in 10-bit codes (pattern_pixel_10bit).
void fill_pattern_10bit(const PatternFrame& frame, uint32_t x0, uint32_t y0, pixels::Rgb10Image& image);

using dmafeed::PixelRect;
// The pixels where `after` differs from `before` (a buffer that shows `before` needs only these
// redrawn to show `after`): the band of stamp cells that differ in each stamp word, the parts of
// the box's old place that it left and of its new place that it was not in (rectangles that
// overlap only where the box crosses the stamp rows), or everything when the pattern, its size or
// the checker phase changed. Empty: nothing changed.
std::vector<PixelRect> pattern_changes(const PatternFrame& before, const PatternFrame& after);

class PatternSource {
public:
    // Errors: a format the Packer does not fill, or one that cannot show the pattern
    // (check_pattern_format).
    static Result<PatternSource> create(const PatternSpec& spec, DrmFormat format, uint32_t width, uint32_t height,
                                        pixels::YuvEncoding encoding = {});
    // Frame `frame`, `time_ms` after the first: the planes stay valid until the next render().
    // pq-ramp's are packed from 10-bit codes.
    std::vector<PlanePixels> render(uint64_t frame, uint64_t time_ms);
    // The last frame in 8 bits (pattern_pixel).
    const pixels::RgbImage& image() const noexcept { return image_; }

private:
    PatternSource(PatternSpec spec, pixels::Packer packer, pixels::RgbImage image, pixels::Rgb10Image wide)
        : spec_{spec}, packer_{std::move(packer)}, image_{std::move(image)}, wide_{std::move(wide)}
    {
    }
    PatternSpec spec_;
    pixels::Packer packer_;
    pixels::RgbImage image_;
    pixels::Rgb10Image wide_;  // needs_10_bits: the frame in 10-bit codes; otherwise empty
};

// Rows 0..7 of a pattern hold the stamp; nullopt when the cells are not clearly black or white.
struct Stamp {
    uint32_t frame = 0;
    uint32_t time_ms = 0;
};
void draw_stamp(pixels::RgbImage& image, Stamp stamp);
std::optional<Stamp> decode_stamp(const pixels::RgbImage& image);

}  // namespace dmafeed::sources

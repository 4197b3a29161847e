#include "sources/pattern.hpp"

#include "pixels/texel.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <drm_fourcc.h>

namespace dmafeed::sources {

using pixels::Rgb;
using pixels::RgbImage;

namespace {

constexpr uint32_t stamp_rows = 8;
constexpr uint32_t stamp_bits = 64;

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// pq-ramp's code at column x: bar x * 10 / width.
uint32_t pq_ramp_code(const PatternFrame& f, uint32_t x) noexcept
{
    const size_t bar = std::min<size_t>(size_t{x} * pq_ramp_steps.size() / f.width, pq_ramp_steps.size() - 1);
    return pq_ramp_steps[bar].code;
}

// SMPTE-like colour bars (75%): white, yellow, cyan, green, magenta, red, blue.
constexpr std::array<Rgb, 7> bars{Rgb{191, 191, 191}, Rgb{191, 191, 0}, Rgb{0, 191, 191}, Rgb{0, 191, 0},
                                  Rgb{191, 0, 191},   Rgb{191, 0, 0},   Rgb{0, 0, 191}};

}  // namespace

Result<PatternSpec> PatternSpec::parse(std::string_view text)
{
    const std::string choices = "smpte, ramp, checker, moving-box, pq-ramp or solid:RRGGBB";
    if (text == "smpte") return PatternSpec{PatternKind::smpte, {}};
    if (text == "pq-ramp") return PatternSpec{PatternKind::pq_ramp, {}};
    if (text == "ramp") return PatternSpec{PatternKind::ramp, {}};
    if (text == "checker") return PatternSpec{PatternKind::checker, {}};
    if (text == "moving-box") return PatternSpec{PatternKind::moving_box, {}};
    if (text.starts_with("solid:")) {
        const std::string_view hex = text.substr(6);
        std::array<int, 6> d{};
        bool ok = hex.size() == 6;
        for (size_t i = 0; ok && i < 6; ++i) ok = (d[i] = hex_digit(hex[i])) >= 0;
        if (!ok) {
            return Error{"pattern '" + std::string{text} + "': the colour must be 6 hex digits RRGGBB, e.g. solid:ff8000"};
        }
        return PatternSpec{PatternKind::solid, Rgb{static_cast<uint8_t>(d[0] * 16 + d[1]),
                                                   static_cast<uint8_t>(d[2] * 16 + d[3]),
                                                   static_cast<uint8_t>(d[4] * 16 + d[5])}};
    }
    return Error{"unknown pattern '" + std::string{text} + "': use " + choices};
}

std::string PatternSpec::to_string() const
{
    switch (kind) {
    case PatternKind::smpte: return "smpte";
    case PatternKind::ramp: return "ramp";
    case PatternKind::checker: return "checker";
    case PatternKind::moving_box: return "moving-box";
    case PatternKind::pq_ramp: return "pq-ramp";
    case PatternKind::solid: {
        char s[16];
        std::snprintf(s, sizeof s, "solid:%02x%02x%02x", colour.r, colour.g, colour.b);
        return s;
    }
    }
    return "?";
}

Result<PatternSource> PatternSource::create(const PatternSpec& spec, DrmFormat format, uint32_t width, uint32_t height,
                                           pixels::YuvEncoding encoding)
{
    if (width == 0 || height == 0) return Error{"a pattern needs a non-zero size"};
    if (auto fits = check_pattern_format(spec.kind, format); !fits) return std::move(fits).error();
    auto packer = pixels::Packer::create(format, width, height, encoding);
    if (!packer) return std::move(packer).error();
    RgbImage image{width, height, std::vector<uint8_t>(size_t{width} * height * 3)};
    pixels::Rgb10Image wide;
    if (needs_10_bits(spec.kind)) wide = {width, height, std::vector<uint16_t>(size_t{width} * height * 3)};
    return PatternSource{spec, std::move(*packer), std::move(image), std::move(wide)};
}

PatternFrame pattern_frame(const PatternSpec& spec, uint32_t w, uint32_t h, uint64_t frame, uint64_t time_ms)
{
    PatternFrame f{.kind = spec.kind, .colour = spec.colour, .width = w, .height = h};
    if (spec.kind == PatternKind::moving_box) {
        // Bounces across at 4 pixels a frame and down at 2.
        const uint32_t box = std::max(1U, std::min(w, h) / 4);
        const uint64_t span_x = w > box ? w - box : 1, span_y = h > box ? h - box : 1;
        const uint64_t tx = frame * 4, ty = frame * 2;
        f.box_size = box;
        f.box_x = static_cast<uint32_t>(tx % (2 * span_x) < span_x ? tx % span_x : span_x - tx % span_x);
        f.box_y = static_cast<uint32_t>(ty % (2 * span_y) < span_y ? ty % span_y : span_y - ty % span_y);
    }
    f.checker_phase = static_cast<uint32_t>(frame / 30 % 2);
    f.stamped = spec.kind != PatternKind::solid && spec.kind != PatternKind::pq_ramp;
    f.stamp_frame = static_cast<uint32_t>(frame);
    f.stamp_time_ms = static_cast<uint32_t>(time_ms);
    return f;
}

Rgb pattern_pixel(const PatternFrame& f, uint32_t x, uint32_t y) noexcept
{
    if (f.stamped && y < stamp_rows) {
        const uint32_t cell = static_cast<uint32_t>(uint64_t{x} * stamp_bits / f.width);
        const uint32_t word = cell < 32 ? f.stamp_frame : f.stamp_time_ms;
        const bool one = (word >> (31 - cell % 32)) & 1U;
        return one ? Rgb{255, 255, 255} : Rgb{0, 0, 0};
    }
    switch (f.kind) {
    case PatternKind::smpte: return bars[std::min<size_t>(size_t{x} * bars.size() / f.width, bars.size() - 1)];
    case PatternKind::ramp: {
        const auto v = static_cast<uint8_t>(f.width > 1 ? x * 255 / (f.width - 1) : 0);
        return {v, v, v};
    }
    case PatternKind::checker: {
        const bool white = ((x / 16) + (y / 16) + f.checker_phase) % 2 == 0;
        return white ? Rgb{235, 235, 235} : Rgb{16, 16, 16};
    }
    case PatternKind::moving_box: {
        const bool inside = x >= f.box_x && x < f.box_x + f.box_size && y >= f.box_y && y < f.box_y + f.box_size;
        return inside ? Rgb{240, 200, 40} : Rgb{20, 40, 90};
    }
    case PatternKind::solid: return f.colour;
    case PatternKind::pq_ramp: {
        const uint32_t code = pq_ramp_code(f, x);
        const auto v = static_cast<uint8_t>((code * 255 + 511) / 1023);
        return {v, v, v};
    }
    }
    return f.colour;
}

bool needs_10_bits(PatternKind kind) noexcept { return kind == PatternKind::pq_ramp; }

Result<void> check_pattern_format(PatternKind kind, DrmFormat format)
{
    if (!needs_10_bits(kind) || pixels::keeps_10_bit_rgb(format)) return {};
    const PatternSpec spec{kind, {}};
    return Error{"the " + spec.to_string() + " pattern's 10-bit codes cannot be written into " + name(format) +
                 " (an 8-bit or YUV format would change them): use one of " + pixels::formats_keeping_10_bit_rgb()};
}

pixels::Rgb10 pattern_pixel_10bit(const PatternFrame& f, uint32_t x, uint32_t y) noexcept
{
    if (f.kind == PatternKind::pq_ramp) {
        const auto code = static_cast<uint16_t>(pq_ramp_code(f, x));
        return {code, code, code};
    }
    const Rgb c = pattern_pixel(f, x, y);
    const auto scale = [](uint8_t v) { return static_cast<uint16_t>(pixels::scale_unorm(v, 10)); };
    return {scale(c.r), scale(c.g), scale(c.b)};
}

bool pattern_row_repeats(const PatternFrame& f, uint32_t y) noexcept
{
    if (y == 0) return false;
    if (f.stamped && y <= stamp_rows) return y < stamp_rows;  // within the stamp; its last row and the next differ
    switch (f.kind) {
    case PatternKind::checker: return y % 16 != 0;
    case PatternKind::moving_box: return y != f.box_y && y != f.box_y + f.box_size;
    case PatternKind::smpte:
    case PatternKind::ramp:
    case PatternKind::solid:
    case PatternKind::pq_ramp: return true;
    }
    return false;
}

void fill_pattern(const PatternFrame& f, uint32_t x0, uint32_t y0, RgbImage& image)
{
    const size_t row_bytes = size_t{image.width} * 3;
    for (uint32_t y = 0; y < image.height; ++y) {
        if (y > 0 && pattern_row_repeats(f, y0 + y)) {
            std::memcpy(image.rgb.data() + y * row_bytes, image.rgb.data() + (y - 1) * row_bytes, row_bytes);
            continue;
        }
        for (uint32_t x = 0; x < image.width; ++x) image.set(x, y, pattern_pixel(f, x0 + x, y0 + y));
    }
}

void fill_pattern_10bit(const PatternFrame& f, uint32_t x0, uint32_t y0, pixels::Rgb10Image& image)
{
    const size_t row_values = size_t{image.width} * 3;
    for (uint32_t y = 0; y < image.height; ++y) {
        if (y > 0 && pattern_row_repeats(f, y0 + y)) {
            std::copy_n(image.rgb.begin() + static_cast<ptrdiff_t>((y - 1) * row_values), row_values,
                        image.rgb.begin() + static_cast<ptrdiff_t>(y * row_values));
            continue;
        }
        for (uint32_t x = 0; x < image.width; ++x) image.set(x, y, pattern_pixel_10bit(f, x0 + x, y0 + y));
    }
}

namespace {

// The parts of `a` outside `b`: the bands of `a` above and below `b`, then those left and right
// of it between them. Empty ones are left out.
void append_difference(std::vector<PixelRect>& out, PixelRect a, PixelRect b)
{
    const uint64_t a_right = uint64_t{a.x} + a.width, a_bottom = uint64_t{a.y} + a.height;
    const uint64_t b_right = uint64_t{b.x} + b.width, b_bottom = uint64_t{b.y} + b.height;
    if (b.x >= a_right || b_right <= a.x || b.y >= a_bottom || b_bottom <= a.y) {  // apart
        out.push_back(a);
        return;
    }
    const auto add = [&](uint64_t x0, uint64_t y0, uint64_t x1, uint64_t y1) {
        if (x1 > x0 && y1 > y0) {
            out.push_back({static_cast<uint32_t>(x0), static_cast<uint32_t>(y0), static_cast<uint32_t>(x1 - x0),
                           static_cast<uint32_t>(y1 - y0)});
        }
    };
    const uint64_t mid_top = std::max<uint64_t>(a.y, b.y), mid_bottom = std::min(a_bottom, b_bottom);
    add(a.x, a.y, a_right, mid_top);                        // above b
    add(a.x, mid_bottom, a_right, a_bottom);                // below b
    add(a.x, mid_top, std::max<uint64_t>(a.x, b.x), mid_bottom);  // left of b
    add(std::min(a_right, b_right), mid_top, a_right, mid_bottom);  // right of b
}

// The stamp cells of one 32-bit word (cells first .. first + 31, most significant bit first) that
// differ between `a` and `b`, as one band of the stamp rows.
void append_stamp_word(std::vector<PixelRect>& out, uint32_t a, uint32_t b, uint32_t first, uint32_t width, uint32_t rows)
{
    const uint32_t diff = a ^ b;
    if (!diff) return;
    const uint32_t first_cell = first + static_cast<uint32_t>(std::countl_zero(diff));
    const uint32_t last_cell = first + 31 - static_cast<uint32_t>(std::countr_zero(diff));
    // Cell c holds the pixels x with x * stamp_bits / width == c.
    const auto cell_start = [&](uint32_t c) { return static_cast<uint32_t>((uint64_t{c} * width + stamp_bits - 1) / stamp_bits); };
    const uint32_t x0 = cell_start(first_cell), x1 = cell_start(last_cell + 1);
    if (x1 > x0) out.push_back({x0, 0, x1 - x0, rows});
}

}  // namespace

std::vector<PixelRect> pattern_changes(const PatternFrame& a, const PatternFrame& b)
{
    const PixelRect full{0, 0, b.width, b.height};
    if (a.kind != b.kind || a.width != b.width || a.height != b.height || !(a.colour == b.colour) ||
        a.stamped != b.stamped || a.box_size != b.box_size) {
        return {full};
    }
    if (b.kind == PatternKind::checker && a.checker_phase != b.checker_phase) return {full};
    std::vector<PixelRect> out;
    if (b.stamped) {
        const uint32_t rows = std::min(stamp_rows, b.height);
        append_stamp_word(out, a.stamp_frame, b.stamp_frame, 0, b.width, rows);
        append_stamp_word(out, a.stamp_time_ms, b.stamp_time_ms, 32, b.width, rows);
    }
    if (b.kind == PatternKind::moving_box && (a.box_x != b.box_x || a.box_y != b.box_y)) {
        const auto clip = [&](uint32_t x, uint32_t y) {
            return PixelRect{x, y, std::min(b.box_size, b.width - x), std::min(b.box_size, b.height - y)};
        };
        // Where the box was and is not (now background), and where it is and was not.
        append_difference(out, clip(a.box_x, a.box_y), clip(b.box_x, b.box_y));
        append_difference(out, clip(b.box_x, b.box_y), clip(a.box_x, a.box_y));
    }
    return out;
}

std::vector<PlanePixels> PatternSource::render(uint64_t frame, uint64_t time_ms)
{
    RgbImage& im = image_;
    const PatternFrame f = pattern_frame(spec_, im.width, im.height, frame, time_ms);
    fill_pattern(f, 0, 0, im);
    if (needs_10_bits(spec_.kind)) {
        fill_pattern_10bit(f, 0, 0, wide_);
        // Cannot fail: create() checked that the format keeps 10-bit codes, and wide_ is the packer's size.
        (void)packer_.pack(wide_);
    } else {
        packer_.pack(im);
    }
    return packer_.planes();
}

void draw_stamp(RgbImage& image, Stamp stamp)
{
    const uint64_t bits = (uint64_t{stamp.frame} << 32U) | stamp.time_ms;
    const uint32_t rows = std::min(stamp_rows, image.height);
    for (uint32_t x = 0; x < image.width; ++x) {
        const uint32_t cell = static_cast<uint32_t>(uint64_t{x} * stamp_bits / image.width);
        const bool one = (bits >> (stamp_bits - 1 - cell)) & 1U;
        for (uint32_t y = 0; y < rows; ++y) image.set(x, y, one ? Rgb{255, 255, 255} : Rgb{0, 0, 0});
    }
}

std::optional<Stamp> decode_stamp(const RgbImage& image)
{
    if (image.width < stamp_bits || image.height < stamp_rows) return std::nullopt;
    uint64_t bits = 0;
    for (uint32_t cell = 0; cell < stamp_bits; ++cell) {
        // The middle pixel of the cell (the pixels x with x * 64 / width == cell), on the middle row.
        const uint64_t first = (uint64_t{cell} * image.width + stamp_bits - 1) / stamp_bits;
        const uint64_t end = ((uint64_t{cell} + 1) * image.width + stamp_bits - 1) / stamp_bits;
        const auto x = static_cast<uint32_t>((first + end - 1) / 2);
        const Rgb c = image.at(x, stamp_rows / 2);
        const int level = (c.r + c.g + c.b) / 3;
        if (level > 64 && level < 192) return std::nullopt;
        bits = (bits << 1U) | (level >= 192 ? 1U : 0U);
    }
    return Stamp{static_cast<uint32_t>(bits >> 32U), static_cast<uint32_t>(bits & 0xffffffffU)};
}

}  // namespace dmafeed::sources

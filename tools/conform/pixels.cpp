#include "pixels.hpp"

#include "drm/format_info.hpp"
#include "pixels/color.hpp"
#include "pixels/texel.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <vector>

namespace dmafeed::conform {
namespace {

using pixels::Rgb;
using pixels::RgbImage;

constexpr std::array<Rgb, 8> block_colours{{
    {220, 40, 40},   // red
    {40, 200, 60},   // green
    {50, 70, 230},   // blue
    {240, 220, 40},  // yellow
    {230, 60, 220},  // magenta
    {40, 210, 220},  // cyan
    {250, 140, 30},  // orange
    {130, 60, 200},  // purple
}};

// Block column edges at multiples of 4 (the last block takes the rest).
uint32_t block_column(uint32_t x, uint32_t width)
{
    for (uint32_t c = 3; c > 0; --c) {
        if (x >= (width * c / 4) / 4 * 4) return c;
    }
    return 0;
}

uint32_t block_row(uint32_t y, uint32_t height) { return y >= (height / 2) / 4 * 4 ? 1 : 0; }

int difference(Rgb a, Rgb b)
{
    return std::max({std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)});
}

std::string rgb_text(Rgb c)
{
    return std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b);
}

// Pixels of `wanted` to compare: all of them, or those whose (2 * margin + 1)^2 neighbourhood
// has one colour.
std::vector<bool> compare_mask(const RgbImage& wanted, uint32_t margin)
{
    std::vector<bool> mask(size_t{wanted.width} * wanted.height, true);
    if (margin == 0) return mask;
    for (uint32_t y = 0; y < wanted.height; ++y) {
        for (uint32_t x = 0; x < wanted.width; ++x) {
            const Rgb c = wanted.at(x, y);
            const uint32_t x0 = x >= margin ? x - margin : 0, x1 = std::min(wanted.width - 1, x + margin);
            const uint32_t y0 = y >= margin ? y - margin : 0, y1 = std::min(wanted.height - 1, y + margin);
            bool flat = true;
            for (uint32_t v = y0; v <= y1 && flat; ++v) {
                for (uint32_t u = x0; u <= x1 && flat; ++u) flat = wanted.at(u, v) == c;
            }
            mask[size_t{y} * wanted.width + x] = flat;
        }
    }
    return mask;
}

// Bits of R, G and B of an RGB format the packer fills (a half float counts as 16); nullopt for
// YUV formats and formats it does not fill.
struct RgbDepth {
    std::array<unsigned, 3> bits{8, 8, 8};
    bool exact = true;  // 8-bit unorm channels: what is written is what is shown
};
std::optional<RgbDepth> rgb_depth(DrmFormat format)
{
    const auto layouts = pixels::texel_layouts(format);
    if (!pixels::packable(format) || layouts.size() != 1 || layouts[0].is_yuv()) return std::nullopt;
    RgbDepth depth;
    const bool half = layouts[0].encoding == pixels::FieldEncoding::float16;
    for (const pixels::Field& f : layouts[0].used()) {
        if (f.channel == pixels::Channel::one) continue;
        depth.bits[static_cast<size_t>(f.channel)] = half ? 16 : f.bits;
        depth.exact = depth.exact && !half && f.bits == 8;
    }
    return depth;
}

// round(q * 255 / max): the 8-bit value an N-bit unorm code decodes to (max is odd: no ties).
uint8_t expand(uint32_t code, unsigned bits)
{
    const uint32_t max = (1U << bits) - 1;
    return static_cast<uint8_t>((code * 255 + max / 2) / max);
}

// `v` with the texture `t` (0..7) XORed in: into the 8-bit value, or below 8 bits into the
// channel's code, decoded back to 8 bits.
uint8_t texture(uint8_t v, uint32_t t, unsigned bits)
{
    if (bits >= 8) return static_cast<uint8_t>(v ^ t);
    return expand(pixels::scale_unorm(v, bits) ^ t, bits);
}

RgbImage picture(uint32_t width, uint32_t height, const std::optional<std::array<unsigned, 3>>& texture_bits)
{
    RgbImage image{width, height, std::vector<uint8_t>(size_t{width} * height * 3)};
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            Rgb c = block_colours[block_row(y, height) * 4 + block_column(x, width)];
            if (const auto& bits = texture_bits) {
                c.r = texture(c.r, x & 7U, (*bits)[0]);
                c.g = texture(c.g, y & 7U, (*bits)[1]);
                c.b = texture(c.b, (x + y) & 7U, (*bits)[2]);
            }
            image.set(x, y, c);
        }
    }
    return image;
}

}  // namespace

RgbImage matrix_picture(uint32_t width, uint32_t height, bool textured)
{
    return picture(width, height, textured ? std::optional{std::array<unsigned, 3>{8, 8, 8}} : std::nullopt);
}

RgbImage matrix_picture(DrmFormat format, uint32_t width, uint32_t height)
{
    const auto depth = rgb_depth(format);
    return picture(width, height, depth ? std::optional{depth->bits} : std::nullopt);
}

RgbImage yuv_expectation(const RgbImage& picture)
{
    RgbImage out = picture;
    for (uint32_t y = 0; y < picture.height; ++y) {
        for (uint32_t x = 0; x < picture.width; ++x) {
            out.set(x, y, pixels::bt601_limited_to_rgb(pixels::rgb_to_bt601_limited(picture.at(x, y))));
        }
    }
    return out;
}

std::optional<Expectation> expectation_for(DrmFormat format, const RgbImage& picture)
{
    const FormatInfo* info = format_info(format);
    if (!pixels::packable(format) || !info) return std::nullopt;
    if (info->is_yuv) return Expectation{yuv_expectation(picture), yuv_rules};
    const auto depth = rgb_depth(format);
    if (!depth) return std::nullopt;
    if (depth->exact) return Expectation{picture, rgb_rules};
    RgbImage out = picture;
    for (size_t i = 0; i < out.rgb.size(); ++i) {
        const unsigned bits = depth->bits[i % 3];
        if (bits < 8) out.rgb[i] = expand(pixels::scale_unorm(out.rgb[i], bits), bits);
    }
    return Expectation{std::move(out), wide_rgb_rules};
}

std::string Comparison::describe(const CheckRules& rules) const
{
    if (!found) return "the buffer is not in the capture: no place where its four corners match";
    std::string rule = rules.tolerance == 0 ? "exact" : "within " + std::to_string(rules.tolerance) + " per channel";
    if (rules.margin > 0) rule += ", " + std::to_string(rules.margin) + " px from colour edges";
    const std::string where = "at (" + std::to_string(x) + "," + std::to_string(y) + ")";
    if (differing == 0) {
        return "shown " + where + ": " + std::to_string(compared) + " pixels " + rule + " (largest difference " +
               std::to_string(max_difference) + ")";
    }
    return "shown " + where + ", but " + std::to_string(differing) + " of " + std::to_string(compared) +
           " pixels differ (" + rule + "; largest difference " + std::to_string(max_difference) + "), first " +
           first_difference;
}

Comparison locate_and_compare(const RgbImage& capture, const RgbImage& wanted, const CheckRules& rules)
{
    Comparison best;
    if (wanted.width == 0 || wanted.height == 0 || capture.width < wanted.width || capture.height < wanted.height) {
        return best;
    }
    const std::vector<bool> mask = compare_mask(wanted, rules.margin);
    const uint32_t w = wanted.width, h = wanted.height;
    const std::array<std::pair<uint32_t, uint32_t>, 4> corners{{{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}}};
    for (uint32_t y = 0; y + h <= capture.height; ++y) {
        for (uint32_t x = 0; x + w <= capture.width; ++x) {
            const bool corners_match = std::all_of(corners.begin(), corners.end(), [&](const auto& c) {
                return difference(capture.at(x + c.first, y + c.second), wanted.at(c.first, c.second)) <= rules.tolerance;
            });
            if (!corners_match) continue;
            Comparison here{.found = true, .x = x, .y = y};
            for (uint32_t v = 0; v < h; ++v) {
                for (uint32_t u = 0; u < w; ++u) {
                    if (!mask[size_t{v} * w + u]) continue;
                    const Rgb got = capture.at(x + u, y + v), want = wanted.at(u, v);
                    const int d = difference(got, want);
                    ++here.compared;
                    here.max_difference = std::max(here.max_difference, d);
                    if (d > rules.tolerance) {
                        if (here.differing++ == 0) {
                            here.first_difference = "(" + std::to_string(u) + "," + std::to_string(v) + "): got " +
                                                    rgb_text(got) + ", want " + rgb_text(want);
                        }
                    }
                }
            }
            if (!best.found || here.differing < best.differing) best = here;
            if (best.differing == 0) return best;
        }
    }
    return best;
}

RgbImage crop(const RgbImage& image, uint32_t x, uint32_t y, uint32_t width, uint32_t height)
{
    width = x < image.width ? std::min(width, image.width - x) : 0;
    height = y < image.height ? std::min(height, image.height - y) : 0;
    RgbImage out{width, height, std::vector<uint8_t>(size_t{width} * height * 3)};
    for (uint32_t v = 0; v < height; ++v) {
        for (uint32_t u = 0; u < width; ++u) out.set(u, v, image.at(x + u, y + v));
    }
    return out;
}

}  // namespace dmafeed::conform

#include "conform/picture.hpp"

#include <algorithm>
#include <png.h>

namespace dmafeed::conform {
namespace {

bool well_formed(const Picture& p)
{
    return p.width > 0 && p.height > 0 && p.rgb.size() == size_t{p.width} * p.height * 3;
}

}  // namespace

Picture scaled_to_fit(const Picture& picture, uint32_t max_w, uint32_t max_h)
{
    if (!well_formed(picture) || max_w == 0 || max_h == 0) return {};
    if (picture.width <= max_w && picture.height <= max_h) return picture;

    // The side that hits its limit first sets the scale; the other one is rounded to the nearest pixel.
    const uint64_t w = picture.width, h = picture.height;
    Picture out;
    if (w * max_h >= h * max_w) {
        out.width = max_w;
        out.height = static_cast<uint32_t>(std::max<uint64_t>(1, (h * max_w + w / 2) / w));
    } else {
        out.height = max_h;
        out.width = static_cast<uint32_t>(std::max<uint64_t>(1, (w * max_h + h / 2) / h));
    }
    // Each thumbnail pixel takes the source pixel under its centre.
    out.rgb.resize(size_t{out.width} * out.height * 3);
    for (uint32_t y = 0; y < out.height; ++y) {
        const uint64_t sy = (uint64_t{2} * y + 1) * h / (uint64_t{2} * out.height);
        for (uint32_t x = 0; x < out.width; ++x) {
            const uint64_t sx = (uint64_t{2} * x + 1) * w / (uint64_t{2} * out.width);
            const uint8_t* src = &picture.rgb[(sy * w + sx) * 3];
            std::copy(src, src + 3, &out.rgb[(size_t{y} * out.width + x) * 3]);
        }
    }
    return out;
}

Result<std::vector<uint8_t>> encode_png(const Picture& picture)
{
    if (!well_formed(picture)) {
        return Error{"encode PNG: a " + std::to_string(picture.width) + "x" + std::to_string(picture.height) +
                     " picture with " + std::to_string(picture.rgb.size()) + " bytes of RGB is not a picture"};
    }
    // libpng's simplified API writes to memory without the setjmp error handling of the classic one.
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = picture.width;
    img.height = picture.height;
    img.format = PNG_FORMAT_RGB;
    const auto failed = [&] {
        std::string msg = img.message;
        png_image_free(&img);
        return Error{"encode PNG " + std::to_string(picture.width) + "x" + std::to_string(picture.height) + ": " + msg};
    };
    // Twice: without a buffer libpng says how big the file is, then writes it. (PNG_IMAGE_PNG_SIZE_MAX
    // would allow one pass, but its C casts do not pass -Wold-style-cast; thumbnails are small.)
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&img, nullptr, &size, 0, picture.rgb.data(), 0, nullptr)) return failed();
    std::vector<uint8_t> out(size);
    if (!png_image_write_to_memory(&img, out.data(), &size, 0, picture.rgb.data(), 0, nullptr)) return failed();
    out.resize(size);
    return out;
}

std::string base64(std::span<const uint8_t> bytes)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t v = uint32_t{bytes[i]} << 16 | uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
        for (const int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
    }
    if (const size_t rest = bytes.size() - i; rest > 0) {
        const uint32_t v = uint32_t{bytes[i]} << 16 | (rest == 2 ? uint32_t{bytes[i + 1]} << 8 : 0);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace dmafeed::conform

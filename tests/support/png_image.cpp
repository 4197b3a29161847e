#include "png_image.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <png.h>

namespace dmafeed::test {
namespace {

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace

Result<Image> read_png(const std::string& path)
{
    File file{std::fopen(path.c_str(), "rbe")};
    if (!file) {
        return Error::from_errno("open " + path, errno);
    }
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_stdio(&img, file.get())) {
        return Error{"read " + path + ": " + img.message};
    }
    img.format = PNG_FORMAT_RGBA;
    Image out;
    out.width = img.width;
    out.height = img.height;
    out.pixels.resize(size_t{img.width} * img.height);
    if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr)) {
        std::string msg = img.message;
        png_image_free(&img);
        return Error{"decode " + path + ": " + msg};
    }
    return out;
}

Result<void> write_png(const std::string& path, const Image& image)
{
    if (image.pixels.size() != size_t{image.width} * image.height) {
        return Error{"write " + path + ": pixel count does not match the size"};
    }
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = image.width;
    img.height = image.height;
    img.format = PNG_FORMAT_RGBA;
    if (!png_image_write_to_file(&img, path.c_str(), 0, image.pixels.data(), 0, nullptr)) {
        return Error{"write " + path + ": " + img.message};
    }
    return {};
}

std::string to_string(const Rgba& c)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "rgba(%u,%u,%u,%u)", c.r, c.g, c.b, c.a);
    return buf;
}

}  // namespace dmafeed::test

#include "png_image.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

using dmafeed::test::Image;
using dmafeed::test::read_png;
using dmafeed::test::Rgba;
using dmafeed::test::write_png;

namespace {

std::string temp_path(const char* name)
{
    const char* dir = std::getenv("TMPDIR");
    return std::string{dir ? dir : "/tmp"} + "/" + name + "-" + std::to_string(getpid()) + ".png";
}

}  // namespace

TEST(PngImage, RoundTripsExactPixels)
{
    Image img;
    img.width = 5;
    img.height = 3;
    for (uint32_t y = 0; y < img.height; ++y) {
        for (uint32_t x = 0; x < img.width; ++x) {
            img.pixels.push_back(Rgba{static_cast<uint8_t>(x * 50), static_cast<uint8_t>(y * 100), 7, 255});
        }
    }
    const std::string path = temp_path("roundtrip");
    ASSERT_TRUE(write_png(path, img).ok());
    auto back = read_png(path);
    ::unlink(path.c_str());
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->width, 5U);
    EXPECT_EQ(back->height, 3U);
    EXPECT_EQ(back->at(4, 2), (Rgba{200, 200, 7, 255}));
    EXPECT_EQ(back->pixels, img.pixels);
}

TEST(PngImage, MissingFileNamesThePath)
{
    auto r = read_png("/nonexistent/capture.png");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("/nonexistent/capture.png"), std::string::npos);
    EXPECT_NE(r.error().message().find("ENOENT"), std::string::npos);
}

TEST(PngImage, GarbageIsRejected)
{
    const std::string path = temp_path("garbage");
    FILE* f = std::fopen(path.c_str(), "we");
    ASSERT_NE(f, nullptr);
    std::fputs("not a png at all", f);
    std::fclose(f);
    auto r = read_png(path);
    ::unlink(path.c_str());
    EXPECT_FALSE(r.ok());
}

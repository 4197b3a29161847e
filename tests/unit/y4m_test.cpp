// The Y4M reader on valid and broken streams, and the conversion into buffer planes.
#include "sources/y4m.hpp"

#include <cstring>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <string>

namespace dmafeed::sources {
namespace {

// A reader over bytes in memory, handing them out in chunks of `chunk` (short reads included).
Result<Y4mReader> open_bytes(const std::string& bytes, size_t chunk = 7)
{
    auto pos = std::make_shared<size_t>(0);
    return Y4mReader::open(
        [bytes, pos, chunk](uint8_t* dst, size_t size) {
            const size_t n = std::min({size, chunk, bytes.size() - *pos});
            std::memcpy(dst, bytes.data() + *pos, n);
            *pos += n;
            return static_cast<long>(n);
        },
        "test.y4m");
}

std::string frame_420(uint32_t w, uint32_t h, uint8_t y, uint8_t u, uint8_t v)
{
    return "FRAME\n" + std::string(size_t{w} * h, static_cast<char>(y)) + std::string(size_t{w / 2} * (h / 2), static_cast<char>(u)) +
           std::string(size_t{w / 2} * (h / 2), static_cast<char>(v));
}

TEST(Y4m, ReadsWhatFfmpegWrites)
{
    const std::string s = "YUV4MPEG2 W4 H2 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG\n" + frame_420(4, 2, 10, 20, 30) +
                          frame_420(4, 2, 11, 21, 31);
    auto r = open_bytes(s);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->header().width, 4u);
    EXPECT_EQ(r->header().fps_num, 30000u);
    EXPECT_EQ(r->header().fps_den, 1001u);
    EXPECT_EQ(r->header().chroma, Y4mChroma::c420);
    EXPECT_EQ(r->header().notes.size(), 3u);  // I, A, X
    EXPECT_EQ(r->header().formats().front(), DrmFormat{DRM_FORMAT_YUV420});
    auto f = r->next();
    ASSERT_TRUE(f.ok() && *f);
    EXPECT_EQ(r->plane(0)[7], 10);
    EXPECT_EQ(r->plane(1)[1], 20);
    EXPECT_EQ(r->plane(2)[0], 30);
    f = r->next();
    ASSERT_TRUE(f.ok() && *f);
    EXPECT_EQ(r->plane(2)[1], 31);
    f = r->next();
    ASSERT_TRUE(f.ok());
    EXPECT_FALSE(*f);  // a clean end
    EXPECT_EQ(r->frames(), 2u);
}

TEST(Y4m, DefaultsAndOtherChromas)
{
    auto r = open_bytes("YUV4MPEG2 W3 H3 C444\n");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->header().fps_num, 25u);
    EXPECT_EQ(r->header().frame_bytes(), 27u);
    auto p10 = open_bytes("YUV4MPEG2 W2 H2 C420p10\n");
    ASSERT_TRUE(p10.ok());
    EXPECT_EQ(p10->header().frame_bytes(), 12u);  // (4 + 1 + 1) samples of 2 bytes
    EXPECT_EQ(p10->header().formats().front(), DrmFormat{DRM_FORMAT_P010});
    auto c422 = open_bytes("YUV4MPEG2 W3 H1 C422\n");
    ASSERT_TRUE(c422.ok());
    EXPECT_EQ(c422->header().chroma_width(), 2u);
}

TEST(Y4m, BrokenStreamsNameTheProblemAndWhere)
{
    auto err = [](const std::string& s) {
        auto r = open_bytes(s);
        return r.ok() ? std::string{"(opened)"} : r.error().message();
    };
    EXPECT_NE(err("RIFF....\n").find("does not start with \"YUV4MPEG2\""), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W4 H4").find("without a newline"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 H4\n").find("no W (width)"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W0 H4\n").find("byte 10: 'W0': the width must be 1..16384"), std::string::npos)
        << err("YUV4MPEG2 W0 H4\n");
    EXPECT_NE(err("YUV4MPEG2 W4 H4 Cfoo\n").find("unknown chroma 'foo'"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W4 H4 F30\n").find("F<num>:<den>"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W5 H4 C420\n").find("odd size for 4:2:0"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W4 H4 Q1\n").find("unknown header parameter 'Q1'"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W4 H4 " + std::string(5000, 'X') + "\n").find("longer than 4096"), std::string::npos);
}

TEST(Y4m, ATruncatedLastFrameIsAnErrorAfterTheGoodOnes)
{
    std::string s = "YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 1, 2, 3) + frame_420(4, 2, 4, 5, 6);
    s.resize(s.size() - 3);
    auto r = open_bytes(s);
    ASSERT_TRUE(r.ok());
    auto f = r->next();
    ASSERT_TRUE(f.ok() && *f);
    f = r->next();
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().message().find("frame 1 is cut short: 9 of 12 bytes"), std::string::npos) << f.error().message();
    // The header (16 bytes), frame 0 (6 + 12), frame 1's FRAME line (6): its data starts at byte 40.
    EXPECT_NE(f.error().message().find("byte 40"), std::string::npos) << f.error().message();
}

TEST(Y4m, AMalformedFrameHeaderIsAnError)
{
    auto r = open_bytes("YUV4MPEG2 W2 H2\nFRAMEX\n");
    ASSERT_TRUE(r.ok());
    auto f = r->next();
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().message().find("frame 0: expected \"FRAME\""), std::string::npos) << f.error().message();
}

TEST(Y4m, ConvertsToPlanarSemiPlanarAndP010)
{
    auto r = open_bytes("YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 10, 20, 30));
    ASSERT_TRUE(r.ok() && r->next().ok());
    auto planar = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_YUV420});
    ASSERT_TRUE(planar.ok());
    auto p = planar->convert(*r);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[1].row_bytes, 2u);
    auto nv12 = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_NV12});
    ASSERT_TRUE(nv12.ok());
    auto n = nv12->convert(*r);
    ASSERT_EQ(n.size(), 2u);
    EXPECT_EQ(n[1].row_bytes, 4u);
    EXPECT_EQ(n[1].data[0], 20);
    EXPECT_EQ(n[1].data[1], 30);
    auto wrong = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_XRGB8888});
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message().find("shown as YUV420, NV12, not XRGB8888"), std::string::npos) << wrong.error().message();

    // 10-bit: sample 0x3ff -> 0xffc0 in P010.
    std::string s10 = "YUV4MPEG2 W2 H2 C420p10\nFRAME\n";
    for (int i = 0; i < 6; ++i) s10 += std::string{"\xff\x03", 2};
    auto r10 = open_bytes(s10);
    ASSERT_TRUE(r10.ok() && r10->next().ok());
    auto p010 = Y4mConverter::create(r10->header(), DrmFormat{DRM_FORMAT_P010});
    ASSERT_TRUE(p010.ok());
    auto q = p010->convert(*r10);
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].data[0], 0xc0);
    EXPECT_EQ(q[0].data[1], 0xff);
    EXPECT_EQ(q[1].row_bytes, 4u);
    EXPECT_EQ(q[1].data[3], 0xff);
}

}  // namespace
}  // namespace dmafeed::sources

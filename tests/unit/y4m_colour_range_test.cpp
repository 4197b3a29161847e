// The colour range a Y4M header declares with ffmpeg's XCOLORRANGE tag: read into the header,
// shown in its description, a malformed or contradicting value refused, other X tags kept as notes.
#include "sources/y4m.hpp"

#include <algorithm>
#include <cstring>
#include <gtest/gtest.h>
#include <memory>
#include <string>

namespace dmafeed::sources {
namespace {

using pixels::YuvRange;

// A reader over a header and one 4x2 4:2:0 frame in memory.
Result<Y4mReader> open_header(const std::string& header)
{
    const std::string bytes = header + "\nFRAME\n" + std::string(8 + 2 + 2, '\x80');
    auto pos = std::make_shared<size_t>(0);
    return Y4mReader::open(
        [bytes, pos](uint8_t* dst, size_t size) {
            const size_t n = std::min(size, bytes.size() - *pos);
            std::memcpy(dst, bytes.data() + *pos, n);
            *pos += n;
            return static_cast<long>(n);
        },
        "range.y4m");
}

TEST(Y4mColourRange, ReadsWhatFfmpegWrites)
{
    // ffmpeg's yuv4mpegpipe muxer: XCOLORRANGE after the C tag and its XYSCSS, for yuvj420p (FULL)
    // and for a stream tagged tv range (LIMITED).
    auto full = open_header("YUV4MPEG2 W4 H2 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG XCOLORRANGE=FULL");
    ASSERT_TRUE(full.ok()) << full.error().message();
    EXPECT_EQ(full->header().range, YuvRange::full);
    auto limited = open_header("YUV4MPEG2 W4 H2 F25:1 Ip A0:0 C420mpeg2 XYSCSS=420MPEG2 XCOLORRANGE=LIMITED");
    ASSERT_TRUE(limited.ok()) << limited.error().message();
    EXPECT_EQ(limited->header().range, YuvRange::limited);
    // The frames read as ever.
    auto frame = full->next();
    ASSERT_TRUE(frame.ok() && *frame);
    EXPECT_EQ(full->plane(0)[0], 0x80);
}

TEST(Y4mColourRange, UnsetWhenTheStreamDoesNotSay)
{
    auto r = open_header("YUV4MPEG2 W4 H2 C420jpeg XYSCSS=420JPEG");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_FALSE(r->header().range.has_value());
    EXPECT_EQ(r->header().describe(), "4x2 420jpeg (8-bit 4:2:0) at 25:1 fps");
}

TEST(Y4mColourRange, IsNotANoteButOtherXTagsAre)
{
    // XYSCSS=420JPEG agrees with the default chroma (420jpeg): read, not noted.
    auto r = open_header("YUV4MPEG2 W4 H2 XYSCSS=420JPEG XCOLORRANGE=FULL XFOO=bar");
    ASSERT_TRUE(r.ok()) << r.error().message();
    const auto& notes = r->header().notes;
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("FOO=bar"), std::string::npos) << notes[0];
    for (const auto& note : notes) EXPECT_EQ(note.find("COLORRANGE"), std::string::npos) << note;
}

TEST(Y4mColourRange, OnlyWhatIsNotShownAsTheStreamSaysIsNoted)
{
    auto quiet = open_header("YUV4MPEG2 W4 H2 F25:1 I? A0:0 C420mpeg2 XYSCSS=420MPEG2");
    ASSERT_TRUE(quiet.ok()) << quiet.error().message();
    EXPECT_TRUE(quiet->header().notes.empty());
    auto noisy = open_header("YUV4MPEG2 W4 H2 F25:1 It A16:15 C444 XYSCSS=420JPEG");
    ASSERT_TRUE(noisy.ok()) << noisy.error().message();
    const auto& notes = noisy->header().notes;
    ASSERT_EQ(notes.size(), 3u);
    EXPECT_NE(notes[0].find("interlacing 't' ignored"), std::string::npos) << notes[0];
    EXPECT_NE(notes[1].find("pixel aspect '16:15' ignored"), std::string::npos) << notes[1];
    EXPECT_NE(notes[2].find("'XYSCSS=420JPEG' disagrees with the chroma 444"), std::string::npos) << notes[2];
}

TEST(Y4mColourRange, TheDescriptionSaysIt)
{
    auto r = open_header("YUV4MPEG2 W4 H2 C420jpeg XCOLORRANGE=FULL");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->header().describe(), "4x2 420jpeg (8-bit 4:2:0, full range) at 25:1 fps");
    auto l = open_header("YUV4MPEG2 W4 H2 XCOLORRANGE=LIMITED");
    ASSERT_TRUE(l.ok()) << l.error().message();
    EXPECT_EQ(l->header().describe(), "4x2 420jpeg (8-bit 4:2:0, limited range) at 25:1 fps");
}

TEST(Y4mColourRange, AMalformedValueIsAnErrorNamingTheChoices)
{
    // ffmpeg writes FULL and LIMITED in capitals and reads nothing else.
    for (const char* bad : {"XCOLORRANGE=", "XCOLORRANGE=full", "XCOLORRANGE=TV", "XCOLORRANGE=FULLER", "XCOLORRANGE=LIMITED,"}) {
        auto r = open_header(std::string{"YUV4MPEG2 W4 H2 "} + bad);
        ASSERT_FALSE(r.ok()) << bad;
        const std::string m = r.error().message();
        EXPECT_NE(m.find("range.y4m: byte 16: '" + std::string{bad} + "'"), std::string::npos) << m;
        EXPECT_NE(m.find("XCOLORRANGE=LIMITED or XCOLORRANGE=FULL"), std::string::npos) << m;
    }
}

TEST(Y4mColourRange, ARepeatMustAgree)
{
    auto same = open_header("YUV4MPEG2 W4 H2 XCOLORRANGE=FULL XCOLORRANGE=FULL");
    ASSERT_TRUE(same.ok()) << same.error().message();
    EXPECT_EQ(same->header().range, YuvRange::full);
    auto other = open_header("YUV4MPEG2 W4 H2 XCOLORRANGE=FULL XCOLORRANGE=LIMITED");
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message().find("byte 33: 'XCOLORRANGE=LIMITED' contradicts"), std::string::npos)
        << other.error().message();
}

}  // namespace
}  // namespace dmafeed::sources

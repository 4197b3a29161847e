// dmafeed's command line: every option, defaults, and the errors a user gets (exit status 2).
#include "cli/options.hpp"
#include "cli/pacing.hpp"

#include <algorithm>
#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <utility>
#include <vector>

namespace dmafeed::cli {
namespace {

Result<Options> parse_args(std::vector<const char*> args) { return parse(args); }

std::string error_of(std::vector<const char*> args)
{
    auto r = parse_args(std::move(args));
    return r.ok() ? std::string{"(parsed)"} : r.error().message();
}

TEST(CliOptions, Defaults)
{
    auto o = parse_args({});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->format, DrmFormat{DRM_FORMAT_XRGB8888});
    EXPECT_FALSE(o->modifier.has_value());
    EXPECT_EQ(o->width, 0u);
    EXPECT_EQ(o->pattern.kind, sources::PatternKind::smpte);
    EXPECT_EQ(o->allocator, producer::AllocatorKind::automatic);
    EXPECT_EQ(o->sync, producer::SyncMode::automatic);
    EXPECT_EQ(o->buffers, 3u);
    EXPECT_FALSE(o->frames.has_value());
    EXPECT_EQ(o->render, producer::PatternDraw::automatic);
    EXPECT_EQ(o->yuv, pixels::YuvEncoding{});
    EXPECT_FALSE(o->yuv_given);
    EXPECT_TRUE(o->quick_start);
}

TEST(CliOptions, EveryAllocatorKindHasItsName)
{
    const std::pair<const char*, producer::AllocatorKind> kinds[] = {{"auto", producer::AllocatorKind::automatic},
                                                                      {"vulkan", producer::AllocatorKind::vulkan},
                                                                      {"gbm", producer::AllocatorKind::gbm},
                                                                      {"udmabuf", producer::AllocatorKind::udmabuf}};
    for (const auto& [name, kind] : kinds) {
        auto o = parse_args({"--allocator", name});
        ASSERT_TRUE(o.ok()) << name << ": " << o.error().message();
        EXPECT_EQ(o->allocator, kind) << name;
    }
    // udmabuf buffers are on no device and drawn on the CPU: what cannot apply is said.
    EXPECT_NE(error_of({"--allocator", "udmabuf", "--device", "/dev/dri/card0"}).find("--device cannot be used with --allocator udmabuf"),
              std::string::npos);
    EXPECT_NE(error_of({"--allocator", "udmabuf", "--render", "gpu"}).find("--render gpu cannot be used with --allocator udmabuf"),
              std::string::npos);
}

TEST(CliOptions, EveryOptionInBothSpellings)
{
    auto o = parse_args({"--size", "1280x720", "--format=NV12", "--modifier", "linear", "--allocator=gbm", "--device",
                         "/dev/dri/card0", "--fps", "29.97", "--frames=300", "--duration", "2.5", "--pattern",
                         "solid:FF8000", "--fullscreen", "--title", "t", "--app-id=a", "--sync", "implicit",
                         "--stride-align", "256", "--buffers", "4", "--json", "--timeout", "30000",
                         "--render", "gpu", "--yuv-matrix=bt709", "--yuv-range", "full", "--no-quick-start", "--measure-upload",
                         "--pacing", "callbacks", "--late=show"});
    ASSERT_TRUE(o.ok()) << o.error().message();
    EXPECT_EQ(o->width, 1280u);
    EXPECT_EQ(o->height, 720u);
    EXPECT_EQ(o->format, DrmFormat{DRM_FORMAT_NV12});
    EXPECT_EQ(o->modifier, modifier_linear);
    EXPECT_EQ(o->allocator, producer::AllocatorKind::gbm);
    EXPECT_EQ(o->device, "/dev/dri/card0");
    EXPECT_DOUBLE_EQ(o->fps, 29.97);
    EXPECT_EQ(o->frames, 300u);
    EXPECT_DOUBLE_EQ(*o->duration_s, 2.5);
    EXPECT_EQ(o->pattern.kind, sources::PatternKind::solid);
    EXPECT_EQ(o->pattern.colour, (pixels::Rgb{255, 128, 0}));
    EXPECT_TRUE(o->fullscreen);
    EXPECT_EQ(o->title, "t");
    EXPECT_EQ(o->app_id, "a");
    EXPECT_EQ(o->sync, producer::SyncMode::implicit_sync);
    EXPECT_EQ(o->stride_align, 256u);
    EXPECT_EQ(o->buffers, 4u);
    EXPECT_TRUE(o->json);
    EXPECT_EQ(o->timeout_ms, 30000);
    EXPECT_EQ(o->render, producer::PatternDraw::gpu);
    EXPECT_EQ(o->yuv, (pixels::YuvEncoding{pixels::YuvMatrix::bt709, pixels::YuvRange::full}));
    EXPECT_TRUE(o->yuv_given);
    EXPECT_FALSE(o->quick_start);
    EXPECT_TRUE(o->measure_upload);
    EXPECT_FALSE(parse_args({})->measure_upload) << "benchmark work only when asked";
    EXPECT_EQ(o->pacing, producer::Pacing::frame_callbacks);
    EXPECT_EQ(o->drop_late, false);
    EXPECT_EQ(parse_args({"--pacing", "fifo", "--late", "drop"})->pacing, producer::Pacing::fifo);
    EXPECT_EQ(parse_args({"--late", "drop"})->drop_late, true);
    EXPECT_FALSE(parse_args({})->drop_late.has_value()) << "unset: drop with --input, show for patterns";
}

TEST(CliOptions, FourccAndHexModifier)
{
    auto o = parse_args({"--format", "XR24", "--modifier", "0x0100000000000002"});
    ASSERT_TRUE(o.ok()) << o.error().message();
    EXPECT_EQ(o->format, DrmFormat{DRM_FORMAT_XRGB8888});
    EXPECT_EQ(o->modifier, DrmModifier{0x0100000000000002ULL});
}

TEST(CliOptions, ErrorsNameTheOptionAndWhatItTakes)
{
    EXPECT_EQ(error_of({"--bogus"}), "unknown option '--bogus' (see --help)");
    EXPECT_EQ(error_of({"--frames"}), "--frames: needs a value (see --help)");
    EXPECT_NE(error_of({"--size", "1280"}).find("--size: '1280' is not WIDTHxHEIGHT"), std::string::npos);
    EXPECT_NE(error_of({"--size", "0x10"}).find("WIDTHxHEIGHT"), std::string::npos);
    EXPECT_NE(error_of({"--frames", "-3"}).find("--frames: '-3'"), std::string::npos);
    EXPECT_NE(error_of({"--fps", "abc"}).find("--fps"), std::string::npos);
    EXPECT_NE(error_of({"--format", "NOPE"}).find("--format"), std::string::npos);
    EXPECT_NE(error_of({"--pattern", "plaid"}).find("unknown pattern 'plaid'"), std::string::npos);
    EXPECT_NE(error_of({"--pattern", "solid:12"}).find("6 hex digits"), std::string::npos);
    EXPECT_NE(error_of({"--allocator", "cpu"}).find("use auto, vulkan, gbm or udmabuf"), std::string::npos);
    EXPECT_NE(error_of({"--sync", "maybe"}).find("use auto, explicit or implicit"), std::string::npos);
    EXPECT_EQ(error_of({"--pacing", "vsync"}), "--pacing: 'vsync': use auto, callbacks or fifo");
    EXPECT_EQ(error_of({"--late", "skip"}), "--late: 'skip': use drop or show");
    EXPECT_NE(error_of({"--stride-align", "100"}).find("power of two"), std::string::npos);
    EXPECT_NE(error_of({"--buffers", "5"}).find("2, 3 or 4"), std::string::npos);
    EXPECT_NE(error_of({"--timeout", "10"}).find("100 to 600000"), std::string::npos);
    EXPECT_EQ(error_of({"--json=yes"}), "--json: takes no value");
    EXPECT_EQ(error_of({"--no-quick-start=1"}), "--no-quick-start: takes no value");
    EXPECT_NE(error_of({"--render", "fpga"}).find("use auto, gpu or cpu"), std::string::npos);
    EXPECT_NE(error_of({"--yuv-matrix", "rec709"}).find("bt601, bt709 or bt2020"), std::string::npos);
    EXPECT_NE(error_of({"--yuv-range", "tv"}).find("limited or full"), std::string::npos);
    EXPECT_EQ(error_of({"--input", "-", "--render", "gpu"}), "--render applies to patterns, not to --input");
    EXPECT_EQ(error_of({"--loop"}), "--loop plays an --input file again from its start: give --input FILE");
    EXPECT_EQ(error_of({"--loop", "--input", "-"}),
              "--loop cannot play standard input again (it is read once): give --input a file");
    EXPECT_EQ(error_of({"--loop=1", "--input", "a.y4m"}), "--loop: takes no value");
    EXPECT_EQ(error_of({"--progress", "0"}), "--progress: '0': seconds between lines, 0.1 to 86400");
    EXPECT_EQ(error_of({"--progress", "nan"}), "--progress: 'nan': seconds between lines, 0.1 to 86400");
}

TEST(CliOptions, LoopAndProgress)
{
    auto o = parse_args({"--input", "clip.y4m", "--loop", "--progress=2.5"});
    ASSERT_TRUE(o.ok()) << o.error().message();
    EXPECT_TRUE(o->loop);
    EXPECT_DOUBLE_EQ(o->progress_s, 2.5);
    EXPECT_FALSE(parse_args({})->loop);
    EXPECT_EQ(parse_args({})->progress_s, 0.0) << "no progress lines unless asked";
}

TEST(CliOptions, ColourSpaceOptionsAreCheckedAsTheyAreRead)
{
    auto o = parse_args({"--transfer", "pq", "--mastering-display=display_p3:0.005-1000", "--max-cll", "1000",
                         "--max-fall=400"});
    ASSERT_TRUE(o.ok()) << o.error().message();
    EXPECT_EQ(o->color.transfer, pixels::Transfer::st2084_pq);
    EXPECT_FALSE(o->color.primaries.has_value()) << "completed by the producer (BT.2020 for PQ), not by the parser";
    ASSERT_TRUE(o->color.hdr.mastering.has_value());
    EXPECT_DOUBLE_EQ(o->color.hdr.mastering->max_luminance, 1000);
    EXPECT_EQ(o->color.hdr.max_cll, 1000u);
    EXPECT_EQ(o->color.hdr.max_fall, 400u);
    EXPECT_EQ(parse_args({"--primaries", "display_p3", "--transfer", "gamma22"})->color.primaries, pixels::Primaries::display_p3);

    EXPECT_NE(error_of({"--transfer", "rec2100"}).find("--transfer: unknown transfer function 'rec2100'"), std::string::npos);
    EXPECT_NE(error_of({"--primaries", "p3"}).find("--primaries: unknown primaries 'p3'"), std::string::npos);
    EXPECT_NE(error_of({"--primaries", "bt2020"}).find("needs its transfer function"), std::string::npos);
    EXPECT_NE(error_of({"--max-cll", "1000"}).find("needs its transfer function"), std::string::npos);
    EXPECT_EQ(error_of({"--max-cll", "0"}), "--max-cll: '0': cd/m², a whole number in 1..65535");
    EXPECT_NE(error_of({"--transfer", "pq", "--max-cll", "100", "--max-fall", "200"}).find("MaxFALL 200 is above MaxCLL 100"),
              std::string::npos);
    EXPECT_NE(error_of({"--transfer", "pq", "--mastering-display", "G(1,2)"}).find("--mastering-display: mastering display"),
              std::string::npos);
    EXPECT_NE(error_of({"--transfer", "pq", "--mastering-display", "srgb:1000-1"}).find("must be above its minimum"),
              std::string::npos);
}

TEST(CliOptions, ThePqRampTakesA10BitFormatAndRefusesAn8BitOne)
{
    auto o = parse_args({"--pattern", "pq-ramp"});
    ASSERT_TRUE(o.ok()) << o.error().message();
    EXPECT_EQ(o->format, DrmFormat{DRM_FORMAT_XRGB2101010});
    EXPECT_TRUE(to_args(*o) == (std::vector<std::string>{"--pattern", "pq-ramp"})) << "the default reads back";
    EXPECT_EQ(parse_args({"--pattern=pq-ramp", "--format", "ABGR16161616F"})->format, DrmFormat{DRM_FORMAT_ABGR16161616F});
    const std::string e = error_of({"--pattern", "pq-ramp", "--format", "XRGB8888"});
    EXPECT_EQ(e.rfind("--pattern: ", 0), 0u) << e;
    EXPECT_NE(e.find("XRGB2101010"), std::string::npos) << "names the formats that work: " << e;
}

TEST(CliOptions, ToArgsReadsBackAsTheSameOptions)
{
    EXPECT_TRUE(to_args(*parse_args({})).empty()) << "the defaults need no argument";
    const std::vector<std::vector<const char*>> cases = {
        {"--size", "1280x720", "--format", "XR24", "--modifier", "0x0100000000000002", "--pattern=solid:FF8000"},
        {"--input", "-", "--yuv-range=full", "--fps", "29.97", "--duration", "0.1", "--frames", "7"},
        {"--allocator", "gbm", "--device", "/dev/dri/card0", "--sync", "implicit", "--buffers", "4", "--stride-align", "256",
         "--timeout", "100", "--no-quick-start", "--render", "auto", "--title", "--json", "--app-id", "", "--fullscreen"},
        {"--pacing", "fifo", "--late", "show", "--fps", "30"},
        {"--pacing=callbacks", "--late=drop"},
        {"--input", "clip.y4m", "--loop", "--progress", "10", "--json"},
        {"--transfer", "hlg", "--primaries", "bt709", "--mastering-display", "bt2020:0.0001-4000", "--max-cll", "4000",
         "--max-fall", "1000"},
        {"--modifier", "linear", "--format", "0x20203852", "--measure-upload", "--list-formats", "-h", "--version"},
    };
    for (const auto& args : cases) {
        auto o = parse_args(args);
        ASSERT_TRUE(o.ok()) << o.error().message();
        const std::vector<std::string> canonical = to_args(*o);
        std::vector<const char*> argv;
        for (const std::string& a : canonical) argv.push_back(a.c_str());
        auto again = parse_args(argv);
        ASSERT_TRUE(again.ok()) << again.error().message();
        EXPECT_EQ(to_args(*again), canonical);
        EXPECT_EQ(again->modifier, o->modifier);
        EXPECT_EQ(again->format, o->format);
        EXPECT_EQ(again->fps, o->fps);
        EXPECT_EQ(again->title, o->title);
        EXPECT_EQ(again->color, o->color);
    }
    // Names where they read back, in --help's order.
    EXPECT_EQ(to_args(*parse_args({"--modifier", "0x0100000000000002", "--format", "XR24", "--size", "64x32"})),
              (std::vector<std::string>{"--size", "64x32", "--format", "XRGB8888", "--modifier", "INTEL:Y_TILED"}));
    EXPECT_EQ(to_args(*parse_args({"--fps", "29.97"})), (std::vector<std::string>{"--fps", "29.97"}));
}

TEST(Pacing, OnTimeFramesKeepTheBeatAndALateOneRestartsItWithoutABurst)
{
    using Clock = std::chrono::steady_clock;
    using std::chrono::milliseconds;
    const Clock::time_point t0{};
    const Clock::duration period = milliseconds{250};  // 4 fps
    // Sent on time, or late by less than a period: the next is due one period after this one was.
    EXPECT_EQ(next_due<Clock>(t0, t0, period), t0 + milliseconds{250});
    EXPECT_EQ(next_due<Clock>(t0 + milliseconds{250}, t0 + milliseconds{260}, period), t0 + milliseconds{500});
    // Late by more than a period (the first frame shown 2.1 s late): a full period from now, not
    // now (which sent a second frame right behind it).
    EXPECT_EQ(next_due<Clock>(t0 + milliseconds{250}, t0 + milliseconds{2100}, period), t0 + milliseconds{2350});

    // A loop like dmafeed's: a frame is sent when it is due and the one before was shown; the
    // compositor holds the first one 2.1 s, then shows each frame 10 ms after it is sent.
    Clock::time_point due = t0, now = t0;
    std::vector<Clock::time_point> sent;
    for (int i = 0; i < 8; ++i) {
        now = std::max(now, due);
        sent.push_back(now);
        due = next_due<Clock>(due, now, period);
        now += i == 0 ? milliseconds{2100} : milliseconds{10};
    }
    for (size_t i = 1; i < sent.size(); ++i) {
        EXPECT_GE(sent[i] - sent[i - 1], period) << "frame " << i << " was sent "
                                                 << std::chrono::duration_cast<milliseconds>(sent[i] - sent[i - 1]).count()
                                                 << " ms after the one before";
    }
    EXPECT_EQ(sent[1], t0 + milliseconds{2100});  // the late frame goes at once
    EXPECT_EQ(sent.back(), t0 + milliseconds{2100 + 6 * 250});
}

TEST(CliOptions, HelpTeachesWithExamples)
{
    auto o = parse_args({"-h"});
    ASSERT_TRUE(o.ok());
    EXPECT_TRUE(o->help);
    const std::string help = help_text();
    for (const char* opt : {"--size", "--format", "--modifier", "--allocator", "--device", "--fps", "--frames",
                            "--duration", "--pattern", "--fullscreen", "--title", "--app-id", "--sync", "--stride-align",
                            "--json", "--list-formats", "--render", "--yuv-matrix", "--yuv-range", "--timeout", "--measure-upload", "Examples:",
                            "--transfer", "--primaries", "--mastering-display", "--max-cll", "--max-fall",
                            "Exit status"}) {
        EXPECT_NE(help.find(opt), std::string::npos) << opt;
    }
}

}  // namespace
}  // namespace dmafeed::cli

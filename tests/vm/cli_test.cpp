// The dmafeed program against weston 14 in the nodrm guest: exit status, the JSON summary, the
// exact colour of solid:RRGGBB in the capture (drawn by the GPU pattern shader into an XRGB8888
// buffer; the nearest NV12 colour, decoded as BT.601 limited range, for NV12), and the frame
// number read back from a pattern's stamp; the CPU's in-place redraws (the default on lavapipe)
// give exactly the frame the stamp names.
#include "vm_session.hpp"

#include "child_process.hpp"
#include "pixels/color.hpp"
#include "sources/pattern.hpp"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <sstream>

namespace dmafeed::test {
namespace {

int exit_code(const ExitStatus& st) { return WIFEXITED(st.raw) ? WEXITSTATUS(st.raw) : -1; }

class NodrmCli : public WestonTest {
    const char* required_setup() const override { return "nodrm"; }

protected:
    std::string log_path(const std::string& name) { return artifacts_dir() + "/" + name + ".log"; }

    Result<ChildProcess> spawn(const std::string& name, const std::vector<std::string>& options,
                               const std::string& program = DMAFEED_TOOL_PATH, std::map<std::string, std::string> env = {})
    {
        std::vector<std::string> args{program};
        args.insert(args.end(), options.begin(), options.end());
        env["WAYLAND_DISPLAY"] = weston_->socket();
        return ChildProcess::spawn({.argv = args, .env = env, .output_path = log_path(name)});
    }

    std::string output(const std::string& name)
    {
        std::ifstream in{log_path(name)};
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    // Runs dmafeed to its end; its stdout+stderr are returned in `out`.
    ExitStatus run(const std::string& name, const std::vector<std::string>& options, std::string* out)
    {
        auto child = spawn(name, options);
        EXPECT_TRUE(child.ok()) << child.error().message();
        if (!child.ok()) return {};
        auto status = child->wait_for(std::chrono::seconds{120});
        EXPECT_TRUE(status.has_value()) << "dmafeed did not finish within 120 s";
        *out = output(name);
        return status ? *status : child->terminate(std::chrono::seconds{1});
    }
};

size_t differing(const Image& image, uint8_t r, uint8_t g, uint8_t b)
{
    size_t bad = 0;
    for (const Rgba& px : image.pixels) bad += (px.r != r || px.g != g || px.b != b) ? 1 : 0;
    return bad;
}

std::optional<sources::Stamp> stamp_of(const Image& image)
{
    pixels::RgbImage rgb{image.width, image.height, {}};
    for (const Rgba& px : image.pixels) rgb.rgb.insert(rgb.rgb.end(), {px.r, px.g, px.b});
    return sources::decode_stamp(rgb);
}

TEST_F(NodrmCli, SolidColourIsExactInTheCaptureAndTheJsonSummaryAddsUp)
{
    auto child = spawn("cli-solid", {"--pattern", "solid:3c8aef", "--fps", "10", "--allocator", "vulkan", "--render", "gpu",
                                     "--fullscreen", "--json"});
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto image = capture_until("nodrm-cli-solid", [](const Image& im) { return differing(im, 0x3c, 0x8a, 0xef) == 0; });
    const ExitStatus st = child->terminate(std::chrono::seconds{10});  // SIGTERM: a clean stop with the summary
    const std::string out = output("cli-solid");
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(differing(*image, 0x3c, 0x8a, 0xef), 0u) << "pixels differing from 3c8aef\n" << out;
    ASSERT_TRUE(st.clean()) << st.describe() << "\n" << out;
    EXPECT_NE(out.find("\"format\": \"XRGB8888\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"modifier\": \"LINEAR\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"sync\": \"zwp_linux_explicit_synchronization_v1\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"stop\": \"interrupted\""), std::string::npos) << out;
    EXPECT_EQ(out.find("\"presented\": 0,"), std::string::npos) << out;
    EXPECT_EQ(out.find("\"frames_drawn_on_gpu\": 0,"), std::string::npos) << out;
    EXPECT_NE(out.find("\"frames_from_cpu_pixels\": 0,"), std::string::npos) << out;
}

TEST_F(NodrmCli, AGpuDrawnNv12SolidShowsTheNearestColourNv12Allows)
{
    // 3c8aef in BT.601 limited range, decoded back: the nearest colour NV12 can carry.
    const pixels::Rgb want = pixels::bt601_limited_to_rgb(pixels::rgb_to_bt601_limited({0x3c, 0x8a, 0xef}));
    auto close_to = [&](const Image& im) {
        for (const Rgba& px : im.pixels) {
            if (std::abs(px.r - want.r) > 1 || std::abs(px.g - want.g) > 1 || std::abs(px.b - want.b) > 1) return false;
        }
        return true;
    };
    auto child = spawn("cli-nv12", {"--format", "NV12", "--pattern", "solid:3c8aef", "--fps", "10", "--render", "gpu", "--fullscreen", "--json"});
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto image = capture_until("nodrm-cli-nv12", close_to);
    const ExitStatus st = child->terminate(std::chrono::seconds{10});
    const std::string out = output("cli-nv12");
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_TRUE(close_to(*image)) << "the capture is not " << int{want.r} << "," << int{want.g} << "," << int{want.b}
                                  << " (within 1) everywhere\n" << out;
    ASSERT_TRUE(st.clean()) << st.describe() << "\n" << out;
    EXPECT_NE(out.find("\"format\": \"NV12\""), std::string::npos) << out;
    EXPECT_EQ(out.find("\"frames_drawn_on_gpu\": 0,"), std::string::npos) << out;
}

TEST_F(NodrmCli, TheCaptureTellsWhichFrameItShows)
{
    auto child = spawn("cli-stamp", {"--pattern", "moving-box", "--fps", "5", "--render", "gpu", "--fullscreen"});
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto first = capture_until("nodrm-cli-stamp-1", [](const Image& im) { return stamp_of(im).has_value(); });
    auto second = capture_until("nodrm-cli-stamp-2", [&](const Image& im) {
        const auto a = first ? stamp_of(*first) : std::nullopt;
        const auto b = stamp_of(im);
        return !a || (b && b->frame > a->frame);
    });
    const ExitStatus st = child->terminate(std::chrono::seconds{10});
    ASSERT_TRUE(first.ok() && second.ok());
    const auto a = stamp_of(*first);
    const auto b = stamp_of(*second);
    ASSERT_TRUE(a.has_value()) << "no readable stamp in the first capture\n" << output("cli-stamp");
    ASSERT_TRUE(b.has_value()) << "no readable stamp in the second capture";
    std::printf("stamps: frame %u at %u ms, then frame %u at %u ms\n", a->frame, a->time_ms, b->frame, b->time_ms);
    EXPECT_GT(b->frame, a->frame);
    EXPECT_GT(b->time_ms, a->time_ms);
    EXPECT_TRUE(st.clean()) << st.describe();
}


TEST_F(NodrmCli, OnLavapipeTheCpuRedrawsInPlaceAndTheCaptureIsTheWholeFrameItsStampNames)
{
    // --render auto on a CPU Vulkan device: the CPU draws only what changed into the mapped
    // buffers (three in turn, each holding an older frame). A capture must still be exactly the
    // frame its stamp names, every pixel.
    auto child = spawn("cli-cpu-draw", {"--pattern", "moving-box", "--fps", "8", "--fullscreen", "--json"});
    ASSERT_TRUE(child.ok()) << child.error().message();
    std::string mismatch = "no capture";
    auto exact = [&](const Image& im) {
        const auto stamp = stamp_of(im);
        if (!stamp || stamp->frame < 6) {  // wait until every buffer was redrawn in part
            mismatch = "no readable stamp past frame 5";
            return false;
        }
        const auto frame = sources::pattern_frame({sources::PatternKind::moving_box, {}}, im.width, im.height, stamp->frame,
                                                  stamp->time_ms);
        for (uint32_t y = 0; y < im.height; ++y) {
            for (uint32_t x = 0; x < im.width; ++x) {
                const Rgba& px = im.pixels[size_t{y} * im.width + x];
                const pixels::Rgb want = sources::pattern_pixel(frame, x, y);
                if (px.r != want.r || px.g != want.g || px.b != want.b) {
                    mismatch = "frame " + std::to_string(stamp->frame) + ": (" + std::to_string(x) + "," + std::to_string(y) +
                               ") is " + std::to_string(px.r) + "," + std::to_string(px.g) + "," + std::to_string(px.b) +
                               ", the frame has " + std::to_string(want.r) + "," + std::to_string(want.g) + "," +
                               std::to_string(want.b);
                    return false;
                }
            }
        }
        return true;
    };
    auto image = capture_until("nodrm-cli-cpu-draw", exact);
    const ExitStatus st = child->terminate(std::chrono::seconds{10});
    const std::string out = output("cli-cpu-draw");
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_TRUE(exact(*image)) << mismatch << "\n" << out;
    ASSERT_TRUE(st.clean()) << st.describe() << "\n" << out;
    EXPECT_NE(out.find("\"frames_drawn_on_gpu\": 0,"), std::string::npos) << out;
    EXPECT_EQ(out.find("\"frames_drawn_on_cpu\": 0,"), std::string::npos) << out;
}

// A Y4M stream of one colour (Y=128 Cb=96 Cr=192, BT.601 limited: RGB 233,91,66): `frames` frames
// of width x height, 4:2:0, written to `path`; `cut` bytes are left off the end.
void write_y4m(const std::string& path, uint32_t width, uint32_t height, int frames, size_t cut = 0, int fps = 25)
{
    std::string s = "YUV4MPEG2 W" + std::to_string(width) + " H" + std::to_string(height) + " F" + std::to_string(fps) +
                    ":1 Ip A1:1 C420jpeg\n";
    for (int i = 0; i < frames; ++i) {
        s += "FRAME\n";
        s += std::string(size_t{width} * height, static_cast<char>(128));
        s += std::string(size_t{width / 2} * (height / 2), static_cast<char>(96));
        s += std::string(size_t{width / 2} * (height / 2), static_cast<char>(192));
    }
    s.resize(s.size() - cut);
    std::ofstream{path, std::ios::binary} << s;
}

TEST_F(NodrmCli, AY4mStreamIsShownAsYuv420WithTheBt601Colour)
{
    const std::string path = artifacts_dir() + "/solid.y4m";
    // 200 frames at 3 fps (67 s): the stream outlasts capture_until's 60 s (at 25 fps it ended after 8 s,
    // before a capture on a loaded CI machine), and the test ends it once the capture matches.
    write_y4m(path, weston_->options().width, weston_->options().height, 200, 0, 3);
    auto child = spawn("cli-y4m", {"--input", path, "--fullscreen", "--json"});
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto close_to = [](const Image& im) {
        for (const Rgba& px : im.pixels) {
            if (std::abs(px.r - 233) > 1 || std::abs(px.g - 91) > 1 || std::abs(px.b - 66) > 1) return false;
        }
        return true;
    };
    auto image = capture_until("nodrm-cli-y4m", close_to);
    const ExitStatus st = child->terminate(std::chrono::seconds{10});
    const std::string out = output("cli-y4m");
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_TRUE(close_to(*image)) << "the capture is not 233,91,66 (within 1) everywhere\n" << out;
    EXPECT_TRUE(st.clean()) << st.describe() << "\n" << out;
    EXPECT_NE(out.find("\"format\": \"YUV420\""), std::string::npos) << out;
    // Progressive frames of square pixels are shown as the stream says: no note for Ip or A1:1.
    EXPECT_EQ(out.find("note: interlacing"), std::string::npos) << out;
    EXPECT_EQ(out.find("note: pixel aspect"), std::string::npos) << out;
}

TEST_F(NodrmCli, ATruncatedY4mShowsTheGoodFramesThenFailsNamingTheFrame)
{
    const std::string path = artifacts_dir() + "/cut.y4m";
    write_y4m(path, 64, 32, 5, 100);
    std::string out;
    const ExitStatus st = run("cli-y4m-cut", {"--input", path, "--late", "show", "--json"}, &out);
    EXPECT_EQ(exit_code(st), 1) << out;
    EXPECT_NE(out.find("frame 4 is cut short"), std::string::npos) << out;
    EXPECT_NE(out.find("\"frames_queued\": 4,"), std::string::npos) << out;
}

// The number after `"key": ` in a JSON summary; nullopt when the key is missing.
std::optional<double> json_number(const std::string& json, const std::string& key)
{
    const std::string tag = "\"" + key + "\": ";
    const size_t at = json.find(tag);
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(json.c_str() + at + tag.size(), nullptr);
}

TEST_F(NodrmCli, TheJsonSummarySplitsTheY4mUploadIntoSyncAndCopy)
{
    // 40 frames of 64x32 into lavapipe's YUV420 (one dma-buf: one sync start and end a frame),
    // read in place; buffers come back, so most writes are steady ones.
    const std::string path = artifacts_dir() + "/split.y4m";
    write_y4m(path, 64, 32, 40);
    std::string out;
    const ExitStatus st = run("cli-y4m-split", {"--input", path, "--fps", "120", "--late", "show", "--json", "--measure-upload"}, &out);
    ASSERT_EQ(exit_code(st), 0) << out;
    const auto steady = json_number(out, "write_steady_mb_per_s");
    const auto sync = json_number(out, "write_sync_us_per_frame");
    const auto copy = json_number(out, "write_copy_steady_mb_per_s");
    ASSERT_TRUE(steady && sync && copy) << out;
    EXPECT_GT(*steady, 0.0) << out;
    EXPECT_GT(*sync, 0.0) << "the sync ioctls take time" << out;
    // The same bytes over less time (the steady time less the syncs): faster, or equal once both
    // are rounded to 0.1 MB/s (a 64x32 frame's rates are a few MB/s).
    EXPECT_GE(*copy, *steady) << "the copy alone is not slower than the copy with the syncs around it" << out;
    // The same bracket, 10 in a row on one buffer (its best): measured once the first steady frame is in.
    const auto tight = json_number(out, "write_sync_tight_us");
    ASSERT_TRUE(tight) << out;
    EXPECT_GT(*tight, 0.0) << out;
    // The reference copies of the same input bytes (frames 4, 12, 20, ...: memcpy on some, the
    // upload's copy_frame_bytes on the others).
    const auto same_memcpy = json_number(out, "input_memcpy_mb_per_s");
    const auto same_copy = json_number(out, "input_copy_frame_bytes_mb_per_s");
    ASSERT_TRUE(same_memcpy && same_copy) << out;
    EXPECT_GT(*same_memcpy, 0.0) << out;
    EXPECT_GT(*same_copy, 0.0) << out;
}

TEST_F(NodrmCli, AStreamFasterThanTheCompositorKeepsItsClockByDroppingLateFrames)
{
    // 90 frames at 200 fps (0.45 s): weston repaints at 60 Hz at most, so most frames' times pass
    // before they could be shown. By default (--late drop) each such frame is read past and
    // counted: every frame is either queued or late, and most are late. With --late show every
    // frame is queued, none late.
    const std::string path = artifacts_dir() + "/fast.y4m";
    write_y4m(path, 64, 32, 90, 0, 200);
    std::string out;
    ExitStatus st = run("cli-y4m-late", {"--input", path, "--json"}, &out);
    ASSERT_EQ(exit_code(st), 0) << out;
    const auto queued = json_number(out, "frames_queued");
    const auto late = json_number(out, "late");
    const auto seconds = json_number(out, "seconds");
    ASSERT_TRUE(queued && late && seconds) << out;
    EXPECT_EQ(*queued + *late, 90.0) << out;
    EXPECT_GE(*late, 45.0) << "at most 60 Hz for 0.45 s, and the first frame's repaint" << out;
    EXPECT_NE(out.find("\"stop\": \"end of input\""), std::string::npos) << out;
    std::printf("--late drop: 90 frames at 200 fps: %.0f queued, %.0f late, %.2f s\n", *queued, *late, *seconds);

    st = run("cli-y4m-late-show", {"--input", path, "--late", "show", "--json"}, &out);
    ASSERT_EQ(exit_code(st), 0) << out;
    EXPECT_EQ(json_number(out, "frames_queued"), 90.0) << out;
    EXPECT_EQ(json_number(out, "late"), 0.0) << out;
    std::printf("--late show: 90 frames at 200 fps: all queued, %.2f s\n", json_number(out, "seconds").value_or(-1));
}

TEST_F(NodrmCli, WithoutMeasureUploadThePlayerDoesNoBenchmarkWork)
{
    // The same stream without --measure-upload: the upload is still counted, but nothing is copied
    // or synced beside it, so none of the reference figures is in the summary.
    const std::string path = artifacts_dir() + "/plain.y4m";
    write_y4m(path, 64, 32, 24);
    std::string out;
    const ExitStatus st = run("cli-y4m-plain", {"--input", path, "--fps", "120", "--late", "show", "--json"}, &out);
    ASSERT_EQ(exit_code(st), 0) << out;
    EXPECT_TRUE(json_number(out, "write_steady_mb_per_s")) << out;
    for (const char* key : {"memcpy_mb_per_s", "write_sync_tight_us", "loop_memcpy_mb_per_s", "input_memcpy_mb_per_s",
                            "input_copy_frame_bytes_mb_per_s"}) {
        EXPECT_EQ(out.find(std::string{"\""} + key + "\""), std::string::npos) << key << " measured without --measure-upload";
    }
}

TEST_F(NodrmCli, ALoopedStreamPlaysOnPastItsEndAndReportsProgressAsItGoes)
{
    // 6 frames looped for 30: five passes, the file read again from its first frame 4 times; a
    // progress line every 0.2 s on stderr, each a JSON object with the process's own figures.
    const std::string path = artifacts_dir() + "/loop.y4m";
    write_y4m(path, 64, 32, 6, 0, 60);
    std::string out;
    const ExitStatus st = run("cli-y4m-loop", {"--input", path, "--loop", "--frames", "30", "--late", "show", "--progress",
                                               "0.2", "--json"}, &out);
    ASSERT_EQ(exit_code(st), 0) << out;
    const size_t summary_at = out.find("{\n");  // the summary; progress lines are objects on one line
    ASSERT_NE(summary_at, std::string::npos) << out;
    const std::string summary = out.substr(summary_at);
    EXPECT_EQ(json_number(summary, "input_loops"), 4.0) << out;
    EXPECT_EQ(json_number(summary, "frames_queued"), 30.0) << out;
    EXPECT_NE(summary.find("\"stop\": \"frame count reached\""), std::string::npos) << out;
    int lines = 0;
    std::istringstream in{out};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("{\"progress\": {", 0) != 0) continue;
        ++lines;
        EXPECT_GT(json_number(line, "rss_bytes").value_or(0), 1e6) << line;
        EXPECT_GT(json_number(line, "open_fds").value_or(0), 3) << line;
        EXPECT_GE(json_number(line, "dmabufs").value_or(0), 2) << "lavapipe's buffers are dma-bufs here\n" << line;
        EXPECT_TRUE(json_number(line, "presented").has_value()) << line;
    }
    EXPECT_GE(lines, 1) << out;
    // Standard input cannot be read again: a usage error before anything is shown.
    const ExitStatus refused = run("cli-y4m-loop-stdin", {"--input", "-", "--loop"}, &out);
    EXPECT_EQ(exit_code(refused), 2) << out;
    EXPECT_NE(out.find("--loop cannot play standard input again"), std::string::npos) << out;
}

TEST_F(NodrmCli, FfmpegPipesIntoDmafeed)
{
    if (system("command -v ffmpeg >/dev/null 2>&1") != 0) GTEST_SKIP() << "ffmpeg is not installed (tools/setup installs it)";
    const std::string log = log_path("cli-ffmpeg");
    const std::string cmd = "ffmpeg -loglevel error -f lavfi -i testsrc2=size=96x64:rate=25 -frames:v 12 -f yuv4mpegpipe - | "
                            "WAYLAND_DISPLAY=" + weston_->socket() + " " + DMAFEED_TOOL_PATH + " --input - --late show --json >" + log + " 2>&1";
    const int rc = system(cmd.c_str());
    const std::string out = output("cli-ffmpeg");
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("\"frames_queued\": 12,"), std::string::npos) << out;
    EXPECT_NE(out.find("\"stop\": \"end of input\""), std::string::npos) << out;
}

TEST_F(NodrmCli, AFullRangeStreamIsDeclaredAsSuchOrRefusedWhereItCannotBe)
{
    // ffmpeg writes XCOLORRANGE=FULL for yuvj420p. weston 14 has no wp_color_representation_v1 to
    // be told, and would decode the frames as limited range: refused, naming the stream's tag;
    // --yuv-range limited plays it anyway.
    if (system("command -v ffmpeg >/dev/null 2>&1") != 0) GTEST_SKIP() << "ffmpeg is not installed (tools/setup installs it)";
    const std::string y4m = artifacts_dir() + "/full-range.y4m";
    const std::string make = "ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=96x64:rate=25 -frames:v 3 -pix_fmt yuvj420p "
                             "-strict -1 -f yuv4mpegpipe " + y4m;
    ASSERT_EQ(system(make.c_str()), 0);
    std::string header;
    std::getline(std::ifstream{y4m}, header);
    ASSERT_NE(header.find("XCOLORRANGE=FULL"), std::string::npos) << "ffmpeg did not tag the stream: " << header;
    const std::string env = "WAYLAND_DISPLAY=" + weston_->socket() + " ";
    const std::string refused = log_path("cli-full-range"), played = log_path("cli-full-range-limited");
    int rc = system((env + DMAFEED_TOOL_PATH + " --input " + y4m + " --late show >" + refused + " 2>&1").c_str());
    std::string out = output("cli-full-range");
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 1) << out;
    EXPECT_NE(out.find("full range"), std::string::npos) << out;
    EXPECT_NE(out.find("XCOLORRANGE=FULL"), std::string::npos) << out;
    EXPECT_NE(out.find("does not offer wp_color_representation_v1"), std::string::npos) << out;
    rc = system((env + DMAFEED_TOOL_PATH + " --input " + y4m + " --late show --yuv-range limited --json >" + played + " 2>&1").c_str());
    out = output("cli-full-range-limited");
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << out;
    EXPECT_NE(out.find("--yuv-range limited overrides the stream's XCOLORRANGE"), std::string::npos) << out;
    EXPECT_NE(out.find("\"frames_queued\": 3,"), std::string::npos) << out;
}

TEST_F(NodrmCli, TheCApiExampleShowsItsColourThroughCpuPointers)
{
    // tools/example/dmafeed-example.c, built with only <dmafeed/dmafeed.h> and pkg-config.
    auto child = spawn("c-example", {"20c060", "100000", "auto", "20000", "fullscreen"}, DMAFEED_EXAMPLE_PATH);
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto image = capture_until("nodrm-c-example", [](const Image& im) { return differing(im, 0x20, 0xc0, 0x60) == 0; });
    const ExitStatus st = child->terminate(std::chrono::seconds{10});
    const std::string out = output("c-example");
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(differing(*image, 0x20, 0xc0, 0x60), 0u) << out;
    EXPECT_TRUE(st.clean()) << st.describe() << "\n" << out;
    EXPECT_NE(out.find("queued "), std::string::npos) << out;
}

TEST_F(NodrmCli, TheCApiExampleShowsItsColourFromUdmabufBuffers)
{
    // The same example on allocator "udmabuf": system memory made dma-bufs, CPU pointers only.
    auto child = spawn("c-example-udmabuf", {"a05a28", "100000", "udmabuf", "20000", "fullscreen"}, DMAFEED_EXAMPLE_PATH);
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto image = capture_until("nodrm-c-example-udmabuf", [](const Image& im) { return differing(im, 0xa0, 0x5a, 0x28) == 0; });
    const ExitStatus st = child->terminate(std::chrono::seconds{10});
    const std::string out = output("c-example-udmabuf");
    ASSERT_TRUE(image.ok()) << image.error().message() << "\n" << out;
    EXPECT_EQ(differing(*image, 0xa0, 0x5a, 0x28), 0u) << out;
    EXPECT_TRUE(st.clean()) << st.describe() << "\n" << out;
}

TEST_F(NodrmCli, UdmabufBuffersShowTheExactSolidColour)
{
    auto child = spawn("cli-udmabuf", {"--allocator", "udmabuf", "--pattern", "solid:5b2fd0", "--fps", "10", "--fullscreen", "--json"});
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto image = capture_until("nodrm-cli-udmabuf", [](const Image& im) { return differing(im, 0x5b, 0x2f, 0xd0) == 0; });
    const ExitStatus st = child->terminate(std::chrono::seconds{10});
    const std::string out = output("cli-udmabuf");
    ASSERT_TRUE(image.ok()) << image.error().message() << "\n" << out;
    EXPECT_EQ(differing(*image, 0x5b, 0x2f, 0xd0), 0u) << out;
    ASSERT_TRUE(st.clean()) << st.describe() << "\n" << out;
    EXPECT_NE(out.find("\"allocator\": \"udmabuf buffers (/dev/udmabuf)\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"modifier\": \"LINEAR\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"frames_drawn_on_gpu\": 0,"), std::string::npos) << out;
}

TEST_F(NodrmCli, ACHostClearsTheFramesVulkanImagesUnderTheValidationLayer)
{
    // tests/vm/vulkan_host.c: the C API's Vulkan device and images, the host's own command buffer
    // (acquire from FOREIGN, vkCmdClearColorImage, release to FOREIGN in GENERAL) and its sync_file
    // handed to dmafeed_queue_fenced; the layer (with synchronization validation) checks the host's
    // commands as well as dmafeed's.
    auto child = spawn("vulkan-host", {"c4326e", "100000"}, DMAFEED_VULKAN_HOST_PATH, {{"DMAFEED_VK_VALIDATION", "1"}});
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto image = capture_until("nodrm-vulkan-host", [](const Image& im) { return differing(im, 0xc4, 0x32, 0x6e) == 0; });
    const ExitStatus st = child->terminate(std::chrono::seconds{10});
    const std::string out = output("vulkan-host");
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(differing(*image, 0xc4, 0x32, 0x6e), 0u) << out;
    EXPECT_TRUE(st.clean()) << st.describe() << "\n" << out;
    EXPECT_EQ(out.find("is not installed"), std::string::npos) << "the validation layer did not run\n" << out;
    EXPECT_EQ(out.find("error: vulkan validation"), std::string::npos) << out;
    EXPECT_EQ(out.find("warning: vulkan validation"), std::string::npos) << out;
    // Every frame went with the host's sync_file (lavapipe exports SYNC_FD semaphores).
    unsigned long frames = 0, fenced = 0;
    unsigned buffers = 0;
    const auto at = out.find("frames ");
    ASSERT_NE(at, std::string::npos) << out;
    ASSERT_EQ(std::sscanf(out.c_str() + at, "frames %lu, fenced %lu, buffers %u", &frames, &fenced, &buffers), 3) << out;
    EXPECT_GE(frames, 1u);
    EXPECT_EQ(fenced, frames);
    EXPECT_GE(buffers, 1u);
    EXPECT_LE(buffers, 3u);
}

TEST_F(NodrmCli, A444p10StreamNamesTheFormatsItNeedsAndWhatTheCompositorOffers)
{
    // 10-bit 4:4:4 is shown as Q410 or Q401 only; weston 14 in this set-up offers neither (nor any
    // other 4:4:4 format with more than 8 bits): a runtime failure that says so.
    if (system("command -v ffmpeg >/dev/null 2>&1") != 0) GTEST_SKIP() << "ffmpeg is not installed (tools/setup installs it)";
    const std::string log = log_path("cli-444p10");
    const std::string cmd = "ffmpeg -loglevel error -f lavfi -i testsrc2=size=96x64:rate=25 -frames:v 3 -pix_fmt yuv444p10le "
                            "-strict -1 -f yuv4mpegpipe - | WAYLAND_DISPLAY=" + weston_->socket() + " " + DMAFEED_TOOL_PATH +
                            " --input - >" + log + " 2>&1";
    const int rc = system(cmd.c_str());
    const std::string out = output("cli-444p10");
    ASSERT_TRUE(WIFEXITED(rc)) << rc;
    EXPECT_EQ(WEXITSTATUS(rc), 1) << out;
    for (const char* want : {"cannot show the Y4M stream", "for Q410", "for Q401", "the compositor offers for Q410: nothing (it offers: ",
                             "the compositor offers for Q401: nothing (it offers: "}) {
        EXPECT_NE(out.find(want), std::string::npos) << "missing \"" << want << "\"\n" << out;
    }
    EXPECT_NE(out.find("can produce for Q410: LINEAR"), std::string::npos) << "lavapipe exports Q410 plane by plane\n" << out;
}

TEST_F(NodrmCli, UsageErrorsExitWith2AndRuntimeFailuresWith1)
{
    std::string out;
    EXPECT_EQ(exit_code(run("cli-usage", {"--size", "12"}, &out)), 2) << out;
    EXPECT_NE(out.find("--size"), std::string::npos) << out;
    // No compositor pair has that modifier: a runtime failure whose message lists both sides.
    EXPECT_EQ(exit_code(run("cli-nopair", {"--format", "RGB565", "--modifier", "0x0100000000000002", "--frames", "1"}, &out)),
              1)
        << out;
    EXPECT_NE(out.find("the compositor offers for RGB565"), std::string::npos) << out;
    // weston 14 has no wp_color_representation_v1: BT.709 NV12 would be shown with BT.601 colours.
    EXPECT_EQ(exit_code(run("cli-yuv709", {"--format", "NV12", "--yuv-matrix", "bt709", "--frames", "1"}, &out)), 1) << out;
    EXPECT_NE(out.find("does not offer wp_color_representation_v1"), std::string::npos) << out;
}

}  // namespace
}  // namespace dmafeed::test

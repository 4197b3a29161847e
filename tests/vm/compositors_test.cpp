// The vm suite against the compositors of the sid root besides weston: sway and labwc on vkms (their
// DRM backends: real KMS scanout), KWin's DRM backend on virtio-gpu (explicit sync through
// wp_linux_drm_syncobj_v1), mutter headless. One compositor per guest session
// (run_suite.py's sid-sway, sid-labwc, sid-kwin and sid-mutter), started by the first check:
//   every compositor:  dmafeed-info's report of what it offers into the artifacts; the player's
//                      frames presented (wp_presentation), ZERO_COPY where it scans out, with
//                      syncobj acquire points where it offers them (KWin), paced by fifo and
//                      timed by commit-timing where offered (pacing_checks.hpp); the C API
//                      example's frames presented; HDR10 (PQ, BT.2020, mastering display and
//                      light levels) declared with wp_color_manager_v1 where the compositor lists
//                      them, else refused with an error naming what it lacks; dmafeed-conform
//                      agrees with the compositor's table (tools/conform/expect/<name>-<version>.expect),
//                      and where it scans out (sway, labwc), so do its scanout cases (--only scanout)
//   where the output can be read back (sway and labwc with grim, KWin through its D-Bus
//                      screenshot API, mutter through its screen cast API and PipeWire): the exact colour of the player and of the C API example in
//                      the capture; on KWin the player's frames carry syncobj acquire points, so
//                      its capture shows that CPU-written frames were released to the compositor
#include "color_checks.hpp"
#include "compositor_fixture.hpp"
#include "pacing_checks.hpp"
#include "vm_checks.hpp"
#include "vm_session.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>

namespace dmafeed::test {
namespace {

// The output size the recipes ask for where they can choose one (sway, mutter); labwc and KWin keep
// the KMS device's preferred mode (1024x768 on vkms and on virtio-gpu).
constexpr uint32_t output_width = 128, output_height = 96;

struct Shared {
    std::unique_ptr<Compositor> compositor;
    std::optional<CompositorKind> kind;
    std::string start_error;
};

Shared& shared()
{
    static Shared s;
    return s;
}

// Stops the session's compositor after the last check: a death during the checks fails the run; how
// its shutdown went is printed (KMS compositors' shutdowns are not what the suite tests).
class CompositorEnvironment : public ::testing::Environment {
public:
    void TearDown() override
    {
        if (auto& c = shared().compositor) {
            const std::string report = c->death_report();
            EXPECT_TRUE(report.empty()) << c->traits().name << " died during the checks: " << report;
            if (report.empty()) std::printf("%s on SIGTERM: %s\n", c->version().c_str(), c->stop().c_str());
            c.reset();
        }
    }
};

[[maybe_unused]] ::testing::Environment* const compositor_env = ::testing::AddGlobalTestEnvironment(new CompositorEnvironment);

class SidCompositor : public ::testing::TestWithParam<CompositorKind> {
protected:
    void SetUp() override
    {
        const CompositorTraits& t = compositor_traits(GetParam());
        ASSERT_EQ(vm_setup(), t.setup) << t.name << " runs in the " << t.setup << " set-up (run_suite.py's sid-" << t.name << ")";
        Shared& s = shared();
        if (!s.kind) {
            s.kind = GetParam();
            auto started = Compositor::start(GetParam(), output_width, output_height);
            if (started) {
                s.compositor = std::move(started).value();
                std::ofstream{artifacts_dir() + "/compositor.txt"} << s.compositor->version() << "\n";
            } else {
                s.start_error = started.error().message();
            }
        }
        ASSERT_EQ(*s.kind, GetParam()) << "one compositor per guest session";
        ASSERT_TRUE(s.compositor) << t.name << " is not running: " << s.start_error;
        c_ = s.compositor.get();
        const std::string report = c_->death_report();
        ASSERT_TRUE(report.empty()) << report;
    }

    void TearDown() override
    {
        if (c_) {
            const std::string report = c_->death_report();
            EXPECT_TRUE(report.empty()) << c_->traits().name << " died during the check: " << report;
        }
    }

    std::string name(const std::string& what) const { return std::string{c_->traits().name} + "-" + what; }
    std::string log_path(const std::string& what) const { return artifacts_dir() + "/" + name(what) + ".log"; }

    Result<ChildProcess> spawn(const std::string& what, const std::vector<std::string>& argv)
    {
        return ChildProcess::spawn({.argv = argv, .env = c_->client_env(), .output_path = log_path(what), .cwd = {}});
    }

    // Runs `argv` to its end (at most `limit`); the output, and a failure when it was not clean.
    std::string run_to_end(const std::string& what, const std::vector<std::string>& argv, std::chrono::seconds limit)
    {
        auto child = spawn(what, argv);
        EXPECT_TRUE(child.ok()) << child.error().message();
        if (!child.ok()) return {};
        const auto st = child->wait_for(limit);
        if (!st) child->terminate(std::chrono::seconds{1});
        const std::string out = read_file(log_path(what));
        EXPECT_TRUE(st.has_value()) << argv[0] << " did not finish within " << limit.count() << " s\n" << out;
        if (st) {
            EXPECT_TRUE(st->clean()) << st->describe() << "\n" << out;
        }
        return out;
    }

    // Runs `argv` until the capture shows r,g,b everywhere (up to 30 captures 2 s apart), then
    // stops it with SIGTERM.
    void expect_exact_colour(const std::string& what, const std::vector<std::string>& argv, uint8_t r, uint8_t g, uint8_t b)
    {
        auto child = spawn(what, argv);
        ASSERT_TRUE(child.ok()) << child.error().message();
        Result<Image> image = Error{"no capture"};
        for (int i = 0; i < 30; ++i) {
            std::this_thread::sleep_for(std::chrono::seconds{2});
            image = c_->capture(name(what));
            if (!image || differing(*image, r, g, b) == 0 || child->poll()) break;
        }
        const ExitStatus st = child->terminate(std::chrono::seconds{10});
        const std::string out = read_file(log_path(what));
        ASSERT_TRUE(image.ok()) << image.error().message() << "\n" << out;
        EXPECT_EQ(differing(*image, r, g, b), 0u) << image->width << "x" << image->height << "\n" << out;
        EXPECT_TRUE(st.clean()) << st.describe() << "\n" << out;
    }

    Compositor* c_ = nullptr;
};

TEST_P(SidCompositor, InfoReportsWhatItOffers)
{
    const std::string dir = artifacts_dir();
    const std::string out = run_to_end("info", {DMAFEED_INFO_PATH}, std::chrono::seconds{120});
    std::filesystem::copy_file(log_path("info"), dir + "/" + name("info") + ".txt", std::filesystem::copy_options::overwrite_existing);
    run_to_end("info-json", {DMAFEED_INFO_PATH, "--json"}, std::chrono::seconds{120});
    const std::string want = std::string{"zwp_linux_dmabuf_v1 "} + c_->traits().dmabuf_version;
    EXPECT_NE(out.find(want), std::string::npos) << "missing \"" << want << "\"\n" << out;
    EXPECT_NE(out.find("pairs in common, best first: "), std::string::npos) << out;
}

TEST_P(SidCompositor, ThePlayersFramesArePresented)
{
    const std::string out = run_to_end("player", {DMAFEED_TOOL_PATH, "--pattern", "solid:3c8aef", "--frames", "30", "--fps", "10",
                                                  "--json", "--timeout", "30000"},
                                       std::chrono::seconds{240});
    const auto queued = json_count(out, "frames_queued");
    const auto presented = json_count(out, "presented");
    const auto zero_copy = json_count(out, "zero_copy");
    ASSERT_TRUE(queued && presented && zero_copy) << out;
    std::printf("%s: 30 frames queued, %lu presented, %lu ZERO_COPY\n", c_->version().c_str(), *presented, *zero_copy);
    EXPECT_EQ(*queued, 30u) << out;
    // The last frame may still be on screen when the player leaves (discarded, not presented).
    EXPECT_GE(*presented, 25u) << out;
    if (c_->traits().scans_out) {
        EXPECT_EQ(*zero_copy, *presented) << out;
    }
    // With syncobj every frame's acquire point must be signalled before the compositor samples
    // it: a frame whose point stayed unsignalled would never be presented.
    if (c_->traits().syncobj) {
        EXPECT_NE(out.find("\"sync\": \"wp_linux_drm_syncobj_v1\""), std::string::npos) << out;
    }
    // At --fps 10 every frame has a time to be shown at; fifo and commit timing where offered.
    const std::string info = run_to_end("player-info", {DMAFEED_INFO_PATH}, std::chrono::seconds{120});
    std::printf("%s: %s\n", c_->version().c_str(), check_pacing(info, out).c_str());
}

TEST_P(SidCompositor, AnHdr10DescriptionIsDeclaredWhereTheCompositorCanBeTold)
{
    const std::string info = run_to_end("color-info", {DMAFEED_INFO_PATH}, std::chrono::seconds{120});
    std::vector<std::string> argv{DMAFEED_TOOL_PATH};
    for (const std::string& a : hdr10_player_args()) argv.push_back(a);
    auto child = spawn("color", argv);
    ASSERT_TRUE(child.ok()) << child.error().message();
    const auto st = child->wait_for(std::chrono::seconds{240});
    if (!st) child->terminate(std::chrono::seconds{1});
    const std::string out = read_file(log_path("color"));
    ASSERT_TRUE(st.has_value()) << "dmafeed did not finish within 240 s\n" << out;
    std::printf("%s: HDR10 %s\n", c_->version().c_str(), check_hdr10(info, st->raw, out).c_str());
}

TEST_P(SidCompositor, TheCApiExamplesFramesArePresented)
{
    // tools/example/dmafeed-example.c: "queued N, presented M (callbacks K), ..." at its end.
    const std::string out = run_to_end("c-example", {DMAFEED_EXAMPLE_PATH, "20c060", "30", "auto", "30000"}, std::chrono::seconds{240});
    unsigned long queued = 0, presented = 0, callbacks = 0;
    const auto at = out.find("queued ");
    ASSERT_NE(at, std::string::npos) << out;
    ASSERT_EQ(std::sscanf(out.c_str() + at, "queued %lu, presented %lu (callbacks %lu)", &queued, &presented, &callbacks), 3) << out;
    EXPECT_EQ(queued, 30u) << out;
    EXPECT_GE(presented, 25u) << out;
    EXPECT_EQ(callbacks, presented) << out;
}

TEST_P(SidCompositor, DmafeedConformAgreesWithTheCompositorsTable)
{
    const std::string base = artifacts_dir() + "/" + name("conform");
    const std::string table = std::string{DMAFEED_CONFORM_EXPECT_DIR} + "/" + c_->traits().expect_table;
    const std::string out = run_to_end("conform", {DMAFEED_CONFORM_PATH, "--expect", table, "--compositor", c_->version(), "--timeout",
                                                   "30000", "--filter", c_->traits().conform_filter, "--json", base + ".json", "--html", base + ".html"},
                                       std::chrono::seconds{600});
    EXPECT_NE(out.find(" cases: "), std::string::npos) << out;
}

// The compositors that present a buffer covering the output with ZERO_COPY (sway, labwc on vkms).
class SidScanningOutCompositor : public SidCompositor {};

TEST_P(SidScanningOutCompositor, DmafeedConformsScanoutCasesAgreeWithTheCompositorsTable)
{
    // Every pair fullscreen at the output's size: which ones the compositor scans out (ZERO_COPY)
    // rather than composites; the table requires zero-copy where it was measured.
    const std::string base = artifacts_dir() + "/" + name("conform-scanout");
    const std::string table = std::string{DMAFEED_CONFORM_EXPECT_DIR} + "/" + c_->traits().expect_table;
    const std::string out =
        run_to_end("conform-scanout", {DMAFEED_CONFORM_PATH, "--only", "scanout", "--expect", table, "--compositor", c_->version(),
                                       "--timeout", "30000", "--json", base + ".json", "--html", base + ".html"},
                   std::chrono::seconds{600});
    EXPECT_NE(out.find(" cases: "), std::string::npos) << out;
    EXPECT_NE(read_file(base + ".json").find("\"outcome\": \"zero-copy\""), std::string::npos)
        << "no pair was scanned out\n" << out;
}

// The compositors whose output the suite can read back.
class SidCapturingCompositor : public SidCompositor {};

TEST_P(SidCapturingCompositor, TheCaptureShowsThePlayersExactColour)
{
    // Fullscreen: the buffer covers the output on every compositor (KWin places a window as asked).
    expect_exact_colour("player-solid",
                        {DMAFEED_TOOL_PATH, "--pattern", "solid:5b2fd0", "--fps", "10", "--timeout", "30000", "--fullscreen", "--json"},
                        0x5b, 0x2f, 0xd0);
    if (c_->traits().syncobj) {
        const std::string out = read_file(log_path("player-solid"));
        EXPECT_NE(out.find("\"sync\": \"wp_linux_drm_syncobj_v1\""), std::string::npos) << out;
    }
}

TEST_P(SidCapturingCompositor, TheCaptureShowsTheCApiExamplesColour)
{
    expect_exact_colour("c-example-solid", {DMAFEED_EXAMPLE_PATH, "a05a28", "100000", "auto", "30000"}, 0xa0, 0x5a, 0x28);
}

std::string param_name(const ::testing::TestParamInfo<CompositorKind>& info) { return compositor_traits(info.param).name; }

INSTANTIATE_TEST_SUITE_P(Sid, SidCompositor, ::testing::ValuesIn(all_compositor_kinds()), param_name);

// The compositors whose traits have `trait` set.
std::vector<CompositorKind> kinds_where(bool CompositorTraits::*trait)
{
    std::vector<CompositorKind> kinds;
    for (CompositorKind k : all_compositor_kinds()) {
        if (compositor_traits(k).*trait) kinds.push_back(k);
    }
    return kinds;
}

INSTANTIATE_TEST_SUITE_P(Sid, SidCapturingCompositor, ::testing::ValuesIn(kinds_where(&CompositorTraits::captures)), param_name);
INSTANTIATE_TEST_SUITE_P(Sid, SidScanningOutCompositor, ::testing::ValuesIn(kinds_where(&CompositorTraits::scans_out)),
                         param_name);

}  // namespace
}  // namespace dmafeed::test

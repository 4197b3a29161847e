// The vm suite on the Debian sid root (tools/vm's sid-* set-ups, weston 16):
//   every set-up: the binaries built on the host find each library they link in the sid root;
//   sid-nodrm:    dmafeed-conform against a weston 16 it starts agrees with weston-16.expect;
//                 dmafeed-info's report of what weston offers goes into the artifacts (info.txt,
//                 info.json) and names the linux-dmabuf version weston 16 offers there; a
//                 second weston 16 with color-management=true takes the player's HDR10
//                 declaration (color_checks.hpp);
//   sid-vkms:     weston's DRM backend puts dmafeed's buffers on the KMS plane itself (every
//                 presented frame ZERO_COPY in wp_presentation's feedback; paced by fifo and timed
//                 by commit-timing where offered: pacing_checks.hpp), and its capture (which
//                 makes weston composite again) shows the exact colour of the player and of the C
//                 API example.
#include "color_checks.hpp"
#include "pacing_checks.hpp"
#include "vm_checks.hpp"
#include "vm_session.hpp"

#include "child_process.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <sstream>
#include <sys/wait.h>
#include <thread>

namespace dmafeed::test {
namespace {

TEST(SidRoot, HostBuiltBinariesFindEveryLibraryInTheSidRoot)
{
    if (!vm_setup().starts_with("sid-")) GTEST_SKIP() << "sid-* set-ups only";
    EXPECT_NE(read_file("/etc/os-release").find("sid"), std::string::npos) << "the guest's root is not Debian sid";
    const std::map<std::string, std::string> programs{{"dmafeed", DMAFEED_TOOL_PATH},
                                                      {"dmafeed-info", DMAFEED_INFO_PATH},
                                                      {"dmafeed-conform", DMAFEED_CONFORM_PATH},
                                                      {"dmafeed-example", DMAFEED_EXAMPLE_PATH},
                                                      {"dmafeed-vulkan-host", DMAFEED_VULKAN_HOST_PATH},
                                                      {"dmafeed-vm-tests", std::filesystem::read_symlink("/proc/self/exe")}};
    for (const auto& [name, path] : programs) {
        const std::string log = artifacts_dir() + "/ldd-" + name + ".txt";
        const int rc = std::system(("ldd " + path + " >" + log + " 2>&1").c_str());
        const std::string out = read_file(log);
        EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << name << ": ldd failed\n" << out;
        EXPECT_EQ(out.find("not found"), std::string::npos) << name << "\n" << out;
        EXPECT_NE(out.find("libc.so.6 => /usr/lib/x86_64-linux-gnu/libc.so.6"), std::string::npos) << name << "\n" << out;
    }
}

// weston 16 in one of the sid set-ups: dmafeed-info's report, and players against it.
class SidWeston : public WestonTest {
protected:
    std::string log_path(const std::string& name) { return artifacts_dir() + "/" + name + ".log"; }

    // dmafeed-info's text report (info.txt) and JSON (info.json) in the artifacts; the text returned.
    std::string info_report()
    {
        const std::string dir = artifacts_dir();
        const std::string env = "WAYLAND_DISPLAY=" + weston_->socket() + " ";
        int rc = std::system((env + DMAFEED_INFO_PATH + " >" + dir + "/info.txt 2>&1").c_str());
        EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "dmafeed-info failed\n" << read_file(dir + "/info.txt");
        rc = std::system((env + DMAFEED_INFO_PATH + " --json >" + dir + "/info.json 2>" + dir + "/info.json.log").c_str());
        EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "dmafeed-info --json failed\n" << read_file(dir + "/info.json.log");
        rc = std::system(("python3 -c 'import json,sys; json.load(open(sys.argv[1]))' " + dir + "/info.json").c_str());
        EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "info.json does not parse";
        std::ofstream{dir + "/compositor.txt"} << weston_->version() << "\n";
        return read_file(dir + "/info.txt");
    }

    Result<ChildProcess> spawn(const std::string& name, const std::vector<std::string>& argv)
    {
        return ChildProcess::spawn({.argv = argv, .env = {{"WAYLAND_DISPLAY", weston_->socket()}}, .output_path = log_path(name)});
    }


    // Runs `argv` until its capture shows r,g,b everywhere, then stops it with SIGTERM.
    void expect_exact_colour(const std::string& name, const std::vector<std::string>& argv, uint8_t r, uint8_t g, uint8_t b)
    {
        auto child = spawn(name, argv);
        ASSERT_TRUE(child.ok()) << child.error().message();
        auto image = capture_until(name, [&](const Image& im) { return differing(im, r, g, b) == 0; });
        const ExitStatus st = child->terminate(std::chrono::seconds{10});
        const std::string out = read_file(log_path(name));
        ASSERT_TRUE(image.ok()) << image.error().message() << "\n" << out;
        EXPECT_EQ(image->width, weston_->options().width);
        EXPECT_EQ(image->height, weston_->options().height);
        EXPECT_EQ(differing(*image, r, g, b), 0u) << out;
        EXPECT_TRUE(st.clean()) << st.describe() << "\n" << out;
    }
};

class SidNodrmWeston : public SidWeston {
    const char* required_setup() const override { return "sid-nodrm"; }
};
class SidVirtioWeston : public SidWeston {
    const char* required_setup() const override { return "sid-virtio"; }
};
class SidVkmsWeston : public SidWeston {
    const char* required_setup() const override { return "sid-vkms"; }
};

TEST_F(SidNodrmWeston, InfoReportsLinuxDmabufV3WithoutADevice)
{
    const std::string out = info_report();
    EXPECT_NE(out.find("zwp_linux_dmabuf_v1 v3 (no feedback before v4)"), std::string::npos) << out;
    EXPECT_NE(out.find("XRGB8888: LINEAR"), std::string::npos) << out;
    EXPECT_NE(out.find("pairs in common, best first: "), std::string::npos) << out;
}

TEST_F(SidNodrmWeston, DmafeedConformAgreesWithWeston16sTable)
{
    // dmafeed-conform starts a weston 16 of its own (headless, GL on llvmpipe) and runs every case,
    // the leak checks included, against tools/conform/expect/weston-16.expect. The desktop shell:
    // weston 16.0.0's kiosk shell dies of SIGSEGV in some runs, at a case that varies (the
    // expectation table says more).
    const std::string base = artifacts_dir() + "/weston16-conform";
    const std::string command = "weston --backend=headless --renderer=gl --debug --shell=desktop --no-config --idle-time=0 "
                                "--width=320 --height=240 --socket=$WAYLAND_DISPLAY";
    auto child = ChildProcess::spawn({.argv = {DMAFEED_CONFORM_PATH, "--spawn", command, "--spawn-log", base + "-weston.log",
                                               "--compositor", weston_->version(), "--expect",
                                               std::string{DMAFEED_CONFORM_EXPECT_DIR} + "/weston-16.expect", "--json",
                                               base + ".json", "--html", base + ".html", "-q"},
                                      .env = {},
                                      .output_path = base + ".log"});
    ASSERT_TRUE(child.ok()) << child.error().message();
    const auto st = child->wait_for(std::chrono::seconds{400});
    if (!st) child->terminate(std::chrono::seconds{1});
    const std::string out = read_file(base + ".log");
    ASSERT_TRUE(st.has_value()) << "dmafeed-conform did not finish within 400 s\n" << out;
    EXPECT_TRUE(st->clean()) << st->describe() << "\n" << out;
    EXPECT_NE(out.find("capture: weston_capture_v1"), std::string::npos) << out;
}

TEST_F(SidNodrmWeston, Hdr10IsDeclaredToAColourManagedWeston)
{
    // A second weston 16 beside the session's, with colour management on (weston's own default is
    // off), on its own socket.
    const std::string dir = artifacts_dir();
    auto cm = Weston::start({.socket = "dmafeed-vm-cm", .log_path = dir + "/weston-cm.log", .color_management = true});
    ASSERT_TRUE(cm.ok()) << cm.error().message();
    const std::string env = "WAYLAND_DISPLAY=dmafeed-vm-cm ";
    const int rc = std::system((env + DMAFEED_INFO_PATH + " >" + dir + "/weston-cm-info.txt 2>&1").c_str());
    const std::string info = read_file(dir + "/weston-cm-info.txt");
    ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << info;
    EXPECT_NE(info.find("\nwp_color_manager_v1 v"), std::string::npos) << "weston 16 offers it when told to\n" << info;
    std::vector<std::string> argv{DMAFEED_TOOL_PATH};
    for (const std::string& arg : hdr10_player_args()) argv.push_back(arg);
    auto child = ChildProcess::spawn({.argv = argv, .env = {{"WAYLAND_DISPLAY", "dmafeed-vm-cm"}}, .output_path = log_path("weston-cm-color")});
    ASSERT_TRUE(child.ok()) << child.error().message();
    const auto st = child->wait_for(std::chrono::seconds{240});
    if (!st) child->terminate(std::chrono::seconds{1});
    const std::string out = read_file(log_path("weston-cm-color"));
    ASSERT_TRUE(st.has_value()) << "dmafeed did not finish within 240 s\n" << out;
    std::printf("%s (color-management=true): HDR10 %s\n", (*cm)->version().c_str(), check_hdr10(info, st->raw, out).c_str());
}

TEST_F(SidVirtioWeston, InfoReportsLinuxDmabufV5FeedbackOnTheVirtioRenderNode)
{
    const std::string out = info_report();
    for (const char* want : {"zwp_linux_dmabuf_v1 v5, default feedback:", "main device: /dev/dri/renderD128",
                             "gbm on /dev/dri/card0", "pairs in common, best first: "}) {
        EXPECT_NE(out.find(want), std::string::npos) << "missing \"" << want << "\"\n" << out;
    }
}

TEST_F(SidVkmsWeston, InfoReportsWhatTheDrmBackendOffers)
{
    const std::string out = info_report();
    for (const char* want : {"  zwp_linux_dmabuf_v1 v", "  wp_presentation v", "XRGB8888: ", "pairs in common, best first: "}) {
        EXPECT_NE(out.find(want), std::string::npos) << "missing \"" << want << "\"\n" << out;
    }
}

TEST_F(SidVkmsWeston, EveryPresentedFrameOfThePlayerIsScannedOutZeroCopy)
{
    // The buffer covers the whole output (fullscreen, dmafeed takes the configured size), so
    // weston puts it on vkms's primary plane instead of compositing it.
    const std::string name = "vkms-zero-copy";
    auto child = spawn(name, {DMAFEED_TOOL_PATH, "--pattern", "solid:3c8aef", "--frames", "30", "--fps", "10", "--fullscreen", "--json"});
    ASSERT_TRUE(child.ok()) << child.error().message();
    const auto st = child->wait_for(std::chrono::seconds{180});
    if (!st) child->terminate(std::chrono::seconds{1});
    const std::string out = read_file(log_path(name));
    ASSERT_TRUE(st.has_value()) << "dmafeed did not finish within 180 s\n" << out;
    ASSERT_TRUE(st->clean()) << st->describe() << "\n" << out;
    const auto queued = json_count(out, "frames_queued");
    const auto presented = json_count(out, "presented");
    const auto zero_copy = json_count(out, "zero_copy");
    ASSERT_TRUE(queued && presented && zero_copy) << out;
    std::printf("vkms: %lu frames queued, %lu presented, %lu ZERO_COPY\n", *queued, *presented, *zero_copy);
    EXPECT_EQ(*queued, 30u) << out;
    EXPECT_GT(*presented, 0u) << out;
    EXPECT_EQ(*zero_copy, *presented) << out;
    // At --fps 10 every frame has a time to be shown at; weston 16 offers fifo and commit timing.
    std::printf("weston 16 on vkms: %s\n", check_pacing(info_report(), out).c_str());
}

TEST_F(SidVkmsWeston, TheCaptureShowsThePlayersExactColour)
{
    // Until the first capture every frame was on the plane: weston composites with GL for the first
    // time then, and llvmpipe compiles its shaders, seconds under TCG in which weston answers no
    // one. dmafeed's bound on waiting for a frame callback is raised to cover that.
    expect_exact_colour("vkms-cli-solid", {DMAFEED_TOOL_PATH, "--pattern", "solid:5b2fd0", "--fps", "10", "--timeout", "30000", "--fullscreen"},
                        0x5b, 0x2f, 0xd0);
}

TEST_F(SidVkmsWeston, TheCaptureShowsTheCApiExamplesColour)
{
    // tools/example/dmafeed-example.c, built with only <dmafeed/dmafeed.h> and pkg-config. The first
    // capture stalls weston for seconds (see above; 2 s measured on an idle host): the example's
    // wait for a frame callback is raised from the library's 5 s as the player's is.
    expect_exact_colour("vkms-c-example", {DMAFEED_EXAMPLE_PATH, "20c060", "100000", "auto", "30000", "fullscreen"}, 0x20, 0xc0, 0x60);
}

}  // namespace
}  // namespace dmafeed::test

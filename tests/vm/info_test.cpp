// dmafeed-info against weston 14: exit 0, the compositor's side (globals, linux-dmabuf version,
// feedback in virtio), the local allocators, and the pairs both have; the JSON parses and says the
// same.
//   nodrm:  linux-dmabuf v3 (modifier events only); lavapipe's pairs; XRGB8888 LINEAR in common.
//   virtio: v5 feedback with the virtio render node as main device; GBM on card0 and lavapipe;
//           XRGB8888 in common.
#include "vm_session.hpp"

#include "child_process.hpp"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>

namespace dmafeed::test {
namespace {

// Runs dmafeed-info with `args` against the shared weston; stdout+stderr in `out`.
int run_info(const Weston& weston, const std::string& name, const std::vector<std::string>& args, std::string* out)
{
    const std::string log = artifacts_dir() + "/" + name + ".log";
    std::vector<std::string> argv{DMAFEED_INFO_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    auto child = ChildProcess::spawn({.argv = argv, .env = {{"WAYLAND_DISPLAY", weston.socket()}}, .output_path = log});
    EXPECT_TRUE(child.ok()) << child.error().message();
    if (!child.ok()) return -1;
    auto status = child->wait_for(std::chrono::seconds{120});
    EXPECT_TRUE(status.has_value()) << "dmafeed-info did not finish within 120 s";
    std::ifstream in{log};
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
    return status && WIFEXITED(status->raw) ? WEXITSTATUS(status->raw) : -1;
}

// dmafeed-info --json (stdout alone: notes go to stderr) parses with python3's json, and its
// "common" list names `format`.
void check_json(const Weston& weston, const std::string& name, const std::string& format)
{
    const std::string json = artifacts_dir() + "/" + name + ".json";
    const std::string run = "WAYLAND_DISPLAY=" + weston.socket() + " " + DMAFEED_INFO_PATH + " --json >" + json + " 2>" +
                            artifacts_dir() + "/" + name + ".log";
    int rc = std::system(run.c_str());
    ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "dmafeed-info --json failed";
    const std::string check = "python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); "
                              "sys.exit(0 if any(p[\"format\"]==sys.argv[2] for p in r[\"common\"]) else 3)' " +
                              json + " " + format;
    rc = std::system(check.c_str());
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "the JSON report does not parse or lacks " << format << " in common";
}

class NodrmInfo : public WestonTest {
    const char* required_setup() const override { return "nodrm"; }
};
class VirtioInfo : public WestonTest {
    const char* required_setup() const override { return "virtio"; }
};

TEST_F(NodrmInfo, ShowsVersion3FormatsLavapipesPairsAndWhatTheyShare)
{
    std::string out;
    ASSERT_EQ(run_info(*weston_, "info-nodrm", {}, &out), 0) << out;
    for (const char* want : {"  zwp_linux_dmabuf_v1 v", "zwp_linux_dmabuf_v1 v3 (no feedback before v4), modifier events:",
                             "XRGB8888: LINEAR*", "vulkan on llvmpipe", "(max ", "pairs in common, best first: "}) {
        EXPECT_NE(out.find(want), std::string::npos) << "missing \"" << want << "\"\n" << out;
    }
    check_json(*weston_, "info-nodrm-json", "XRGB8888");
}

TEST_F(VirtioInfo, ShowsTheFeedbackTheRenderNodeAndBothAllocators)
{
    std::string out;
    ASSERT_EQ(run_info(*weston_, "info-virtio", {}, &out), 0) << out;
    for (const char* want : {"zwp_linux_dmabuf_v1 v5, default feedback:", "main device: /dev/dri/renderD128",
                             "tranche 1: target device /dev/dri/renderD128", "XRGB8888: ", "gbm on /dev/dri/card0",
                             "vulkan on llvmpipe", "pairs in common, best first: "}) {
        EXPECT_NE(out.find(want), std::string::npos) << "missing \"" << want << "\"\n" << out;
    }
    check_json(*weston_, "info-virtio-json", "XRGB8888");
}

TEST_F(NodrmInfo, UsageErrorsExitWith2)
{
    std::string out;
    EXPECT_EQ(run_info(*weston_, "info-usage", {"--timeout", "5"}, &out), 2) << out;
    EXPECT_NE(out.find("--timeout"), std::string::npos) << out;
}

}  // namespace
}  // namespace dmafeed::test

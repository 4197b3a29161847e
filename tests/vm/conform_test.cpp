// dmafeed-conform against weston 14, in both set-ups: it spawns its own weston (headless, GL,
// desktop shell, --debug for weston_capture_v1), runs every case, and must agree with the table in the
// repo (tools/conform/expect/weston-14.expect): exit 0, no mismatch. The four reports must parse
// and agree (conform_report_check.py), and chosen outcomes are checked by id:
//   nodrm:  lavapipe's XRGB8888 and NV12 shown in every layout, the 10/16-bit, half-float, RGB565
//           and P010/P012/P016 pictures shown, YUV422 `failed`, the misuse errors, and weston's
//           dma-buf fd kept after the `incomplete` hole (leaks/fds-after-misuse).
//   virtio: GBM's buffers on card0 shown (LINEAR and implicit; XRGB2101010 too), lavapipe's `failed`.
// Also: a table that expects another error makes the run exit 1 with that case named.
#include "child_process.hpp"
#include "vm_session.hpp"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>

namespace dmafeed::test {
namespace {

// The desktop shell: weston's kiosk shell dies of SIGSEGV in some runs (docs/conformance.md, "weston's
// kiosk-shell crash").
const std::string weston_command =
    "weston --backend=headless --renderer=gl --debug --shell=desktop --no-config --idle-time=0 --width=320 "
    "--height=240 --socket=$WAYLAND_DISPLAY";

std::string read_file(const std::string& path)
{
    std::ifstream in{path};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs dmafeed-conform with `args` (a weston spawned for it); returns the exit status, the output
// in `out`.
int run_conform(const std::string& name, std::vector<std::string> args, std::string* out)
{
    const std::string log = artifacts_dir() + "/" + name + ".log";
    std::vector<std::string> argv{DMAFEED_CONFORM_PATH, "--spawn", weston_command, "--spawn-log",
                                  artifacts_dir() + "/" + name + "-weston.log", "--compositor", "weston 14"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto child = ChildProcess::spawn({.argv = argv, .env = {}, .output_path = log, .cwd = {}});
    EXPECT_TRUE(child.ok()) << child.error().message();
    if (!child.ok()) return -1;
    auto status = child->wait_for(std::chrono::seconds{600});
    EXPECT_TRUE(status.has_value()) << "dmafeed-conform did not finish within 600 s";
    *out = read_file(log);
    return status && WIFEXITED(status->raw) ? WEXITSTATUS(status->raw) : -1;
}

// The whole run with weston 14's table and every report, then the reports checked.
void run_against_table(const std::string& name, int min_cases, int min_shown, const std::vector<std::string>& outcomes)
{
    std::string out;
    const std::string base = artifacts_dir() + "/" + name;
    const int rc = run_conform(name, {"--expect", DMAFEED_CONFORM_EXPECT, "--json", base + ".json", "--junit", base + ".xml",
                                      "--tap", base + ".tap", "--html", base + ".html"},
                               &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(out.find(" cases: "), std::string::npos) << out;
    EXPECT_NE(out.find("capture: weston_capture_v1"), std::string::npos) << out;
    std::string check = std::string{"python3 "} + DMAFEED_CONFORM_CHECK + " --json " + base + ".json --junit " + base +
                        ".xml --tap " + base + ".tap --html " + base + ".html --min-cases " + std::to_string(min_cases) +
                        " --min-shown " + std::to_string(min_shown);
    for (const std::string& o : outcomes) check += " --outcome '" + o + "'";
    check += " >" + base + "-check.log 2>&1";
    const int crc = std::system(check.c_str());
    EXPECT_TRUE(WIFEXITED(crc) && WEXITSTATUS(crc) == 0) << read_file(base + "-check.log");
}

class NodrmConform : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (vm_setup() != "nodrm") GTEST_SKIP() << "runs in the nodrm set-up";
    }
};
class VirtioConform : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (vm_setup() != "virtio") GTEST_SKIP() << "runs in the virtio set-up";
    }
};

TEST_F(NodrmConform, Weston14AgreesWithItsTable)
{
    run_against_table("conform-nodrm", 200, 170,
                      {"matrix/vulkan/XRGB8888/LINEAR/tight/implicit=shown",
                       "matrix/vulkan/XRGB2101010/LINEAR/odd-size/implicit=shown",
                       "matrix/vulkan/ABGR16161616/LINEAR/tight/explicit=shown",
                       "matrix/vulkan/XBGR16161616F/LINEAR/padded-stride/implicit=shown",
                       "matrix/vulkan/RGB565/LINEAR/tight/implicit=shown",
                       "matrix/vulkan/P010/LINEAR/tight/implicit=shown",
                       "matrix/vulkan/P012/LINEAR/fd-per-plane/explicit=shown",
                       "matrix/vulkan/P016/LINEAR/odd-size/implicit=shown",
                       "matrix/vulkan/XRGB8888/LINEAR/padded-stride/explicit=shown",
                       "matrix/vulkan/XRGB8888/LINEAR/plane-offset/implicit=shown",
                       "matrix/vulkan/XRGB8888/LINEAR/odd-size/explicit=shown",
                       "matrix/vulkan/NV12/LINEAR/tight/implicit=shown",
                       "matrix/vulkan/NV12/LINEAR/odd-size/explicit=shown",
                       "matrix/vulkan/NV12/LINEAR/fd-per-plane/implicit=shown",
                       "matrix/vulkan/YUV422/LINEAR/tight/implicit=failed",
                       "misuse/already_used/create-twice=error already_used",
                       "misuse/plane_idx/index-4=error plane_idx",
                       "misuse/plane_set/same-plane-twice=error plane_set",
                       "misuse/incomplete/hole=error incomplete",
                       "misuse/invalid_format/modifier-differs=error invalid_format",
                       "misuse/invalid_dimensions/width-0=error invalid_dimensions",
                       "misuse/out_of_bounds/offset-past-size=error out_of_bounds",
                       "misuse/out_of_bounds/stride-times-height-past-size=error out_of_bounds",
                       "leaks/fds-after-misuse=leak"});
}

TEST_F(VirtioConform, Weston14AgreesWithItsTable)
{
    run_against_table("conform-virtio", 300, 75,
                      {"matrix/gbm/XRGB8888/LINEAR/tight/implicit=shown", "matrix/gbm/XRGB8888/INVALID/tight/explicit=shown",
                       "matrix/gbm/XRGB2101010/LINEAR/tight/implicit=shown",
                       "matrix/gbm/ABGR2101010/INVALID/odd-size/explicit=shown",
                       "matrix/vulkan/P010/LINEAR/tight/implicit=failed",
                       "matrix/gbm/ARGB8888/LINEAR/padded-stride/implicit=shown",
                       "matrix/gbm/XRGB8888/INVALID/odd-size/implicit=shown",
                       "matrix/vulkan/XRGB8888/LINEAR/tight/implicit=failed",
                       "misuse/invalid_wl_buffer/create-immed-unimportable=error invalid_wl_buffer",
                       "misuse/out_of_bounds/offset-plus-stride-overflows=error out_of_bounds",
                       "leaks/fds-after-misuse=leak"});
}

TEST_F(NodrmConform, ATableThatExpectsAnotherErrorFailsTheRunAndNamesTheCase)
{
    const std::string table = artifacts_dir() + "/wrong.expect";
    std::ofstream{table} << "misuse/plane_idx/*   error plane_set   # wrong on purpose\n";
    std::string out;
    EXPECT_EQ(run_conform("conform-wrong", {"--expect", table, "--only", "misuse", "--filter", "misuse/plane_*"}, &out), 1)
        << out;
    EXPECT_NE(out.find("MISMATCH misuse/plane_idx/index-4: error plane_idx, expected error plane_set"), std::string::npos)
        << out;
    EXPECT_NE(out.find("2 cases: 1 passed, 1 mismatched, 0 skipped"), std::string::npos) << out;
}

TEST_F(NodrmConform, UsageErrorsExit2)
{
    std::string out;
    EXPECT_EQ(run_conform("conform-usage", {"--only", "everything"}, &out), 2) << out;
    EXPECT_NE(out.find("--only: unknown group 'everything'"), std::string::npos) << out;
    EXPECT_EQ(run_conform("conform-usage-limit", {"--case-limit", "0"}, &out), 2) << out;
    EXPECT_NE(out.find("--case-limit: '0': seconds, 0.01 to 86400"), std::string::npos) << out;
}

TEST_F(NodrmConform, ACaseThatOutlivesTheCaseLimitEndsTheRunWithStatus3AndTheCompositor)
{
    // The leak check after the misuse cases waits 300 ms at least for weston's files to settle:
    // past a 0.1 s limit, whichever case the watchdog catches first.
    std::string out;
    EXPECT_EQ(run_conform("conform-stuck", {"--only", "misuse,leaks", "--filter", "misuse/plane_idx/*", "--case-limit", "0.1"},
                          &out),
              3)
        << out;
    EXPECT_NE(out.find("has not ended after 0.1 s: it is stuck"), std::string::npos) << out;
    EXPECT_NE(out.find(", running the case: state "), std::string::npos) << out;
    // The spawned weston went with it (SIGKILL) rather than outliving the run. ([d]: the pattern
    // does not match the shell that runs pgrep.)
    EXPECT_NE(std::system("pgrep -f -- 'socket=[d]mafeed-conform-' >/dev/null"), 0) << "a spawned weston outlived the run";
}

}  // namespace
}  // namespace dmafeed::test

// dmafeed-conform's scanout cases (tools/conform/scanout.hpp) against the test compositor, which
// presents a fullscreen buffer of the output's size in one of Config::scanout's pairs with
// ZERO_COPY, as a DRM compositor that puts it on a plane does: the case records zero-copy for
// that pair and shown (composited, the capture compared) for the others, the defaults accept
// both, and a table that requires zero-copy fails the pair that is not scanned out.
#include "memfd_allocator.hpp"
#include "test_compositor.hpp"

#include "conform/capture.hpp"
#include "conform/expectations.hpp"
#include "conform/scanout.hpp"

#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;

const FormatModifier xrgb{DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear};
const FormatModifier xbgr{DrmFormat{DRM_FORMAT_XBGR8888}, modifier_linear};

struct ScanoutRun {
    std::unique_ptr<TestCompositor> compositor;
    std::vector<conform::CaseResult> results;
};

ScanoutRun run_scanout(std::vector<FormatModifier> scanout, bool capture)
{
    Config config;
    config.formats = FormatSet{xrgb, xbgr};
    config.output_width = 64;
    config.output_height = 48;
    config.scanout = std::move(scanout);
    config.capture.weston = false;
    config.capture.image_copy = capture;
    config.tick_on_commit = true;
    config.shm = capture;  // the capture's buffers
    ScanoutRun run;
    auto c = TestCompositor::create(std::move(config));
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
    if (!c.ok()) return run;
    run.compositor = std::move(*c);
    MemfdFactory factory{FormatSet{xrgb, xbgr}};
    auto made = factory.factory()(dev_t{0});
    EXPECT_TRUE(made.ok());
    if (!made.ok()) return run;
    conform::MatrixOptions options{.display = run.compositor->socket_name(),
                                   .offered = run.compositor->config().formats,
                                   .allocators = {made->backends.front().get()},
                                   .timeout = 2000ms};
    if (capture) {
        const std::string display = run.compositor->socket_name();
        options.new_capturer = [display] { return conform::Capturer::create(display, 2000ms); };
    }
    run.results = conform::run_scanout(options, {});
    return run;
}

const conform::CaseResult* find(const std::vector<conform::CaseResult>& results, const std::string& id)
{
    for (const auto& r : results) {
        if (r.id == id) return &r;
    }
    return nullptr;
}

TEST(ConformScanout, ThePairTheCompositorScansOutIsZeroCopyAndTheOtherIsComposited)
{
    const ScanoutRun run = run_scanout({xrgb}, true);
    ASSERT_EQ(run.results.size(), 2u);
    const conform::CaseResult* x = find(run.results, "scanout/memfd/XRGB8888/LINEAR");
    const conform::CaseResult* b = find(run.results, "scanout/memfd/XBGR8888/LINEAR");
    ASSERT_TRUE(x && b);
    EXPECT_EQ(x->outcome, "zero-copy") << x->detail;
    EXPECT_EQ(x->zero_copy, true);
    EXPECT_NE(x->detail.find("64x48 fullscreen"), std::string::npos) << "the output's size\n" << x->detail;
    EXPECT_NE(x->detail.find("ZERO_COPY on 4 of 4 presented frames"), std::string::npos) << x->detail;
    EXPECT_NE(x->detail.find("shown at (0,0)"), std::string::npos) << "the capture compared too\n" << x->detail;
    EXPECT_EQ(b->outcome, "shown") << b->detail;
    EXPECT_EQ(b->zero_copy, false);
    EXPECT_NE(b->detail.find("ZERO_COPY on 0 of 4 presented frames"), std::string::npos) << b->detail;
    // One capture a case, each of a capturer made after the case's frames.
    EXPECT_EQ(run.compositor->records().captures.size(), 2u);
}

TEST(ConformScanout, WithoutACaptureTheOutcomeIsZeroCopyOrCreated)
{
    const ScanoutRun run = run_scanout({xbgr}, false);
    ASSERT_EQ(run.results.size(), 2u);
    EXPECT_EQ(find(run.results, "scanout/memfd/XRGB8888/LINEAR")->outcome, "created");
    EXPECT_EQ(find(run.results, "scanout/memfd/XBGR8888/LINEAR")->outcome, "zero-copy");
}

TEST(ConformScanout, TheDefaultsAcceptEitherAndATableCanRequireZeroCopy)
{
    ScanoutRun run = run_scanout({xrgb}, true);
    ASSERT_EQ(run.results.size(), 2u);
    conform::RunInfo info;
    info.capture_method = "ext-image-copy-capture-v1";
    conform::Expectations{}.evaluate(info, run.results);
    for (const auto& r : run.results) EXPECT_EQ(r.verdict, conform::Verdict::pass) << r.id << ": " << r.expected;

    auto table = conform::Expectations::parse("scanout/*/*/LINEAR  zero-copy\n", "scanout.expect");
    ASSERT_TRUE(table.ok()) << table.error().message();
    table->evaluate(info, run.results);
    EXPECT_EQ(find(run.results, "scanout/memfd/XRGB8888/LINEAR")->verdict, conform::Verdict::pass);
    EXPECT_EQ(find(run.results, "scanout/memfd/XBGR8888/LINEAR")->verdict, conform::Verdict::mismatch);
}

}  // namespace
}  // namespace dmafeed::test

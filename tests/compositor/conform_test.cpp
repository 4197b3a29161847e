// dmafeed-conform's misuse runner (tools/conform/misuse.hpp) against the test compositor, whose
// validation order (test_compositor.hpp) fixes what every case must give there; the expectation
// table applied to those results; and the runner's own hygiene: hooks in order, a fresh connection
// per case, no file left open in this process.
#include "test_compositor.hpp"

#include "conform/expectations.hpp"
#include "conform/misuse.hpp"
#include "conform/session.hpp"
#include "fd_count.hpp"

#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using conform::CaseResult;

constexpr const char* dev_t_case = "misuse/invalid_dev_t_size/short-device-array";

std::unique_ptr<TestCompositor> start(uint32_t dmabuf_version)
{
    Config config;
    config.dmabuf_version = dmabuf_version;
    config.formats = FormatSet{{DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear},
                               {DrmFormat{DRM_FORMAT_NV12}, modifier_linear}};
    config.keep_plane_fds = false;  // so that the fd count can return to its baseline
    auto c = TestCompositor::create(std::move(config));
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
    return c.ok() ? std::move(*c) : nullptr;
}

conform::MisuseOptions options_for(const TestCompositor& c)
{
    return conform::MisuseOptions{.display = c.socket_name(),
                                  .offered = c.config().formats,
                                  .dmabuf_version = c.config().dmabuf_version,
                                  .timeout = 2000ms,
                                  .allow_udmabuf = false};
}

// What the test compositor's validation order gives each case at zwp_linux_dmabuf_v1 v5.
std::map<std::string, std::string> outcomes_at_v5()
{
    return {
        {"misuse/already_used/add-after-create", "error already_used"},
        {"misuse/already_used/create-twice", "error already_used"},
        {"misuse/plane_idx/index-4", "error plane_idx"},
        {"misuse/plane_set/same-plane-twice", "error plane_set"},
        {"misuse/incomplete/no-planes", "error incomplete"},
        {"misuse/incomplete/hole", "error incomplete"},
        {"misuse/incomplete/nv12-luma-only", "error incomplete"},  // NV12 LINEAR needs exactly 2 planes
        {"misuse/invalid_format/modifier-differs", "error invalid_format"},  // at the add of plane 1 (v5+)
        // The test compositor does not look at create's flags: 0x80 is accepted like 0.
        {"misuse/invalid_format/unknown-flag", "no-error"},
        {"misuse/invalid_format/unadvertised-format", "error invalid_format"},
        {"misuse/invalid_dimensions/width-0", "error invalid_dimensions"},
        {"misuse/invalid_dimensions/negative-height", "error invalid_dimensions"},
        {"misuse/out_of_bounds/offset-plus-stride-overflows", "error out_of_bounds"},
        {"misuse/out_of_bounds/offset-past-size", "error out_of_bounds"},
        {"misuse/out_of_bounds/stride-times-height-past-size", "error out_of_bounds"},
        // It reads memfds as stand-in dma-bufs, so the memfd imports.
        {"misuse/invalid_wl_buffer/create-immed-unimportable", "no-error"},
        {dev_t_case, "skipped"},
    };
}

std::map<std::string, std::string> outcomes_of(const std::vector<CaseResult>& results)
{
    std::map<std::string, std::string> out;
    for (const CaseResult& r : results) out[r.id] = r.outcome;
    return out;
}

std::string details_of(const std::vector<CaseResult>& results)
{
    std::string out;
    for (const CaseResult& r : results) out += r.id + ": " + r.outcome + " -- " + r.detail + "\n";
    return out;
}

const CaseResult* find(const std::vector<CaseResult>& results, const std::string& id)
{
    for (const CaseResult& r : results) {
        if (r.id == id) return &r;
    }
    return nullptr;
}

// The test compositor's deviations from the protocol's defaults.
constexpr std::string_view table = R"(# the test compositor (tests/compositor/test_compositor.hpp)
[any]
misuse/invalid_format/unknown-flag                  no-error   # create's flags are not validated
misuse/invalid_wl_buffer/create-immed-unimportable  no-error   # memfds import
[dmabuf-version<=4]
misuse/invalid_format/modifier-differs              failed     # an import failure before v5
)";

std::vector<std::string> mismatches(const conform::Expectations& expectations, uint32_t dmabuf_version,
                                    std::vector<CaseResult> results)
{
    conform::RunInfo run;
    run.dmabuf_version = dmabuf_version;
    expectations.evaluate(run, results);
    std::vector<std::string> out;
    for (const CaseResult& r : results) {
        if (r.verdict == conform::Verdict::mismatch) out.push_back(r.id);
    }
    return out;
}

// The fd count once it is back to `baseline` (or after 2 s): the compositor closes a client's fds
// as it handles the disconnect, a moment after the client is gone.
int settled_fd_count(const TestCompositor& c, int baseline)
{
    EXPECT_TRUE(c.wait_until([](const Records& r) { return r.clients_connected == 0; }));
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (open_fd_count() > baseline && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    return open_fd_count();
}

TEST(ConformMisuse, EveryCaseGivesWhatTheValidationOrderImplies)
{
    auto c = start(5);
    ASSERT_TRUE(c);
    const auto results = conform::run_misuse(options_for(*c), {});
    EXPECT_EQ(outcomes_of(results), outcomes_at_v5()) << details_of(results);

    std::vector<std::string> ids;
    for (const CaseResult& r : results) ids.push_back(r.id);
    EXPECT_EQ(ids, conform::misuse_case_ids());
    for (const CaseResult& r : results) {
        if (r.outcome == "skipped") continue;
        // allow_udmabuf = false: every buffer is a memfd, and the detail says so.
        EXPECT_NE(r.detail.find("memfd"), std::string::npos) << r.id << ": " << r.detail;
        EXPECT_GT(r.seconds, 0.0) << r.id;
    }
    const CaseResult* oob = find(results, "misuse/out_of_bounds/offset-past-size");
    ASSERT_NE(oob, nullptr);
    EXPECT_NE(oob->detail.find("zwp_linux_buffer_params_v1"), std::string::npos) << oob->detail;
}

TEST(ConformMisuse, ModifiersThatDifferFailBeforeV5)
{
    for (uint32_t version : {3U, 4U}) {
        auto c = start(version);
        ASSERT_TRUE(c);
        auto wanted = outcomes_at_v5();
        wanted["misuse/invalid_format/modifier-differs"] = "failed";
        const auto results = conform::run_misuse(options_for(*c), {});
        EXPECT_EQ(outcomes_of(results), wanted) << "v" << version << "\n" << details_of(results);
    }
}

TEST(ConformMisuse, EachCaseHasAConnectionOfItsOwnAndClosesIt)
{
    auto c = start(5);
    ASSERT_TRUE(c);
    const auto results = conform::run_misuse(options_for(*c), {});
    const size_t ran = results.size() - 1;  // all but the skipped dev_t case
    EXPECT_TRUE(c->wait_until([&](const Records& r) { return r.clients_total == ran && r.clients_connected == 0; }))
        << "clients ever " << c->records().clients_total << ", now " << c->records().clients_connected;
}

TEST(ConformMisuse, HooksSeeEveryCaseStartAndEndInOrder)
{
    auto c = start(5);
    ASSERT_TRUE(c);
    std::vector<std::string> events;
    const conform::Hooks hooks{
        .on_start = [&](std::string_view id) { events.push_back("start " + std::string{id}); },
        .on_done = [&](const CaseResult& r) { events.push_back("done " + r.id + " " + r.outcome); },
    };
    const auto results = conform::run_misuse(options_for(*c), hooks);
    std::vector<std::string> wanted;
    for (const CaseResult& r : results) {
        wanted.push_back("start " + r.id);
        wanted.push_back("done " + r.id + " " + r.outcome);
    }
    EXPECT_EQ(events, wanted);
    EXPECT_EQ(events.size(), 2 * conform::misuse_case_ids().size());

    // A filter runs only what it matches, hooks included.
    events.clear();
    const auto oob = conform::run_misuse(options_for(*c), hooks, "misuse/out_of_bounds/*");
    EXPECT_EQ(oob.size(), 3U);
    EXPECT_EQ(events.size(), 6U);
    for (const CaseResult& r : oob) EXPECT_EQ(r.outcome, "error out_of_bounds") << r.id << ": " << r.detail;
}

// A compositor that cannot import the buffer may answer create_immed either way the protocol
// allows; the runner tells them apart.
TEST(ConformMisuse, CreateImmedOfAnUnimportableBufferIsAnErrorOrFailed)
{
    auto c = start(5);
    ASSERT_TRUE(c);
    c->fail_pairs({{DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear}});
    const std::string id = "misuse/invalid_wl_buffer/create-immed-unimportable";
    auto results = conform::run_misuse(options_for(*c), {}, id);
    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0].outcome, "error invalid_wl_buffer") << results[0].detail;

    c->set_immed_failure(ImmedFailure::failed_event);
    const int before = open_fd_count();
    results = conform::run_misuse(options_for(*c), {}, id);
    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0].outcome, "failed") << results[0].detail;
    EXPECT_LE(settled_fd_count(*c, before), before) << open_fd_list();
}

TEST(ConformMisuse, DevTSizeCaseIsSkippedForWantOfV6)
{
    auto c = start(5);
    ASSERT_TRUE(c);
    const auto results = conform::run_misuse(options_for(*c), {}, dev_t_case);
    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0].outcome, "skipped");
    EXPECT_NE(results[0].detail.find("v6"), std::string::npos) << results[0].detail;
    EXPECT_EQ(c->records().clients_total, 0U) << "a skipped case needs no connection";
}

TEST(ConformMisuse, AtV6AShortDevTIsInvalidDevTSizeAndEveryOtherCaseAsAtV5)
{
    auto c = start(6);
    ASSERT_TRUE(c);
    const auto results = conform::run_misuse(options_for(*c), {});
    auto wanted = outcomes_at_v5();
    wanted[dev_t_case] = "error invalid_dev_t_size";
    EXPECT_EQ(outcomes_of(results), wanted) << details_of(results);
    const CaseResult* r = find(results, dev_t_case);
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->detail.find("set_sampling_device with a 4-byte array"), std::string::npos) << r->detail;
}

TEST(ConformMisuse, LeavesNoFileOpenInThisProcess)
{
    auto c = start(5);
    ASSERT_TRUE(c);
    const int before = open_fd_count();
    const auto results = conform::run_misuse(options_for(*c), {});
    ASSERT_EQ(results.size(), conform::misuse_case_ids().size());
    EXPECT_LE(settled_fd_count(*c, before), before) << open_fd_list();
}

TEST(ConformMisuse, TableOfTheTestCompositorsDeviationsLeavesNoMismatch)
{
    auto parsed = conform::Expectations::parse(table, "test-compositor.expect");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    for (uint32_t version : {4U, 5U}) {
        auto c = start(version);
        ASSERT_TRUE(c);
        auto results = conform::run_misuse(options_for(*c), {});
        EXPECT_EQ(mismatches(*parsed, version, results), std::vector<std::string>{}) << "v" << version;

        conform::RunInfo run;
        run.dmabuf_version = version;
        parsed->evaluate(run, results);
        const auto totals = conform::totals(results);
        EXPECT_EQ(totals.skipped, 1U);
        EXPECT_EQ(totals.passed, results.size() - 1);
        EXPECT_EQ(find(results, "misuse/invalid_format/unknown-flag")->expected_from, "test-compositor.expect:3");
        EXPECT_EQ(parsed->unused_rules(run, results), std::vector<std::string>{});

        // The protocol's defaults alone: exactly the deviations the table states mismatch (`failed`
        // for modifiers that differ is one only from v5 on, where the error became mandatory).
        const std::vector<std::string> deviations{"misuse/invalid_format/unknown-flag",
                                                  "misuse/invalid_wl_buffer/create-immed-unimportable"};
        EXPECT_EQ(mismatches(conform::Expectations{}, version, results), deviations) << "v" << version;
    }
}

TEST(ConformMisuse, OneWrongExpectationIsOneMismatchNamingItsCase)
{
    auto c = start(5);
    ASSERT_TRUE(c);
    const auto results = conform::run_misuse(options_for(*c), {});
    std::string wrong{table};
    const std::string right = "no-error   # create's flags";
    wrong.replace(wrong.find(right), right.size(), "failed     # create's flags");
    auto parsed = conform::Expectations::parse(wrong, "wrong.expect");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(mismatches(*parsed, 5, results), std::vector<std::string>{"misuse/invalid_format/unknown-flag"});
}

// The test compositor has no wl_shm, so show_shm_frame can only fail there; it must say why, in time.
TEST(ConformSession, ShowShmFrameFailsWithoutWlShm)
{
    auto c = start(5);
    ASSERT_TRUE(c);
    const auto begun = std::chrono::steady_clock::now();
    auto shown = conform::show_shm_frame(c->socket_name(), 2000ms);
    ASSERT_FALSE(shown.ok());
    EXPECT_NE(shown.error().message().find("wl_shm"), std::string::npos) << shown.error().message();
    EXPECT_LT(std::chrono::steady_clock::now() - begun, 2s);
    EXPECT_TRUE(c->wait_until([](const Records& r) { return r.clients_connected == 0; }));
}

}  // namespace
}  // namespace dmafeed::test

// dmafeed's Wayland client layer (src/wl) against the test compositor: registry, linux-dmabuf v3
// events, v4/v5 feedback (including runtime changes and hostile rounds), and a compositor that
// dies. Each test states its observable result: formats in order, counts, errors, fd counts.
#include "fd_count.hpp"
#include "linux-dmabuf-v1-client-protocol.h"
#include "test_compositor.hpp"
#include "wl/connection.hpp"
#include "wl/linux_dmabuf.hpp"
#include "wl/registry.hpp"

#include <gtest/gtest.h>
#include <thread>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;

const FormatSet preferred{{DrmFormat{DRM_FORMAT_NV12}, modifier_linear},
                          {DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear},
                          {DrmFormat{DRM_FORMAT_XRGB8888}, modifier_implicit},
                          {DrmFormat{DRM_FORMAT_ARGB8888}, modifier_linear}};

struct Client {
    std::unique_ptr<TestCompositor> compositor;
    std::unique_ptr<wl::Connection> connection;
    std::unique_ptr<wl::Registry> registry;
    std::unique_ptr<wl::LinuxDmabuf> dmabuf;
};

Client connect(Config config)
{
    Client c;
    auto comp = TestCompositor::create(std::move(config));
    EXPECT_TRUE(comp.ok()) << comp.error().message();
    c.compositor = std::move(comp).value();
    auto fd = c.compositor->connect_fd();
    EXPECT_TRUE(fd.ok());
    auto conn = wl::Connection::adopt(std::move(fd).value());
    EXPECT_TRUE(conn.ok()) << conn.error().message();
    c.connection = std::move(conn).value();
    auto reg = wl::Registry::create(*c.connection);
    EXPECT_TRUE(reg.ok()) << reg.error().message();
    c.registry = std::move(reg).value();
    auto dmabuf = wl::LinuxDmabuf::bind(*c.registry);
    EXPECT_TRUE(dmabuf.ok()) << dmabuf.error().message();
    c.dmabuf = std::move(dmabuf).value();
    return c;
}

// Dispatches until the feedback has published or rejected `rounds` rounds in all.
void wait_rounds(Client& c, const wl::DmabufFeedback& fb, uint64_t rounds)
{
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (fb.generation() + fb.rejected() < rounds) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "feedback round " << rounds << " never came";
        auto r = c.connection->dispatch(100ms);
        ASSERT_TRUE(r.ok()) << r.error().message();
    }
}

Config v(uint32_t version)
{
    Config cfg;
    cfg.dmabuf_version = version;
    cfg.formats = preferred;
    cfg.main_device = makedev(226, 128);
    return cfg;
}

TEST(WlClient, V3ModifierEventsKeepTheCompositorsOrder)
{
    Client c = connect(v(3));
    ASSERT_EQ(c.dmabuf->version(), 3U);
    EXPECT_FALSE(c.dmabuf->has_feedback());
    ASSERT_TRUE(c.connection->roundtrip().ok());
    EXPECT_EQ(c.dmabuf->v3_formats(), preferred) << c.dmabuf->v3_formats().to_string();
    EXPECT_FALSE(c.dmabuf->default_feedback(nullptr).ok()) << "v3 has no feedback";
}

TEST(WlClient, RegistryNamesBothVersionsWhenAGlobalIsTooOld)
{
    Client c = connect(v(3));
    auto bound = c.registry->bind(zwp_linux_dmabuf_v1_interface, 4, 5);
    ASSERT_FALSE(bound.ok());
    EXPECT_NE(bound.error().message().find("version 3"), std::string::npos) << bound.error().message();
    EXPECT_NE(bound.error().message().find("version 4 or newer"), std::string::npos) << bound.error().message();
    EXPECT_EQ(c.registry->bind_optional(zwp_linux_dmabuf_v1_interface, 4, 5), nullptr);
}

TEST(WlClient, V5DefaultFeedbackPublishesMainDeviceAndTranchesInOrder)
{
    Config cfg = v(5);
    FeedbackConfig fb;
    fb.main_device = makedev(226, 128);
    fb.tranches.push_back({makedev(226, 0), 1, {{DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear}}});
    fb.tranches.push_back({makedev(226, 128), 0, preferred.pairs()});
    cfg.feedback = fb;
    Client c = connect(cfg);
    ASSERT_EQ(c.dmabuf->version(), 5U);
    int callbacks = 0;
    auto feedback = c.dmabuf->default_feedback([&](const wl::Feedback&) { ++callbacks; });
    ASSERT_TRUE(feedback.ok());
    ASSERT_NO_FATAL_FAILURE(wait_rounds(c, **feedback, 1));
    const auto& cur = (*feedback)->current();
    ASSERT_TRUE(cur.has_value());
    EXPECT_EQ(callbacks, 1);
    EXPECT_EQ(cur->main_device, makedev(226, 128));
    ASSERT_EQ(cur->tranches.size(), 2U);
    EXPECT_TRUE(cur->tranches[0].scanout());
    EXPECT_EQ(cur->tranches[0].target_device, makedev(226, 0));
    EXPECT_FALSE(cur->tranches[1].scanout());
    EXPECT_EQ(cur->tranches[1].formats, preferred);
    // All pairs in preference order: the scanout tranche's pair first, not repeated.
    const FormatSet all = cur->formats();
    EXPECT_EQ(all.pairs().front(), (FormatModifier{DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear}));
    EXPECT_EQ(all.size(), preferred.size());
}

TEST(WlClient, AFeedbackChangeIsPublishedAndTheOldTableLeaksNothing)
{
    Client c = connect(v(4));
    auto feedback = c.dmabuf->default_feedback(nullptr);
    ASSERT_TRUE(feedback.ok());
    ASSERT_NO_FATAL_FAILURE(wait_rounds(c, **feedback, 1));
    const int fds = open_fd_count();
    for (int round = 2; round <= 20; ++round) {
        const FormatSet next{{DrmFormat{DRM_FORMAT_ARGB8888}, modifier_linear},
                             {DrmFormat{round % 2 ? DRM_FORMAT_NV12 : DRM_FORMAT_XRGB8888}, modifier_linear}};
        c.compositor->set_feedback(FeedbackConfig::single(makedev(226, 128), next));
        ASSERT_NO_FATAL_FAILURE(wait_rounds(c, **feedback, static_cast<uint64_t>(round)));
        EXPECT_EQ((*feedback)->current()->formats(), next);
    }
    EXPECT_EQ((*feedback)->generation(), 20U);
    EXPECT_EQ((*feedback)->rejected(), 0U);
    // The compositor thread drops its old tables asynchronously, so the baseline may hold one of
    // its transient fds: the count must settle at or below it. A client that kept one table fd
    // per round would stay 19 fds above.
    ASSERT_TRUE(c.connection->roundtrip().ok());
    const auto deadline = std::chrono::steady_clock::now() + 1s;
    while (open_fd_count() > fds && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    EXPECT_LE(open_fd_count(), fds) << "each round's table fd must be closed; open now:\n" << open_fd_list();
}

struct HostileCase {
    const char* name;
    HostileFeedback hostile;
    const char* message_part;
};

class WlClientHostile : public ::testing::TestWithParam<HostileCase> {};

TEST_P(WlClientHostile, AMalformedRoundIsRejectedAndTheLastGoodOneStays)
{
    Client c = connect(v(4));
    auto feedback = c.dmabuf->default_feedback(nullptr);
    ASSERT_TRUE(feedback.ok());
    ASSERT_NO_FATAL_FAILURE(wait_rounds(c, **feedback, 1));
    const FormatSet good = (*feedback)->current()->formats();

    FeedbackConfig bad = FeedbackConfig::single(makedev(226, 128), FormatSet{{DrmFormat{DRM_FORMAT_ABGR8888}, modifier_linear}});
    bad.hostile = GetParam().hostile;
    c.compositor->set_feedback(bad);
    ASSERT_NO_FATAL_FAILURE(wait_rounds(c, **feedback, 2));
    EXPECT_EQ((*feedback)->rejected(), 1U);
    EXPECT_EQ((*feedback)->generation(), 1U);
    EXPECT_NE((*feedback)->last_rejection().find(GetParam().message_part), std::string::npos)
        << (*feedback)->last_rejection();
    EXPECT_EQ((*feedback)->current()->formats(), good) << "the last valid feedback stays current";
    EXPECT_TRUE(c.connection->status().ok());

    // A good round afterwards is accepted again.
    c.compositor->set_feedback(FeedbackConfig::single(makedev(226, 128), preferred));
    ASSERT_NO_FATAL_FAILURE(wait_rounds(c, **feedback, 3));
    EXPECT_EQ((*feedback)->generation(), 2U);
    EXPECT_EQ((*feedback)->current()->formats(), preferred);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, WlClientHostile,
    ::testing::Values(HostileCase{"TableSmallerThanAnnounced", {.table_size_too_large = true}, "the event announces"},
                      HostileCase{"TableSizeUnaligned", {.table_size_unaligned = true}, "multiple of 16"},
                      HostileCase{"IndexOutOfRange", {.index_out_of_range = true}, "outside the format table"},
                      HostileCase{"MainDeviceWrongSize", {.main_device_wrong_size = true}, "main_device array"},
                      HostileCase{"TargetDeviceWrongSize", {.target_device_wrong_size = true}, "tranche_target_device"}),
    [](const ::testing::TestParamInfo<HostileCase>& param_info) { return std::string{param_info.param.name}; });

TEST(WlClient, ACompositorThatDiesIsAnErrorWithinASecond)
{
    Client c = connect(v(4));
    ASSERT_TRUE(c.connection->roundtrip().ok());
    c.compositor->stop();
    const auto start = std::chrono::steady_clock::now();
    Result<void> r;
    while (r.ok() && std::chrono::steady_clock::now() - start < 2s) r = c.connection->dispatch(100ms);
    EXPECT_FALSE(r.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_FALSE(c.connection->roundtrip().ok()) << "a broken connection stays broken";
}

}  // namespace
}  // namespace dmafeed::test

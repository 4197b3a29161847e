// The producer against the test compositor: negotiation, `failed` and the next candidate, the
// pool and its policies, presentation stats, rebuilds on feedback change and resize, and a dead or
// hostile compositor. Buffers are memfds (MemfdAllocator); pixels are read back by the compositor.
#include "memfd_allocator.hpp"
#include "producer_fixture.hpp"
#include "test_compositor.hpp"

#include "fd_count.hpp"
#include "producer/producer.hpp"
#include "sources/solid.hpp"

#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <set>
#include <thread>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using producer::FullPolicy;
using producer::Producer;
using producer::ProducerConfig;

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
constexpr DrmFormat nv12{DRM_FORMAT_NV12};
constexpr DrmModifier tiled{0x0100000000000002ULL};  // INTEL:Y_TILED, any non-linear value will do
constexpr DrmModifier tiled2{0x0100000000000001ULL};  // INTEL:X_TILED

std::unique_ptr<Producer> make(ProducerConfig config)
{
    auto p = Producer::create(std::move(config));
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message());
    return p.ok() ? std::move(*p) : nullptr;
}

// One frame of a solid colour: acquire, write, queue. False when the pool dropped it.
// Dispatches until the window has been configured to width x height (bounded: 5 s), so that a
// test depends on the configure having arrived, not on how fast the compositor thread sends it.
bool dispatch_until_configured(Producer& p, int32_t width, int32_t height)
{
    for (int i = 0; i < 100; ++i) {
        if (p.window().configured_width() == width && p.window().configured_height() == height) return true;
        if (!p.dispatch(std::chrono::milliseconds{50}).ok()) return false;
    }
    return false;
}

bool present_solid(Producer& p, pixels::Rgb colour, DrmFormat format = xrgb, uint32_t w = 32, uint32_t h = 16)
{
    auto frame = p.acquire();
    EXPECT_TRUE(frame.ok()) << (frame.ok() ? "" : frame.error().message());
    if (!frame.ok() || !*frame) return false;
    auto solid = sources::SolidFrame::make(format, w, h, colour);
    EXPECT_TRUE(solid.ok());
    const auto planes = solid->planes();
    auto written = p.write(**frame, planes);
    EXPECT_TRUE(written.ok()) << (written.ok() ? "" : written.error().message());
    auto queued = p.queue(**frame);
    EXPECT_TRUE(queued.ok()) << (queued.ok() ? "" : queued.error().message());
    return true;
}

// Buffers attached by a commit and not released since, from the compositor's records.
std::set<uint64_t> held_buffers(const Records& r)
{
    std::set<uint64_t> held;
    std::map<uint64_t, uint64_t> last_attach, last_release;  // buffer -> time
    for (const auto& c : r.commits) {
        if (c.attached && c.buffer) last_attach[c.buffer] = c.time_ns;
    }
    for (const auto& rel : r.releases) last_release[rel.buffer] = std::max(last_release[rel.buffer], rel.time_ns);
    for (const auto& [b, t] : last_attach) {
        if (!last_release.count(b) || last_release[b] < t) held.insert(b);
    }
    return held;
}

TEST(ProducerTest, PresentsTheColourWrittenInTheNegotiatedLayout)
{
    auto comp = start();
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    ASSERT_TRUE(present_solid(*p, {200, 100, 50}));
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return !r.commits.empty() && r.commits.back().buffer != 0; }));

    auto contents = comp->read_last_committed_buffer();
    ASSERT_TRUE(contents.ok()) << contents.error().message();
    ASSERT_GE(contents->bytes.size(), 4u);
    EXPECT_EQ(contents->bytes[0], 50);  // B, G, R, X in memory
    EXPECT_EQ(contents->bytes[1], 100);
    EXPECT_EQ(contents->bytes[2], 200);
    const auto r = comp->records();
    ASSERT_EQ(r.params.size(), 1u);
    EXPECT_EQ(r.params[0].outcome, ParamsOutcome::created);
    EXPECT_FALSE(r.params[0].immed);
    EXPECT_EQ(r.params[0].format, xrgb);
    EXPECT_EQ(r.params[0].planes.at(0).modifier, modifier_linear);
    EXPECT_EQ(r.params[0].width, 32);
    ASSERT_TRUE(p->choice());
    EXPECT_EQ(p->choice()->candidate.pair.modifier, modifier_linear);
    EXPECT_TRUE(r.errors.empty());
}

TEST(ProducerTest, NegotiatesFromVersion3ModifierEvents)
{
    Config config;
    config.dmabuf_version = 3;
    config.formats = FormatSet{{xrgb, tiled}, {xrgb, modifier_linear}};
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->globals().dmabuf().version(), 3u);
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
    EXPECT_EQ(p->choice()->candidate.pair, (FormatModifier{xrgb, modifier_linear}));
    EXPECT_EQ(p->choice()->candidate.target_device, 0u);  // v3 names no device
}

TEST(ProducerTest, AtV6NoMainDeviceIsNeededAndTheSamplingDeviceIsTold)
{
    // v6: no main_device event; the buffers are made for the sampling tranche's device, which
    // set_sampling_device names. A scanout-only tranche's buffers name none.
    Config config;
    config.dmabuf_version = 6;
    FeedbackConfig fb;
    fb.main_device = makedev(226, 1);  // not sent at v6
    fb.tranches.push_back({makedev(226, 129), 2, {{xrgb, modifier_linear}}});
    config.feedback = fb;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->globals().dmabuf().version(), 6u);
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
    EXPECT_EQ(p->choice()->candidate.target_device, makedev(226, 129));
    EXPECT_TRUE(p->choice()->candidate.sampling);
    const auto r = comp->records();
    ASSERT_FALSE(r.params.empty());
    for (const auto& params : r.params) {
        EXPECT_EQ(params.sampling_device, std::optional<dev_t>{makedev(226, 129)});
    }
    EXPECT_TRUE(r.errors.empty());
}

TEST(ProducerTest, AtV5NoSamplingDeviceIsSent)
{
    Config config;
    config.dmabuf_version = 5;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
    const auto r = comp->records();
    ASSERT_FALSE(r.params.empty());
    EXPECT_FALSE(r.params[0].sampling_device.has_value());
}

TEST(ProducerTest, FollowsTheTranchesPreferenceOrderAndTargetDevice)
{
    Config config;
    config.dmabuf_version = 5;
    FeedbackConfig fb;
    fb.main_device = makedev(226, 128);
    fb.tranches.push_back({makedev(226, 129), 1, {{xrgb, tiled}}});  // a scanout tranche on another device
    fb.tranches.push_back({makedev(226, 128), 0, {{xrgb, modifier_linear}, {xrgb, tiled}}});
    config.feedback = fb;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}, {xrgb, tiled}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
    EXPECT_EQ(p->choice()->candidate.pair.modifier, tiled);
    EXPECT_EQ(p->choice()->candidate.target_device, makedev(226, 129));
    EXPECT_TRUE(p->choice()->candidate.scanout);
    // A scanout tranche's buffers are asked for with scanout usage (GBM_BO_USE_SCANOUT on GBM).
    EXPECT_GT(memfd.allocator->allocations, 0u);
    EXPECT_EQ(memfd.allocator->scanout_allocations, memfd.allocator->allocations);
    // The allocator was asked for both tranches' devices, in tranche order.
    ASSERT_EQ(memfd.asked->size(), 2u);
    EXPECT_EQ((*memfd.asked)[0], makedev(226, 129));
    EXPECT_EQ((*memfd.asked)[1], makedev(226, 128));
}

TEST(ProducerTest, FailedMovesToTheNextCandidateAndNeverAttachesTheRefusedBuffer)
{
    Config config;
    config.formats = FormatSet{{xrgb, tiled}, {xrgb, tiled2}, {xrgb, modifier_linear}};
    auto comp = start(config);
    comp->fail_pairs({{xrgb, tiled}, {xrgb, tiled2}});
    MemfdFactory memfd{config.formats};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(present_solid(*p, {9, 9, 9}));
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 4; }));  // initial + 3

    const auto r = comp->records();
    ASSERT_GE(r.params.size(), 3u);
    EXPECT_EQ(r.params[0].planes.at(0).modifier, tiled);
    EXPECT_EQ(r.params[0].outcome, ParamsOutcome::failed);
    EXPECT_EQ(r.params[1].planes.at(0).modifier, tiled2);
    EXPECT_EQ(r.params[1].outcome, ParamsOutcome::failed);
    EXPECT_EQ(r.params[2].planes.at(0).modifier, modifier_linear);
    EXPECT_EQ(r.params[2].outcome, ParamsOutcome::created);
    for (const auto& c : r.commits) {
        if (c.buffer) {
            EXPECT_EQ(r.buffers.at(c.buffer - 1).modifier, modifier_linear) << "commit " << c.serial;
        }
    }
    EXPECT_EQ(p->choice()->candidate.pair.modifier, modifier_linear);
    EXPECT_EQ(p->stats().refused, 2u);
    // Refused once is refused for good: later buffers do not try the refused pairs again.
    for (size_t i = 3; i < r.params.size(); ++i) EXPECT_EQ(r.params[i].planes.at(0).modifier, modifier_linear);
}

TEST(ProducerTest, EveryCandidateRefusedIsAClearErrorAndNothingIsAttached)
{
    Config config;
    config.formats = FormatSet{{xrgb, tiled}, {xrgb, modifier_linear}};
    auto comp = start(config);
    comp->fail_pairs(config.formats.pairs());
    MemfdFactory memfd{config.formats};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    auto frame = p->acquire();
    ASSERT_FALSE(frame.ok());
    EXPECT_NE(frame.error().message().find("refused every buffer layout"), std::string::npos) << frame.error().message();
    EXPECT_NE(frame.error().message().find("LINEAR from memfd"), std::string::npos) << frame.error().message();
    for (const auto& c : comp->records().commits) EXPECT_EQ(c.buffer, 0u);
}

TEST(ProducerTest, NoCommonPairNamesWhatEachSideOffers)
{
    Config config;
    config.formats = FormatSet{{xrgb, tiled}};
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}, {nv12, modifier_linear}}};
    auto p = Producer::create(config_for(*comp, memfd));
    ASSERT_FALSE(p.ok());
    const std::string& m = p.error().message();
    EXPECT_NE(m.find("the compositor offers for XRGB8888: INTEL:Y_TILED"), std::string::npos) << m;
    EXPECT_NE(m.find("memfd"), std::string::npos) << m;
    EXPECT_NE(m.find("can produce for XRGB8888: LINEAR"), std::string::npos) << m;
}

TEST(ProducerTest, ImplicitModifierOnlyWhereTheAllocatorCanMakeIt)
{
    Config config;
    config.formats = FormatSet{{xrgb, modifier_implicit}, {xrgb, modifier_linear}};
    auto comp = start(config);
    {
        MemfdFactory explicit_only{FormatSet{{xrgb, modifier_linear}}};
        auto p = make(config_for(*comp, explicit_only));
        ASSERT_TRUE(p && present_solid(*p, {1, 1, 1}));
        EXPECT_EQ(p->choice()->candidate.pair.modifier, modifier_linear);
    }
    MemfdFactory implicit_too{FormatSet{{xrgb, modifier_implicit}, {xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, implicit_too));
    ASSERT_TRUE(p && present_solid(*p, {1, 1, 1}));
    EXPECT_EQ(p->choice()->candidate.pair.modifier, modifier_implicit);
}

TEST(ProducerTest, CreateImmedRefusalFallsBackWithoutAttaching)
{
    Config config;
    config.formats = FormatSet{{xrgb, tiled}, {xrgb, modifier_linear}};
    config.immed_failure = ImmedFailure::failed_event;
    auto comp = start(config);
    comp->fail_pairs({{xrgb, tiled}});
    MemfdFactory memfd{config.formats};
    auto cfg = config_for(*comp, memfd);
    cfg.create_mode = wl::CreateMode::immediate;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(present_solid(*p, {3, 2, 1}));
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 5; }));  // initial + 4

    const auto r = comp->records();
    ASSERT_GE(r.params.size(), 2u);
    for (const auto& params : r.params) EXPECT_TRUE(params.immed);
    EXPECT_EQ(r.params[0].outcome, ParamsOutcome::failed);
    EXPECT_EQ(r.params[0].planes.at(0).modifier, tiled);
    const uint64_t refused_buffer = r.params[0].buffer;
    ASSERT_NE(refused_buffer, 0u);
    for (const auto& c : r.commits) EXPECT_NE(c.buffer, refused_buffer);
    for (size_t i = 1; i < r.params.size(); ++i) EXPECT_EQ(r.params[i].planes.at(0).modifier, modifier_linear);
    EXPECT_EQ(p->choice()->candidate.pair.modifier, modifier_linear);
    EXPECT_EQ(p->stats().refused, 1u);
    EXPECT_EQ(p->stats().dropped, 0u);
    EXPECT_TRUE(r.errors.empty());
}

TEST(ProducerTest, PoolIsBoundedAndDropsAreCountedWhenEveryBufferIsHeld)
{
    auto comp = start();
    comp->withhold_releases(true);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.buffers = 2;
    cfg.when_full = FullPolicy::drop;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    int shown = 0;
    for (int i = 0; i < 10; ++i) shown += present_solid(*p, {5, 5, 5}) ? 1 : 0;
    EXPECT_EQ(shown, 2);
    EXPECT_EQ(p->stats().dropped, 8u);
    EXPECT_EQ(comp->records().buffers.size(), 2u);
    EXPECT_EQ(p->buffers_created(), 2u);

    // Released buffers come back into use.
    comp->release_all();
    comp->withhold_releases(false);
    ASSERT_TRUE(p->dispatch(100ms).ok());
    EXPECT_TRUE(present_solid(*p, {6, 6, 6}));
    EXPECT_EQ(comp->records().buffers.size(), 2u);
}

TEST(ProducerTest, WaitPolicyTimesOutWithAnErrorWhenNothingIsReleased)
{
    auto comp = start();
    comp->withhold_releases(true);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.buffers = 2;
    cfg.timeout = 300ms;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    ASSERT_TRUE(present_solid(*p, {1, 1, 1}));
    ASSERT_TRUE(present_solid(*p, {1, 1, 1}));
    const auto t0 = std::chrono::steady_clock::now();
    auto frame = p->acquire();
    const auto waited = std::chrono::steady_clock::now() - t0;
    ASSERT_FALSE(frame.ok());
    EXPECT_NE(frame.error().message().find("held all 2 buffers"), std::string::npos) << frame.error().message();
    EXPECT_GE(waited, 290ms);
    EXPECT_LT(waited, 2000ms);
}

TEST(ProducerTest, NeverHandsOutABufferTheCompositorHolds)
{
    Config config;
    config.release_policy = ReleasePolicy::on_present;  // a buffer stays held until its successor is shown
    config.auto_tick = 2ms;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.buffers = 3;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    for (int i = 0; i < 60; ++i) {
        auto frame = p->acquire();
        ASSERT_TRUE(frame.ok() && frame->has_value()) << (frame.ok() ? "dropped" : frame.error().message());
        const auto r = comp->records();
        const auto serial = comp->buffer_serial((*frame)->wl_buffer_id);
        ASSERT_TRUE(serial);
        EXPECT_EQ(held_buffers(r).count(*serial), 0u) << "frame " << i << " got held buffer " << *serial;
        ASSERT_TRUE(p->queue(**frame).ok());
        ASSERT_TRUE(p->wait_for_frame().ok());
    }
    EXPECT_LE(comp->records().buffers.size(), 3u);
}

TEST(ProducerTest, PresentationFeedbackBecomesStats)
{
    Config config;
    config.refresh = std::chrono::nanoseconds{16'666'667};
    config.presentation_flags = 0x7 | 0x8;  // ZERO_COPY as well
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    // Each tick comes once the compositor has the commit (a tick before it would present nothing).
    auto committed = [&](size_t n) {
        return comp->wait_until([n](const Records& r) { return r.commits.size() >= n; });
    };
    for (size_t i = 0; i < 5; ++i) {
        ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
        ASSERT_TRUE(committed(i + 2));  // the initial commit, then one a frame
        std::this_thread::sleep_for(2ms);
        comp->tick();
        ASSERT_TRUE(p->wait_for_frame().ok());
    }
    comp->set_discard_presentation(true);
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
    ASSERT_TRUE(committed(7));
    comp->tick();
    ASSERT_TRUE(p->drain(1000ms).ok());
    const auto s = p->stats();
    EXPECT_EQ(s.queued, 6u);
    EXPECT_EQ(s.presented, 5u);
    EXPECT_EQ(s.zero_copy, 5u);
    EXPECT_EQ(s.discarded, 1u);
    EXPECT_EQ(s.refresh_ns, 16'666'667u);
    EXPECT_GT(s.latency_p50_ms, 1.0);  // queued, then 2 ms sleep before the tick presents it
    EXPECT_LT(s.latency_p99_ms, 1000.0);
    EXPECT_GT(s.presented_fps, 0.0);
}

TEST(ProducerTest, FeedbackChangeRebuildsThePoolWhileFramesKeepComing)
{
    Config config;
    config.dmabuf_version = 4;
    config.formats = FormatSet{{xrgb, modifier_linear}, {xrgb, tiled}};
    config.auto_tick = 2ms;
    config.keep_plane_fds = false;
    auto comp = start(config);
    MemfdFactory memfd{config.formats};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
        ASSERT_TRUE(p->wait_for_frame().ok());
    }
    EXPECT_EQ(p->choice()->candidate.pair.modifier, modifier_linear);
    EXPECT_EQ(memfd.allocator->scanout_allocations, 0u) << "no scanout tranche, no scanout usage";
    const uint64_t allocations_before = memfd.allocator->allocations;
    const int fds_before = open_fd_count();

    // The compositor now prefers the tiled layout on a scanout tranche (as on going fullscreen).
    FeedbackConfig fb;
    fb.main_device = config.main_device;
    fb.tranches.push_back({config.main_device, 1, {{xrgb, tiled}}});
    fb.tranches.push_back({config.main_device, 0, {{xrgb, modifier_linear}}});
    comp->set_feedback(fb);
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
        ASSERT_TRUE(p->wait_for_frame().ok());
    }
    EXPECT_EQ(p->rebuilds(), 1u);
    EXPECT_EQ(p->choice()->candidate.pair.modifier, tiled);
    EXPECT_TRUE(p->choice()->candidate.scanout);
    // Every buffer made since the change is for scanout.
    EXPECT_GT(memfd.allocator->allocations, allocations_before);
    EXPECT_EQ(memfd.allocator->scanout_allocations, memfd.allocator->allocations - allocations_before);
    const auto r = comp->records();
    EXPECT_TRUE(r.errors.empty());
    // The last commits show tiled buffers; the linear ones are gone once released.
    EXPECT_EQ(r.buffers.at(r.commits.back().buffer - 1).modifier, tiled);
    size_t linear_alive = 0;
    for (const auto& b : r.buffers) linear_alive += (b.modifier == modifier_linear && !b.destroyed) ? 1 : 0;
    EXPECT_EQ(linear_alive, 0u);
    EXPECT_LE(p->buffer_count(), 3u);
    EXPECT_LE(open_fd_count(), fds_before) << open_fd_list();
}

TEST(ProducerTest, ResizeReallocatesAtTheConfiguredSize)
{
    auto comp = start();  // configures 640x480
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.width = cfg.height = 0;  // follow the configure
    auto p = make(cfg);
    ASSERT_TRUE(p);
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}, xrgb, 640, 480));
    EXPECT_EQ(p->choice()->width, 640u);
    comp->set_configure_size(320, 200);
    ASSERT_TRUE(dispatch_until_configured(*p, 320, 200));
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}, xrgb, 320, 200));
    EXPECT_EQ(p->choice()->width, 320u);
    EXPECT_EQ(p->rebuilds(), 1u);
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 3; }));  // initial + 2
    const auto r = comp->records();
    EXPECT_EQ(r.buffers.at(r.commits.back().buffer - 1).width, 320);
    EXPECT_NE(r.commits.back().acked_configure, 0u);
    EXPECT_TRUE(r.errors.empty());
}

TEST(ProducerTest, BuffersHaveSerialsAndTheirDestructionIsAnnouncedWhileTheyStillExist)
{
    auto comp = start();  // configures 640x480
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.width = cfg.height = 0;  // follow the configure
    auto p = make(cfg);
    ASSERT_TRUE(p);
    std::vector<std::pair<uint64_t, uint32_t>> destroyed;  // serial, the buffer's width then
    p->on_buffer_destroyed([&](const Buffer& b, uint64_t serial) { destroyed.emplace_back(serial, b.width()); });
    std::set<uint64_t> first_serials;
    for (int i = 0; i < 6; ++i) {
        auto frame = p->acquire();
        ASSERT_TRUE(frame.ok() && *frame);
        EXPECT_GE((*frame)->buffer_serial, 1u);
        first_serials.insert((*frame)->buffer_serial);
        ASSERT_TRUE(p->queue(**frame).ok());
        ASSERT_TRUE(p->dispatch(20ms).ok());
    }
    EXPECT_EQ(first_serials.size(), p->buffers_created()) << "one serial per buffer, kept across frames";
    EXPECT_TRUE(destroyed.empty());

    comp->set_configure_size(320, 200);
    ASSERT_TRUE(dispatch_until_configured(*p, 320, 200));
    std::set<uint64_t> second_serials;
    for (int i = 0; i < 6; ++i) {
        auto frame = p->acquire();
        ASSERT_TRUE(frame.ok() && *frame);
        EXPECT_EQ((*frame)->buffer->width(), 320u);
        second_serials.insert((*frame)->buffer_serial);
        ASSERT_TRUE(p->queue(**frame).ok());
        ASSERT_TRUE(p->dispatch(20ms).ok());
    }
    ASSERT_TRUE(p->dispatch(100ms).ok());
    for (const uint64_t s : second_serials) EXPECT_GT(s, *first_serials.rbegin()) << "serials are never reused";
    // Every buffer of the old size was retired once released, each announced once with its images alive.
    std::set<uint64_t> announced;
    for (const auto& [serial, width] : destroyed) {
        EXPECT_TRUE(announced.insert(serial).second) << "announced twice: " << serial;
        EXPECT_TRUE(first_serials.count(serial)) << serial;
        EXPECT_EQ(width, 640u);
    }
    EXPECT_GE(announced.size(), first_serials.size() - 1) << "at most the buffer on screen is still retiring";
}

TEST(ProducerTest, ADeadCompositorIsAnErrorWithinOneSecond)
{
    auto comp = start();
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.timeout = 10'000ms;  // the error must come from the broken connection, not a timeout
    auto p = make(cfg);
    ASSERT_TRUE(p && present_solid(*p, {1, 2, 3}));
    comp->stop();
    const auto t0 = std::chrono::steady_clock::now();
    auto waited = p->wait_for_frame();
    EXPECT_FALSE(waited.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    auto frame = p->acquire();
    EXPECT_FALSE(frame.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(ProducerTest, AProtocolErrorIsReportedWithItsInterfaceAndCode)
{
    auto comp = start();
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    comp->raise_protocol_error("wl_surface", 2, "injected");
    auto frame = p->acquire();
    ASSERT_TRUE(frame.ok() && frame->has_value());
    // The error comes with the commit: queue() may already see it, else wait_for_frame() does.
    auto result = p->queue(**frame);
    if (result.ok()) result = p->wait_for_frame();
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find("wl_surface"), std::string::npos) << result.error().message();
    EXPECT_NE(result.error().message().find("error 2"), std::string::npos) << result.error().message();
}

TEST(ProducerTest, HostileFeedbackIsRejectedWithoutACrash)
{
    for (int fault = 0; fault < 5; ++fault) {
        Config config;
        FeedbackConfig fb = FeedbackConfig::single(config.main_device, default_formats());
        fb.hostile.table_size_too_large = fault == 0;
        fb.hostile.table_size_unaligned = fault == 1;
        fb.hostile.index_out_of_range = fault == 2;
        fb.hostile.main_device_wrong_size = fault == 3;
        fb.hostile.target_device_wrong_size = fault == 4;
        config.surface_feedback = fb;
        auto comp = start(config);
        MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
        auto cfg = config_for(*comp, memfd);
        cfg.timeout = 300ms;
        auto p = Producer::create(cfg);
        ASSERT_FALSE(p.ok()) << "fault " << fault;
        EXPECT_NE(p.error().message().find("rejected"), std::string::npos) << p.error().message();
        EXPECT_TRUE(comp->records().params.empty());
    }
}

TEST(ProducerTest, NV12IsSentAsTwoPlanesWithBt601LimitedCodes)
{
    Config config;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{nv12, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.format = nv12;
    auto p = make(cfg);
    ASSERT_TRUE(p && present_solid(*p, {233, 91, 66}, nv12));
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 2; }));
    const auto r = comp->records();
    ASSERT_EQ(r.params.at(0).planes.size(), 2u);
    auto y = comp->read_last_committed_buffer(0);
    auto uv = comp->read_last_committed_buffer(1);
    ASSERT_TRUE(y.ok() && uv.ok());
    EXPECT_EQ(y->bytes.at(0), 128);
    EXPECT_EQ(uv->bytes.at(0), 96);
    EXPECT_EQ(uv->bytes.at(1), 192);
}

// wp_color_representation_surface_v1 enum values.
constexpr uint32_t cr_bt601 = 4, cr_bt709 = 2, cr_bt2020 = 6, cr_full = 1, cr_limited = 2;

TEST(ProducerTest, TheYuvEncodingIsDeclaredWhereTheCompositorOffersColorRepresentation)
{
    Config config;
    config.color_representation = {{cr_bt601, cr_limited}, {cr_bt709, cr_limited}, {cr_bt709, cr_full}};
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{nv12, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.format = nv12;
    cfg.yuv = {pixels::YuvMatrix::bt709, pixels::YuvRange::full};
    auto p = make(cfg);
    ASSERT_TRUE(p && present_solid(*p, {233, 91, 66}, nv12));
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 2; }));
    const auto r = comp->records();
    EXPECT_TRUE(r.errors.empty());
    // Declared before the first buffer is shown.
    const auto first_with_buffer = std::find_if(r.commits.begin(), r.commits.end(), [](const CommitRecord& c) { return c.buffer != 0; });
    ASSERT_NE(first_with_buffer, r.commits.end());
    EXPECT_EQ(first_with_buffer->yuv_coefficients, cr_bt709);
    EXPECT_EQ(first_with_buffer->yuv_range, cr_full);
    EXPECT_EQ(p->yuv_description(), "BT.709 full range, declared (wp_color_representation_v1)");
}

TEST(ProducerTest, TheDefaultEncodingIsDeclaredToo)
{
    Config config;
    config.color_representation = {{cr_bt601, cr_limited}};
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{nv12, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.format = nv12;
    auto p = make(cfg);
    ASSERT_TRUE(p && present_solid(*p, {233, 91, 66}, nv12));
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 2; }));
    const auto r = comp->records();
    EXPECT_EQ(r.commits.back().yuv_coefficients, cr_bt601);
    EXPECT_EQ(r.commits.back().yuv_range, cr_limited);
}

TEST(ProducerTest, AnotherEncodingWithoutColorRepresentationIsRefusedBeforeAnythingIsShown)
{
    auto comp = start();
    MemfdFactory memfd{FormatSet{{nv12, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.format = nv12;
    cfg.yuv = {pixels::YuvMatrix::bt709, pixels::YuvRange::limited};
    auto p = Producer::create(cfg);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().message().find("does not offer wp_color_representation_v1"), std::string::npos) << p.error().message();
    EXPECT_NE(p.error().message().find("BT.709 limited range"), std::string::npos) << p.error().message();
    EXPECT_TRUE(comp->records().buffers.empty());
}

TEST(ProducerTest, AnUnsupportedEncodingNamesWhatTheCompositorSupports)
{
    Config config;
    config.color_representation = {{cr_bt601, cr_limited}, {cr_bt709, cr_limited}};
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{nv12, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.format = nv12;
    cfg.yuv = {pixels::YuvMatrix::bt2020, pixels::YuvRange::full};
    auto p = Producer::create(cfg);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().message().find("does not support bt2020 full; it supports bt601 limited, bt709 limited"),
              std::string::npos)
        << p.error().message();
    EXPECT_TRUE(comp->records().errors.empty());
}

TEST(ProducerTest, RgbFramesDeclareNoYuvEncoding)
{
    Config config;
    config.color_representation = {{cr_bt601, cr_limited}, {cr_bt2020, cr_limited}};
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.yuv = {pixels::YuvMatrix::bt2020, pixels::YuvRange::limited};
    auto p = make(cfg);
    ASSERT_TRUE(p && present_solid(*p, {1, 2, 3}));
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 2; }));
    const auto r = comp->records();
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(r.commits.back().yuv_coefficients, 0u);  // a YCbCr matrix on RGB would be a pixel_format error
    EXPECT_TRUE(p->yuv_description().empty());
}

TEST(ProducerTest, EachBufferIsRedrawnOnlyWhereItsLastPatternFrameDiffers)
{
    // The memfd stand-in draws only the rectangles it is given: wrong ones leave stale pixels.
    auto comp = start();
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    memfd.draws = true;
    auto cfg = config_for(*comp, memfd);
    cfg.width = 96;
    cfg.height = 64;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    const sources::PatternSpec box{sources::PatternKind::moving_box, {}};
    const pixels::YuvEncoding k{};
    std::map<uint64_t, sources::PatternFrame> held;  // buffer serial -> the frame drawn into it
    auto draw = [&](uint64_t f) {
        auto frame = p->acquire();
        ASSERT_TRUE(frame.ok() && *frame);
        ASSERT_TRUE(p->cannot_draw(**frame).empty());
        const auto pattern = sources::pattern_frame(box, 96, 64, f, f * 33);
        const size_t before = memfd.draw_log->size();
        ASSERT_TRUE(p->draw(**frame, pattern, k).ok());
        ASSERT_EQ(memfd.draw_log->size(), before + 1);
        const auto& changed = memfd.draw_log->back();
        const auto it = held.find((*frame)->buffer_serial);
        if (it == held.end()) {
            EXPECT_FALSE(changed.has_value()) << "frame " << f << ": a buffer's first draw is a full one";
        } else {
            ASSERT_TRUE(changed.has_value()) << "frame " << f;
            EXPECT_EQ(*changed, sources::pattern_changes(it->second, pattern)) << "frame " << f;
        }
        held[(*frame)->buffer_serial] = pattern;
        ASSERT_TRUE(p->queue(**frame).ok());
        ASSERT_TRUE(p->dispatch(20ms).ok());
    };
    for (uint64_t f = 0; f < 12; ++f) {
        draw(f);
        if (HasFatalFailure()) return;
    }
    // What the compositor holds is frame 11 in full.
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 13; }));
    // Each commit damaged only where its frame differs from the one before (the first: all of it).
    {
        const auto r = comp->records();
        std::vector<const CommitRecord*> shown;
        for (const auto& c : r.commits) {
            if (c.attached && c.buffer) shown.push_back(&c);
        }
        ASSERT_EQ(shown.size(), 12u);
        ASSERT_EQ(shown[0]->buffer_damage.size(), 1u);
        EXPECT_EQ(shown[0]->buffer_damage[0].width, 96);
        for (uint64_t f = 1; f < 12; ++f) {
            const auto want = sources::pattern_changes(sources::pattern_frame(box, 96, 64, f - 1, (f - 1) * 33),
                                                       sources::pattern_frame(box, 96, 64, f, f * 33));
            ASSERT_EQ(shown[f]->buffer_damage.size(), want.size()) << "frame " << f;
            for (size_t i = 0; i < want.size(); ++i) {
                const Rect& got = shown[f]->buffer_damage[i];
                EXPECT_EQ((std::array{got.x, got.y, got.width, got.height}),
                          (std::array{static_cast<int32_t>(want[i].x), static_cast<int32_t>(want[i].y),
                                      static_cast<int32_t>(want[i].width), static_cast<int32_t>(want[i].height)}))
                    << "frame " << f << " rectangle " << i;
            }
        }
    }
    auto shown = comp->read_last_committed_buffer(0);
    ASSERT_TRUE(shown.ok()) << shown.error().message();
    const auto last = sources::pattern_frame(box, 96, 64, 11, 11 * 33);
    for (uint32_t y = 0; y < 64; ++y) {
        for (uint32_t x = 0; x < 96; ++x) {
            const pixels::Rgb want = sources::pattern_pixel(last, x, y);
            const uint8_t* px = shown->bytes.data() + size_t{y} * shown->stride + x * 4;
            ASSERT_EQ((pixels::Rgb{px[2], px[1], px[0]}), want) << "pixel " << x << "," << y;
        }
    }
    // A CPU write in between: the next draw into that buffer is a full one again; the others stay partial.
    uint64_t written_serial = 0;
    {
        auto frame = p->acquire();
        ASSERT_TRUE(frame.ok() && *frame);
        written_serial = (*frame)->buffer_serial;
        auto solid = sources::SolidFrame::make(xrgb, 96, 64, {1, 2, 3});
        ASSERT_TRUE(solid.ok());
        ASSERT_TRUE(p->write(**frame, solid->planes()).ok());
        ASSERT_TRUE(p->queue(**frame).ok());
        ASSERT_TRUE(p->dispatch(20ms).ok());
        ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 14; }));
        const auto r = comp->records();
        ASSERT_EQ(r.commits.back().buffer_damage.size(), 1u) << "CPU contents damage the whole buffer";
        EXPECT_EQ(r.commits.back().buffer_damage[0].width, 96);
        EXPECT_EQ(r.commits.back().buffer_damage[0].height, 64);
    }
    bool redrawn = false;
    for (uint64_t f = 12; f < 20 && !redrawn; ++f) {
        auto frame = p->acquire();
        ASSERT_TRUE(frame.ok() && *frame);
        const auto pattern = sources::pattern_frame(box, 96, 64, f, f * 33);
        ASSERT_TRUE(p->draw(**frame, pattern, k).ok());
        const auto& changed = memfd.draw_log->back();
        if ((*frame)->buffer_serial == written_serial) {
            EXPECT_FALSE(changed.has_value()) << "the buffer the CPU wrote is drawn in full";
            redrawn = true;
        } else if (held.count((*frame)->buffer_serial)) {
            EXPECT_TRUE(changed.has_value()) << "frame " << f;
        } else {
            // The pool makes buffers lazily: one made only now (a release came late) starts full.
            EXPECT_FALSE(changed.has_value()) << "frame " << f << ": a buffer's first draw is a full one";
        }
        held[(*frame)->buffer_serial] = pattern;
        ASSERT_TRUE(p->queue(**frame).ok());
        ASSERT_TRUE(p->dispatch(20ms).ok());
    }
    EXPECT_TRUE(redrawn) << "the written buffer came back within 8 frames";
}

TEST(ProducerTest, FdCountIsFlatOver10000Frames)
{
    Config config;
    config.keep_plane_fds = false;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.width = cfg.height = 8;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    auto solid = sources::SolidFrame::make(xrgb, 8, 8, {1, 2, 3});
    const auto planes = solid->planes();
    auto one = [&] {
        auto frame = p->acquire();
        ASSERT_TRUE(frame.ok() && frame->has_value());
        ASSERT_TRUE(p->write(**frame, planes).ok());
        ASSERT_TRUE(p->queue(**frame).ok());
        comp->tick();
    };
    // Every live buffer is two fds in this process: the client's plane fd and the compositor's copy.
    // The pool may still grow to its bound after the warm-up; everything else must stay flat.
    auto fds_besides_buffers = [&] { return open_fd_count() - 2 * static_cast<int>(p->buffer_count()); };
    for (int i = 0; i < 10; ++i) one();
    ASSERT_TRUE(p->drain(1000ms).ok());
    const int before = fds_besides_buffers();
    for (int i = 0; i < 10'000; ++i) {
        one();
        if (HasFatalFailure()) return;
    }
    ASSERT_TRUE(p->drain(1000ms).ok());
    EXPECT_EQ(fds_besides_buffers(), before) << open_fd_list();
    EXPECT_LE(p->buffer_count(), 3u);
    EXPECT_EQ(p->stats().queued, 10'010u);
    EXPECT_LE(comp->records().buffers.size(), 3u);
}


TEST(ProducerTest, ScalePolicyUsesTheViewportInsteadOfReallocating)
{
    Config config;
    config.viewporter_version = 1;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.width = cfg.height = 0;
    cfg.resize = producer::ResizePolicy::scale;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->window().has_viewport());
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}, xrgb, 640, 480));
    comp->set_configure_size(320, 200);
    ASSERT_TRUE(dispatch_until_configured(*p, 320, 200));
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}, xrgb, 640, 480));
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 3; }));
    const auto r = comp->records();
    EXPECT_EQ(r.commits[1].viewport_width, -1);  // same size: no destination
    EXPECT_EQ(r.commits[2].viewport_width, 320);
    EXPECT_EQ(r.commits[2].viewport_height, 200);
    EXPECT_EQ(r.buffers.at(r.commits[2].buffer - 1).width, 640);
    EXPECT_EQ(p->rebuilds(), 0u);
    EXPECT_TRUE(r.errors.empty());
}

TEST(ProducerTest, ScalePolicyWithoutViewporterReallocates)
{
    auto comp = start();
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.width = cfg.height = 0;
    cfg.resize = producer::ResizePolicy::scale;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->window().has_viewport());
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}, xrgb, 640, 480));
    comp->set_configure_size(320, 200);
    ASSERT_TRUE(dispatch_until_configured(*p, 320, 200));
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}, xrgb, 320, 200));
    EXPECT_EQ(p->rebuilds(), 1u);
    EXPECT_EQ(p->choice()->width, 320u);
}

TEST(ProducerTest, FullscreenAsksForItAndFillsTheOutput)
{
    auto comp = start();
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.width = cfg.height = 0;
    cfg.window.fullscreen = true;
    cfg.window.title = "a title";
    auto p = make(cfg);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->window().fullscreen());
    ASSERT_TRUE(present_solid(*p, {1, 2, 3}, xrgb, 1920, 1080));
    EXPECT_EQ(p->choice()->width, 1920u);
    EXPECT_EQ(p->choice()->height, 1080u);
    const auto r = comp->records();
    ASSERT_FALSE(r.configures.empty());
    EXPECT_TRUE(r.configures.front().fullscreen);
}

TEST(ProducerTest, ANewTargetDeviceGetsItsOwnAllocator)
{
    Config config;
    config.auto_tick = 2ms;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p && present_solid(*p, {1, 2, 3}));
    ASSERT_TRUE(p->wait_for_frame().ok());
    EXPECT_EQ(p->choice()->candidate.target_device, config.main_device);

    const dev_t other = makedev(226, 130);
    comp->set_feedback(FeedbackConfig::single(other, FormatSet{{xrgb, modifier_linear}}));
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
        ASSERT_TRUE(p->wait_for_frame().ok());
    }
    EXPECT_EQ(p->choice()->candidate.target_device, other);
    EXPECT_EQ(p->rebuilds(), 1u);
    ASSERT_EQ(memfd.asked->size(), 2u);
    EXPECT_EQ(memfd.asked->back(), other);
    EXPECT_TRUE(comp->records().errors.empty());
}

TEST(ProducerTest, AHostPollLoopDrivesItThroughFdAndDispatchPending)
{
    Config config;
    config.auto_tick = 2ms;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
        const auto deadline = std::chrono::steady_clock::now() + 2s;
        while (p->window().frame_pending() && std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{.fd = p->fd(), .events = POLLIN, .revents = 0};
            ASSERT_GE(::poll(&pfd, 1, 100), 0);
            ASSERT_TRUE(p->dispatch_pending().ok());
        }
        ASSERT_FALSE(p->window().frame_pending()) << "frame " << i;
    }
    EXPECT_EQ(p->window().frame_callbacks(), 5u);
}

TEST(ProducerSyncTest, AutomaticTakesExplicitSyncWhereOfferedElseImplicit)
{
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    {
        auto comp = start();
        auto p = make(config_for(*comp, memfd));
        ASSERT_TRUE(p);
        EXPECT_EQ(p->sync_mode(), producer::SyncMode::implicit_sync);
        auto cfg = config_for(*comp, memfd);
        cfg.sync = producer::SyncMode::explicit_sync;
        auto refused = Producer::create(cfg);
        ASSERT_FALSE(refused.ok());
        EXPECT_NE(refused.error().message().find("neither wp_linux_drm_syncobj_manager_v1 nor zwp_linux_explicit_synchronization_v1"), std::string::npos)
            << refused.error().message();
    }
    Config config;
    config.explicit_sync_version = 2;
    auto comp = start(config);
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->sync_mode(), producer::SyncMode::explicit_sync);
    auto cfg = config_for(*comp, memfd);
    cfg.sync = producer::SyncMode::implicit_sync;
    auto implicit = make(cfg);
    ASSERT_TRUE(implicit);
    EXPECT_EQ(implicit->sync_mode(), producer::SyncMode::implicit_sync);
}

TEST(ProducerSyncTest, ExplicitSyncSendsTheRenderFenceAndAsksForEveryRelease)
{
    Config config;
    config.explicit_sync_version = 2;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    memfd.fence_writes = true;
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
    // The compositor sends the fourth release once the fifth buffer replaced it on screen; the
    // producer counts it once it has read the event: wait for both, not for a time.
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 6 && r.immediate_releases >= 4; }));
    for (int i = 0; i < 100 && p->sync_stats().immediate_releases < 4; ++i) ASSERT_TRUE(p->dispatch(50ms).ok());
    const auto r = comp->records();
    for (size_t i = 1; i < r.commits.size(); ++i) {
        EXPECT_TRUE(r.commits[i].acquire_fence) << "commit " << i;
        EXPECT_TRUE(r.commits[i].release_requested) << "commit " << i;
    }
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(p->sync_stats().acquire_fences, 5u);
    EXPECT_EQ(r.immediate_releases, 4u);  // every buffer but the one on screen
    EXPECT_EQ(p->sync_stats().immediate_releases, 4u);
}

TEST(ProducerSyncTest, AFenceSetByTheFramesOwnerGoesWithItsCommit)
{
    // A host that renders into the buffer itself hands over its own render fence (here an eventfd
    // standing in for a sync_file); frames without one commit without an acquire fence.
    Config config;
    config.explicit_sync_version = 2;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    for (int i = 0; i < 4; ++i) {
        auto frame = p->acquire();
        ASSERT_TRUE(frame.ok() && *frame);
        if (i % 2 == 1) {
            UniqueFd fence{eventfd(1, EFD_CLOEXEC)};
            ASSERT_TRUE(fence);
            ASSERT_TRUE(p->set_render_fence(**frame, std::move(fence)).ok());
        }
        ASSERT_TRUE(p->queue(**frame).ok());
        auto again = p->set_render_fence(**frame, UniqueFd{});
        ASSERT_FALSE(again.ok()) << "a queued frame takes no fence";
        EXPECT_NE(again.error().message().find("is not acquired"), std::string::npos) << again.error().message();
    }
    ASSERT_TRUE(p->dispatch(50ms).ok());
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.commits.size() >= 5; }));
    const auto r = comp->records();
    for (size_t i = 1; i < r.commits.size(); ++i) EXPECT_EQ(r.commits[i].acquire_fence, i % 2 == 0) << "commit " << i;
    EXPECT_EQ(p->sync_stats().acquire_fences, 2u);
    EXPECT_TRUE(r.errors.empty());
}

TEST(ProducerSyncTest, ABufferIsReusedOnlyAfterItsReleaseFenceSignals)
{
    Config config;
    config.explicit_sync_version = 1;
    config.release_fences = ReleaseFences::fenced;
    auto comp = start(config);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto cfg = config_for(*comp, memfd);
    cfg.buffers = 2;
    // Long enough that the signal below, 100 ms in, lands inside it even on a machine busy with a
    // VM and a parallel build (a 300 ms timeout and a 150 ms signal once failed CI that way).
    cfg.timeout = 1500ms;
    auto p = make(cfg);
    ASSERT_TRUE(p);
    ASSERT_TRUE(present_solid(*p, {1, 1, 1}));  // A
    ASSERT_TRUE(present_solid(*p, {2, 2, 2}));  // B; A released with an unsignalled fence
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.fenced_releases >= 1; }));

    // A is the only buffer not held, and its fence never signals: an error, not a write into it.
    auto t0 = std::chrono::steady_clock::now();
    auto frame = p->acquire();
    ASSERT_FALSE(frame.ok());
    EXPECT_NE(frame.error().message().find("release fence did not signal"), std::string::npos) << frame.error().message();
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 1490ms);

    // Signalled 100 ms from now: acquire() waits for it, then hands A out.
    std::thread signaller{[&] {
        std::this_thread::sleep_for(100ms);
        comp->signal_release_fences();
    }};
    t0 = std::chrono::steady_clock::now();
    auto reused = p->acquire();
    const auto waited = std::chrono::steady_clock::now() - t0;
    signaller.join();
    ASSERT_TRUE(reused.ok()) << reused.error().message();
    EXPECT_GE(waited, 95ms);
    EXPECT_GE(p->sync_stats().fenced_releases, 1u);
    EXPECT_GE(p->sync_stats().release_fence_waits, 1u);
}

TEST(ProducerSyncTest, ImplicitSyncWaitsOnTheCpuWhereTheDmabufIoctlsAreMissing)
{
    auto comp = start();
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    memfd.fence_writes = true;
    auto p = make(config_for(*comp, memfd));
    ASSERT_TRUE(p);
    ASSERT_EQ(p->sync_mode(), producer::SyncMode::implicit_sync);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(present_solid(*p, {1, 2, 3}));
    // A memfd is no dma-buf: DMA_BUF_IOCTL_IMPORT_SYNC_FILE fails, so each render fence is waited
    // for on the CPU before its commit.
    EXPECT_EQ(p->sync_stats().implicit_attached, 0u);
    EXPECT_EQ(p->sync_stats().cpu_waits, 4u);
    EXPECT_TRUE(comp->records().errors.empty());
}

}  // namespace
}  // namespace dmafeed::test

// The producer's pacing and timing against the test compositor: fifo barriers where
// wp_fifo_manager_v1 is offered (one commit may wait in the compositor), frame callbacks elsewhere;
// a show-at time sent as a wp_commit_timer_v1 timestamp on the refresh grid of the last
// presentation; frames dropped late; and a window the compositor does not repaint, which never
// hangs the producer.
#include "memfd_allocator.hpp"
#include "producer_fixture.hpp"
#include "test_compositor.hpp"

#include "producer/present_timing.hpp"
#include "producer/producer.hpp"
#include "sources/solid.hpp"

#include <atomic>
#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <csignal>
#include <pthread.h>
#include <thread>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using producer::Pacing;
using producer::Producer;
using producer::ProducerConfig;

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};

// The applied commits that attached a buffer (the window's first commit, which asks for the
// configure, has none).
std::vector<CommitRecord> frames(const Records& r)
{
    std::vector<CommitRecord> out;
    for (const CommitRecord& c : r.commits) {
        if (c.attached && c.buffer) out.push_back(c);
    }
    return out;
}

// One solid frame acquired, written and queued (with a show-at time when not 0).
void queue_solid(Producer& p, uint64_t show_at_ns = 0)
{
    auto frame = p.acquire();
    ASSERT_TRUE(frame.ok() && *frame) << (frame.ok() ? "dropped" : frame.error().message());
    auto solid = sources::SolidFrame::make(xrgb, 32, 16, {1, 2, 3});
    ASSERT_TRUE(solid.ok());
    ASSERT_TRUE(p.write(**frame, solid->planes()).ok());
    auto queued = p.queue(**frame, show_at_ns);
    ASSERT_TRUE(queued.ok()) << queued.error().message();
}

TEST(ProducerPacing, WithFifoEveryCommitCarriesABarrierAndOneMoreFrameWaitsInTheCompositor)
{
    auto comp = start({.fifo_version = 1});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto made = Producer::create(config_for(*comp, memfd));
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    EXPECT_EQ(p.pacing(), Pacing::fifo);

    // The first commit applies at once (no barrier yet) and sets one; wait_for_frame() does not
    // wait for its frame callback: the next commit may wait in the compositor.
    queue_solid(p);
    ASSERT_TRUE(p.wait_for_frame().ok());
    EXPECT_EQ(p.window().frame_callbacks_pending(), 1u);
    queue_solid(p);
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.queued_updates == 1; }, 2000ms))
        << "the second commit waits behind the first one's barrier";
    EXPECT_EQ(frames(comp->records()).size(), 1u);
    // Two commits the compositor holds: now wait_for_frame() waits for the first one's frame
    // callback, which the next tick sends as it presents it (the second one applies at the tick
    // after: the barrier clears once the first has been shown for a refresh).
    std::thread ticker{[&] {
        std::this_thread::sleep_for(50ms);
        comp->tick();
    }};
    const auto t0 = std::chrono::steady_clock::now();
    const auto waited = p.wait_for_frame();
    ticker.join();
    ASSERT_TRUE(waited.ok()) << waited.error().message();
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 40ms) << "it returned before the tick";
    EXPECT_EQ(comp->records().queued_updates, 1u);
    comp->tick();
    const Records r = comp->records();
    const std::vector<CommitRecord> shown = frames(r);
    ASSERT_EQ(shown.size(), 2u);
    for (const CommitRecord& c : shown) {
        EXPECT_TRUE(c.fifo_set_barrier && c.fifo_wait_barrier) << "commit " << c.serial;
    }
    EXPECT_FALSE(shown[0].queued);
    EXPECT_TRUE(shown[1].queued);
    EXPECT_EQ(shown[1].applied_tick, 2u);
    EXPECT_EQ(p.stats().unpaced, 0u);
}

TEST(ProducerPacing, WithoutFifoFramesArePacedByFrameCallbacksAndFifoAskedForIsAnError)
{
    auto comp = start({});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    {
        auto made = Producer::create(config_for(*comp, memfd));
        ASSERT_TRUE(made.ok()) << made.error().message();
        Producer& p = **made;
        EXPECT_EQ(p.pacing(), Pacing::frame_callbacks);
        EXPECT_FALSE(p.commit_timing());
        queue_solid(p);
        EXPECT_EQ(p.window().frame_callbacks_pending(), 1u);
        comp->tick();
        ASSERT_TRUE(p.wait_for_frame().ok());
        EXPECT_EQ(p.window().frame_callbacks_pending(), 0u);
        const std::vector<CommitRecord> shown = frames(comp->records());
        ASSERT_EQ(shown.size(), 1u);
        EXPECT_FALSE(shown[0].fifo_set_barrier || shown[0].fifo_wait_barrier);
    }
    ProducerConfig config = config_for(*comp, memfd);
    config.pacing = Pacing::fifo;
    auto refused = Producer::create(config);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message().find("does not offer wp_fifo_manager_v1"), std::string::npos)
        << refused.error().message();

    // Offered but not wanted: frame callbacks, and no fifo object is made.
    auto comp2 = start({.fifo_version = 1});
    ASSERT_TRUE(comp2);
    ProducerConfig callbacks = config_for(*comp2, memfd);
    callbacks.pacing = Pacing::frame_callbacks;
    auto made = Producer::create(callbacks);
    ASSERT_TRUE(made.ok()) << made.error().message();
    EXPECT_EQ((*made)->pacing(), Pacing::frame_callbacks);
    queue_solid(**made);
    ASSERT_TRUE(comp2->wait_until([](const Records& r) { return frames(r).size() == 1; }, 2000ms));
    EXPECT_FALSE(frames(comp2->records())[0].fifo_wait_barrier);
}

TEST(ProducerTiming, AShowAtTimeIsSentAsATimestampOnTheRefreshGridAndTheErrorIsCounted)
{
    auto comp = start({.commit_timing_version = 1});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto made = Producer::create(config_for(*comp, memfd));
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    ASSERT_TRUE(p.commit_timing());

    // A presented frame gives the grid: its time and the refresh (16.67 ms).
    queue_solid(p);
    comp->tick();
    for (int i = 0; i < 100 && p.stats().presented == 0; ++i) ASSERT_TRUE(p.dispatch(20ms).ok());
    ASSERT_EQ(p.stats().presented, 1u);
    const PresentationRecord shown = comp->records().presentations.back();
    ASSERT_TRUE(shown.presented);
    EXPECT_EQ(p.refresh_ns(), shown.refresh_ns);
    EXPECT_EQ(p.stats().timed, 0u) << "a frame without a show-at time";

    // 120.3 refreshes after it (2 s ahead, so that the tick below comes before it however slow
    // the machine): the timestamp is half a refresh before the 120th cycle, the nearest one.
    const uint64_t show_at = shown.time_ns + 120 * uint64_t{shown.refresh_ns} + shown.refresh_ns * 3 / 10;
    const uint64_t expected = producer::commit_timestamp(show_at, {.presented_ns = shown.time_ns, .refresh_ns = shown.refresh_ns});
    EXPECT_EQ(expected, shown.time_ns + 120 * uint64_t{shown.refresh_ns} - shown.refresh_ns / 2);
    ASSERT_TRUE(p.wait_for_frame().ok());
    queue_solid(p, show_at);
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.queued_updates == 1; }, 2000ms))
        << "the compositor holds the update until its time";
    comp->tick();  // well before the timestamp: still held
    EXPECT_EQ(comp->records().queued_updates, 1u);
    while (p.now_ns() < expected + 1'000'000) std::this_thread::sleep_for(10ms);
    comp->tick();
    ASSERT_TRUE(comp->wait_until([](const Records& r) { return r.queued_updates == 0 && r.totals.presented == 2; }, 2000ms));
    const Records r = comp->records();
    EXPECT_EQ(r.commits.back().target_ns, expected);
    EXPECT_GE(r.presentations.back().time_ns, expected);
    for (int i = 0; i < 100 && p.stats().presented < 2; ++i) ASSERT_TRUE(p.dispatch(20ms).ok());
    const auto stats = p.stats();
    EXPECT_EQ(stats.timed, 1u);
    const double error_ms = static_cast<double>(r.presentations.back().time_ns > show_at
                                                    ? r.presentations.back().time_ns - show_at
                                                    : show_at - r.presentations.back().time_ns) / 1e6;
    EXPECT_NEAR(stats.show_error_p50_ms, error_ms, 0.01 * error_ms + 0.001) << "the histogram keeps 0.8 %";
}

TEST(ProducerTiming, ALateFrameDroppedIsGivenBackAndCounted)
{
    auto comp = start({});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto made = Producer::create(config_for(*comp, memfd));
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    auto frame = p.acquire();
    ASSERT_TRUE(frame.ok() && *frame);
    ASSERT_TRUE(p.drop_late(**frame).ok());
    p.count_late_drop();
    const auto stats = p.stats();
    EXPECT_EQ(stats.late, 2u);
    EXPECT_EQ(stats.dropped, 2u);
    EXPECT_EQ(stats.queued, 0u);
    EXPECT_FALSE(p.queue(**frame).ok()) << "a dropped frame is no longer acquired";
    EXPECT_EQ(frames(comp->records()).size(), 0u);
    queue_solid(p);  // the buffer is free again
}

// Frame callbacks stop for a hidden window (and fifo barriers are ignored): each wait ends after
// hidden_after, counted; once shown, frame callbacks pace it again.
class HiddenWindow : public testing::TestWithParam<uint32_t> {};

TEST_P(HiddenWindow, NeverHangsTheProducerAndPacingComesBackWhenShown)
{
    auto comp = start({.fifo_version = GetParam()});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    ProducerConfig config = config_for(*comp, memfd);
    config.hidden_after = 100ms;
    auto made = Producer::create(config);
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    comp->set_surfaces_hidden(true);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 6; ++i) {
        queue_solid(p);
        const auto waited = p.wait_for_frame();
        ASSERT_TRUE(waited.ok()) << "frame " << i << ": " << waited.error().message();
    }
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(p.hidden());
    // With fifo the first wait does not wait (one commit may be held); every other one ends
    // after hidden_after.
    const uint64_t unpaced = p.stats().unpaced;
    EXPECT_EQ(unpaced, GetParam() ? 5u : 6u);
    EXPECT_GE(took, unpaced * 100ms);
    EXPECT_EQ(comp->records().totals.frame_callbacks, 0u);

    comp->set_surfaces_hidden(false);
    const uint64_t committed = comp->records().totals.commits;
    queue_solid(p);
    // The tick after the commit has arrived, so that it sends the commit's frame callback.
    ASSERT_TRUE(comp->wait_until([&](const Records& r) { return r.totals.commits > committed || r.queued_updates > 0; }, 2000ms));
    comp->tick();
    ASSERT_TRUE(p.wait_for_frame().ok());
    EXPECT_FALSE(p.hidden()) << "frame callbacks again";
    EXPECT_EQ(p.stats().unpaced, unpaced);
}

TEST(ProducerInterrupt, EveryWaitEndsSoonAfterTheFlagIsSet)
{
    // A window not repainted and a pool the compositor holds: without the flag each wait would
    // last seconds; with it, each ends within 100 ms of the flag turning true, without an error.
    auto comp = start({});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    std::atomic<bool> interrupt{false};
    ProducerConfig config = config_for(*comp, memfd);
    config.timeout = 20'000ms;
    config.buffers = 2;
    config.interrupt = &interrupt;
    auto made = Producer::create(config);
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    comp->set_surfaces_hidden(true);
    comp->withhold_releases(true);
    queue_solid(p);
    queue_solid(p);  // both buffers held now
    std::thread setter{[&] {
        std::this_thread::sleep_for(200ms);
        interrupt = true;
    }};
    const auto t0 = std::chrono::steady_clock::now();
    const auto waited = p.wait_for_frame();
    const auto took = std::chrono::steady_clock::now() - t0;
    setter.join();
    EXPECT_TRUE(waited.ok()) << waited.error().message();
    EXPECT_GE(took, 190ms);
    EXPECT_LT(took, 5s) << "the wait went on after the flag (hidden_after is 10 s)";
    const auto t1 = std::chrono::steady_clock::now();
    auto frame = p.acquire();
    EXPECT_TRUE(frame.ok() && !*frame) << "no frame, and no error";
    EXPECT_EQ(p.stats().dropped, 0u);
    EXPECT_TRUE(p.dispatch(20'000ms).ok());
    EXPECT_TRUE(p.drain(20'000ms).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - t1, 2s) << "acquire, dispatch or drain waited on";
}

std::atomic<bool> signalled{false};

TEST(ProducerInterrupt, ASignalThatSetsTheFlagEndsTheWaitWithoutAnError)
{
    // As the player does: the flag is set by a signal handler, so poll() fails with EINTR; that
    // ends the wait, and is not an error.
    struct sigaction action{};
    action.sa_handler = [](int) { signalled = true; };
    struct sigaction previous{};
    ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);
    auto comp = start({});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    ProducerConfig config = config_for(*comp, memfd);
    config.timeout = 20'000ms;
    config.interrupt = &signalled;
    auto made = Producer::create(config);
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    comp->set_surfaces_hidden(true);
    queue_solid(p);
    const pthread_t waiter = pthread_self();
    std::thread sender{[waiter] {
        std::this_thread::sleep_for(200ms);
        pthread_kill(waiter, SIGUSR1);
    }};
    const auto t0 = std::chrono::steady_clock::now();
    const auto waited = p.wait_for_frame();
    const auto took = std::chrono::steady_clock::now() - t0;
    sender.join();
    sigaction(SIGUSR1, &previous, nullptr);
    EXPECT_TRUE(signalled.load());
    EXPECT_TRUE(waited.ok()) << waited.error().message();
    EXPECT_LT(took, 5s) << "the wait went on after the signal (hidden_after is 10 s)";
}

INSTANTIATE_TEST_SUITE_P(Pacing, HiddenWindow, testing::Values(0u, 1u),
                         [](const testing::TestParamInfo<uint32_t>& i) { return i.param ? "Fifo" : "FrameCallbacks"; });

}  // namespace
}  // namespace dmafeed::test

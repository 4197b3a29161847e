// The test compositor's wp_fifo_v1 and wp_commit_timer_v1 seen from a raw libwayland-client:
// queued content updates (one fifo update a tick, targets held until a tick at or after them, order
// kept), their protocol errors, hidden surfaces, and surfaces destroyed with updates still queued.
// Ticks are manual; the only waits on the clock are for a target a few tens of milliseconds ahead,
// checked in the direction that cannot fail by chance.
#include "dmabuf_client.hpp"
#include "fd_count.hpp"
#include "protocol_error_check.hpp"
#include "test_compositor.hpp"
#include "wl/proxy.hpp"

#include "commit-timing-v1-client-protocol.h"
#include "fifo-v1-client-protocol.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <thread>
#include <vector>
#include <wayland-client-protocol.h>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;

using FifoManager = wl::ProxyPtr<wp_fifo_manager_v1, wp_fifo_manager_v1_destroy>;
using Fifo = wl::ProxyPtr<wp_fifo_v1, wp_fifo_v1_destroy>;
using TimingManager =
    wl::ProxyPtr<wp_commit_timing_manager_v1, wp_commit_timing_manager_v1_destroy>;
using Timer = wl::ProxyPtr<wp_commit_timer_v1, wp_commit_timer_v1_destroy>;

uint64_t monotonic_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<uint64_t>(ts.tv_nsec);
}

Config timing_config()
{
    Config config;
    config.fifo_version = 1;
    config.commit_timing_version = 1;
    return config;
}

struct Session {
    std::unique_ptr<TestCompositor> compositor;
    std::unique_ptr<WaylandClient> client;
    Ptr<wl_compositor> wl_comp;
    Ptr<zwp_linux_dmabuf_v1> dmabuf;
    Ptr<wp_presentation> presentation;
    FifoManager fifo_manager;
    TimingManager timing_manager;

    explicit Session(Config config = timing_config())
    {
        auto created = TestCompositor::create(std::move(config));
        if (!created) {
            ADD_FAILURE() << created.error().message();
            return;
        }
        compositor = std::move(*created);
        client = WaylandClient::connect(*compositor);
        if (!client) {
            ADD_FAILURE() << "connect failed";
            return;
        }
        wl_comp = client->bind<wl_compositor>(&wl_compositor_interface, 6);
        dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, 4);
        presentation = client->bind<wp_presentation>(&wp_presentation_interface, 2);
        fifo_manager.reset(static_cast<wp_fifo_manager_v1*>(client->bind(&wp_fifo_manager_v1_interface, 1)));
        timing_manager.reset(
            static_cast<wp_commit_timing_manager_v1*>(client->bind(&wp_commit_timing_manager_v1_interface, 1)));
    }
    explicit operator bool() const { return client && wl_comp && dmabuf && presentation; }
    Ptr<wl_surface> surface() const { return Ptr<wl_surface>{wl_compositor_create_surface(wl_comp.get())}; }
    Ptr<wl_buffer> buffer() const { return make_buffer(dmabuf.get(), 8, 8); }
    Fifo fifo(wl_surface* surface) const { return Fifo{wp_fifo_manager_v1_get_fifo(fifo_manager.get(), surface)}; }
    Timer timer(wl_surface* surface) const
    {
        return Timer{wp_commit_timing_manager_v1_get_timer(timing_manager.get(), surface)};
    }
    uint64_t serial_of(wl_buffer* buffer) const
    {
        return compositor->buffer_serial(wl_proxy_get_id(reinterpret_cast<wl_proxy*>(buffer))).value_or(0);
    }
    // A tick, and the client has read what it sent.
    bool tick()
    {
        compositor->tick();
        return client->roundtrip();
    }
};

struct FrameDone {
    Ptr<wl_callback> callback;
    std::optional<uint32_t> time;
    explicit FrameDone(wl_surface* surface) : callback{wl_surface_frame(surface)}
    {
        static const wl_callback_listener listener{
            .done = [](void* data, wl_callback*, uint32_t t) { static_cast<FrameDone*>(data)->time = t; },
        };
        wl_callback_add_listener(callback.get(), &listener, this);
    }
    FrameDone(const FrameDone&) = delete;
    FrameDone& operator=(const FrameDone&) = delete;
};

struct Feedback {
    Ptr<struct wp_presentation_feedback> feedback;
    bool presented = false;
    bool discarded = false;
    uint64_t time_ns = 0;
    uint64_t seq = 0;

    Feedback(wp_presentation* presentation, wl_surface* surface)
        : feedback{wp_presentation_feedback(presentation, surface)}
    {
        static const wp_presentation_feedback_listener listener{
            .sync_output = [](void*, struct wp_presentation_feedback*, wl_output*) {},
            .presented =
                [](void* data, struct wp_presentation_feedback*, uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec,
                   uint32_t, uint32_t seq_hi, uint32_t seq_lo, uint32_t) {
                    auto* self = static_cast<Feedback*>(data);
                    self->presented = true;
                    self->time_ns = ((uint64_t{sec_hi} << 32U) | sec_lo) * 1'000'000'000U + nsec;
                    self->seq = (uint64_t{seq_hi} << 32U) | seq_lo;
                },
            .discarded = [](void* data,
                            struct wp_presentation_feedback*) { static_cast<Feedback*>(data)->discarded = true; },
        };
        wp_presentation_feedback_add_listener(feedback.get(), &listener, this);
    }
    Feedback(const Feedback&) = delete;
    Feedback& operator=(const Feedback&) = delete;
    bool answered() const { return presented || discarded; }
};

void attach(wl_surface* surface, wl_buffer* buffer)
{
    wl_surface_attach(surface, buffer, 0, 0);
    wl_surface_damage_buffer(surface, 0, 0, INT32_MAX, INT32_MAX);
}

// A fifo client's frame: set_barrier and wait_barrier with the buffer.
void fifo_commit(wl_surface* surface, wp_fifo_v1* fifo, wl_buffer* buffer)
{
    attach(surface, buffer);
    wp_fifo_v1_set_barrier(fifo);
    wp_fifo_v1_wait_barrier(fifo);
    wl_surface_commit(surface);
}

void set_timestamp(wp_commit_timer_v1* timer, uint64_t time_ns)
{
    const uint64_t seconds = time_ns / 1'000'000'000U;
    wp_commit_timer_v1_set_timestamp(timer, static_cast<uint32_t>(seconds >> 32U),
                                     static_cast<uint32_t>(seconds & 0xffffffffU),
                                     static_cast<uint32_t>(time_ns % 1'000'000'000U));
}

void expect_protocol_error(const Session& s, const char* interface, uint32_t code)
{
    test::expect_protocol_error(*s.client, *s.compositor, interface, code);
}

// --- globals -----------------------------------------------------------------------------------------

TEST(CompositorTimingGlobals, OfferedOnlyWhenConfigured)
{
    Session plain{Config{}};
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain.client->global_version("wp_fifo_manager_v1"), 0U);
    EXPECT_EQ(plain.client->global_version("wp_commit_timing_manager_v1"), 0U);

    Session s;
    ASSERT_TRUE(s);
    EXPECT_EQ(s.client->global_version("wp_fifo_manager_v1"), 1U);
    EXPECT_EQ(s.client->global_version("wp_commit_timing_manager_v1"), 1U);
}

// --- fifo ------------------------------------------------------------------------------------------------

TEST(CompositorFifo, BackToBackUpdatesApplyOnePerTickEachPresentedOnce)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Fifo fifo = s.fifo(surface.get());
    std::vector<Ptr<wl_buffer>> buffers;
    std::vector<std::unique_ptr<Feedback>> feedback;
    std::vector<std::unique_ptr<FrameDone>> frames;
    for (int i = 0; i < 3; ++i) {
        buffers.push_back(s.buffer());
        feedback.push_back(std::make_unique<Feedback>(s.presentation.get(), surface.get()));
        frames.push_back(std::make_unique<FrameDone>(surface.get()));
        fifo_commit(surface.get(), fifo.get(), buffers.back().get());
    }
    ASSERT_TRUE(s.client->roundtrip());

    // The first applies at its commit and sets the barrier; the others wait for it.
    Records r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 1U);
    EXPECT_EQ(r.commits[0].buffer, s.serial_of(buffers[0].get()));
    EXPECT_EQ(r.commits[0].applied_tick, 0U);
    EXPECT_FALSE(r.commits[0].queued);
    EXPECT_TRUE(r.commits[0].fifo_set_barrier);
    EXPECT_TRUE(r.commits[0].fifo_wait_barrier);
    EXPECT_EQ(r.queued_updates, 2U);

    // Tick 1 latches the first (the barrier holds the second through it), then clears the barrier.
    ASSERT_TRUE(s.tick());
    r = s.compositor->records();
    EXPECT_EQ(r.commits.size(), 1U);
    EXPECT_EQ(r.queued_updates, 2U);
    EXPECT_TRUE(feedback[0]->presented);
    EXPECT_EQ(feedback[0]->seq, 1U);
    EXPECT_TRUE(frames[0]->time);
    EXPECT_FALSE(feedback[1]->answered());
    EXPECT_FALSE(frames[1]->time);  // requested with an update that has not applied

    for (uint64_t tick = 2; tick <= 3; ++tick) {
        const size_t i = tick - 1;
        ASSERT_TRUE(s.tick());
        r = s.compositor->records();
        ASSERT_EQ(r.commits.size(), i + 1) << "tick " << tick;
        const CommitRecord& applied = r.commits[i];
        EXPECT_EQ(applied.buffer, s.serial_of(buffers[i].get()));
        EXPECT_EQ(applied.applied_tick, tick);
        EXPECT_TRUE(applied.queued);
        EXPECT_GE(applied.applied_ns, applied.time_ns);
        EXPECT_EQ(r.queued_updates, 3 - i - 1);
        EXPECT_TRUE(feedback[i]->presented) << "tick " << tick;
        EXPECT_EQ(feedback[i]->seq, tick);
        EXPECT_TRUE(frames[i]->time);
        EXPECT_EQ(r.commits[i].serial, r.commits[i - 1].serial + 1);
    }
    r = s.compositor->records();
    EXPECT_EQ(r.totals.commits, 3U);
    EXPECT_EQ(r.totals.presented, 3U);
    for (const auto& f : feedback) {
        EXPECT_FALSE(f->discarded);
    }
    EXPECT_TRUE(r.errors.empty());
}

TEST(CompositorFifo, WaitBarrierWithoutABarrierAndSetBarrierAloneApplyAtOnce)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Fifo fifo = s.fifo(surface.get());
    auto buffer = s.buffer();
    attach(surface.get(), buffer.get());
    wp_fifo_v1_wait_barrier(fifo.get());  // no barrier is set
    wl_surface_commit(surface.get());
    wp_fifo_v1_set_barrier(fifo.get());   // sets it; a commit without wait_barrier ignores it
    wl_surface_commit(surface.get());
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    const Records r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 3U);
    for (const CommitRecord& commit : r.commits) {
        EXPECT_FALSE(commit.queued);
        EXPECT_EQ(commit.applied_tick, 0U);
    }
    EXPECT_TRUE(r.commits[0].fifo_wait_barrier);
    EXPECT_FALSE(r.commits[0].fifo_set_barrier);
    EXPECT_TRUE(r.commits[1].fifo_set_barrier);
    EXPECT_FALSE(r.commits[2].fifo_set_barrier);
    EXPECT_EQ(r.queued_updates, 0U);
}

TEST(CompositorFifo, UpdateBehindAWaitingOneWaitsAndBothApplyInOrder)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Fifo fifo = s.fifo(surface.get());
    auto first = s.buffer();
    auto second = s.buffer();
    auto third = s.buffer();
    fifo_commit(surface.get(), fifo.get(), first.get());
    fifo_commit(surface.get(), fifo.get(), second.get());  // held by the barrier
    Feedback empty_feedback{s.presentation.get(), surface.get()};
    wl_surface_commit(surface.get());  // no constraint, but behind a held update: nothing changes
    attach(surface.get(), third.get());
    Feedback third_feedback{s.presentation.get(), surface.get()};
    wl_surface_commit(surface.get());  // no constraint either
    ASSERT_TRUE(s.client->roundtrip());
    Records r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 1U);
    EXPECT_EQ(r.queued_updates, 3U);

    ASSERT_TRUE(s.tick());
    EXPECT_EQ(s.compositor->records().commits.size(), 1U);
    ASSERT_TRUE(s.tick());  // all three apply, in order; only the last is presented
    r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 4U);
    EXPECT_EQ(r.commits[1].buffer, s.serial_of(second.get()));
    EXPECT_TRUE(r.commits[1].fifo_wait_barrier);
    EXPECT_EQ(r.commits[2].buffer, s.serial_of(second.get()));
    EXPECT_FALSE(r.commits[2].attached);
    EXPECT_EQ(r.commits[3].buffer, s.serial_of(third.get()));
    for (size_t i = 1; i < 4; ++i) {
        EXPECT_EQ(r.commits[i].applied_tick, 2U);
        EXPECT_TRUE(r.commits[i].queued);
    }
    EXPECT_EQ(r.queued_updates, 0U);
    EXPECT_TRUE(empty_feedback.discarded);  // superseded within the tick
    EXPECT_TRUE(third_feedback.presented);
    EXPECT_EQ(third_feedback.seq, 2U);
}

TEST(CompositorFifo, DestroyingTheFifoKeepsItsStateAndANewOneMayBeMade)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto first = s.buffer();
    auto second = s.buffer();
    Fifo fifo = s.fifo(surface.get());
    fifo_commit(surface.get(), fifo.get(), first.get());  // sets the barrier
    attach(surface.get(), second.get());
    wp_fifo_v1_wait_barrier(fifo.get());
    fifo.reset();                      // the pending wait_barrier stays
    wl_surface_commit(surface.get());  // so this waits for the barrier
    Fifo again = s.fifo(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    Records r = s.compositor->records();
    EXPECT_EQ(r.commits.size(), 1U);
    EXPECT_EQ(r.queued_updates, 1U);
    EXPECT_TRUE(r.errors.empty());

    ASSERT_TRUE(s.tick());
    EXPECT_EQ(s.compositor->records().commits.size(), 1U);
    ASSERT_TRUE(s.tick());
    r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 2U);
    EXPECT_TRUE(r.commits[1].fifo_wait_barrier);
    EXPECT_EQ(r.commits[1].buffer, s.serial_of(second.get()));
    EXPECT_EQ(r.commits[1].applied_tick, 2U);
}

// --- commit timing ------------------------------------------------------------------------------------

TEST(CompositorCommitTiming, TargetIsHeldUntilATickAtOrAfterItAndPresentedThen)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Timer timer = s.timer(surface.get());
    auto buffer = s.buffer();
    const uint64_t target = monotonic_ns() + 50'000'000U;
    set_timestamp(timer.get(), target);
    attach(surface.get(), buffer.get());
    Feedback feedback{s.presentation.get(), surface.get()};
    FrameDone frame{surface.get()};
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());

    // A tick before the target leaves it queued. (The tick's time is before `after_tick`; a slow
    // machine may reach the target first, and then there is nothing to check here.)
    s.compositor->tick();
    const uint64_t after_tick = monotonic_ns();
    ASSERT_TRUE(s.client->roundtrip());
    if (after_tick < target) {
        const Records r = s.compositor->records();
        EXPECT_TRUE(r.commits.empty());
        EXPECT_EQ(r.queued_updates, 1U);
        EXPECT_FALSE(feedback.answered());
        EXPECT_FALSE(frame.time);
    }

    const uint64_t now = monotonic_ns();
    std::this_thread::sleep_for(std::chrono::nanoseconds{static_cast<int64_t>(target - std::min(target, now))} + 5ms);
    ASSERT_TRUE(s.tick());
    const Records r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 1U);
    const CommitRecord& applied = r.commits[0];
    EXPECT_EQ(applied.target_ns, target);
    EXPECT_GE(applied.applied_ns, target);
    EXPECT_TRUE(applied.queued);
    EXPECT_EQ(applied.applied_tick, r.ticks);
    EXPECT_EQ(applied.buffer, s.serial_of(buffer.get()));
    EXPECT_EQ(r.queued_updates, 0U);
    ASSERT_TRUE(feedback.presented);
    EXPECT_GE(feedback.time_ns, target);
    EXPECT_EQ(feedback.time_ns, applied.applied_ns);
    EXPECT_TRUE(frame.time);
}

TEST(CompositorCommitTiming, PastTargetAppliesAtTheCommit)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Timer timer = s.timer(surface.get());
    auto buffer = s.buffer();
    const uint64_t target = monotonic_ns() - 1'000'000U;
    set_timestamp(timer.get(), target);
    attach(surface.get(), buffer.get());
    wl_surface_commit(surface.get());
    wl_surface_commit(surface.get());  // the timestamp was for one commit only
    ASSERT_TRUE(s.client->roundtrip());
    const Records r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 2U);
    EXPECT_EQ(r.commits[0].target_ns, target);
    EXPECT_FALSE(r.commits[0].queued);
    EXPECT_EQ(r.commits[1].target_ns, 0U);
    EXPECT_EQ(r.queued_updates, 0U);
}

TEST(CompositorCommitTiming, UpdateWithoutConstraintsWaitsBehindAHeldOne)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Timer timer = s.timer(surface.get());
    auto held_buffer = s.buffer();
    auto next_buffer = s.buffer();
    set_timestamp(timer.get(), monotonic_ns() + 10'000'000'000U);  // 10 s: not reached in this test
    attach(surface.get(), held_buffer.get());
    Feedback held_feedback{s.presentation.get(), surface.get()};
    wl_surface_commit(surface.get());
    attach(surface.get(), next_buffer.get());
    Feedback next_feedback{s.presentation.get(), surface.get()};
    FrameDone next_frame{surface.get()};
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(s.tick());
    }
    Records r = s.compositor->records();
    EXPECT_TRUE(r.commits.empty());
    EXPECT_EQ(r.queued_updates, 2U);
    EXPECT_FALSE(held_feedback.answered());
    EXPECT_FALSE(next_feedback.answered());
    EXPECT_FALSE(next_frame.time);
    EXPECT_TRUE(r.releases.empty());

    // The surface goes with both still queued: their feedback is discarded, nothing applied.
    surface.reset();
    ASSERT_TRUE(s.client->roundtrip());
    r = s.compositor->records();
    EXPECT_TRUE(r.commits.empty());
    EXPECT_EQ(r.queued_updates, 0U);
    EXPECT_TRUE(held_feedback.discarded);
    EXPECT_TRUE(next_feedback.discarded);
    ASSERT_EQ(r.presentations.size(), 2U);
    EXPECT_EQ(r.presentations[0].commit, 0U);
    EXPECT_FALSE(r.presentations[0].presented);
    EXPECT_TRUE(r.releases.empty());  // the compositor never used those buffers
    EXPECT_TRUE(r.errors.empty());
}

TEST(CompositorCommitTiming, DestroyingTheTimerKeepsItsStateAndANewOneMayBeMade)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto buffer = s.buffer();
    Timer timer = s.timer(surface.get());
    set_timestamp(timer.get(), monotonic_ns() + 10'000'000'000U);
    timer.reset();
    attach(surface.get(), buffer.get());
    wl_surface_commit(surface.get());  // still has its timestamp
    Timer again = s.timer(surface.get());
    set_timestamp(again.get(), monotonic_ns() - 1'000'000U);
    wl_surface_commit(surface.get());  // behind the held one
    ASSERT_TRUE(s.client->roundtrip());
    ASSERT_TRUE(s.tick());
    const Records r = s.compositor->records();
    EXPECT_TRUE(r.commits.empty());
    EXPECT_EQ(r.queued_updates, 2U);
    EXPECT_TRUE(r.errors.empty());
}

// --- protocol errors -----------------------------------------------------------------------------------

TEST(CompositorTimingErrors, SecondFifoForASurfaceIsAlreadyExists)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Fifo first = s.fifo(surface.get());
    Fifo second = s.fifo(surface.get());
    expect_protocol_error(s, "wp_fifo_manager_v1", WP_FIFO_MANAGER_V1_ERROR_ALREADY_EXISTS);
}

TEST(CompositorTimingErrors, SetBarrierAfterTheSurfaceIsGoneIsSurfaceDestroyed)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Fifo fifo = s.fifo(surface.get());
    surface.reset();
    wp_fifo_v1_set_barrier(fifo.get());
    expect_protocol_error(s, "wp_fifo_v1", WP_FIFO_V1_ERROR_SURFACE_DESTROYED);
}

TEST(CompositorTimingErrors, WaitBarrierAfterTheSurfaceIsGoneIsSurfaceDestroyed)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Fifo fifo = s.fifo(surface.get());
    surface.reset();
    wp_fifo_v1_wait_barrier(fifo.get());
    expect_protocol_error(s, "wp_fifo_v1", WP_FIFO_V1_ERROR_SURFACE_DESTROYED);
}

TEST(CompositorTimingErrors, SecondTimerForASurfaceIsCommitTimerExists)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Timer first = s.timer(surface.get());
    Timer second = s.timer(surface.get());
    expect_protocol_error(s, "wp_commit_timing_manager_v1", WP_COMMIT_TIMING_MANAGER_V1_ERROR_COMMIT_TIMER_EXISTS);
}

TEST(CompositorTimingErrors, NanosecondsOfASecondOrMoreAreInvalidTimestamp)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Timer timer = s.timer(surface.get());
    wp_commit_timer_v1_set_timestamp(timer.get(), 0, 1, 1'000'000'000U);
    expect_protocol_error(s, "wp_commit_timer_v1", WP_COMMIT_TIMER_V1_ERROR_INVALID_TIMESTAMP);
}

TEST(CompositorTimingErrors, SecondTimestampBeforeTheCommitIsTimestampExists)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Timer timer = s.timer(surface.get());
    set_timestamp(timer.get(), monotonic_ns());
    wl_surface_commit(surface.get());
    set_timestamp(timer.get(), monotonic_ns());  // a new commit's: fine
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_TRUE(s.compositor->records().errors.empty());
    set_timestamp(timer.get(), monotonic_ns());
    expect_protocol_error(s, "wp_commit_timer_v1", WP_COMMIT_TIMER_V1_ERROR_TIMESTAMP_EXISTS);
}

TEST(CompositorTimingErrors, TimestampAfterTheSurfaceIsGoneIsSurfaceDestroyed)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Timer timer = s.timer(surface.get());
    surface.reset();
    set_timestamp(timer.get(), monotonic_ns());
    expect_protocol_error(s, "wp_commit_timer_v1", WP_COMMIT_TIMER_V1_ERROR_SURFACE_DESTROYED);
}

// --- hidden surfaces --------------------------------------------------------------------------------------

TEST(CompositorHiddenSurfaces, NoFrameCallbacksFeedbackDiscardedWaitBarrierIgnored)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Fifo fifo = s.fifo(surface.get());
    auto first = s.buffer();
    auto second = s.buffer();
    s.compositor->set_surfaces_hidden(true);

    FrameDone first_frame{surface.get()};
    Feedback first_feedback{s.presentation.get(), surface.get()};
    fifo_commit(surface.get(), fifo.get(), first.get());
    FrameDone second_frame{surface.get()};
    Feedback second_feedback{s.presentation.get(), surface.get()};
    fifo_commit(surface.get(), fifo.get(), second.get());  // the barrier is ignored
    ASSERT_TRUE(s.client->roundtrip());
    Records r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 2U);
    EXPECT_FALSE(r.commits[1].queued);
    EXPECT_EQ(r.commits[1].buffer, s.serial_of(second.get()));
    EXPECT_EQ(r.queued_updates, 0U);
    EXPECT_TRUE(first_feedback.discarded);  // superseded before any tick

    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(s.tick());
    }
    r = s.compositor->records();
    EXPECT_TRUE(second_feedback.discarded);  // not shown
    EXPECT_FALSE(first_frame.time);
    EXPECT_FALSE(second_frame.time);
    EXPECT_TRUE(r.frame_callbacks.empty());
    EXPECT_EQ(r.totals.presented, 0U);

    // Shown again: the waiting callbacks are done at the next tick, and fifo throttles again.
    s.compositor->set_surfaces_hidden(false);
    Feedback shown_feedback{s.presentation.get(), surface.get()};
    fifo_commit(surface.get(), fifo.get(), first.get());
    fifo_commit(surface.get(), fifo.get(), second.get());
    ASSERT_TRUE(s.client->roundtrip());
    r = s.compositor->records();
    EXPECT_EQ(r.commits.size(), 3U);
    EXPECT_EQ(r.queued_updates, 1U);
    ASSERT_TRUE(s.tick());
    EXPECT_TRUE(first_frame.time);
    EXPECT_TRUE(second_frame.time);
    EXPECT_TRUE(shown_feedback.presented);
    r = s.compositor->records();
    EXPECT_EQ(r.frame_callbacks.size(), 2U);
    EXPECT_EQ(r.queued_updates, 1U);
    ASSERT_TRUE(s.tick());
    EXPECT_EQ(s.compositor->records().queued_updates, 0U);
}

TEST(CompositorHiddenSurfaces, TargetsStillHoldUpdates)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Timer timer = s.timer(surface.get());
    s.compositor->set_surfaces_hidden(true);
    set_timestamp(timer.get(), monotonic_ns() + 10'000'000'000U);
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.tick());
    const Records r = s.compositor->records();
    EXPECT_TRUE(r.commits.empty());
    EXPECT_EQ(r.queued_updates, 1U);
}

// --- surfaces destroyed with queued updates ------------------------------------------------------------------

TEST(CompositorQueuedUpdates, SurfaceDestroyedWithQueuedUpdatesLeavesNothingBehind)
{
    Config config = timing_config();
    config.keep_plane_fds = false;  // the compositor's copies of the buffers' fds go with them
    Session s{config};
    ASSERT_TRUE(s);
    const int before = open_fd_count();
    {
        auto surface = s.surface();
        Fifo fifo = s.fifo(surface.get());
        Timer timer = s.timer(surface.get());
        std::vector<Ptr<wl_buffer>> buffers;
        std::vector<std::unique_ptr<Feedback>> feedback;
        std::vector<std::unique_ptr<FrameDone>> frames;
        for (int i = 0; i < 4; ++i) {
            buffers.push_back(s.buffer());
            feedback.push_back(std::make_unique<Feedback>(s.presentation.get(), surface.get()));
            frames.push_back(std::make_unique<FrameDone>(surface.get()));
            if (i == 3) {
                set_timestamp(timer.get(), monotonic_ns() + 10'000'000'000U);
            }
            fifo_commit(surface.get(), fifo.get(), buffers.back().get());
        }
        ASSERT_TRUE(s.client->roundtrip());
        EXPECT_EQ(s.compositor->records().queued_updates, 3U);
        surface.reset();  // fifo and timer outlive it, then go
        ASSERT_TRUE(s.client->roundtrip());
        const Records r = s.compositor->records();
        EXPECT_EQ(r.queued_updates, 0U);
        EXPECT_EQ(r.commits.size(), 1U);
        for (const auto& f : feedback) {
            EXPECT_TRUE(f->discarded);
        }
        for (const auto& frame : frames) {
            EXPECT_FALSE(frame->time);
        }
        // Only the buffer that was current is released; the queued ones were never used.
        ASSERT_EQ(r.releases.size(), 1U);
        EXPECT_EQ(r.releases[0].buffer, s.serial_of(buffers[0].get()));
        EXPECT_TRUE(r.errors.empty());
    }
    ASSERT_TRUE(s.client->roundtrip());
    ASSERT_TRUE(s.tick());  // nothing left to tick over
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (open_fd_count() > before && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_LE(open_fd_count(), before) << open_fd_list();
}

TEST(CompositorQueuedUpdates, ClientGoneWithQueuedUpdatesLeavesNothingBehind)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    Fifo fifo = s.fifo(surface.get());
    auto first = s.buffer();
    auto second = s.buffer();
    Feedback queued_feedback{s.presentation.get(), surface.get()};
    FrameDone queued_frame{surface.get()};
    fifo_commit(surface.get(), fifo.get(), first.get());
    fifo_commit(surface.get(), fifo.get(), second.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(s.compositor->records().queued_updates, 1U);
    s.compositor->disconnect_clients();
    EXPECT_TRUE(s.compositor->wait_until([](const Records& r) { return r.clients_connected == 0; }));
    s.compositor->tick();
    const Records r = s.compositor->records();
    EXPECT_EQ(r.queued_updates, 0U);
    EXPECT_EQ(r.commits.size(), 1U);
    EXPECT_TRUE(r.errors.empty());
}

}  // namespace
}  // namespace dmafeed::test

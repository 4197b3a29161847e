// The test compositor's surfaces seen from a raw libwayland-client: commits, frame callbacks,
// presentation feedback (on tick() or at every commit), buffer releases (withheld or not), xdg-shell
// configure, per-frame records kept bounded, and the knobs that break things (protocol errors,
// disconnects, the compositor's death).
#include "dmabuf_client.hpp"
#include "test_compositor.hpp"


#include <cerrno>
#include <ctime>
#include <gtest/gtest.h>
#include <memory>
#include <vector>
#include <wayland-client-protocol.h>

namespace dmafeed::test {
namespace {

struct Session {
    std::unique_ptr<TestCompositor> compositor;
    std::unique_ptr<WaylandClient> client;
    Ptr<wl_compositor> wl_comp;
    Ptr<zwp_linux_dmabuf_v1> dmabuf;

    explicit Session(Config config = {})
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
    }
    explicit operator bool() const { return client && wl_comp && dmabuf; }
    Ptr<wl_surface> surface() const { return Ptr<wl_surface>{wl_compositor_create_surface(wl_comp.get())}; }
    Ptr<wl_buffer> buffer(int32_t width = 8, int32_t height = 8) const
    {
        return make_buffer(dmabuf.get(), width, height);
    }
};

void show(wl_surface* surface, wl_buffer* buffer)
{
    wl_surface_attach(surface, buffer, 0, 0);
    wl_surface_damage_buffer(surface, 0, 0, INT32_MAX, INT32_MAX);
    wl_surface_commit(surface);
}

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
};

struct Released {
    int count = 0;
    explicit Released(wl_buffer* buffer)
    {
        static const wl_buffer_listener listener{
            .release = [](void* data, wl_buffer*) { ++static_cast<Released*>(data)->count; },
        };
        wl_buffer_add_listener(buffer, &listener, this);
    }
};

uint64_t monotonic_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<uint64_t>(ts.tv_nsec);
}

// --- commits and frame callbacks -------------------------------------------------------------------

TEST(CompositorSurface, CommitIsRecordedWithBufferAndDamage)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto buffer = s.buffer(32, 16);
    wl_surface_attach(surface.get(), buffer.get(), 0, 0);
    wl_surface_damage_buffer(surface.get(), 1, 2, 3, 4);
    wl_surface_damage(surface.get(), 5, 6, 7, 8);
    wl_surface_commit(surface.get());
    wl_surface_commit(surface.get());  // no new attach: same buffer, no damage
    ASSERT_TRUE(s.client->roundtrip());

    const Records records = s.compositor->records();
    ASSERT_EQ(records.commits.size(), 2U);
    const CommitRecord& first = records.commits[0];
    EXPECT_TRUE(first.attached);
    EXPECT_EQ(first.buffer, s.compositor->buffer_serial(wl_proxy_get_id(reinterpret_cast<wl_proxy*>(buffer.get()))));
    EXPECT_EQ(first.buffer_damage, (std::vector<Rect>{{1, 2, 3, 4}}));
    EXPECT_EQ(first.damage, (std::vector<Rect>{{5, 6, 7, 8}}));
    EXPECT_EQ(first.surface_object_id, wl_proxy_get_id(reinterpret_cast<wl_proxy*>(surface.get())));
    EXPECT_FALSE(records.commits[1].attached);
    EXPECT_EQ(records.commits[1].buffer, first.buffer);
    EXPECT_TRUE(records.commits[1].buffer_damage.empty());
    EXPECT_TRUE(records.releases.empty());
}

TEST(CompositorSurface, FrameCallbackIsDoneOnTick)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto buffer = s.buffer();
    FrameDone frame{surface.get()};
    show(surface.get(), buffer.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_FALSE(frame.time);  // nothing happens until the test says so

    const uint64_t before = monotonic_ns();
    s.compositor->tick();
    ASSERT_TRUE(s.client->roundtrip());
    ASSERT_TRUE(frame.time);
    EXPECT_GE(*frame.time, static_cast<uint32_t>(before / 1'000'000U));
    const Records records = s.compositor->records();
    ASSERT_EQ(records.frame_callbacks.size(), 1U);
    EXPECT_EQ(records.frame_callbacks[0].time_ms, *frame.time);
    EXPECT_EQ(records.frame_callbacks[0].tick, 1U);
    EXPECT_EQ(records.commits.at(0).frame_callbacks, 1U);
}

TEST(CompositorSurface, AutoTickFiresFrameCallbacks)
{
    Session s{{.auto_tick = std::chrono::milliseconds{5}}};
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto buffer = s.buffer();
    for (int i = 0; i < 3; ++i) {
        FrameDone frame{surface.get()};
        show(surface.get(), buffer.get());
        ASSERT_TRUE(s.client->dispatch_until([&] { return frame.time.has_value(); }));
    }
    EXPECT_GE(s.compositor->records().ticks, 3U);
}

// --- presentation ------------------------------------------------------------------------------------

struct Presentation {
    Ptr<wp_presentation> presentation;
    std::optional<uint32_t> clock;
    explicit Presentation(const Session& s)
        : presentation{s.client->bind<wp_presentation>(&wp_presentation_interface, 2)}
    {
        static const wp_presentation_listener listener{
            .clock_id = [](void* data, wp_presentation*, uint32_t id) { static_cast<Presentation*>(data)->clock = id; },
        };
        wp_presentation_add_listener(presentation.get(), &listener, this);
    }
};

struct Feedback {
    Ptr<struct wp_presentation_feedback> feedback;
    bool presented = false;
    bool discarded = false;
    uint64_t time_ns = 0;
    uint32_t refresh = 0;
    uint64_t seq = 0;
    uint32_t flags = 0;

    Feedback(wp_presentation* presentation, wl_surface* surface)
        : feedback{wp_presentation_feedback(presentation, surface)}
    {
        static const wp_presentation_feedback_listener listener{
            .sync_output = [](void*, struct wp_presentation_feedback*, wl_output*) {},
            .presented =
                [](void* data, struct wp_presentation_feedback*, uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec,
                   uint32_t refresh_ns, uint32_t seq_hi, uint32_t seq_lo, uint32_t kind) {
                    auto* self = static_cast<Feedback*>(data);
                    self->presented = true;
                    self->time_ns = ((uint64_t{sec_hi} << 32U) | sec_lo) * 1'000'000'000U + nsec;
                    self->refresh = refresh_ns;
                    self->seq = (uint64_t{seq_hi} << 32U) | seq_lo;
                    self->flags = kind;
                },
            .discarded = [](void* data,
                            struct wp_presentation_feedback*) { static_cast<Feedback*>(data)->discarded = true; },
        };
        wp_presentation_feedback_add_listener(feedback.get(), &listener, this);
    }
    bool answered() const { return presented || discarded; }
};

TEST(CompositorPresentation, PresentedOnTickWithMonotonicTimeFlagsAndRefresh)
{
    Session s;
    ASSERT_TRUE(s);
    Presentation p{s};
    auto surface = s.surface();
    auto buffer = s.buffer();
    Feedback feedback{p.presentation.get(), surface.get()};
    show(surface.get(), buffer.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(p.clock, static_cast<uint32_t>(CLOCK_MONOTONIC));
    EXPECT_FALSE(feedback.answered());

    const uint64_t before = monotonic_ns();
    s.compositor->tick();
    ASSERT_TRUE(s.client->roundtrip());
    ASSERT_TRUE(feedback.presented);
    EXPECT_GE(feedback.time_ns, before);
    EXPECT_LE(feedback.time_ns, monotonic_ns());
    EXPECT_EQ(feedback.refresh, 16'666'667U);
    EXPECT_EQ(feedback.seq, 1U);
    EXPECT_EQ(feedback.flags, WP_PRESENTATION_FEEDBACK_KIND_VSYNC | WP_PRESENTATION_FEEDBACK_KIND_HW_CLOCK |
                                  WP_PRESENTATION_FEEDBACK_KIND_HW_COMPLETION);
    const Records records = s.compositor->records();
    ASSERT_EQ(records.presentations.size(), 1U);
    EXPECT_TRUE(records.presentations[0].presented);
    EXPECT_EQ(records.presentations[0].time_ns, feedback.time_ns);
    EXPECT_EQ(records.presentations[0].commit, records.commits.at(0).serial);
}

TEST(CompositorPresentation, SupersededAndInvisibleContentIsDiscarded)
{
    Session s;
    ASSERT_TRUE(s);
    Presentation p{s};
    auto surface = s.surface();
    auto a = s.buffer();
    auto b = s.buffer();
    Feedback first{p.presentation.get(), surface.get()};
    show(surface.get(), a.get());
    Feedback second{p.presentation.get(), surface.get()};
    show(surface.get(), b.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_TRUE(first.discarded);  // replaced before any repaint showed it
    EXPECT_FALSE(second.answered());
    s.compositor->tick();
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_TRUE(second.presented);

    auto bare = s.surface();  // no buffer: nothing to show
    Feedback unseen{p.presentation.get(), bare.get()};
    wl_surface_commit(bare.get());
    s.compositor->set_discard_presentation(true);
    Feedback hidden{p.presentation.get(), surface.get()};
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    s.compositor->tick();
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_TRUE(unseen.discarded);
    EXPECT_TRUE(hidden.discarded);
}

TEST(CompositorPresentation, TickOnCommitAnswersEachCommitAtOnce)
{
    Session s{{.tick_on_commit = true}};
    ASSERT_TRUE(s);
    Presentation p{s};
    auto surface = s.surface();
    auto a = s.buffer();
    auto b = s.buffer();
    Released released_a{a.get()};
    for (int i = 0; i < 3; ++i) {
        FrameDone frame{surface.get()};
        Feedback feedback{p.presentation.get(), surface.get()};
        show(surface.get(), i % 2 == 0 ? a.get() : b.get());
        ASSERT_TRUE(s.client->roundtrip());  // no tick() and no timer: the commit was enough
        EXPECT_TRUE(frame.time.has_value()) << "frame " << i;
        EXPECT_TRUE(feedback.presented) << "frame " << i;
        EXPECT_EQ(feedback.seq, static_cast<uint64_t>(i + 1));
    }
    EXPECT_EQ(released_a.count, 1);  // replaced by b's first commit
    EXPECT_EQ(s.compositor->records().ticks, 3U);
}

// --- bounded records ---------------------------------------------------------------------------------

TEST(CompositorRecords, FrameRecordsKeptKeepsTheNewestAndTotalsCountEveryOne)
{
    Session s{{.frame_records_kept = 4}};
    ASSERT_TRUE(s);
    Presentation p{s};
    auto surface = s.surface();
    auto a = s.buffer();
    auto b = s.buffer();
    for (int i = 0; i < 10; ++i) {
        FrameDone frame{surface.get()};
        Feedback feedback{p.presentation.get(), surface.get()};
        show(surface.get(), i % 2 == 0 ? a.get() : b.get());
        ASSERT_TRUE(s.client->roundtrip());
        s.compositor->tick();
        ASSERT_TRUE(s.client->roundtrip());
        ASSERT_TRUE(feedback.presented);
    }
    const Records r = s.compositor->records();
    ASSERT_EQ(r.commits.size(), 4U);
    EXPECT_EQ(r.commits.front().serial, 7U);  // the newest four, oldest first
    EXPECT_EQ(r.commits.back().serial, 10U);
    EXPECT_EQ(r.frame_callbacks.size(), 4U);
    EXPECT_EQ(r.frame_callbacks.back().tick, 10U);
    EXPECT_EQ(r.presentations.size(), 4U);
    EXPECT_EQ(r.presentations.back().commit, 10U);
    EXPECT_EQ(r.releases.size(), 4U);
    EXPECT_EQ(r.totals.commits, 10U);
    EXPECT_EQ(r.totals.frame_callbacks, 10U);
    EXPECT_EQ(r.totals.presentations, 10U);
    EXPECT_EQ(r.totals.presented, 10U);
    EXPECT_EQ(r.totals.releases, 9U);  // every commit but the first replaced a buffer
    EXPECT_EQ(r.buffers.size(), 2U);   // not per-frame: every one is kept
    EXPECT_EQ(s.compositor->last_committed_buffer(), r.commits.back().buffer);

    // Unbounded (the default): the totals are the records' sizes.
    Session all;
    ASSERT_TRUE(all);
    Presentation q{all};
    auto other = all.surface();
    auto c = all.buffer();
    std::vector<std::unique_ptr<Feedback>> feedbacks;
    for (int i = 0; i < 3; ++i) {
        feedbacks.push_back(std::make_unique<Feedback>(q.presentation.get(), other.get()));
        show(other.get(), c.get());
        ASSERT_TRUE(all.client->roundtrip());
    }
    all.compositor->tick();
    ASSERT_TRUE(all.client->roundtrip());
    EXPECT_TRUE(feedbacks[0]->discarded && feedbacks[1]->discarded && feedbacks[2]->presented);
    const Records u = all.compositor->records();
    EXPECT_EQ(u.commits.size(), 3U);
    EXPECT_EQ(u.totals.commits, 3U);
    EXPECT_EQ(u.presentations.size(), 3U);  // two discarded (superseded), one presented
    EXPECT_EQ(u.totals.presentations, 3U);
    EXPECT_EQ(u.totals.presented, 1U);
}

// --- releases ----------------------------------------------------------------------------------------

TEST(CompositorRelease, ReplacedBufferIsReleasedAtCommit)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto a = s.buffer();
    auto b = s.buffer();
    Released released_a{a.get()};
    Released released_b{b.get()};
    show(surface.get(), a.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_a.count, 0);
    show(surface.get(), b.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_a.count, 1);
    EXPECT_EQ(released_b.count, 0);
    ASSERT_EQ(s.compositor->records().releases.size(), 1U);
    EXPECT_EQ(s.compositor->records().releases[0].buffer, 1U);
}

TEST(CompositorRelease, WithheldReleasesComeWithReleaseAll)
{
    Session s;
    ASSERT_TRUE(s);
    s.compositor->withhold_releases(true);
    auto surface = s.surface();
    auto a = s.buffer();
    auto b = s.buffer();
    auto c = s.buffer();
    Released released_a{a.get()};
    Released released_b{b.get()};
    Released released_c{c.get()};
    show(surface.get(), a.get());
    show(surface.get(), b.get());
    show(surface.get(), c.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_a.count + released_b.count + released_c.count, 0);
    EXPECT_TRUE(s.compositor->records().releases.empty());

    s.compositor->release_all();
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_a.count, 1);
    EXPECT_EQ(released_b.count, 1);
    EXPECT_EQ(released_c.count, 0);  // still on screen
    EXPECT_EQ(s.compositor->records().releases.size(), 2U);

    // Still withholding: the next replacement waits again.
    show(surface.get(), a.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_c.count, 0);
    s.compositor->withhold_releases(false);
    s.compositor->release_all();
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_c.count, 1);
}

TEST(CompositorRelease, OnPresentPolicyReleasesAtTheNextTick)
{
    Session s{{.release_policy = ReleasePolicy::on_present}};
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto a = s.buffer();
    auto b = s.buffer();
    Released released_a{a.get()};
    show(surface.get(), a.get());
    show(surface.get(), b.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_a.count, 0);
    s.compositor->tick();
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_a.count, 1);
}

TEST(CompositorRelease, DestroyingTheSurfaceReleasesItsBuffer)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto a = s.buffer();
    Released released_a{a.get()};
    show(surface.get(), a.get());
    surface.reset();
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_EQ(released_a.count, 1);
}

// --- xdg-shell ---------------------------------------------------------------------------------------

struct Toplevel {
    Ptr<xdg_surface> xdg;
    Ptr<xdg_toplevel> toplevel;
    uint32_t serial = 0;  // of the last xdg_surface.configure
    int32_t width = -1;
    int32_t height = -1;
    std::vector<uint32_t> states;
    std::vector<uint32_t> capabilities;
    bool closed = false;

    Toplevel(xdg_wm_base* wm, wl_surface* surface)
        : xdg{xdg_wm_base_get_xdg_surface(wm, surface)}, toplevel{xdg_surface_get_toplevel(xdg.get())}
    {
        static const xdg_surface_listener surface_listener{
            .configure = [](void* data, xdg_surface*, uint32_t configure_serial) {
                static_cast<Toplevel*>(data)->serial = configure_serial;
            },
        };
        static const xdg_toplevel_listener toplevel_listener{
            .configure =
                [](void* data, xdg_toplevel*, int32_t w, int32_t h, wl_array* array) {
                    auto* self = static_cast<Toplevel*>(data);
                    self->width = w;
                    self->height = h;
                    const auto* first = static_cast<const uint32_t*>(array->data);
                    self->states.assign(first, first + array->size / sizeof(uint32_t));
                },
            .close = [](void* data, xdg_toplevel*) { static_cast<Toplevel*>(data)->closed = true; },
            .configure_bounds = [](void*, xdg_toplevel*, int32_t, int32_t) {},
            .wm_capabilities =
                [](void* data, xdg_toplevel*, wl_array* caps) {
                    const auto* first = static_cast<const uint32_t*>(caps->data);
                    static_cast<Toplevel*>(data)->capabilities.assign(first, first + caps->size / sizeof(uint32_t));
                },
        };
        xdg_surface_add_listener(xdg.get(), &surface_listener, this);
        xdg_toplevel_add_listener(toplevel.get(), &toplevel_listener, this);
    }
    bool has_state(uint32_t state) const { return std::find(states.begin(), states.end(), state) != states.end(); }
};

Ptr<xdg_wm_base> bind_wm(const Session& s)
{
    auto wm = s.client->bind<xdg_wm_base>(&xdg_wm_base_interface, 6);
    static const xdg_wm_base_listener listener{
        .ping = [](void*, xdg_wm_base* base, uint32_t serial) { xdg_wm_base_pong(base, serial); },
    };
    xdg_wm_base_add_listener(wm.get(), &listener, nullptr);
    return wm;
}

TEST(CompositorXdg, ConfigureAckAndFullscreen)
{
    Session s{{.width = 320, .height = 200, .output_width = 800, .output_height = 600}};
    ASSERT_TRUE(s);
    auto wm = bind_wm(s);
    auto surface = s.surface();
    Toplevel window{wm.get(), surface.get()};
    wl_surface_commit(surface.get());  // the initial commit, without a buffer
    ASSERT_TRUE(s.client->roundtrip());
    ASSERT_NE(window.serial, 0U);
    EXPECT_EQ(window.width, 320);
    EXPECT_EQ(window.height, 200);
    EXPECT_TRUE(window.has_state(XDG_TOPLEVEL_STATE_ACTIVATED));
    EXPECT_FALSE(window.has_state(XDG_TOPLEVEL_STATE_FULLSCREEN));
    EXPECT_EQ(window.capabilities.size(), 2U);

    auto buffer = s.buffer(320, 200);
    xdg_surface_ack_configure(window.xdg.get(), window.serial);
    show(surface.get(), buffer.get());
    ASSERT_TRUE(s.client->roundtrip());
    Records records = s.compositor->records();
    EXPECT_EQ(records.commits.back().acked_configure, window.serial);
    EXPECT_TRUE(records.configures.at(0).acked);

    const uint32_t first = window.serial;
    xdg_toplevel_set_fullscreen(window.toplevel.get(), nullptr);
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_NE(window.serial, first);
    EXPECT_TRUE(window.has_state(XDG_TOPLEVEL_STATE_FULLSCREEN));
    EXPECT_EQ(window.width, 800);
    EXPECT_EQ(window.height, 600);

    xdg_toplevel_unset_fullscreen(window.toplevel.get());
    s.compositor->set_configure_size(100, 50);
    s.compositor->send_close();
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_FALSE(window.has_state(XDG_TOPLEVEL_STATE_FULLSCREEN));
    EXPECT_EQ(window.width, 100);
    EXPECT_TRUE(window.closed);
    xdg_surface_ack_configure(window.xdg.get(), window.serial);  // acks the earlier ones too
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    records = s.compositor->records();
    EXPECT_EQ(records.configures.size(), 4U);
    EXPECT_TRUE(records.errors.empty());
}

TEST(CompositorXdg, ANewToplevelAfterTheOldOneNeedsANewInitialCommit)
{
    Session s;
    ASSERT_TRUE(s);
    auto wm = bind_wm(s);
    auto surface = s.surface();
    Ptr<xdg_surface> xdg{xdg_wm_base_get_xdg_surface(wm.get(), surface.get())};
    Ptr<xdg_toplevel> first{xdg_surface_get_toplevel(xdg.get())};
    first.reset();  // the role object goes; the role stays
    Ptr<xdg_toplevel> second{xdg_surface_get_toplevel(xdg.get())};
    static const xdg_toplevel_listener ignore{
        .configure = [](void*, xdg_toplevel*, int32_t, int32_t, wl_array*) {},
        .close = [](void*, xdg_toplevel*) {},
        .configure_bounds = [](void*, xdg_toplevel*, int32_t, int32_t) {},
        .wm_capabilities = [](void*, xdg_toplevel*, wl_array*) {},
    };
    xdg_toplevel_add_listener(second.get(), &ignore, nullptr);
    uint32_t serial = 0;
    static const xdg_surface_listener listener{
        .configure = [](void* data, xdg_surface*, uint32_t configure_serial) {
            *static_cast<uint32_t*>(data) = configure_serial;
        },
    };
    xdg_surface_add_listener(xdg.get(), &listener, &serial);
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_NE(serial, 0U);
    EXPECT_TRUE(s.compositor->records().errors.empty());
}

TEST(CompositorXdg, BufferBeforeTheFirstAckIsAnError)
{
    Session s;
    ASSERT_TRUE(s);
    auto wm = bind_wm(s);
    auto surface = s.surface();
    Toplevel window{wm.get(), surface.get()};
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    auto buffer = s.buffer();
    show(surface.get(), buffer.get());
    EXPECT_FALSE(s.client->roundtrip());
    const auto error = s.client->protocol_error();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->interface, "xdg_surface");
    EXPECT_EQ(error->code, static_cast<uint32_t>(XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER));
}

TEST(CompositorXdg, AckOfAnUnknownSerialIsAnError)
{
    Session s;
    ASSERT_TRUE(s);
    auto wm = bind_wm(s);
    auto surface = s.surface();
    Toplevel window{wm.get(), surface.get()};
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    xdg_surface_ack_configure(window.xdg.get(), window.serial + 1000);
    EXPECT_FALSE(s.client->roundtrip());
    const auto error = s.client->protocol_error();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, static_cast<uint32_t>(XDG_SURFACE_ERROR_INVALID_SERIAL));
}

// --- wl_surface errors ---------------------------------------------------------------------------------

TEST(CompositorSurface, AttachWithAnOffsetIsAnErrorFromVersion5)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto buffer = s.buffer();
    wl_surface_attach(surface.get(), buffer.get(), 1, 0);
    EXPECT_FALSE(s.client->roundtrip());
    const auto error = s.client->protocol_error();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->interface, "wl_surface");
    EXPECT_EQ(error->code, static_cast<uint32_t>(WL_SURFACE_ERROR_INVALID_OFFSET));
}

TEST(CompositorSurface, BufferNotAMultipleOfTheScaleIsAnError)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto buffer = s.buffer(9, 8);
    wl_surface_set_buffer_scale(surface.get(), 2);
    show(surface.get(), buffer.get());
    EXPECT_FALSE(s.client->roundtrip());
    const auto error = s.client->protocol_error();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, static_cast<uint32_t>(WL_SURFACE_ERROR_INVALID_SIZE));
}

// --- breaking things on purpose ------------------------------------------------------------------------

TEST(CompositorKnobs, RaiseProtocolErrorOnTheNextCommit)
{
    Session s;
    ASSERT_TRUE(s);
    auto wm = bind_wm(s);
    auto surface = s.surface();
    Toplevel window{wm.get(), surface.get()};
    s.compositor->raise_protocol_error("xdg_wm_base", XDG_WM_BASE_ERROR_UNRESPONSIVE, "you are too slow");
    ASSERT_TRUE(s.client->roundtrip());  // armed, not fired
    wl_surface_commit(surface.get());
    EXPECT_FALSE(s.client->roundtrip());
    const auto error = s.client->protocol_error();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->interface, "xdg_wm_base");
    EXPECT_EQ(error->code, static_cast<uint32_t>(XDG_WM_BASE_ERROR_UNRESPONSIVE));
    EXPECT_EQ(error->id, wl_proxy_get_id(reinterpret_cast<wl_proxy*>(wm.get())));
    const Records records = s.compositor->records();
    ASSERT_EQ(records.errors.size(), 1U);
    EXPECT_EQ(records.errors[0].message, "you are too slow");
}

TEST(CompositorKnobs, DisconnectGivesTheClientAnError)
{
    Session s;
    ASSERT_TRUE(s);
    EXPECT_EQ(s.compositor->records().clients_connected, 1U);
    s.compositor->disconnect_clients();
    EXPECT_FALSE(s.client->roundtrip());
    EXPECT_NE(s.client->error(), 0);
    EXPECT_FALSE(s.client->protocol_error());
    EXPECT_EQ(s.compositor->records().clients_connected, 0U);
    EXPECT_TRUE(s.compositor->running());

    auto again = WaylandClient::connect(*s.compositor);  // the compositor itself lives on
    ASSERT_TRUE(again);
    EXPECT_EQ(s.compositor->records().clients_total, 2U);
}

TEST(CompositorKnobs, StopKillsTheCompositor)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto buffer = s.buffer();
    show(surface.get(), buffer.get());
    ASSERT_TRUE(s.client->roundtrip());
    s.compositor->stop();
    EXPECT_FALSE(s.compositor->running());
    EXPECT_FALSE(s.client->roundtrip());
    EXPECT_NE(s.client->error(), 0);
    // Knobs do nothing, records stay.
    s.compositor->tick();
    EXPECT_FALSE(s.compositor->connect_fd());
    EXPECT_EQ(s.compositor->records().commits.size(), 1U);
    EXPECT_TRUE(s.compositor->read_last_committed_buffer());
}

TEST(CompositorKnobs, ConnectBySocketName)
{
    auto compositor = TestCompositor::create({.dmabuf_version = 5});
    ASSERT_TRUE(compositor) << compositor.error().message();
    ASSERT_FALSE((*compositor)->socket_name().empty());
    auto client = WaylandClient::connect((*compositor)->socket_name());
    ASSERT_TRUE(client);
    EXPECT_EQ(client->global_version("wl_compositor"), 6U);
    EXPECT_EQ(client->global_version("xdg_wm_base"), 6U);
    EXPECT_EQ(client->global_version("zwp_linux_dmabuf_v1"), 5U);
    EXPECT_EQ(client->global_version("wp_presentation"), 2U);
    EXPECT_EQ(client->global_version("wl_shm"), 0U);
}

TEST(CompositorKnobs, WaitUntilSeesCommitsFromAnotherThread)
{
    Session s;
    ASSERT_TRUE(s);
    auto surface = s.surface();
    auto buffer = s.buffer();
    show(surface.get(), buffer.get());
    wl_display_flush(s.client->display());
    EXPECT_TRUE(s.compositor->wait_until([](const Records& r) { return r.commits.size() == 1; }));
    EXPECT_FALSE(s.compositor->wait_until([](const Records& r) { return r.commits.size() == 2; },
                                          std::chrono::milliseconds{20}));
}

}  // namespace
}  // namespace dmafeed::test

// The order in which wl::Window and wl::DmabufBuffer destroy their objects, as a compositor sees
// it: every object made for the surface before the wl_surface, and the xdg role objects in the
// order xdg-shell requires (xdg_toplevel, then xdg_surface). The peer is a scripted libwayland
// server that offers the globals, answers the first commit with a configure, and records every
// request by its name in the XML.
#include "color-representation-v1-client-protocol.h"
#include "linux-dmabuf-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "wl/connection.hpp"
#include "wl/dmabuf_buffer.hpp"
#include "wl/globals.hpp"
#include "wl/window.hpp"
#include "xdg-shell-client-protocol.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>
#include <wayland-server-core.h>

namespace wl = dmafeed::wl;
using dmafeed::UniqueFd;
using namespace std::chrono_literals;

namespace {

uint32_t event_opcode(const wl_interface& interface, const char* name)
{
    for (int i = 0; i < interface.event_count; ++i) {
        if (std::strcmp(interface.events[i].name, name) == 0) return static_cast<uint32_t>(i);
    }
    ADD_FAILURE() << interface.name << " has no event " << name;
    return 0;
}

// A compositor that implements nothing but records everything: each request is dispatched to
// one function that notes "interface.request", makes the objects it creates, and destroys the
// object on `destroy`.
class ScriptedServer {
public:
    explicit ScriptedServer(UniqueFd fd) : display_{wl_display_create()}
    {
        for (Offer& offer : offered_) {
            offer.server = this;
            wl_global_create(display_, offer.interface, offer.version, &offer, &ScriptedServer::bind);
        }
        client_ = wl_client_create(display_, fd.release());
        thread_ = std::thread{[this] {
            wl_event_loop* loop = wl_display_get_event_loop(display_);
            while (!stop_) {
                wl_event_loop_dispatch(loop, 20);
                wl_display_flush_clients(display_);
            }
        }};
    }
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;
    ~ScriptedServer()
    {
        stop_ = true;
        thread_.join();
        wl_display_destroy_clients(display_);
        wl_display_destroy(display_);
    }

    // The requests received since the last call.
    std::vector<std::string> take()
    {
        const std::lock_guard lock{mutex_};
        return std::exchange(requests_, {});
    }

private:
    struct Offer {
        const wl_interface* interface;
        int version;
        ScriptedServer* server = nullptr;
    };

    static void bind(wl_client* client, void* data, uint32_t version, uint32_t id)
    {
        const auto* offer = static_cast<const Offer*>(data);
        offer->server->adopt(wl_resource_create(client, offer->interface, static_cast<int>(version), id));
    }

    void adopt(wl_resource* resource)
    {
        wl_resource_set_dispatcher(resource, &ScriptedServer::dispatch, this, this, nullptr);
    }

    static int dispatch(const void* self, void* target, uint32_t opcode, const wl_message* message, wl_argument* args)
    {
        static_cast<ScriptedServer*>(const_cast<void*>(self))->handle(static_cast<wl_resource*>(target), opcode, message, args);
        return 0;
    }

    void handle(wl_resource* resource, uint32_t, const wl_message* message, wl_argument* args)
    {
        const std::string name = std::string{wl_resource_get_class(resource)} + "." + message->name;
        {
            const std::lock_guard lock{mutex_};
            requests_.push_back(name);
        }
        // One argument per type letter of the signature (digits: a since-version; '?': nullable).
        int arg = 0;
        for (const char* c = message->signature; *c; ++c) {
            if (*c == '?' || (*c >= '0' && *c <= '9')) continue;
            if (*c == 'h') close(args[arg].h);
            if (*c == 'n' && message->types[arg]) {
                const wl_interface* made = message->types[arg];
                wl_resource* r = wl_resource_create(wl_resource_get_client(resource), made,
                                                    wl_resource_get_version(resource), args[arg].n);
                adopt(r);
                if (made == &xdg_surface_interface) xdg_surface_ = r;
                if (made == &xdg_toplevel_interface) toplevel_ = r;
            }
            ++arg;
        }
        if (name == "wl_surface.commit" && !configured_ && xdg_surface_ && toplevel_) {
            configured_ = true;
            wl_array states;
            wl_array_init(&states);
            wl_resource_post_event(toplevel_, event_opcode(xdg_toplevel_interface, "configure"), 0, 0, &states);
            wl_resource_post_event(xdg_surface_, event_opcode(xdg_surface_interface, "configure"),
                                   wl_display_next_serial(display_));
        }
        if (std::strcmp(message->name, "destroy") == 0) wl_resource_destroy(resource);
    }

    std::vector<Offer> offered_{  // fixed: the globals point into it
        {&wl_compositor_interface, 6},
        {&xdg_wm_base_interface, 6},
        {&zwp_linux_dmabuf_v1_interface, 4},
        {&wp_presentation_interface, 2},
        {&wp_viewporter_interface, 1},
        {&wp_linux_drm_syncobj_manager_v1_interface, 1},
        {&zwp_linux_explicit_synchronization_v1_interface, 2},
        {&wp_color_representation_manager_v1_interface, 1},
    };
    wl_display* display_;
    wl_client* client_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::string> requests_;
    wl_resource* xdg_surface_ = nullptr;
    wl_resource* toplevel_ = nullptr;
    bool configured_ = false;
};

struct Session {
    Session()
    {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;
        server = std::make_unique<ScriptedServer>(UniqueFd{fds[1]});
        auto c = wl::Connection::adopt(UniqueFd{fds[0]});
        if (!c) return;
        connection = std::move(*c);
        auto g = wl::Globals::bind(*connection, wl::LinuxDmabuf::max_supported_version, 2000ms);
        if (!g) {
            ADD_FAILURE() << g.error().message();
            return;
        }
        globals = std::move(*g);
    }
    explicit operator bool() const { return globals != nullptr; }

    // Every request the server received since the last call, once it has them all.
    std::vector<std::string> requests()
    {
        EXPECT_TRUE(connection->roundtrip(2000ms).ok());
        return server->take();
    }

    // The client's objects go before the server.
    std::unique_ptr<ScriptedServer> server;
    std::unique_ptr<wl::Connection> connection;
    std::unique_ptr<wl::Globals> globals;
};

TEST(WlTeardown, AWindowDestroysWhatItMadeForItsSurfaceFirstAndItsRoleObjectsInOrder)
{
    Session s;
    ASSERT_TRUE(s);
    auto window = wl::Window::create(*s.connection, *s.globals, {}, 2000ms);
    ASSERT_TRUE(window.ok()) << window.error().message();
    wl::Window& w = **window;
    ASSERT_TRUE(w.has_viewport());
    ASSERT_TRUE(w.enable_explicit_sync().ok());
    ASSERT_TRUE(w.enable_syncobj().ok());
    ASSERT_TRUE(w.set_color_representation(WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT709,
                                           WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED)
                    .ok());
    wl::CommitSync sync;
    sync.on_release = [](UniqueFd) {};
    w.present(nullptr, 16, 16, 16, 16, 1, &sync);  // a frame callback, a feedback and a release in flight
    EXPECT_TRUE(w.frame_pending());
    EXPECT_EQ(w.feedbacks_in_flight(), 1U);
    EXPECT_EQ(w.releases_in_flight(), 1U);
    (void)s.requests();

    window->reset();
    // The frame callback, the feedback and the release have no request: their destructors are events.
    const std::vector<std::string> expected{
        "zwp_linux_surface_synchronization_v1.destroy",
        "wp_linux_drm_syncobj_surface_v1.destroy",
        "wp_color_representation_surface_v1.destroy",
        "wp_viewport.destroy",
        "xdg_toplevel.destroy",
        "xdg_surface.destroy",
        "wl_surface.destroy",
    };
    EXPECT_EQ(s.requests(), expected);
}

TEST(WlTeardown, ADmabufBufferDestroysItsWlBufferThenItsParams)
{
    Session s;
    ASSERT_TRUE(s);
    UniqueFd memfd{memfd_create("dmafeed-test", MFD_CLOEXEC)};
    ASSERT_TRUE(memfd);
    ASSERT_EQ(ftruncate(memfd.get(), 64 * 64 * 4), 0);
    const wl::DmabufPlane plane{memfd.get(), 0, 64 * 4};
    const wl::DmabufDescription description{.format = dmafeed::DrmFormat{DRM_FORMAT_XRGB8888},
                                            .modifier = dmafeed::DrmModifier{DRM_FORMAT_MOD_LINEAR},
                                            .width = 64,
                                            .height = 64,
                                            .flags = 0,
                                            .planes = {&plane, 1}};
    auto buffer = wl::DmabufBuffer::create(*s.connection, s.globals->dmabuf(), description, wl::CreateMode::immediate);
    ASSERT_TRUE(buffer.ok()) << buffer.error().message();
    ASSERT_TRUE(*buffer);
    const std::vector<std::string> made{
        "zwp_linux_dmabuf_v1.create_params",
        "zwp_linux_buffer_params_v1.add",
        "zwp_linux_buffer_params_v1.create_immed",
    };
    EXPECT_EQ(s.requests(), made);

    buffer->reset();
    const std::vector<std::string> expected{"wl_buffer.destroy", "zwp_linux_buffer_params_v1.destroy"};
    EXPECT_EQ(s.requests(), expected);
}

}  // namespace

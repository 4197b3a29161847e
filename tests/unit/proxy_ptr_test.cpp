// wl::ProxyPtr: one owner, one destruction, and the destroy functions of src/wl/ send their
// interface's destructor request (or nothing, where the interface has none). The requests are read
// off the socket's other end: no compositor is needed to see them.
#include "color-representation-v1-client-protocol.h"
#include "linux-dmabuf-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "wl/connection.hpp"
#include "wl/dmabuf_buffer.hpp"
#include "wl/globals.hpp"
#include "wl/linux_dmabuf.hpp"
#include "wl/proxy.hpp"
#include "wl/registry.hpp"
#include "wl/window.hpp"
#include "xdg-shell-client-protocol.h"

#include <cstring>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <utility>
#include <vector>
#include <wayland-client.h>

namespace wl = dmafeed::wl;
using dmafeed::UniqueFd;

namespace {

// --- ownership, with a stand-in type ---------------------------------------------------------------

struct Thing {
    int destroyed = 0;
};
int null_destroys = 0;
void destroy_thing(Thing* t)
{
    if (t) {
        ++t->destroyed;
    } else {
        ++null_destroys;
    }
}
using ThingPtr = wl::ProxyPtr<Thing, destroy_thing>;

TEST(ProxyPtr, DestroysOnceWhenItsOwnerGoes)
{
    Thing t;
    {
        const ThingPtr p{&t};
        EXPECT_EQ(t.destroyed, 0);
    }
    EXPECT_EQ(t.destroyed, 1);
}

TEST(ProxyPtr, ANullPointerDestroysNothing)
{
    {
        ThingPtr p;
        p.reset();
    }
    EXPECT_EQ(null_destroys, 0);
}

TEST(ProxyPtr, AMovedFromPointerDestroysNothing)
{
    Thing t;
    {
        ThingPtr a{&t};
        ThingPtr b{std::move(a)};
        EXPECT_EQ(a.get(), nullptr);  // NOLINT(bugprone-use-after-move): the point of the test
        a.reset();
        EXPECT_EQ(t.destroyed, 0);
        ThingPtr c;
        c = std::move(b);
        EXPECT_EQ(t.destroyed, 0);
    }
    EXPECT_EQ(t.destroyed, 1);
}

TEST(ProxyPtr, ResetAndMoveAssignmentDestroyTheOldOneOnly)
{
    Thing first, second, third;
    ThingPtr p{&first};
    p.reset(&second);
    EXPECT_EQ(first.destroyed, 1);
    EXPECT_EQ(second.destroyed, 0);
    p = ThingPtr{&third};
    EXPECT_EQ(second.destroyed, 1);
    EXPECT_EQ(third.destroyed, 0);
    Thing* released = p.release();  // handed on: not destroyed here
    p.reset();
    EXPECT_EQ(third.destroyed, 0);
    EXPECT_EQ(released, &third);
}

// --- the destroy functions on the wire ---------------------------------------------------------------

struct Request {
    uint32_t object = 0;
    uint16_t opcode = 0;
};

// A client connection over a socket pair; the other end reads what the client sends.
class Wire {
public:
    Wire()
    {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;
        server_ = UniqueFd{fds[1]};
        auto connection = wl::Connection::adopt(UniqueFd{fds[0]});
        if (connection) connection_ = std::move(*connection);
    }
    explicit operator bool() const { return connection_ != nullptr; }

    // A client-side proxy of `interface` (no request sent: nothing on the other end needs to know).
    template <class T>
    T* make(const wl_interface& interface)
    {
        return reinterpret_cast<T*>(wl_proxy_create(reinterpret_cast<wl_proxy*>(connection_->display()), &interface));
    }

    // Every request sent since the last call.
    std::vector<Request> sent()
    {
        wl_display_flush(connection_->display());
        std::vector<Request> out;
        std::vector<uint8_t> bytes(4096);
        const ssize_t n = recv(server_.get(), bytes.data(), bytes.size(), MSG_DONTWAIT);
        for (ssize_t at = 0; n > 0 && at + 8 <= n;) {
            uint32_t header[2];
            std::memcpy(header, bytes.data() + at, sizeof header);
            out.push_back({header[0], static_cast<uint16_t>(header[1] & 0xffffU)});
            const uint32_t size = header[1] >> 16U;
            if (size < 8) break;
            at += size;
        }
        return out;
    }

private:
    UniqueFd server_;
    std::unique_ptr<wl::Connection> connection_;
};

// Destroys a fresh proxy of `interface` through ProxyPtr<T, Destroy>: the name of the request that
// went out ("" for none), or nullopt when something else went out.
template <class T, void (*Destroy)(T*)>
std::optional<std::string> request_of(Wire& wire, const wl_interface& interface)
{
    wl::ProxyPtr<T, Destroy> p{wire.make<T>(interface)};
    const uint32_t id = wl_proxy_get_id(reinterpret_cast<wl_proxy*>(p.get()));
    if (!wire.sent().empty()) return std::nullopt;
    p.reset();
    const std::vector<Request> sent = wire.sent();
    if (sent.empty()) return std::string{};
    if (sent.size() != 1 || sent[0].object != id || sent[0].opcode >= interface.method_count) return std::nullopt;
    return std::string{interface.methods[sent[0].opcode].name};
}

TEST(ProxyPtr, TheWindowsDestroyFunctionsSendTheDestructorRequests)
{
    Wire wire;
    ASSERT_TRUE(wire);
    EXPECT_EQ((request_of<wl_surface, wl::destroy_surface>(wire, wl_surface_interface)), "destroy");
    EXPECT_EQ((request_of<xdg_surface, wl::destroy_xdg_surface>(wire, xdg_surface_interface)), "destroy");
    EXPECT_EQ((request_of<xdg_toplevel, wl::destroy_toplevel>(wire, xdg_toplevel_interface)), "destroy");
    EXPECT_EQ((request_of<wp_viewport, wl::destroy_viewport>(wire, wp_viewport_interface)), "destroy");
    EXPECT_EQ((request_of<wp_color_representation_surface_v1, wl::destroy_color_representation_surface>(
                  wire, wp_color_representation_surface_v1_interface)),
              "destroy");
    EXPECT_EQ((request_of<zwp_linux_surface_synchronization_v1, wl::destroy_surface_synchronization>(
                  wire, zwp_linux_surface_synchronization_v1_interface)),
              "destroy");
    EXPECT_EQ((request_of<wp_linux_drm_syncobj_surface_v1, wl::destroy_syncobj_surface>(
                  wire, wp_linux_drm_syncobj_surface_v1_interface)),
              "destroy");
    // wl_callback has no request: its `done` event is its destructor.
    EXPECT_EQ((request_of<wl_callback, wl::destroy_callback>(wire, wl_callback_interface)), "");
}

TEST(ProxyPtr, TheBufferAndGlobalDestroyFunctionsSendTheDestructorRequests)
{
    Wire wire;
    ASSERT_TRUE(wire);
    EXPECT_EQ((request_of<wl_buffer, wl::destroy_buffer>(wire, wl_buffer_interface)), "destroy");
    EXPECT_EQ((request_of<zwp_linux_buffer_params_v1, wl::destroy_buffer_params>(wire, zwp_linux_buffer_params_v1_interface)),
              "destroy");
    EXPECT_EQ((request_of<zwp_linux_dmabuf_v1, wl::destroy_linux_dmabuf>(wire, zwp_linux_dmabuf_v1_interface)), "destroy");
    EXPECT_EQ((request_of<xdg_wm_base, wl::destroy_wm_base>(wire, xdg_wm_base_interface)), "destroy");
    EXPECT_EQ((request_of<wp_presentation, wl::destroy_presentation>(wire, wp_presentation_interface)), "destroy");
    EXPECT_EQ((request_of<wp_viewporter, wl::destroy_viewporter>(wire, wp_viewporter_interface)), "destroy");
    EXPECT_EQ((request_of<wp_linux_drm_syncobj_manager_v1, wl::destroy_syncobj_manager>(
                  wire, wp_linux_drm_syncobj_manager_v1_interface)),
              "destroy");
    EXPECT_EQ((request_of<zwp_linux_explicit_synchronization_v1, wl::destroy_explicit_sync>(
                  wire, zwp_linux_explicit_synchronization_v1_interface)),
              "destroy");
    EXPECT_EQ((request_of<wp_linux_drm_syncobj_timeline_v1, wl::destroy_syncobj_timeline>(
                  wire, wp_linux_drm_syncobj_timeline_v1_interface)),
              "destroy");
    EXPECT_EQ((request_of<wp_color_representation_manager_v1, wl::destroy_color_representation>(
                  wire, wp_color_representation_manager_v1_interface)),
              "destroy");
    // Neither wl_registry nor wl_compositor has a destructor request.
    EXPECT_EQ((request_of<wl_registry, wl::destroy_registry>(wire, wl_registry_interface)), "");
    EXPECT_EQ((request_of<wl_compositor, wl::destroy_compositor>(wire, wl_compositor_interface)), "");
}

}  // namespace

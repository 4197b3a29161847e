// A raw libwayland-client connection for the compositor's self-tests: registry, binding, and
// dispatching with a time limit (a broken compositor fails a test, it does not hang it).
//
// Proxies a test creates are owned by Ptr<T>, which sends the interface's destructor request (or
// only frees the proxy where the interface has none). Declare them after the WaylandClient so that
// they go before the display is disconnected (libwayland-client frees only what it is told to).
#pragma once

#include "util/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <wayland-client-core.h>
#include <wayland-client-protocol.h>

#include "linux-dmabuf-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "xdg-shell-client-protocol.h"

namespace dmafeed::test {

class TestCompositor;

// The destructor request of each interface the tests use (client-side only where there is none).
inline void destroy_proxy(wl_callback* p) { wl_callback_destroy(p); }
inline void destroy_proxy(wl_compositor* p) { wl_compositor_destroy(p); }
inline void destroy_proxy(wl_surface* p) { wl_surface_destroy(p); }
inline void destroy_proxy(wl_buffer* p) { wl_buffer_destroy(p); }
inline void destroy_proxy(wl_shm* p) { wl_shm_destroy(p); }
inline void destroy_proxy(wl_shm_pool* p) { wl_shm_pool_destroy(p); }
inline void destroy_proxy(zwp_linux_dmabuf_v1* p) { zwp_linux_dmabuf_v1_destroy(p); }
inline void destroy_proxy(zwp_linux_buffer_params_v1* p) { zwp_linux_buffer_params_v1_destroy(p); }
inline void destroy_proxy(zwp_linux_dmabuf_feedback_v1* p) { zwp_linux_dmabuf_feedback_v1_destroy(p); }
inline void destroy_proxy(wp_presentation* p) { wp_presentation_destroy(p); }
inline void destroy_proxy(struct wp_presentation_feedback* p) { wp_presentation_feedback_destroy(p); }
inline void destroy_proxy(xdg_wm_base* p) { xdg_wm_base_destroy(p); }
inline void destroy_proxy(xdg_surface* p) { xdg_surface_destroy(p); }
inline void destroy_proxy(xdg_toplevel* p) { xdg_toplevel_destroy(p); }

template <class T>
struct ProxyDeleter {
    void operator()(T* proxy) const noexcept
    {
        if (proxy) {
            destroy_proxy(proxy);
        }
    }
};
template <class T>
using Ptr = std::unique_ptr<T, ProxyDeleter<T>>;

struct ProtocolError {
    std::string interface;
    uint32_t id = 0;
    uint32_t code = 0;
};

class WaylandClient {
public:
    // Over a socketpair from compositor.connect_fd().
    static std::unique_ptr<WaylandClient> connect(TestCompositor& compositor);
    // By socket name, as wl_display_connect does.
    static std::unique_ptr<WaylandClient> connect(const std::string& socket_name);

    WaylandClient(const WaylandClient&) = delete;
    WaylandClient& operator=(const WaylandClient&) = delete;
    ~WaylandClient();

    wl_display* display() const noexcept { return display_; }

    // The advertised version of a global, 0 when absent.
    uint32_t global_version(const std::string& interface) const;
    // Binds the global at min(version, advertised); nullptr when absent.
    void* bind(const wl_interface* interface, uint32_t version);
    template <class T>
    Ptr<T> bind(const wl_interface* interface, uint32_t version)
    {
        return Ptr<T>{static_cast<T*>(bind(interface, version))};
    }

    // Dispatches until `pred` holds. False on timeout or a broken connection.
    bool dispatch_until(const std::function<bool()>& pred,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});
    // wl_display_sync and wait for it. False on timeout or a broken connection.
    bool roundtrip(std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});

    int error() const;  // wl_display_get_error
    std::optional<ProtocolError> protocol_error() const;

private:
    explicit WaylandClient(wl_display* display);
    struct Global {
        std::string interface;
        uint32_t name;
        uint32_t version;
    };
    static void handle_global(void* data, wl_registry*, uint32_t name, const char* interface, uint32_t version);
    static void handle_global_remove(void* data, wl_registry*, uint32_t name);

    wl_display* display_ = nullptr;
    wl_registry* registry_ = nullptr;
    std::vector<Global> globals_;
};

// A memfd of `size` bytes filled by `fill(byte index)`, standing in for a dma-buf.
UniqueFd make_memfd(size_t size, const std::function<uint8_t(size_t)>& fill = nullptr);

}  // namespace dmafeed::test

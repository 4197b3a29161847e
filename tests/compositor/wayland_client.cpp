#include "wayland_client.hpp"

#include "test_compositor.hpp"

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client-protocol.h>

namespace dmafeed::test {

WaylandClient::WaylandClient(wl_display* display) : display_{display}
{
    static const wl_registry_listener listener{
        .global = handle_global,
        .global_remove = handle_global_remove,
    };
    registry_ = wl_display_get_registry(display_);
    wl_registry_add_listener(registry_, &listener, this);
}

WaylandClient::~WaylandClient()
{
    if (registry_) {
        wl_registry_destroy(registry_);
    }
    wl_display_disconnect(display_);
}

std::unique_ptr<WaylandClient> WaylandClient::connect(TestCompositor& compositor)
{
    auto fd = compositor.connect_fd();
    if (!fd) {
        return nullptr;
    }
    wl_display* display = wl_display_connect_to_fd(fd->get());
    if (!display) {
        return nullptr;
    }
    (void)fd->release();  // the display owns it
    std::unique_ptr<WaylandClient> client{new WaylandClient{display}};
    if (!client->roundtrip()) {
        return nullptr;
    }
    return client;
}

std::unique_ptr<WaylandClient> WaylandClient::connect(const std::string& socket_name)
{
    wl_display* display = wl_display_connect(socket_name.c_str());
    if (!display) {
        return nullptr;
    }
    std::unique_ptr<WaylandClient> client{new WaylandClient{display}};
    if (!client->roundtrip()) {
        return nullptr;
    }
    return client;
}

void WaylandClient::handle_global(void* data, wl_registry*, uint32_t name, const char* interface, uint32_t version)
{
    static_cast<WaylandClient*>(data)->globals_.push_back({interface, name, version});
}

void WaylandClient::handle_global_remove(void* data, wl_registry*, uint32_t name)
{
    auto& globals = static_cast<WaylandClient*>(data)->globals_;
    globals.erase(std::remove_if(globals.begin(), globals.end(), [&](const Global& g) { return g.name == name; }),
                  globals.end());
}

uint32_t WaylandClient::global_version(const std::string& interface) const
{
    for (const Global& g : globals_) {
        if (g.interface == interface) {
            return g.version;
        }
    }
    return 0;
}

void* WaylandClient::bind(const wl_interface* interface, uint32_t version)
{
    for (const Global& g : globals_) {
        if (g.interface == interface->name) {
            return wl_registry_bind(registry_, g.name, interface, std::min(version, g.version));
        }
    }
    return nullptr;
}

bool WaylandClient::dispatch_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (wl_display_dispatch_pending(display_) < 0) {
            return false;
        }
        if (pred()) {
            return true;
        }
        while (wl_display_prepare_read(display_) != 0) {
            if (wl_display_dispatch_pending(display_) < 0) {
                return false;
            }
        }
        // EPIPE: the compositor hung up; what it sent before (an error) is still to be read.
        if (wl_display_flush(display_) < 0 && errno != EAGAIN && errno != EPIPE) {
            wl_display_cancel_read(display_);
            return false;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            wl_display_cancel_read(display_);
            return false;
        }
        pollfd pfd{wl_display_get_fd(display_), POLLIN, 0};
        const int n = poll(&pfd, 1, static_cast<int>(left.count()));
        if (n <= 0) {
            wl_display_cancel_read(display_);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                return false;
            }
            continue;  // the deadline check above ends the loop
        }
        if (wl_display_read_events(display_) < 0) {
            return false;
        }
    }
}

bool WaylandClient::roundtrip(std::chrono::milliseconds timeout)
{
    bool done = false;
    static const wl_callback_listener listener{
        .done = [](void* data, wl_callback*, uint32_t) { *static_cast<bool*>(data) = true; },
    };
    Ptr<wl_callback> callback{wl_display_sync(display_)};
    wl_callback_add_listener(callback.get(), &listener, &done);
    return dispatch_until([&] { return done; }, timeout);
}

int WaylandClient::error() const
{
    return wl_display_get_error(display_);
}

std::optional<ProtocolError> WaylandClient::protocol_error() const
{
    const wl_interface* interface = nullptr;
    uint32_t id = 0;
    const uint32_t code = wl_display_get_protocol_error(display_, &interface, &id);
    if (!interface) {
        return std::nullopt;
    }
    return ProtocolError{interface->name, id, code};
}

UniqueFd make_memfd(size_t size, const std::function<uint8_t(size_t)>& fill)
{
    UniqueFd fd{memfd_create("dmafeed-test-buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd || ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        return {};
    }
    if (fill && size > 0) {
        void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
        if (map == MAP_FAILED) {
            return {};
        }
        auto* bytes = static_cast<uint8_t*>(map);
        for (size_t i = 0; i < size; ++i) {
            bytes[i] = fill(i);
        }
        munmap(map, size);
    }
    return fd;
}

}  // namespace dmafeed::test

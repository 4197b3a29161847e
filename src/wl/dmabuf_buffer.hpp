// A wl_buffer made from dma-buf planes with zwp_linux_buffer_params_v1, and its release tracking.
//
// Creation (CreateMode):
//  - wait: `create`, then dispatch until `created` or `failed` (bounded). `failed` is an answer,
//    not an error: create() returns no buffer and the caller tries another layout.
//  - immediate: `create_immed`; the buffer exists at once. The compositor may still refuse it: with
//    a fatal invalid_wl_buffer error (weston does; the connection is then dead and says so), or
//    with a `failed` event, after which the buffer is inert. The params object is kept with the
//    buffer to hear that event: refused() turns true and the buffer must never be attached.
//
// Release: attached() marks the buffer as the compositor's from the commit that carries it;
// wl_buffer.release gives it back (held() false). A buffer is written only while not held.
#pragma once

#include "drm/format.hpp"
#include "util/result.hpp"
#include "wl/connection.hpp"
#include "wl/linux_dmabuf.hpp"
#include "wl/proxy.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <sys/types.h>

struct wl_buffer;
struct zwp_linux_buffer_params_v1;

namespace dmafeed::wl {

void destroy_buffer(wl_buffer* p);
void destroy_buffer_params(zwp_linux_buffer_params_v1* p);

enum class CreateMode { wait, immediate };

struct DmabufPlane {
    int fd = -1;  // borrowed: libwayland sends a duplicate
    uint32_t offset = 0;
    uint32_t stride = 0;
};

struct DmabufDescription {
    DrmFormat format;
    DrmModifier modifier;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t flags = 0;  // ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_* (Y_INVERT, INTERLACED, BOTTOM_FIRST)
    std::span<const DmabufPlane> planes;
    // v6: the device the buffer was made for, told with set_sampling_device (the target device of a
    // tranche with the sampling flag); unset, or below v6: none is sent and the compositor tries
    // every device it has.
    std::optional<dev_t> sampling_device;
};

class DmabufBuffer {
public:
    // No buffer (and no error) when the compositor answered `failed`. Errors: a broken connection,
    // a protocol error, no answer within `timeout` (wait mode).
    static Result<std::unique_ptr<DmabufBuffer>> create(Connection& connection, LinuxDmabuf& dmabuf,
                                                        const DmabufDescription& description, CreateMode mode,
                                                        std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});
    DmabufBuffer(const DmabufBuffer&) = delete;
    DmabufBuffer& operator=(const DmabufBuffer&) = delete;
    ~DmabufBuffer() = default;

    wl_buffer* proxy() const noexcept { return buffer_.get(); }
    // The compositor has the buffer (attached and committed, not yet released).
    bool held() const noexcept { return held_; }
    // create_immed's buffer was answered with `failed`: inert, never to be attached.
    bool refused() const noexcept { return refused_; }
    uint64_t releases() const noexcept { return releases_; }

    // Call when a commit carrying this buffer is sent.
    void attached() noexcept { held_ = true; }
    // Runs on every wl_buffer.release (after held() turned false).
    void on_release(std::function<void()> callback) { on_release_ = std::move(callback); }

    void handle_release() noexcept;
    void handle_created(wl_buffer* buffer) noexcept;
    void handle_failed() noexcept;

private:
    DmabufBuffer() = default;
    // Destroyed in reverse order: the wl_buffer, then the params it came from.
    ProxyPtr<zwp_linux_buffer_params_v1, destroy_buffer_params> params_;  // kept for create_immed's `failed`
    ProxyPtr<wl_buffer, destroy_buffer> buffer_;
    bool answered_ = false;
    bool held_ = false;
    bool refused_ = false;
    uint64_t releases_ = 0;
    std::function<void()> on_release_;
};

}  // namespace dmafeed::wl

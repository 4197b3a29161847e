#include "wl/connection.hpp"

#include "util/fd_limit.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <poll.h>
#include <string>
#include <wayland-client.h>

namespace dmafeed::wl {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline)
{
    // Rounded up: poll() must not return before the deadline.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::connect(const char* name)
{
    wl_display* display = wl_display_connect(name);
    if (!display) {
        const int err = errno;
        std::string what = "connect to the Wayland compositor";
        const char* env = std::getenv("WAYLAND_DISPLAY");
        what += name ? std::string{" '"} + name + "'"
                     : std::string{" '"} + (env ? env : "wayland-0") + "' ($WAYLAND_DISPLAY" + (env ? "" : " unset") + ")";
        return Error::from_errno(what, err);
    }
    return std::unique_ptr<Connection>{new Connection{display}};
}

Result<std::unique_ptr<Connection>> Connection::adopt(UniqueFd fd)
{
    wl_display* display = wl_display_connect_to_fd(fd.get());
    if (!display) {
        return Error::from_errno("wl_display_connect_to_fd", errno);  // the fd is still ours: closed here
    }
    (void)fd.release();  // the display owns it now
    return std::unique_ptr<Connection>{new Connection{display}};
}

int Connection::fd() const noexcept { return wl_display_get_fd(display_.get()); }

Result<void> Connection::status() const
{
    int err = wl_display_get_error(display_.get());
    if (err == 0) err = broken_;
    if (err == 0) return {};
    if (err == EPROTO) {
        const wl_interface* iface = nullptr;
        uint32_t id = 0;
        const uint32_t code = wl_display_get_protocol_error(display_.get(), &iface, &id);
        return Error{"the compositor raised a protocol error: " + std::string{iface ? iface->name : "unknown interface"} +
                     "@" + std::to_string(id) + " error " + std::to_string(code)};
    }
    Error broke = Error::from_errno("the connection to the compositor broke", err);
    if (err == EINVAL || err == EOVERFLOW) {
        // libwayland's EINVAL for an event that lacks its fd ("file descriptor expected"): at its
        // open-file limit the process cannot receive what the compositor sent (a format table, a
        // release fence), and the kernel drops it.
        if (std::string note = fd_limit_note(); !note.empty()) {
            return Error{broke.message() + "; a file descriptor the compositor sent could not be received" + note};
        }
    }
    return broke;
}

Result<void> Connection::flush()
{
    // EAGAIN: the socket buffer is full; the rest goes out with the next flush.
    if (wl_display_flush(display_.get()) < 0 && errno != EAGAIN) {
        broken_ = errno;
        return status();
    }
    return {};
}

Result<void> Connection::dispatch_pending()
{
    return dispatch(std::chrono::milliseconds{0});
}

Result<void> Connection::dispatch(std::chrono::milliseconds timeout)
{
    while (wl_display_prepare_read(display_.get()) != 0) {
        if (wl_display_dispatch_pending(display_.get()) < 0) return status();
    }
    if (auto s = status(); !s) {  // a broken connection stays broken: never block on it again
        wl_display_cancel_read(display_.get());
        return s;
    }
    if (auto f = flush(); !f) {
        wl_display_cancel_read(display_.get());
        return f;
    }
    pollfd pfd{.fd = fd(), .events = POLLIN, .revents = 0};
    // With an interrupt flag, in slices of 100 ms: a signal that comes just before poll() does not
    // interrupt it, and the flag is looked at between slices.
    const auto deadline = Clock::now() + timeout;
    int r = 0;
    while (!interrupted()) {
        const int left = remaining_ms(deadline);
        const int slice = interrupt_ ? std::min(left, 100) : left;
        r = ::poll(&pfd, 1, slice);
        if (r < 0 && errno == EINTR) {
            r = 0;  // as a slice with nothing: the loop's condition looks at the flag
            continue;
        }
        if (r != 0 || slice == left) break;     // events, an error, or the whole timeout waited
    }
    if (r <= 0) {
        wl_display_cancel_read(display_.get());
        if (r < 0) return Error::from_errno("poll on the Wayland socket", errno);
        return {};
    }
    // POLLHUP/POLLERR: read_events reports the broken connection.
    if (wl_display_read_events(display_.get()) < 0) {
        broken_ = errno ? errno : EPIPE;  // EOF (a dead compositor) is not a display error in libwayland
        return status();
    }
    if (wl_display_dispatch_pending(display_.get()) < 0) return status();
    return {};
}

Result<void> Connection::roundtrip(std::chrono::milliseconds timeout)
{
    bool done = false;
    const ProxyPtr<wl_callback, wl_callback_destroy> cb{wl_display_sync(display_.get())};
    static constexpr wl_callback_listener listener{
        .done = [](void* data, wl_callback*, uint32_t) { *static_cast<bool*>(data) = true; }};
    wl_callback_add_listener(cb.get(), &listener, &done);
    const auto deadline = Clock::now() + timeout;
    Result<void> result;
    while (!done) {
        const int left = remaining_ms(deadline);
        if (interrupted()) {
            result = Error{"interrupted while waiting for the compositor's answer"};
            break;
        }
        if (left == 0) {
            result = Error{"the compositor did not answer within " + std::to_string(timeout.count()) + " ms"};
            break;
        }
        if (auto r = dispatch(std::chrono::milliseconds{left}); !r) {
            result = std::move(r);
            break;
        }
    }
    return result;
}

}  // namespace dmafeed::wl

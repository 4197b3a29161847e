// The connection to the compositor: owns the wl_display, dispatches events from a blocking loop
// or from a host program's own poll loop (fd() + dispatch_pending()), and turns a broken or
// dead compositor into an Error (never a hang, never an abort).
#pragma once

#include "util/result.hpp"
#include "util/unique_fd.hpp"
#include "wl/proxy.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <wayland-client-core.h>

namespace dmafeed::wl {

class Connection {
public:
    // `name`: a socket name or path as wl_display_connect takes it; nullptr: $WAYLAND_DISPLAY.
    static Result<std::unique_ptr<Connection>> connect(const char* name);
    // Takes over an already connected socket (wl_display_connect_to_fd).
    static Result<std::unique_ptr<Connection>> adopt(UniqueFd fd);

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() = default;

    wl_display* display() const noexcept { return display_.get(); }
    // For a host's poll loop: readable means dispatch_pending() has work.
    int fd() const noexcept;

    // Flushes requests, reads what the socket has without blocking and dispatches the queue.
    Result<void> dispatch_pending();
    // Flushes, then waits up to `timeout` for events and dispatches them. Timing out is not an
    // error: it returns with nothing dispatched.
    Result<void> dispatch(std::chrono::milliseconds timeout);
    // wl_display_sync and dispatch until its callback fires; an error after `timeout` (a hung
    // compositor) or when the connection breaks.
    Result<void> roundtrip(std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});

    // The connection's fatal error, if any: a protocol error (interface, object id, code) or errno.
    Result<void> status() const;

    // A flag (set by a signal handler, say) that ends every wait early once it is true: dispatch()
    // then returns as on a timeout within 100 ms (it polls in slices of that while a flag is set),
    // and roundtrip() returns an error saying so. Null: none.
    void set_interrupt(const std::atomic<bool>* flag) noexcept { interrupt_ = flag; }
    bool interrupted() const noexcept { return interrupt_ && interrupt_->load(std::memory_order_relaxed); }

private:
    explicit Connection(wl_display* display) : display_{display} {}
    Result<void> flush();
    ProxyPtr<wl_display, wl_display_disconnect> display_;  // disconnects: every other proxy goes before
    int broken_ = 0;  // errno of a failed read or flush (EPIPE when the compositor is gone)
    const std::atomic<bool>* interrupt_ = nullptr;
};

}  // namespace dmafeed::wl

// What every dmafeed-conform case shares: a fresh connection of its own (so that a fatal protocol
// error ends only that case), the outcome a connection tells after a case (the protocol error by
// its name in the XML, or a broken socket), and small dma-bufs made on the spot.
#pragma once

#include "case.hpp"
#include "drm/format_set.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"
#include "wl/connection.hpp"
#include "wl/linux_dmabuf.hpp"
#include "wl/registry.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dmafeed::conform {

// Called as each case starts and ends (the progress line, the TAP stream). on_done may rewrite the
// result (a spawned compositor that died during the case makes it `crashed`). `stop_reason`, asked
// before each case, gives why no case can run any more (the compositor is gone for good): the case
// is then recorded as `not-run` with that reason, without a connection.
struct Hooks {
    std::function<void(std::string_view id)> on_start;
    std::function<void(CaseResult&)> on_done;
    std::function<std::optional<std::string>()> stop_reason;
};

// The `not-run` result of case `id` when the hooks' stop_reason gives one, else nullopt.
std::optional<CaseResult> not_run(const Hooks& hooks, const std::string& id);

// A connection with zwp_linux_dmabuf_v1 bound at its highest version (up to 5).
struct CaseConnection {
    std::unique_ptr<wl::Connection> connection;
    std::unique_ptr<wl::Registry> registry;
    std::unique_ptr<wl::LinuxDmabuf> dmabuf;

    static Result<CaseConnection> open(const std::string& display, std::chrono::milliseconds timeout);
};

// What ended a connection: "error <name>" for a protocol error ("error out_of_bounds" for
// zwp_linux_buffer_params_v1's codes, "error wl_display.invalid_object", "error <interface>.<code>"
// for others), "disconnected" for a broken socket; nullopt while it is healthy. `message`, when
// given, gets a sentence for the report.
std::optional<std::string> connection_outcome(const wl::Connection& connection, std::string* message = nullptr);

// A buffer of `size` bytes (rounded up to pages) to hand the compositor as a dma-buf: a udmabuf
// made from a sealed memfd where /dev/udmabuf can be used, else the memfd itself, which a real
// compositor cannot import (`kind` says which: "udmabuf", "memfd").
struct TestBuffer {
    UniqueFd fd;
    uint64_t size = 0;
    std::string kind;
};
Result<TestBuffer> make_test_buffer(uint64_t size, bool allow_udmabuf = true);
// A plain memfd of `size` bytes: never a dma-buf.
Result<TestBuffer> make_memfd_buffer(uint64_t size);

// Shows one frame of a wl_shm buffer in a window of its own, then leaves: a compositor keeps the
// last buffer it showed until it repaints, which would otherwise count as a leaked dma-buf.
Result<void> show_shm_frame(const std::string& display, std::chrono::milliseconds timeout);

// The name of zwp_linux_buffer_params_v1's error `code` ("out_of_bounds"), or the number.
std::string params_error_name(uint32_t code);

// Seconds since `start` (for CaseResult::seconds).
double seconds_since(std::chrono::steady_clock::time_point start);

// One case as it runs: started when made, finish() records the outcome and the time it took.
class CaseRun {
public:
    explicit CaseRun(std::string id) { result_.id = std::move(id); }
    CaseResult& result() noexcept { return result_; }
    CaseResult finish(std::string outcome, std::string detail)
    {
        result_.outcome = std::move(outcome);
        result_.detail = std::move(detail);
        result_.seconds = seconds_since(start_);
        return result_;
    }

private:
    CaseResult result_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace dmafeed::conform

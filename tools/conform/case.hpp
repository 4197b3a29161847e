// dmafeed-conform's results: one CaseResult per case (a matrix buffer, a protocol misuse, the
// leak check), and the RunInfo that says where they were measured. The runner (matrix.cpp,
// misuse.cpp, leaks.cpp) fills them; expectations.cpp sets `expected` and `verdict` from the
// compositor's table; report.cpp writes TAP, JUnit XML, JSON and HTML from them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmafeed::conform {

// A small RGB picture for the HTML report: 3 bytes a pixel, rows of width * 3 bytes.
struct Picture {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint8_t> rgb;
};

// How a case compares with the compositor's expectation table.
enum class Verdict {
    pass,      // the outcome is the expected one
    mismatch,  // it is not: the run fails
    skip,      // the case could not run here (`detail` says why); never a failure
};

struct CaseResult {
    // Slash-separated, stable across runs, matched by the table's globs:
    //   matrix/<allocator>/<FORMAT>/<MODIFIER>/<layout>/<sync>   matrix/vulkan/NV12/LINEAR/tight/explicit
    //   misuse/<error>/<what>                                      misuse/out_of_bounds/offset-past-size
    //   leaks/<what>                                               leaks/fds-after-misuse
    std::string id;
    // What happened, in the table's words:
    //   matrix: "shown" (created, presented, the capture matches), "wrong-pixels" (it does not),
    //           "created" (presented, but no capture to compare), "failed" (the params' failed
    //           event), "error <name>" (a fatal protocol error, by the code's name in the XML),
    //           "disconnected" (the connection broke without a protocol error)
    //   misuse: "error <name>", "no-error", "failed", "disconnected"
    //   leaks:  "no-leak", "leak"
    //   any:    "skipped" (could not run here), "tool-error" (dmafeed-conform itself failed),
    //           "crashed" (a --spawn compositor died during the case: `detail` says how, with the
    //           tail of its log; it was started again for the next case), "not-run" (the spawned
    //           compositor is gone for good: `detail` says why)
    std::string outcome;
    std::string detail;    // one line for people: why skipped, the pixel differences, the error text
    std::string expected;  // the table's outcome for this id (set by evaluate())
    std::string expected_from;  // "weston-14.expect:12" or "default" (set by evaluate())
    Verdict verdict = Verdict::skip;
    double seconds = 0;  // how long the case took

    // Matrix cases that were captured: the compositor's pixels where the buffer is shown, and what
    // they should be (full size; the HTML report scales them down).
    std::optional<Picture> captured;
    std::optional<Picture> wanted;
    // wp_presentation's ZERO_COPY flag on the last presented frame (unset: no feedback).
    std::optional<bool> zero_copy;
};

struct RunInfo {
    std::string tool_version;
    std::string display;             // the socket the cases connected to
    std::string compositor;          // "weston 14.0.2" when known (--spawn, or --compositor-name), else ""
    std::string main_device;         // linux-dmabuf feedback's main device node, "" when not named
    std::string main_device_driver;  // "virtio_gpu"; "none" when no device is named
    uint32_t dmabuf_version = 0;
    std::string capture_method;      // "weston_capture_v1", ... or "none (...why...)"
    std::vector<std::string> allocators;  // "vulkan on llvmpipe (...)", "gbm on /dev/dri/card0 (virtio_gpu)"
    std::string expectations;        // the table's path, or "" for the protocol's defaults
    std::string started;             // ISO 8601 UTC
    double seconds = 0;              // whole run
};

struct Totals {
    size_t cases = 0, passed = 0, mismatched = 0, skipped = 0;
};
Totals totals(const std::vector<CaseResult>& results);

}  // namespace dmafeed::conform

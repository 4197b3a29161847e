// Frame statistics from wp_presentation feedback: presented frames and fps, latency (queue to
// presentation) percentiles, discarded and dropped frames, zero-copy presentations, and for
// frames with a show-at time how far from it they were shown.
// Pure bookkeeping in fixed memory (LatencyHistogram: percentiles exact for the first 1024 frames,
// then within 0.8% above); times are nanoseconds of the presentation clock.
#pragma once

#include "producer/latency_histogram.hpp"

#include <cstdint>
#include <string>

namespace dmafeed::producer {

struct StatsSnapshot {
    uint64_t queued = 0;     // frames committed
    uint64_t presented = 0;  // feedback `presented`
    uint64_t discarded = 0;  // feedback `discarded`
    uint64_t dropped = 0;    // frames skipped because every buffer was held (drop policy)
    uint64_t zero_copy = 0;  // presented with the ZERO_COPY flag
    uint64_t refused = 0;    // buffers the compositor refused (`failed`)
    uint64_t late = 0;       // frames not shown because their show-at time had passed (counted in dropped too)
    uint64_t unpaced = 0;    // waits for the compositor that ended without a frame callback (a hidden window)
    // Frames presented that had a show-at time, and |presentation time - show-at time|.
    uint64_t timed = 0;
    double show_error_p50_ms = 0;
    double show_error_p99_ms = 0;
    double show_error_max_ms = 0;
    double show_error_mean_ms = 0;  // signed: > 0 shown late on average, < 0 early
    double presented_fps = 0;  // presented frames over the span of their presentation times
    double latency_p50_ms = 0;
    double latency_p90_ms = 0;
    double latency_p99_ms = 0;
    double latency_max_ms = 0;
    uint64_t latency_total_ns = 0;  // the sum of every presented frame's latency (means over spans)
    uint32_t refresh_ns = 0;  // the last presented refresh period (0: unknown)
    uint64_t first_presented_ns = 0;
    uint64_t last_presented_ns = 0;
    std::string to_string() const;  // one line
};

class Stats {
public:
    void queued() noexcept { ++queued_; }
    void dropped() noexcept { ++dropped_; }
    void refused() noexcept { ++refused_; }
    void discarded() noexcept { ++discarded_; }
    void dropped_late() noexcept { ++dropped_; ++late_; }
    void unpaced() noexcept { ++unpaced_; }
    // A presented frame: queued at `queued_ns`, shown at `presented_ns` (same clock).
    void presented(uint64_t queued_ns, uint64_t presented_ns, uint32_t refresh_ns, bool zero_copy);
    // A presented frame that was meant to be shown at `show_at_ns`.
    void shown_for(uint64_t show_at_ns, uint64_t presented_ns);

    StatsSnapshot snapshot() const;

private:
    uint64_t queued_ = 0;
    uint64_t presented_ = 0;
    uint64_t discarded_ = 0;
    uint64_t dropped_ = 0;
    uint64_t zero_copy_ = 0;
    uint64_t refused_ = 0;
    uint64_t late_ = 0;
    uint64_t unpaced_ = 0;
    int64_t show_error_sum_ns_ = 0;
    uint64_t latency_sum_ns_ = 0;
    uint32_t refresh_ns_ = 0;
    uint64_t first_ns_ = 0;
    uint64_t last_ns_ = 0;
    LatencyHistogram latencies_ns_;  // fixed size, however many frames
    LatencyHistogram show_errors_ns_;  // |presented - show at|
};

}  // namespace dmafeed::producer

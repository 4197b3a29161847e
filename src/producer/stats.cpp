#include "producer/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dmafeed::producer {

void Stats::presented(uint64_t queued_ns, uint64_t presented_ns, uint32_t refresh_ns, bool zero_copy)
{
    ++presented_;
    if (zero_copy) ++zero_copy_;
    if (refresh_ns) refresh_ns_ = refresh_ns;
    if (presented_ == 1 || presented_ns < first_ns_) first_ns_ = presented_ns;
    last_ns_ = std::max(last_ns_, presented_ns);
    // A presentation before the commit (a clock mix-up by the compositor) counts as zero latency.
    const uint64_t latency = presented_ns > queued_ns ? presented_ns - queued_ns : 0;
    latencies_ns_.add(latency);
    latency_sum_ns_ += latency;
}

void Stats::shown_for(uint64_t show_at_ns, uint64_t presented_ns)
{
    const bool late = presented_ns >= show_at_ns;
    const uint64_t error = late ? presented_ns - show_at_ns : show_at_ns - presented_ns;
    show_errors_ns_.add(error);
    show_error_sum_ns_ += late ? static_cast<int64_t>(error) : -static_cast<int64_t>(error);
}

StatsSnapshot Stats::snapshot() const
{
    StatsSnapshot s;
    s.queued = queued_;
    s.presented = presented_;
    s.discarded = discarded_;
    s.dropped = dropped_;
    s.zero_copy = zero_copy_;
    s.refused = refused_;
    s.late = late_;
    s.unpaced = unpaced_;
    s.timed = show_errors_ns_.count();
    if (s.timed > 0) {
        s.show_error_p50_ms = static_cast<double>(show_errors_ns_.percentile(50)) / 1e6;
        s.show_error_p99_ms = static_cast<double>(show_errors_ns_.percentile(99)) / 1e6;
        s.show_error_max_ms = static_cast<double>(show_errors_ns_.max()) / 1e6;
        s.show_error_mean_ms = static_cast<double>(show_error_sum_ns_) / static_cast<double>(s.timed) / 1e6;
    }
    s.refresh_ns = refresh_ns_;
    s.first_presented_ns = first_ns_;
    s.last_presented_ns = last_ns_;
    if (presented_ >= 2 && last_ns_ > first_ns_) {
        s.presented_fps = static_cast<double>(presented_ - 1) * 1e9 / static_cast<double>(last_ns_ - first_ns_);
    }
    s.latency_p50_ms = static_cast<double>(latencies_ns_.percentile(50)) / 1e6;
    s.latency_p90_ms = static_cast<double>(latencies_ns_.percentile(90)) / 1e6;
    s.latency_p99_ms = static_cast<double>(latencies_ns_.percentile(99)) / 1e6;
    s.latency_max_ms = static_cast<double>(latencies_ns_.max()) / 1e6;
    s.latency_total_ns = latency_sum_ns_;
    return s;
}

std::string StatsSnapshot::to_string() const
{
    char line[256];
    std::snprintf(line, sizeof line,
                  "%.1f fps, latency p50 %.1f ms p99 %.1f ms, %llu presented (%llu zero-copy), %llu discarded, "
                  "%llu dropped",
                  presented_fps, latency_p50_ms, latency_p99_ms, static_cast<unsigned long long>(presented),
                  static_cast<unsigned long long>(zero_copy), static_cast<unsigned long long>(discarded),
                  static_cast<unsigned long long>(dropped));
    std::string out = line;
    if (late > 0) out += " (" + std::to_string(late) + " late)";
    if (timed > 0) {
        std::snprintf(line, sizeof line, ", shown %.1f ms from their time (p50; p99 %.1f ms)", show_error_p50_ms,
                      show_error_p99_ms);
        out += line;
    }
    return out;
}

}  // namespace dmafeed::producer

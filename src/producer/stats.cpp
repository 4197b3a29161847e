#include "producer/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dmafeed::producer {

double percentile(std::vector<uint64_t> values, double p)
{
    if (values.empty()) return 0;
    const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size()));
    const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
    return static_cast<double>(values[index]);
}

void Stats::presented(uint64_t queued_ns, uint64_t presented_ns, uint32_t refresh_ns, bool zero_copy)
{
    ++presented_;
    if (zero_copy) ++zero_copy_;
    if (refresh_ns) refresh_ns_ = refresh_ns;
    if (presented_ == 1 || presented_ns < first_ns_) first_ns_ = presented_ns;
    last_ns_ = std::max(last_ns_, presented_ns);
    // A presentation before the commit (a clock mix-up by the compositor) counts as zero latency.
    latencies_ns_.push_back(presented_ns > queued_ns ? presented_ns - queued_ns : 0);
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
    s.refresh_ns = refresh_ns_;
    s.first_presented_ns = first_ns_;
    s.last_presented_ns = last_ns_;
    if (presented_ >= 2 && last_ns_ > first_ns_) {
        s.presented_fps = static_cast<double>(presented_ - 1) * 1e9 / static_cast<double>(last_ns_ - first_ns_);
    }
    s.latency_p50_ms = percentile(latencies_ns_, 50) / 1e6;
    s.latency_p90_ms = percentile(latencies_ns_, 90) / 1e6;
    s.latency_p99_ms = percentile(latencies_ns_, 99) / 1e6;
    s.latency_max_ms = percentile(latencies_ns_, 100) / 1e6;
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
    return line;
}

}  // namespace dmafeed::producer

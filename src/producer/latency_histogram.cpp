#include "producer/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace dmafeed::producer {

uint32_t LatencyHistogram::bucket_of(uint64_t value) noexcept
{
    if (value < sub_buckets) return static_cast<uint32_t>(value);
    const auto exponent = std::min<uint32_t>(static_cast<uint32_t>(std::bit_width(value)) - 1, max_exponent);
    const uint32_t shift = exponent - 7;  // value >> shift is in [128, 255]
    const auto sub = static_cast<uint32_t>(std::min<uint64_t>(value >> shift, 2 * sub_buckets - 1));
    return sub_buckets + shift * sub_buckets + (sub - sub_buckets);
}

uint64_t LatencyHistogram::bucket_upper(uint32_t bucket) noexcept
{
    if (bucket < sub_buckets) return bucket;
    const uint32_t shift = (bucket - sub_buckets) / sub_buckets;
    const uint64_t sub = sub_buckets + (bucket - sub_buckets) % sub_buckets;
    return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::add(uint64_t value) noexcept
{
    if (count_ < exact_samples) exact_[count_] = value;
    ++count_;
    ++counts_[bucket_of(value)];
    max_ = std::max(max_, value);
}

uint64_t LatencyHistogram::percentile(double p) const noexcept
{
    if (count_ == 0) return 0;
    const double rank_d = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(count_));
    const uint64_t rank = rank_d < 1 ? 1 : static_cast<uint64_t>(rank_d);
    if (count_ <= exact_samples) {
        std::array<uint64_t, exact_samples> sorted = exact_;
        const auto end = sorted.begin() + static_cast<std::ptrdiff_t>(count_);
        const auto nth = sorted.begin() + static_cast<std::ptrdiff_t>(rank - 1);
        std::nth_element(sorted.begin(), nth, end);
        return *nth;
    }
    uint64_t seen = 0;
    for (uint32_t b = 0; b < bucket_count; ++b) {
        seen += counts_[b];
        if (seen >= rank) return std::min(bucket_upper(b), max_);
    }
    return max_;
}

}  // namespace dmafeed::producer

// Latency percentiles in fixed memory, however long the run: a log-linear histogram of
// nanosecond values (HDR-histogram style) plus the first samples kept exactly.
//
// Precision: while at most `exact_samples` values were added, percentiles are exact (nearest
// rank). Beyond, a percentile is the upper edge of the bucket that holds the nearest-rank value:
// never below the exact value and at most 1/128 (0.79%) above it (values below 128 ns are exact);
// max is always exact. Values of 2^48 ns (78 hours) and more share the last bucket.
// Memory: about 50 KiB, allocated once; add() allocates nothing.
#pragma once

#include <array>
#include <cstdint>

namespace dmafeed::producer {

class LatencyHistogram {
public:
    static constexpr uint32_t sub_buckets = 128;  // per power of two: the relative precision
    static constexpr uint32_t max_exponent = 47;
    static constexpr uint32_t exact_samples = 1024;

    void add(uint64_t value) noexcept;
    uint64_t count() const noexcept { return count_; }
    uint64_t max() const noexcept { return max_; }
    // The p-th percentile (0..100) by nearest rank, as the header says; 0 when empty.
    uint64_t percentile(double p) const noexcept;

    // The bucket of `value` and the largest value in a bucket (exposed for tests).
    static uint32_t bucket_of(uint64_t value) noexcept;
    static uint64_t bucket_upper(uint32_t bucket) noexcept;
    static constexpr uint32_t bucket_count = sub_buckets + (max_exponent - 6) * sub_buckets;

private:
    std::array<uint64_t, bucket_count> counts_{};
    std::array<uint64_t, exact_samples> exact_{};
    uint64_t count_ = 0;
    uint64_t max_ = 0;
};

}  // namespace dmafeed::producer

// Latency percentiles in fixed memory: exact for the first 1024 values, then within 1/128 above
// the exact nearest-rank value, max always exact, no growth however many values.
#include "producer/latency_histogram.hpp"
#include "producer/stats.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

namespace dmafeed::producer {
namespace {

uint64_t exact_percentile(std::vector<uint64_t> v, double p)
{
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(v.size()))));
    return v[rank - 1];
}

TEST(LatencyHistogram, EmptyIsZero)
{
    const auto h = std::make_unique<LatencyHistogram>();
    EXPECT_EQ(h->percentile(50), 0U);
    EXPECT_EQ(h->max(), 0U);
}

TEST(LatencyHistogram, ExactByNearestRankForTheFirstSamples)
{
    auto h = std::make_unique<LatencyHistogram>();
    for (uint64_t i = 100; i >= 1; --i) h->add(i * 1'000'003);
    EXPECT_EQ(h->percentile(50), 50U * 1'000'003);
    EXPECT_EQ(h->percentile(99), 99U * 1'000'003);
    EXPECT_EQ(h->percentile(100), 100U * 1'000'003);
    EXPECT_EQ(h->percentile(0), 1U * 1'000'003);
}

TEST(LatencyHistogram, BucketsCoverEveryValueWithTheStatedPrecision)
{
    uint32_t last = 0;
    for (uint64_t v : {0ULL, 1ULL, 127ULL, 128ULL, 129ULL, 255ULL, 256ULL, 1000ULL, 8'000'000ULL, 16'666'667ULL,
                       (1ULL << 40) + 12345, (1ULL << 47) + 1}) {
        const uint32_t b = LatencyHistogram::bucket_of(v);
        ASSERT_LT(b, LatencyHistogram::bucket_count) << v;
        EXPECT_GE(b, last) << v << ": buckets grow with the value";
        last = b;
        const uint64_t upper = LatencyHistogram::bucket_upper(b);
        EXPECT_GE(upper, v) << v;
        EXPECT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 128.0) << v;
        EXPECT_EQ(LatencyHistogram::bucket_of(upper), b) << v;
    }
    // Beyond 2^48: the last bucket.
    EXPECT_EQ(LatencyHistogram::bucket_of(~0ULL), LatencyHistogram::bucket_count - 1);
}

TEST(LatencyHistogram, BeyondTheExactSamplesPercentilesStayWithinOnePart128Above)
{
    std::mt19937_64 rng{42};
    std::lognormal_distribution<double> latency{std::log(16e6), 0.6};  // around 16 ms
    auto h = std::make_unique<LatencyHistogram>();
    std::vector<uint64_t> all;
    for (int i = 0; i < 200'000; ++i) {
        const auto v = static_cast<uint64_t>(latency(rng));
        h->add(v);
        all.push_back(v);
    }
    EXPECT_EQ(h->count(), all.size());
    EXPECT_EQ(h->max(), *std::max_element(all.begin(), all.end()));
    for (const double p : {50.0, 90.0, 99.0, 99.9, 100.0}) {
        const uint64_t exact = exact_percentile(all, p);
        const uint64_t got = h->percentile(p);
        EXPECT_GE(got, exact) << "p" << p;
        EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / 128.0) << "p" << p;
    }
}

TEST(LatencyHistogram, StatsHoldNoPerFrameStorage)
{
    // A million frames through Stats: the object's size is all it has (no container member), and
    // the percentiles still come out.
    static_assert(std::is_trivially_copyable_v<LatencyHistogram>, "no heap storage in the histogram");
    auto s = std::make_unique<Stats>();
    const uint64_t ms = 1'000'000;
    for (uint64_t i = 0; i < 1'000'000; ++i) s->presented(i * 16 * ms, i * 16 * ms + (8 + i % 5) * ms, 16'666'667, false);
    const StatsSnapshot snap = s->snapshot();
    EXPECT_EQ(snap.presented, 1'000'000U);
    EXPECT_NEAR(snap.latency_p50_ms, 10.0, 10.0 / 128);
    EXPECT_DOUBLE_EQ(snap.latency_max_ms, 12.0);
}

}  // namespace
}  // namespace dmafeed::producer

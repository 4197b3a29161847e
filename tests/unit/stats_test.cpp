// Presentation statistics: percentiles, fps over presentation times, counters.
#include "producer/stats.hpp"

#include <gtest/gtest.h>

namespace dmafeed::producer {
namespace {

TEST(Stats, FpsLatencyAndCounters)
{
    Stats s;
    const uint64_t ms = 1'000'000;
    for (uint64_t i = 0; i < 61; ++i) {
        s.queued();
        s.presented(i * 16 * ms, i * 16 * ms + (i == 60 ? 40 : 8) * ms, 16'666'667, i % 2 == 0);
    }
    s.queued();
    s.discarded();
    s.dropped();
    s.dropped();
    const StatsSnapshot snap = s.snapshot();
    EXPECT_EQ(snap.queued, 62u);
    EXPECT_EQ(snap.presented, 61u);
    EXPECT_EQ(snap.zero_copy, 31u);
    EXPECT_EQ(snap.discarded, 1u);
    EXPECT_EQ(snap.dropped, 2u);
    EXPECT_NEAR(snap.presented_fps, 60.0 / (0.960 + 0.032), 0.01);  // 60 intervals, the last one 32 ms longer
    EXPECT_DOUBLE_EQ(snap.latency_p50_ms, 8.0);
    EXPECT_DOUBLE_EQ(snap.latency_max_ms, 40.0);
    EXPECT_EQ(snap.refresh_ns, 16'666'667u);
    EXPECT_NE(snap.to_string().find("61 presented (31 zero-copy), 1 discarded, 2 dropped"), std::string::npos)
        << snap.to_string();
}

TEST(Stats, APresentationBeforeItsCommitCountsAsZeroLatency)
{
    Stats s;
    s.presented(1000, 500, 0, false);
    EXPECT_EQ(s.snapshot().latency_max_ms, 0.0);
    EXPECT_EQ(s.snapshot().presented_fps, 0.0);  // one frame: no rate
}

TEST(Stats, ShowAtErrorsAreAbsoluteInPercentilesAndSignedInTheMean)
{
    Stats s;
    const uint64_t ms = 1'000'000;
    EXPECT_EQ(s.snapshot().timed, 0u);
    // 10 frames: 8 shown 2 ms late, one 4 ms early, one 30 ms late.
    for (uint64_t i = 0; i < 8; ++i) s.shown_for(100 * ms * (i + 1), 100 * ms * (i + 1) + 2 * ms);
    s.shown_for(1000 * ms, 996 * ms);
    s.shown_for(2000 * ms, 2030 * ms);
    const StatsSnapshot snap = s.snapshot();
    EXPECT_EQ(snap.timed, 10u);
    EXPECT_DOUBLE_EQ(snap.show_error_p50_ms, 2.0);
    EXPECT_DOUBLE_EQ(snap.show_error_p99_ms, 30.0);
    EXPECT_DOUBLE_EQ(snap.show_error_max_ms, 30.0);
    EXPECT_DOUBLE_EQ(snap.show_error_mean_ms, (8 * 2.0 - 4.0 + 30.0) / 10);
    EXPECT_NE(snap.to_string().find("shown 2.0 ms from their time (p50; p99 30.0 ms)"), std::string::npos) << snap.to_string();
}

TEST(Stats, LateDropsCountAsDroppedAndLate)
{
    Stats s;
    s.dropped();
    s.dropped_late();
    s.dropped_late();
    s.unpaced();
    const StatsSnapshot snap = s.snapshot();
    EXPECT_EQ(snap.dropped, 3u);
    EXPECT_EQ(snap.late, 2u);
    EXPECT_EQ(snap.unpaced, 1u);
    EXPECT_NE(snap.to_string().find("3 dropped (2 late)"), std::string::npos) << snap.to_string();
}

}  // namespace
}  // namespace dmafeed::producer

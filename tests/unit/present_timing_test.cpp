// The commit-timing timestamp for a frame's show-at time: aimed at the nearest refresh cycle on the
// grid of the last presentation, half a refresh before it.
#include "producer/present_timing.hpp"

#include <gtest/gtest.h>

namespace dmafeed::producer {
namespace {

constexpr uint64_t ms = 1'000'000;

TEST(CommitTimestamp, WithoutAGridTheShowAtTimeIsSentAsIs)
{
    EXPECT_EQ(commit_timestamp(1000 * ms, {}), 1000 * ms);
    EXPECT_EQ(commit_timestamp(1000 * ms, {.presented_ns = 900 * ms, .refresh_ns = 0}), 1000 * ms) << "refresh unknown";
    EXPECT_EQ(commit_timestamp(1000 * ms, {.presented_ns = 0, .refresh_ns = 16 * ms}), 1000 * ms) << "nothing presented";
}

TEST(CommitTimestamp, TheNearestCycleIsAimedAtHalfARefreshEarly)
{
    const RefreshGrid grid{.presented_ns = 1000 * ms, .refresh_ns = 16 * ms};  // cycles at 1016, 1032, 1048 ms ...
    // 1030 ms is nearest to 1032: the timestamp lies half a refresh before it, which a compositor
    // presenting at the first cycle not before the timestamp turns into 1032.
    EXPECT_EQ(commit_timestamp(1030 * ms, grid), 1024 * ms);
    // 1039 ms is nearest to 1032 too (7 ms away; 1048 is 9 ms away).
    EXPECT_EQ(commit_timestamp(1039 * ms, grid), 1024 * ms);
    // 1041 ms is nearest to 1048.
    EXPECT_EQ(commit_timestamp(1041 * ms, grid), 1040 * ms);
    // Exactly on a cycle: that cycle.
    EXPECT_EQ(commit_timestamp(1048 * ms, grid), 1040 * ms);
    // Far ahead: the same rule, cycles counted from the grid.
    EXPECT_EQ(commit_timestamp(2000 * ms + 3 * ms, grid), 1000 * ms + 63 * 16 * ms - 8 * ms);  // nearest: 2008
}

TEST(CommitTimestamp, EveryTimestampPicksTheCycleWithinHalfARefreshOfTheShowAtTime)
{
    const RefreshGrid grid{.presented_ns = 5'000 * ms + 123, .refresh_ns = 16'666'667};
    for (uint64_t t = grid.presented_ns + grid.refresh_ns; t < grid.presented_ns + 50 * grid.refresh_ns; t += 777'777) {
        const uint64_t stamp = commit_timestamp(t, grid);
        // The cycle a compositor picks: the first one at or after the timestamp.
        const uint64_t cycles = (stamp - grid.presented_ns + grid.refresh_ns - 1) / grid.refresh_ns;
        const uint64_t shown = grid.presented_ns + cycles * grid.refresh_ns;
        const uint64_t error = shown > t ? shown - t : t - shown;
        ASSERT_LE(error, grid.refresh_ns / 2 + 1) << "show at " << t;
        ASSERT_LT(stamp, shown) << "the timestamp lies before the cycle it aims at";
        ASSERT_GT(stamp + grid.refresh_ns, shown) << "and after the cycle before it";
    }
}

TEST(CommitTimestamp, ALateFrameIsSentForNow)
{
    const RefreshGrid grid{.presented_ns = 1000 * ms, .refresh_ns = 16 * ms};
    EXPECT_EQ(commit_timestamp(990 * ms, grid), 990 * ms) << "before the last presentation: no cycle to aim at";
    EXPECT_EQ(commit_timestamp(1005 * ms, grid), 1005 * ms) << "nearer to the last presentation than to the next cycle";
}

}  // namespace
}  // namespace dmafeed::producer

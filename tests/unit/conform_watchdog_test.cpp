// dmafeed-conform's watchdog: a case that outlives its limit ends the process with exit status 3,
// naming the case and where the threads wait (the stuck thread's user-space stack among them); a
// case that ends in time, disarmed, ends nothing.
#include "conform/watchdog.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <poll.h>
#include <thread>

namespace dmafeed::conform {
namespace {

class WatchdogTest : public ::testing::Test {
protected:
    void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// A wait with no bound, as a stuck case would make: poll on nothing, forever (EINTR from the
// watchdog's signal is waited through).
[[noreturn]] void wait_forever()
{
    for (;;) ::poll(nullptr, 0, -1);
}

// A case stuck 300 ms past arming, with a 300 ms limit.
[[noreturn]] void stuck_case()
{
    Watchdog watchdog{std::chrono::milliseconds{300}, [] { std::fputs("before_exit ran\n", stderr); }};
    watchdog.arm("matrix/test/stuck");
    wait_forever();
}

// 3 cases of 300 ms under a 400 ms limit: each within its own limit, not the sum; then disarmed.
[[noreturn]] void quick_cases()
{
    Watchdog watchdog{std::chrono::milliseconds{400}, [] {}};
    for (int i = 0; i < 3; ++i) {
        watchdog.arm("matrix/test/quick");
        std::this_thread::sleep_for(std::chrono::milliseconds{300});
        watchdog.disarm();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{600});
    std::fputs("all cases ended\n", stderr);
    std::exit(0);
}

// Re-armed without a disarm after 300 ms of a 400 ms limit: the clock restarts for the second case.
[[noreturn]] void rearmed_case()
{
    Watchdog watchdog{std::chrono::milliseconds{400}, [] {}};
    watchdog.arm("matrix/test/first");
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    watchdog.arm("matrix/test/second");
    wait_forever();
}

TEST_F(WatchdogTest, AStuckCaseEndsTheRunWithStatus3AndSaysWhereItsThreadWaits)
{
    EXPECT_EXIT(stuck_case(), ::testing::ExitedWithCode(Watchdog::stuck_exit_status),
                "the case matrix/test/stuck has not ended after 0.3 s: it is stuck.*"
                "thread [0-9]+ \\([^)]*\\), running the case: state S \\(sleeping\\).*"
                "user-space stack of the thread running the case:.*"
                "before_exit ran");
}

TEST_F(WatchdogTest, ACaseThatEndsInTimeIsNotReportedAndTheNextCaseGetsAFullLimit)
{
    EXPECT_EXIT(quick_cases(), ::testing::ExitedWithCode(0), "^all cases ended\n$");
}

TEST_F(WatchdogTest, TheLimitCountsFromTheLastArm)
{
    EXPECT_EXIT(rearmed_case(), ::testing::ExitedWithCode(Watchdog::stuck_exit_status),
                "the case matrix/test/second has not ended");
}

}  // namespace
}  // namespace dmafeed::conform

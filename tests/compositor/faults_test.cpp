// The producer against a compositor that misbehaves for a long time, with memory and fds measured:
//  - releases withheld for 600 repaints (10 s at 60 Hz, driven by the test's ticks, not a clock):
//    no buffer beyond the pool, the heap and the resident set flat; frames are dropped
//    (FullPolicy::drop) or waited for (try_acquire gives none; acquire times out per the timeout
//    with an error that says so); when releases resume, playing goes on with the same buffers;
//
// Heap bytes in use (mallinfo2) are exact with glibc's per-thread caches of freed chunks off (meson
// runs this test with GLIBC_TUNABLES=glibc.malloc.tcache_count=0, as compositor_long_run); under
// AddressSanitizer only the fds and the counts are checked. Bounds as in long_run_test.cpp.
#include "memfd_allocator.hpp"
#include "test_compositor.hpp"

#include "fd_count.hpp"
#include "memory_usage.hpp"
#include "producer/producer.hpp"
#include "sources/solid.hpp"

#include <chrono>
#include <cstdio>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define DMAFEED_FAULTS_MEASURE_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DMAFEED_FAULTS_MEASURE_MEMORY 0
#endif
#endif
#ifndef DMAFEED_FAULTS_MEASURE_MEMORY
#define DMAFEED_FAULTS_MEASURE_MEMORY 1
#endif

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using producer::FullPolicy;
using producer::Producer;
using producer::ProducerConfig;

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
constexpr uint32_t width = 32;
constexpr uint32_t height = 16;
constexpr uint64_t heap_growth_bound = 16 * 1024;
constexpr uint64_t resident_growth_bound = 256 * 1024;

[[maybe_unused]] std::string growth(uint64_t before, uint64_t after)  // unused where memory is not measured
{
    return std::to_string(static_cast<int64_t>(after) - static_cast<int64_t>(before)) + " B (" +
           std::to_string(before) + " -> " + std::to_string(after) + ")";
}

void expect_flat([[maybe_unused]] const MemoryUsage& before, [[maybe_unused]] const MemoryUsage& after)
{
#if DMAFEED_FAULTS_MEASURE_MEMORY
    EXPECT_LE(after.heap, before.heap + heap_growth_bound) << "heap in use grew " << growth(before.heap, after.heap);
    EXPECT_LE(after.resident, before.resident + resident_growth_bound)
        << "resident set grew " << growth(before.resident, after.resident);
#endif
}

ProducerConfig config_for(const std::string& display, const MemfdFactory& memfd)
{
    ProducerConfig config;
    config.display = display;
    config.width = width;
    config.height = height;
    config.buffers = 3;
    config.backends = memfd.factory();
    config.timeout = 5000ms;
    return config;
}

// What the player does with a frame it got: fill it and queue it. False (and a test failure) when
// that fails.
bool fill_and_queue(Producer& p, const producer::Frame& frame, const std::vector<PlanePixels>& planes)
{
    auto written = p.write(frame, planes);
    EXPECT_TRUE(written.ok()) << (written.ok() ? "" : written.error().message());
    auto queued = p.queue(frame);
    EXPECT_TRUE(queued.ok()) << (queued.ok() ? "" : queued.error().message());
    return written.ok() && queued.ok();
}

// --- releases withheld ---------------------------------------------------------------------------

constexpr int withheld_repaints = 600;  // 10 s at 60 Hz
constexpr int warm_up_repaints = 60;

class WithheldReleases : public testing::TestWithParam<FullPolicy> {};

TEST_P(WithheldReleases, MemoryStaysBoundedFramesAreDroppedOrWaitedForThenPlayingGoesOn)
{
    const FullPolicy policy = GetParam();
    Config config;
    config.tick_on_commit = true;  // and a tick() a repaint while nothing is committed
    config.frame_records_kept = 64;
    config.keep_plane_fds = false;
    auto comp = TestCompositor::create(config);
    ASSERT_TRUE(comp.ok()) << comp.error().message();
    (*comp)->withhold_releases(true);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto pc = config_for((*comp)->socket_name(), memfd);
    pc.when_full = policy;
    pc.timeout = 200ms;  // --timeout: the bound of a wait for a free buffer
    auto made = Producer::create(pc);
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    auto grey = sources::SolidFrame::make(xrgb, width, height, {90, 90, 90});
    auto green = sources::SolidFrame::make(xrgb, width, height, {0, 200, 0});
    ASSERT_TRUE(grey.ok() && green.ok());
    const std::vector<PlanePixels> grey_planes = grey->planes();
    const std::vector<PlanePixels> green_planes = green->planes();

    // A repaint a frame: the compositor keeps every buffer it was given, the producer asks on.
    (void)memory_usage();  // the first malloc_trim moves the resident set by itself
    MemoryUsage warm{};
    int warm_fds = -1;
    int shown = 0;
    int empty = 0;
    for (int i = 0; i < withheld_repaints; ++i) {
        auto frame = policy == FullPolicy::drop ? p.acquire() : p.try_acquire(0ms);
        ASSERT_TRUE(frame.ok()) << "repaint " << i << ": " << frame.error().message();
        if (*frame) {
            ASSERT_TRUE(fill_and_queue(p, **frame, grey_planes));
            ++shown;
        } else {
            ++empty;
        }
        (*comp)->tick();
        if (i + 1 == warm_up_repaints) {
            warm = memory_usage();
            warm_fds = open_fd_count();
        }
    }
    const MemoryUsage end = memory_usage();
    std::printf("releases withheld for %d repaints: %d frames shown, %d %s; after %d: %s; at the end: %s\n",
                withheld_repaints, shown, empty, policy == FullPolicy::drop ? "dropped" : "without a free buffer",
                warm_up_repaints, to_string(warm).c_str(), to_string(end).c_str());
    EXPECT_EQ(shown, 3) << "one frame a buffer of the pool, then none";
    EXPECT_EQ(empty, withheld_repaints - 3);
    EXPECT_EQ(p.stats().dropped, policy == FullPolicy::drop ? uint64_t(withheld_repaints - 3) : 0u);
    EXPECT_EQ(p.buffers_created(), 3u) << "a buffer beyond the pool";
    EXPECT_EQ((*comp)->records().buffers.size(), 3u);
    EXPECT_EQ(open_fd_count(), warm_fds) << open_fd_list();
    expect_flat(warm, end);

    if (policy == FullPolicy::wait) {
        // acquire() waits for a release as long as the timeout says, then says why it gave up.
        auto frame = p.acquire();
        ASSERT_FALSE(frame.ok());
        EXPECT_NE(frame.error().message().find("held all 3 buffers for 200 ms"), std::string::npos)
            << frame.error().message();
    }

    // Releases resume: the same buffers come back, and frames are shown again.
    (*comp)->withhold_releases(false);
    (*comp)->release_all();
    for (int i = 0; i < 10; ++i) {
        auto frame = p.acquire();
        ASSERT_TRUE(frame.ok() && *frame) << "frame " << i << " after the releases: "
                                          << (frame.ok() ? "dropped" : frame.error().message());
        ASSERT_TRUE(fill_and_queue(p, **frame, green_planes));
        ASSERT_TRUE(p.wait_for_frame().ok());
    }
    EXPECT_EQ(p.buffers_created(), 3u);
    auto last = (*comp)->read_last_committed_buffer();
    ASSERT_TRUE(last.ok()) << last.error().message();
    EXPECT_EQ(last->bytes.at(1), 200) << "the last frame shown is not green";
    EXPECT_TRUE((*comp)->records().errors.empty());
}

INSTANTIATE_TEST_SUITE_P(Policies, WithheldReleases, testing::Values(FullPolicy::drop, FullPolicy::wait),
                         [](const testing::TestParamInfo<FullPolicy>& param) {
                             return std::string{param.param == FullPolicy::drop ? "Drop" : "Wait"};
                         });

}  // namespace
}  // namespace dmafeed::test

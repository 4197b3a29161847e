// The producer over a long run against the test compositor: 100,000 frames with presentation
// feedback, and after a warm-up of 10,000 neither the heap in use, the resident set nor the open
// fds grow, while a host takes a stats snapshot every 1,000 frames. Once for each way a frame is
// filled and synchronised: CPU writes with implicit sync; CPU writes that end in a render fence,
// with zwp_linux_explicit_synchronization_v1 (an acquire fence and a release object a frame); test
// patterns drawn in place, where only what changed is redrawn and damaged.
//
// The compositor repaints at every commit (Config::tick_on_commit: the frame callback, the
// presentation feedback and the previous buffer's release come straight back) and keeps only its
// newest per-frame records (Config::frame_records_kept), so that what is measured is the producer.
// Nothing depends on timing: every frame waits for its frame callback; the checks are counts and
// bytes.
//
// Heap bytes in use (mallinfo2) are exact, but glibc's per-thread caches of freed chunks (tcache)
// count as in use and fill up now and then; meson runs this test with them off
// (GLIBC_TUNABLES=glibc.malloc.tcache_count=0). Measured that way from frame 10,000 to 100,000:
// the heap in use does not move by a byte for CPU writes (either sync), and for pattern draws it
// moves within 160 B with the number of damage rectangles in the compositor's 64 kept commit
// records; the resident set moves by 0 and 4 KiB. With the caches on, the heap creeps by about
// 1 KiB as they fill, well inside the bound. With every record kept (the compositor's default),
// the same run grows by 33 MB. Under ASan or TSan (their own heaps, ASan's quarantine, TSan's
// shadow) only the fds and the counts are checked (memory_usage.hpp).
//
// Run time, debugoptimized on a 2-core machine: 2-3 s for each case's 100,000 frames, 7.4 s in all
// (20-30 us a frame); 6-11 s a case, 20-28 s in all, while parallel builds load it. Most of a frame
// is waiting: every frame is a round trip between the test's thread and the compositor's, and
// user + system time is a third of the wall time under load.
#include "memfd_allocator.hpp"
#include "test_compositor.hpp"

#include "fd_count.hpp"
#include "memory_usage.hpp"
#include "producer/producer.hpp"
#include "sources/pattern.hpp"
#include "sources/solid.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using producer::Producer;
using producer::ProducerConfig;
using producer::StatsSnapshot;

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
constexpr uint32_t width = 32;
constexpr uint32_t height = 16;

constexpr uint64_t frames = 100'000;
constexpr uint64_t warm_up = 10'000;
constexpr uint64_t snapshot_every = 1'000;
constexpr size_t records_kept = 64;
// Growth allowed from the end of the warm-up to the end of the run. A container that keeps
// something a frame (a record, a pointer) passes the heap bound within 2,000 frames; the resident
// set moves in pages, and by glibc's 128 KiB top pad when its heap grows, so it gets more room.
constexpr uint64_t heap_growth_bound = 16 * 1024;
constexpr uint64_t resident_growth_bound = 256 * 1024;

enum class Fill {
    cpu_write,           // write(): CPU pixels copied into the mapping, no render fence; implicit sync
    cpu_write_explicit,  // write() ending in a render fence; explicit sync (acquire fence, release object)
    pattern_draw,        // draw(): a moving box drawn in place, only where it changed; implicit sync
};

struct Case {
    const char* name;
    Fill fill;
};

[[maybe_unused]] std::string growth(uint64_t before, uint64_t after)  // unused where memory is not measured
{
    return std::to_string(static_cast<int64_t>(after) - static_cast<int64_t>(before)) + " B (" +
           std::to_string(before) + " -> " + std::to_string(after) + ")";
}

class LongRun : public testing::TestWithParam<Case> {};

TEST_P(LongRun, HundredThousandFramesKeepMemoryAndFdsFlat)
{
    const Fill fill = GetParam().fill;
    Config config;
    config.tick_on_commit = true;
    config.frame_records_kept = records_kept;
    if (fill == Fill::cpu_write_explicit) config.explicit_sync_version = 2;
    auto comp = TestCompositor::create(config);
    ASSERT_TRUE(comp.ok()) << comp.error().message();

    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    memfd.fence_writes = fill == Fill::cpu_write_explicit;
    memfd.draws = fill == Fill::pattern_draw;
    memfd.draw_log = nullptr;  // the stand-in would keep every draw's rectangles
    ProducerConfig pc;
    pc.display = (*comp)->socket_name();
    pc.width = width;
    pc.height = height;
    pc.buffers = 3;
    pc.backends = memfd.factory();
    pc.timeout = 5000ms;
    auto made = Producer::create(std::move(pc));
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    ASSERT_TRUE(p.globals().presentation()) << "the run is meant to have presentation feedback";
    ASSERT_EQ(p.sync_mode(), fill == Fill::cpu_write_explicit ? producer::SyncMode::explicit_sync
                                                              : producer::SyncMode::implicit_sync);

    // Two colours, alternating, made once: the frames' pixels cost nothing per frame.
    auto red = sources::SolidFrame::make(xrgb, width, height, {200, 0, 0});
    auto blue = sources::SolidFrame::make(xrgb, width, height, {0, 0, 200});
    ASSERT_TRUE(red.ok() && blue.ok());
    const std::vector<PlanePixels> colours[2] = {red->planes(), blue->planes()};
    const sources::PatternSpec box{sources::PatternKind::moving_box, {}};

    // The first malloc_trim moves the resident set by itself (128 KiB here): before the warm-up.
    (void)memory_usage();
    MemoryUsage warm{};
    int warm_fds = -1;
    StatsSnapshot snapshot;
    std::string line;
    const auto t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < frames; ++i) {
        auto frame = p.acquire();
        if (!frame.ok() || !*frame) {
            FAIL() << "frame " << i << ": " << (frame.ok() ? "dropped" : frame.error().message());
        }
        auto filled = fill == Fill::pattern_draw
                          ? p.draw(**frame, sources::pattern_frame(box, width, height, i, i * 16), {})
                          : p.write(**frame, colours[i % 2]);
        if (!filled) FAIL() << "frame " << i << ": " << filled.error().message();
        if (auto r = p.queue(**frame); !r) FAIL() << "frame " << i << ": " << r.error().message();
        if (auto r = p.wait_for_frame(); !r) FAIL() << "frame " << i << ": " << r.error().message();

        const uint64_t done = i + 1;
        if (done % snapshot_every == 0) {
            // What a host does now and then: a stats snapshot and its line. Neither may keep anything.
            snapshot = p.stats();
            line = snapshot.to_string();
            ASSERT_EQ(snapshot.queued, done);
            ASSERT_LE(snapshot.presented, snapshot.queued);
            ASSERT_EQ(snapshot.discarded, 0u);
            ASSERT_EQ(snapshot.dropped, 0u);
            ASSERT_FALSE(line.empty());
        }
        if (done == warm_up) {
            warm_fds = open_fd_count();
            warm = memory_usage();
        }
    }
    const MemoryUsage end = memory_usage();
    const int end_fds = open_fd_count();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %llu frames in %.1f s; after %llu: %s, %d fds; at the end: %s, %d fds\n", GetParam().name,
                static_cast<unsigned long long>(frames), seconds, static_cast<unsigned long long>(warm_up),
                to_string(warm).c_str(), warm_fds, to_string(end).c_str(), end_fds);

#if DMAFEED_TEST_MEASURES_MEMORY
    EXPECT_LE(end.heap, warm.heap + heap_growth_bound) << "heap in use grew " << growth(warm.heap, end.heap);
    EXPECT_LE(end.resident, warm.resident + resident_growth_bound)
        << "resident set grew " << growth(warm.resident, end.resident);
#endif
    EXPECT_EQ(end_fds, warm_fds) << open_fd_list();

    ASSERT_TRUE(p.drain(2000ms).ok());
    const StatsSnapshot s = p.stats();
    EXPECT_EQ(s.queued, frames);
    EXPECT_EQ(s.presented, frames);
    EXPECT_EQ(s.zero_copy, 0u);  // the compositor's flags lack ZERO_COPY
    EXPECT_EQ(s.discarded, 0u);
    EXPECT_EQ(s.dropped, 0u);
    EXPECT_EQ(s.refused, 0u);
    EXPECT_EQ(s.refresh_ns, static_cast<uint32_t>(config.refresh.count()));
    EXPECT_LE(s.first_presented_ns, s.last_presented_ns);
    EXPECT_GE(s.latency_max_ms, s.latency_p99_ms);
    EXPECT_GE(s.latency_p99_ms, s.latency_p50_ms);
    // The pool was made once: a buffer is released at the commit that replaces it, so two may do.
    EXPECT_LE(p.buffers_created(), 3u);
    EXPECT_EQ(p.buffer_count(), p.buffers_created());
    if (fill == Fill::cpu_write_explicit) {
        EXPECT_EQ(p.sync_stats().acquire_fences, frames);
        EXPECT_EQ(p.sync_stats().immediate_releases, frames - 1);  // all but the buffer on screen
    }

    // The compositor saw every frame, and kept only the newest records of each kind.
    const Records r = (*comp)->records();
    EXPECT_GE(r.totals.commits, frames);  // and the toplevel's initial commit
    EXPECT_EQ(r.totals.presented, frames);
    EXPECT_EQ(r.totals.frame_callbacks, frames);
    EXPECT_EQ(r.totals.releases, frames - 1);
    EXPECT_EQ(r.commits.size(), records_kept);
    EXPECT_EQ(r.commits.back().serial, r.totals.commits);
    EXPECT_LE(r.presentations.size(), records_kept);
    EXPECT_LE(r.frame_callbacks.size(), records_kept);
    EXPECT_EQ(r.releases.size(), records_kept);
    EXPECT_EQ(r.buffers.size(), p.buffers_created());
    EXPECT_TRUE(r.errors.empty());
}

INSTANTIATE_TEST_SUITE_P(Fills, LongRun,
                         testing::Values(Case{"cpu_write", Fill::cpu_write},
                                         Case{"cpu_write_explicit", Fill::cpu_write_explicit},
                                         Case{"pattern_draw", Fill::pattern_draw}),
                         [](const testing::TestParamInfo<Case>& param) { return std::string{param.param.name}; });

}  // namespace
}  // namespace dmafeed::test

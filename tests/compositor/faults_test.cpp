// The producer against a compositor that misbehaves for a long time, with memory and fds measured:
//  - releases withheld for 600 repaints (10 s at 60 Hz, driven by the test's ticks, not a clock):
//    no buffer beyond the pool, the heap and the resident set flat; frames are dropped
//    (FullPolicy::drop) or waited for (try_acquire gives none; acquire times out per the timeout
//    with an error that says so); when releases resume, playing goes on with the same buffers;
//  - the dmabuf feedback changed 1,000 times, each change a rebuild of the pool: the open fds
//    exactly as many, the heap and the resident set flat. The compositor runs in a process of its
//    own here, so that its records of every buffer (kept for the tests that read them) are not
//    counted as the producer's memory.
//  - the open-file limit reached when the compositor sends an fd (a new format table): the
//    kernel drops it, libwayland fails with a bare EINVAL, and the error names the limit, its
//    value and what to do (fd_limit_client, a producer in a process of its own).
//
// Heap bytes in use (mallinfo2) are exact with glibc's per-thread caches of freed chunks off (meson
// runs this test with GLIBC_TUNABLES=glibc.malloc.tcache_count=0, as compositor_long_run); under
// ASan or TSan only the fds and the counts are checked (memory_usage.hpp). Bounds as in long_run_test.cpp.
#include "memfd_allocator.hpp"
#include "test_compositor.hpp"

#include "fd_count.hpp"
#include "memory_usage.hpp"
#include "producer/producer.hpp"
#include "sources/solid.hpp"
#include "util/unique_fd.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <string>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using producer::FullPolicy;
using producer::Producer;
using producer::ProducerConfig;

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
constexpr DrmModifier tiled{0x0100000000000002ULL};  // INTEL:Y_TILED; any non-linear value will do
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
#if DMAFEED_TEST_MEASURES_MEMORY
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

// --- feedback changes ----------------------------------------------------------------------------

constexpr int feedback_changes = 1000;
constexpr int warm_up_changes = 100;
constexpr int frames_per_change = 4;

// The two feedbacks that take turns: the tiled layout preferred (a scanout tranche), or LINEAR only.
FeedbackConfig feedback(bool prefer_tiled, dev_t device)
{
    FeedbackConfig fb;
    fb.main_device = device;
    if (prefer_tiled) fb.tranches.push_back({device, 1, {{xrgb, tiled}}});
    fb.tranches.push_back({device, 0, {{xrgb, modifier_linear}}});
    return fb;
}

// The compositor's process: tells the socket's path on `out`, then changes the feedback at each
// byte read from `in` and answers with a byte, until `in` ends. Never returns.
[[noreturn]] void serve_feedback_changes(int in, int out)
{
    Config config;
    config.tick_on_commit = true;
    config.frame_records_kept = 16;
    config.keep_plane_fds = false;
    config.feedback = feedback(false, config.main_device);
    auto comp = TestCompositor::create(config);
    if (!comp.ok()) _exit(2);
    const char* dir = std::getenv("XDG_RUNTIME_DIR");
    const std::string path = std::string{dir ? dir : ""} + "/" + (*comp)->socket_name() + "\n";
    if (write(out, path.data(), path.size()) != static_cast<ssize_t>(path.size())) _exit(3);
    bool prefer_tiled = false;
    char byte = 0;
    while (read(in, &byte, 1) == 1) {
        prefer_tiled = !prefer_tiled;
        (*comp)->set_feedback(feedback(prefer_tiled, config.main_device));
        if (write(out, &byte, 1) != 1) _exit(4);
    }
    const bool clean = (*comp)->records().errors.empty();
    comp->reset();
    _exit(clean ? 0 : 5);
}

TEST(FeedbackChanges, AThousandChangesKeepFdsAndMemoryFlat)
{
    int to_child[2];
    int from_child[2];
    ASSERT_EQ(pipe2(to_child, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(from_child, O_CLOEXEC), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork: " << errno;
    if (child == 0) {
        close(to_child[1]);
        close(from_child[0]);
        serve_feedback_changes(to_child[0], from_child[1]);
    }
    close(to_child[0]);
    close(from_child[1]);
    UniqueFd to{to_child[1]};
    UniqueFd from{from_child[0]};
    std::string path;
    for (char c = 0; read(from.get(), &c, 1) == 1 && c != '\n';) path += c;
    ASSERT_FALSE(path.empty()) << "the compositor's process did not start";

    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}, {xrgb, tiled}}};
    auto made = Producer::create(config_for(path, memfd));
    ASSERT_TRUE(made.ok()) << made.error().message();
    Producer& p = **made;
    auto colour = sources::SolidFrame::make(xrgb, width, height, {10, 20, 30});
    ASSERT_TRUE(colour.ok());
    const std::vector<PlanePixels> planes = colour->planes();

    (void)memory_usage();
    MemoryUsage warm{};
    int warm_fds = -1;
    uint64_t warm_buffers = 0;
    for (int change = 1; change <= feedback_changes; ++change) {
        char byte = 'c';
        ASSERT_EQ(write(to.get(), &byte, 1), 1);
        ASSERT_EQ(read(from.get(), &byte, 1), 1) << "the compositor's process ended at change " << change;
        // The change is on the socket now: the next acquire sees it and rebuilds the pool; the old
        // buffers go as the new ones replace them on screen.
        for (int i = 0; i < frames_per_change; ++i) {
            auto frame = p.acquire();
            ASSERT_TRUE(frame.ok() && *frame) << "change " << change << ", frame " << i << ": "
                                              << (frame.ok() ? "dropped" : frame.error().message());
            ASSERT_TRUE(fill_and_queue(p, **frame, planes));
            ASSERT_TRUE(p.wait_for_frame().ok());
        }
        ASSERT_EQ(p.rebuilds(), static_cast<uint64_t>(change));
        ASSERT_EQ(p.choice()->candidate.pair.modifier, change % 2 ? tiled : modifier_linear) << "change " << change;
        if (change == warm_up_changes) {
            warm = memory_usage();
            warm_fds = open_fd_count();
            warm_buffers = p.buffer_count();
        }
    }
    const MemoryUsage end = memory_usage();
    const int end_fds = open_fd_count();
    std::printf("%d feedback changes, %llu buffers made: after %d: %s, %d fds; at the end: %s, %d fds\n",
                feedback_changes, static_cast<unsigned long long>(p.buffers_created()), warm_up_changes,
                to_string(warm).c_str(), warm_fds, to_string(end).c_str(), end_fds);
    EXPECT_EQ(end_fds, warm_fds) << open_fd_list();
    EXPECT_EQ(p.buffer_count(), warm_buffers);
    EXPECT_LE(p.buffer_count(), 3u);
    expect_flat(warm, end);

    made->reset();
    to.reset();  // the compositor's process ends
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the compositor's process: status " << status;
}

// --- the open-file limit --------------------------------------------------------------------------

// Everything readable from `fd` until it ends or `done` is in what was read; at most `timeout`.
std::string read_until(int fd, const std::string& done, std::chrono::milliseconds timeout)
{
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (done.empty() || out.find(done) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd pfd{.fd = fd, .events = POLLIN, .revents = 0};
        if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
        char buf[512];
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

TEST(FdLimit, AnFdTheCompositorSendsPastTheLimitIsAnErrorThatNamesTheLimit)
{
    auto comp = TestCompositor::create(Config{});
    ASSERT_TRUE(comp.ok()) << comp.error().message();
    int out[2];
    int err[2];
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(err, O_CLOEXEC), 0);
    const std::string socket = (*comp)->socket_name();
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork: " << errno;
    if (child == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execl(FD_LIMIT_CLIENT_PATH, FD_LIMIT_CLIENT_PATH, socket.c_str(), "32", static_cast<char*>(nullptr));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    UniqueFd out_r{out[0]};
    UniqueFd err_r{err[0]};
    const std::string said = read_until(out_r.get(), "full", 10s);
    EXPECT_NE(said.find("full"), std::string::npos) << "the client did not fill its fd table";
    // A new feedback: its format table is an fd the client has no room for.
    FeedbackConfig fb = FeedbackConfig::single(Config{}.main_device, FormatSet{{xrgb, modifier_linear}});
    (*comp)->set_feedback(fb);
    const std::string errors = read_until(err_r.get(), "", 10s);
    int status = 0;
    pid_t waited = 0;
    for (int i = 0; i < 100 && waited == 0; ++i) {
        waited = waitpid(child, &status, WNOHANG);
        if (waited == 0) poll(nullptr, 0, 100);
    }
    if (waited == 0) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        FAIL() << "the client still ran 10 s after the feedback change\n" << errors;
    }
    std::printf("%s", errors.c_str());
    ASSERT_TRUE(WIFEXITED(status)) << "the client died by signal " << WTERMSIG(status) << "\n" << errors;
    EXPECT_EQ(WEXITSTATUS(status), 1) << errors;
    EXPECT_NE(errors.find("the connection to the compositor broke"), std::string::npos) << errors;
    EXPECT_NE(errors.find("of its 32 open files (RLIMIT_NOFILE)"), std::string::npos) << "the error does not name the limit\n" << errors;
    EXPECT_NE(errors.find("ulimit -n"), std::string::npos) << "the error does not say what to do\n" << errors;
}

}  // namespace
}  // namespace dmafeed::test

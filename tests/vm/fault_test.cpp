// Faults of a real compositor, in the nodrm guest: weston killed (SIGKILL) or stopped (SIGSTOP)
// while dmafeed streams to it, and a dmafeed process with very few file descriptors. Each test
// starts its own weston on its own socket, so that killing or stopping it leaves the suite's
// shared weston alone. What is checked: the program ends (never hangs, never dies of a signal)
// with status 1 and a message that names what happened; the library's calls fail at once once
// the connection is gone, and destroying the producer gives back every fd it had.
#include "vm_session.hpp"

#include "child_process.hpp"
#include "dmafeed/dmafeed.hpp"
#include "fd_count.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <drm_fourcc.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dmafeed::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int exit_code(const ExitStatus& st) { return WIFEXITED(st.raw) ? WEXITSTATUS(st.raw) : -1; }

long ms_since(Clock::time_point t)
{
    return static_cast<long>(std::chrono::duration_cast<milliseconds>(Clock::now() - t).count());
}

std::string read_file(const std::string& path)
{
    std::ifstream in{path};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The first line of `text` that holds `part`, or "".
std::string line_with(const std::string& text, const std::string& part)
{
    const auto at = text.find(part);
    if (at == std::string::npos) return {};
    const auto begin = text.rfind('\n', at);
    const auto end = text.find('\n', at);
    return text.substr(begin == std::string::npos ? 0 : begin + 1, end == std::string::npos ? std::string::npos : end - begin - 1);
}

// The pid of the weston this process started with --socket=`socket` (a child of this process), or -1.
pid_t weston_pid(const std::string& socket)
{
    pid_t found = -1;
    DIR* proc = opendir("/proc");
    if (!proc) return found;
    while (const dirent* e = readdir(proc)) {
        const int pid = std::atoi(e->d_name);
        if (pid <= 0) continue;
        const std::string dir = "/proc/" + std::string{e->d_name};
        // stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
        const std::string stat = read_file(dir + "/stat");
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest{stat.substr(close + 1)};
        char state = 0;
        int ppid = 0;
        rest >> state >> ppid;
        if (ppid != getpid()) continue;
        std::string cmdline = read_file(dir + "/cmdline");
        for (char& c : cmdline) {
            if (c == '\0') c = ' ';
        }
        if (cmdline.find("--socket=" + socket + " ") != std::string::npos) {
            found = pid;
            break;
        }
    }
    closedir(proc);
    return found;
}

class NodrmFaults : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (vm_setup() != "nodrm") {
            GTEST_SKIP() << "needs the 'nodrm' VM set-up, this is '" << vm_setup() << "'";
        }
        name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        WestonOptions options;
        options.socket = "dmafeed-fault-" + std::to_string(getpid()) + "-" + std::to_string(++started_);
        options.log_path = artifacts_dir() + "/fault-" + name_ + "-weston.log";
        auto started = Weston::start(options);
        ASSERT_TRUE(started.ok()) << started.error().message();
        weston_ = std::move(started).value();
        pid_ = weston_pid(weston_->socket());
        ASSERT_GT(pid_, 0) << "this test's weston (socket " << weston_->socket() << ") is not in /proc";
    }

    std::string log_path(const std::string& what) { return artifacts_dir() + "/fault-" + name_ + "-" + what + ".log"; }

    // dmafeed (`program`) against this test's weston; its stdout+stderr go to log_path(what).
    Result<ChildProcess> spawn(const std::string& what, const std::vector<std::string>& argv,
                               std::map<std::string, std::string> env = {})
    {
        env["WAYLAND_DISPLAY"] = weston_->socket();
        std::error_code ec;
        std::filesystem::remove(log_path(what), ec);  // the child appends: no lines of an earlier run
        return ChildProcess::spawn({.argv = argv, .env = env, .output_path = log_path(what), .cwd = {}});
    }

    // Waits (at most `timeout`) until dmafeed's log (DMAFEED_DEBUG=1) has `line`, e.g. "frame 2:
    // committed" once it streams. False if it ended or the time passed.
    bool wait_for_line(ChildProcess& child, const std::string& what, const std::string& line, milliseconds timeout)
    {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            if (read_file(log_path(what)).find(line) != std::string::npos) return true;
            if (child.poll()) return false;
            std::this_thread::sleep_for(milliseconds{50});
        }
        return false;
    }

    // SIGKILL to this test's weston, then waits until it is reaped (its end of every connection is
    // closed then). True once it is gone.
    bool kill_weston()
    {
        if (::kill(pid_, SIGKILL) != 0) return false;
        const auto deadline = Clock::now() + std::chrono::seconds{10};
        while (Clock::now() < deadline) {
            if (!weston_->death_report().empty()) return true;
            std::this_thread::sleep_for(milliseconds{10});
        }
        return false;
    }

    void expect_exit_after_the_compositors_death(bool set_up_done);

    static inline int started_ = 0;
    std::string name_;
    std::unique_ptr<Weston> weston_;
    pid_t pid_ = -1;
};

// dmafeed streaming against this test's weston (DMAFEED_DEBUG=1 logs each commit): after its third
// frame, and with `set_up_done` after the quick start's Vulkan set-up too, weston is killed; the CLI
// must exit 1 within 2 s, saying that the connection to the compositor was lost.
void NodrmFaults::expect_exit_after_the_compositors_death(bool set_up_done)
{
    // --timeout 30000: weston's first GL composite under TCG can take seconds on a busy host (no
    // frame callback within the default 5 s was seen once); the death is noticed at once anyway.
    auto child = spawn("cli",
                       {DMAFEED_TOOL_PATH, "--frames", "100000", "--fps", "30", "--pattern", "moving-box", "--timeout", "30000"},
                       {{"DMAFEED_DEBUG", "1"}});
    ASSERT_TRUE(child.ok()) << child.error().message();
    ASSERT_TRUE(wait_for_line(*child, "cli", "frame 2: committed", milliseconds{60000}))
        << "dmafeed did not commit 3 frames within 60 s\n" << read_file(log_path("cli"));
    if (set_up_done) {
        // Steady streaming: the quick start's Vulkan set-up is done and its allocators adopted.
        ASSERT_TRUE(wait_for_line(*child, "cli", " ready after ", milliseconds{60000}))
            << "the Vulkan set-up in the background did not end within 60 s\n" << read_file(log_path("cli"));
        std::this_thread::sleep_for(milliseconds{300});
    }
    const bool set_up_running = read_file(log_path("cli")).find(" ready after ") == std::string::npos;
    const auto killed = Clock::now();
    ASSERT_TRUE(kill_weston()) << "weston did not end on SIGKILL";
    auto st = child->wait_for(milliseconds{2000});
    const long took = ms_since(killed);
    if (!st) st = child->wait_for(milliseconds{20000});  // how long it did take, for the message
    const std::string out = read_file(log_path("cli"));
    ASSERT_TRUE(st.has_value()) << "dmafeed still runs 22 s after the compositor died\n" << out;
    EXPECT_LE(took, 2000) << "dmafeed ended " << ms_since(killed) << " ms after the compositor died\n" << out;
    EXPECT_EQ(exit_code(*st), 1) << st->describe() << "\n" << out;
    const std::string message = line_with(out, "connection to the compositor");
    std::printf("after SIGKILL to weston (the Vulkan set-up %s), dmafeed ended in %ld ms (%s): %s\n",
                set_up_running ? "still running" : "done", took, st->describe().c_str(), message.c_str());
    EXPECT_FALSE(message.empty()) << "the output does not say that the connection to the compositor was lost\n" << out;
}

TEST_F(NodrmFaults, TheCliExitsWith1WithinTwoSecondsOfTheCompositorsDeathNamingIt)
{
    expect_exit_after_the_compositors_death(true);
}

// The quick start's Vulkan set-up takes seconds on lavapipe under TCG, so right after the third
// frame it is still running (the test prints whether it was): the CLI leaves without waiting for
// it (it used to, about 1.8 s), and the 2 s bound holds either way.
TEST_F(NodrmFaults, TheCliExitsWithin2SecondsWhenTheCompositorDiesDuringTheVulkanSetUp)
{
    expect_exit_after_the_compositors_death(false);
}

TEST_F(NodrmFaults, TheLibraryFailsAtOnceWhenTheCompositorDiesAndGivesBackEveryFd)
{
    dmafeed::Config config;
    config.display = weston_->socket();
    config.format = DRM_FORMAT_XRGB8888;
    config.allocator = AllocatorKind::vulkan;
    config.timeout_ms = 5000;
    config.title = "dmafeed fault test";
    std::string error;
    // One producer made and destroyed first: what the Vulkan loader and driver keep open for the
    // process's life (their first use) is then in the baseline.
    {
        auto warm = Producer::create(config, &error);
        ASSERT_TRUE(warm) << error;
        Frame* frame = warm->acquire(20000, &error);
        ASSERT_NE(frame, nullptr) << error;
        ASSERT_TRUE(warm->queue(*frame, 0, &error)) << error;
        ASSERT_TRUE(warm->wait_for_frame(&error)) << error;
    }
    const int before = open_fd_count();
    const std::string fds_before = open_fd_list();
    {
        // p waits for a frame when weston dies; q queues a frame it acquired before.
        auto p = Producer::create(config, &error);
        ASSERT_TRUE(p) << error;
        auto q = Producer::create(config, &error);
        ASSERT_TRUE(q) << error;
        for (Producer* each : {p.get(), q.get()}) {
            for (uint64_t i = 0; i < 3; ++i) {
                Frame* frame = each->acquire(20000, &error);
                ASSERT_NE(frame, nullptr) << error;
                ASSERT_TRUE(each->queue(*frame, i * 33'333'333, &error)) << error;
                ASSERT_TRUE(each->wait_for_frame(&error)) << error;
            }
        }
        ASSERT_GT(open_fd_count(), before) << "the producers hold their connections and their buffers' fds";
        Frame* held = q->acquire(20000, &error);
        ASSERT_NE(held, nullptr) << error;
        Frame* pending = p->acquire(20000, &error);
        ASSERT_NE(pending, nullptr) << error;
        // Committed while weston is stopped, so that its frame callback cannot come before weston
        // dies: wait_for_frame() has a frame to wait for.
        ASSERT_EQ(::kill(pid_, SIGSTOP), 0);
        ASSERT_TRUE(p->queue(*pending, 3 * 33'333'333, &error)) << error;
        ASSERT_TRUE(kill_weston()) << "weston did not end on SIGKILL";

        auto t = Clock::now();
        error.clear();
        EXPECT_FALSE(p->wait_for_frame(&error)) << "wait_for_frame() succeeded with the compositor gone";
        long took = ms_since(t);
        std::printf("wait_for_frame() after the compositor's death: %ld ms, \"%s\"\n", took, error.c_str());
        EXPECT_FALSE(error.empty());
        EXPECT_LT(took, config.timeout_ms);

        t = Clock::now();
        error.clear();
        EXPECT_FALSE(q->queue(*held, 3 * 33'333'333, &error)) << "queue() succeeded with the compositor gone";
        took = ms_since(t);
        std::printf("queue() after the compositor's death: %ld ms, \"%s\"\n", took, error.c_str());
        EXPECT_FALSE(error.empty());
        EXPECT_LT(took, config.timeout_ms);

        for (Producer* each : {p.get(), q.get()}) {  // and every later call: a broken connection stays broken
            t = Clock::now();
            error.clear();
            Frame* frame = each->acquire(config.timeout_ms, &error);
            took = ms_since(t);
            std::printf("acquire(%d ms) after the compositor's death: %ld ms, \"%s\"\n", config.timeout_ms, took, error.c_str());
            EXPECT_EQ(frame, nullptr) << "acquire() gave a frame with the compositor gone";
            EXPECT_NE(error.find("connection to the compositor"), std::string::npos) << error;
            EXPECT_LT(took, config.timeout_ms);
            error.clear();
            EXPECT_FALSE(each->dispatch(&error));
            EXPECT_FALSE(error.empty());
        }
        t = Clock::now();
        p.reset();
        q.reset();
        std::printf("the producers were destroyed in %ld ms\n", ms_since(t));
    }
    EXPECT_EQ(open_fd_count(), before) << "before the producer:\n" << fds_before << "after it:\n" << open_fd_list();
}

TEST_F(NodrmFaults, TheCliExitsWith1NamingTheWaitThatTimedOutWhenTheCompositorIsStopped)
{
    // A first client, so that weston's first repaint (llvmpipe compiling its shaders, seconds
    // under emulation) is behind it before a client that waits at most 2 s for each answer.
    auto before = spawn("cli-before", {DMAFEED_TOOL_PATH, "--frames", "5", "--timeout", "30000"});
    ASSERT_TRUE(before.ok()) << before.error().message();
    auto st0 = before->wait_for(milliseconds{90000});
    ASSERT_TRUE(st0.has_value() && st0->clean()) << read_file(log_path("cli-before"));

    auto child = spawn("cli", {DMAFEED_TOOL_PATH, "--frames", "100000", "--fps", "30", "--timeout", "2000"},
                       {{"DMAFEED_DEBUG", "1"}});
    ASSERT_TRUE(child.ok()) << child.error().message();
    ASSERT_TRUE(wait_for_line(*child, "cli", "frame 2: committed", milliseconds{60000}))
        << "dmafeed did not commit 3 frames within 60 s\n" << read_file(log_path("cli"));
    const auto stopped = Clock::now();
    ASSERT_EQ(::kill(pid_, SIGSTOP), 0);
    // --timeout 2000 bounds every wait; 10 s more for the slow guest.
    auto st = child->wait_for(milliseconds{12000});
    const long took = ms_since(stopped);
    ASSERT_EQ(::kill(pid_, SIGCONT), 0);
    const std::string out = read_file(log_path("cli"));
    ASSERT_TRUE(st.has_value()) << "dmafeed still runs 12 s after the compositor stopped (--timeout 2000)\n" << out;
    EXPECT_EQ(exit_code(*st), 1) << st->describe() << "\n" << out;
    // Whichever wait it was in (the frame callback, a buffer's release, a roundtrip), the message
    // names it and the 2000 ms it waited.
    const std::string message = line_with(out, "2000 ms");
    std::printf("with weston stopped, dmafeed --timeout 2000 ended in %ld ms (%s): %s\n", took, st->describe().c_str(),
                message.c_str());
    EXPECT_FALSE(message.empty()) << "the output does not name the wait and its timeout\n" << out;
    EXPECT_GE(took, 2000 - 100) << "it ended before its timeout\n" << out;

    // Continued, weston serves a new client, then stops cleanly.
    auto again = spawn("cli-after", {DMAFEED_TOOL_PATH, "--frames", "3", "--timeout", "30000"});
    ASSERT_TRUE(again.ok()) << again.error().message();
    auto st2 = again->wait_for(milliseconds{90000});
    const std::string out2 = read_file(log_path("cli-after"));
    ASSERT_TRUE(st2.has_value()) << "dmafeed --frames 3 did not finish within 90 s after SIGCONT\n" << out2;
    EXPECT_TRUE(st2->clean()) << st2->describe() << "\n" << out2;
    auto stop = weston_->stop();
    EXPECT_TRUE(stop.ok()) << stop.error().message();
}

TEST_F(NodrmFaults, With24FileDescriptorsTheCliRunsOrNamesTheLimit)
{
    // RLIMIT_NOFILE 24: dmafeed plays 10 frames (exit 0) or fails with status 1 and an error that
    // names the limit, never a signal: with the quick start (udmabuf buffers, then Vulkan's), with
    // every allocator set up first, and with Vulkan buffers drawn by the GPU shader. The limit is
    // set in the shell that then becomes dmafeed: the test program keeps its own.
    const std::vector<std::vector<std::string>> runs{{}, {"--no-quick-start"}, {"--allocator", "vulkan", "--render", "gpu"}};
    for (size_t i = 0; i < runs.size(); ++i) {
        std::string options;
        for (const std::string& o : runs[i]) options += " " + o;
        SCOPED_TRACE("ulimit -n 24; dmafeed" + options);
        const std::string what = "cli-nofile-" + std::to_string(i);
        auto child = spawn(what, {"sh", "-c", "ulimit -n 24 && exec \"$0\" --frames 10 --fps 30 --timeout 20000" + options,
                                  DMAFEED_TOOL_PATH});
        ASSERT_TRUE(child.ok()) << child.error().message();
        auto st = child->wait_for(milliseconds{120000});
        const std::string out = read_file(log_path(what));
        ASSERT_TRUE(st.has_value()) << "dmafeed did not finish within 120 s\n" << out;
        const std::string named = line_with(out, "RLIMIT_NOFILE");
        std::printf("ulimit -n 24; dmafeed --frames 10%s: %s%s%s\n", options.c_str(), st->describe().c_str(),
                    named.empty() ? "" : "\n  ", named.c_str());
        ASSERT_TRUE(WIFEXITED(st->raw)) << "dmafeed died: " << st->describe() << "\n" << out;
        if (exit_code(*st) == 0) continue;
        EXPECT_EQ(exit_code(*st), 1) << out;
        EXPECT_FALSE(named.empty()) << "the failure does not name the fd limit\n" << out;
    }
}

}  // namespace
}  // namespace dmafeed::test

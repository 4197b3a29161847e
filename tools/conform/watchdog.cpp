#include "watchdog.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <execinfo.h>
#include <filesystem>
#include <pthread.h>
#include <fstream>
#include <sstream>
#include <sys/syscall.h>
#include <unistd.h>

namespace dmafeed::conform {
namespace {

constexpr int backtrace_signal = SIGUSR2;
std::atomic<bool> backtrace_written{false};

// Runs on the stuck thread (if it can take a signal at all: not in an uninterruptible wait).
// backtrace() was called once before, so it does not load libgcc here.
void write_backtrace(int)
{
    static constexpr char header[] = "  user-space stack of the thread running the case:\n";
    (void)!::write(STDERR_FILENO, header, sizeof header - 1);
    void* frames[64];
    const int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    static constexpr char hint[] = "  (names for FILE(+OFFSET): addr2line -f -C -e FILE OFFSET)\n";
    (void)!::write(STDERR_FILENO, hint, sizeof hint - 1);
    backtrace_written = true;
}

std::string read_text(const std::filesystem::path& path)
{
    std::ifstream in{path};
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

// "S (sleeping)" from /proc/.../status.
std::string thread_state(const std::filesystem::path& task)
{
    std::ifstream in{task / "status"};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("State:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 6));
    }
    return "?";
}

pid_t current_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

}  // namespace

Watchdog::Watchdog(std::chrono::milliseconds limit, std::function<void()> before_exit)
    : limit_{limit}, before_exit_{std::move(before_exit)}
{
    void* warm[1];
    (void)backtrace(warm, 1);
    struct sigaction sa {};
    sa.sa_handler = write_backtrace;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(backtrace_signal, &sa, nullptr);
    thread_ = std::thread{[this] { watch(); }};
    pthread_setname_np(thread_.native_handle(), "watchdog");
}

Watchdog::~Watchdog()
{
    {
        std::lock_guard lock{mutex_};
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Watchdog::arm(std::string_view case_id)
{
    {
        std::lock_guard lock{mutex_};
        case_id_ = case_id;
        tid_ = current_tid();
        deadline_ = std::chrono::steady_clock::now() + limit_;
    }
    wake_.notify_all();
}

void Watchdog::disarm()
{
    {
        std::lock_guard lock{mutex_};
        deadline_.reset();
    }
    wake_.notify_all();
}

void Watchdog::watch()
{
    std::unique_lock lock{mutex_};
    while (!stop_) {
        if (!deadline_) {
            wake_.wait(lock);
            continue;
        }
        if (std::chrono::steady_clock::now() >= *deadline_) {
            const std::string id = case_id_;
            const pid_t tid = tid_;
            lock.unlock();
            report_and_exit(id, tid);
        }
        const auto deadline = *deadline_;
        wake_.wait_until(lock, deadline);
    }
}

void Watchdog::report_and_exit(const std::string& case_id, pid_t tid)
{
    namespace fs = std::filesystem;
    std::fprintf(stderr,
                 "\ndmafeed-conform: the case %s has not ended after %.1f s: it is stuck (the run ends here, exit "
                 "status %d). Where each thread waits:\n",
                 case_id.c_str(), std::chrono::duration<double>(limit_).count(), stuck_exit_status);
    const std::string self = std::to_string(current_tid()), stuck = std::to_string(tid);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator{"/proc/self/task", ec}) {
        const fs::path task = entry.path();
        const std::string name = task.filename().string();
        if (name == self) continue;  // this one, writing the report
        std::fprintf(stderr, "  thread %s (%s)%s: state %s, in the kernel at %s\n", name.c_str(), read_text(task / "comm").c_str(),
                     name == stuck ? ", running the case" : "", thread_state(task).c_str(),
                     read_text(task / "wchan").c_str());
        const std::string stack = read_text(task / "stack");
        std::istringstream lines{stack};
        for (std::string line; std::getline(lines, line);) std::fprintf(stderr, "    %s\n", line.c_str());
    }
    std::fflush(stderr);
    if (tid > 0 && ::syscall(SYS_tgkill, getpid(), tid, backtrace_signal) == 0) {
        for (int i = 0; i < 100 && !backtrace_written; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
        if (!backtrace_written) {
            std::fprintf(stderr, "  (the thread running the case took no signal in 1 s: an uninterruptible wait)\n");
        }
    }
    if (before_exit_) before_exit_();
    std::fflush(stderr);
    std::_Exit(stuck_exit_status);
}

}  // namespace dmafeed::conform

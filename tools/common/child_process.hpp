// A child process (the compositor dmafeed-conform --spawn starts; weston and weston-screenshooter in
// the vm suite's fixtures): spawned with extra environment, output to a file, waited for with a
// deadline, killed if it overstays.
#pragma once

#include "util/result.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dmafeed {

struct SpawnOptions {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;  // added to (or replacing in) this process's environment
    std::string output_path;                 // stdout+stderr; empty: inherit
    std::string cwd;                         // empty: inherit
};

// How a child ended, as a sentence: "exited with status 0", "killed by signal 11 (Segmentation fault)".
struct ExitStatus {
    int raw = 0;
    // Still there 5 s after SIGKILL: stuck in the kernel (uninterruptible sleep); `wchan` names the
    // kernel function it waits in, where /proc tells. Not reaped.
    bool stuck = false;
    std::string wchan;
    bool clean() const;  // exited with status 0
    std::string describe() const;
};

class ChildProcess {
public:
    static Result<ChildProcess> spawn(const SpawnOptions& options);

    ChildProcess(ChildProcess&& o) noexcept;
    ChildProcess& operator=(ChildProcess&&) = delete;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();  // SIGKILL + reap if still running (waiting at most 5 s: see ExitStatus::stuck)

    pid_t pid() const noexcept { return pid_; }
    // Non-blocking: the exit status once the child has ended (reaped once, then remembered).
    std::optional<ExitStatus> poll();
    // Waits up to `timeout`; nullopt when the child is still running.
    std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
    // SIGTERM, then SIGKILL after `grace`. Returns how it ended.
    ExitStatus terminate(std::chrono::milliseconds grace);

private:
    explicit ChildProcess(pid_t pid) : pid_{pid} {}
    pid_t pid_ = -1;
    std::optional<ExitStatus> status_;
};

// The last `lines` lines of a text file (for showing a log when something failed).
std::string file_tail(const std::string& path, size_t lines);

}  // namespace dmafeed

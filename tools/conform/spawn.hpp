// --spawn: the compositor as a child of dmafeed-conform, so that its open files can be counted
// from outside (/proc/PID/fd) before and after the cases: a compositor that keeps a dma-buf, a
// memfd or a socket of a client that is gone shows up as a leak, with the files it kept.
#pragma once

#include "case.hpp"
#include "child_process.hpp"
#include "util/result.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dmafeed::conform {

class SpawnedCompositor {
public:
    // Runs `command` with `sh -c 'exec COMMAND'` and WAYLAND_DISPLAY set to `socket` (the command
    // names it: `weston --backend=headless --socket=$WAYLAND_DISPLAY`), output into `log_path`,
    // and waits until a client can connect to `socket` (bounded by `timeout`). The error carries the
    // log's tail when it exits or never listens.
    static Result<std::unique_ptr<SpawnedCompositor>> start(const std::string& command, const std::string& socket,
                                                            const std::string& log_path,
                                                            std::chrono::milliseconds timeout);
    ~SpawnedCompositor();

    pid_t pid() const noexcept { return child_.pid(); }
    const std::string& log_path() const noexcept { return log_path_; }
    // Empty while it runs; otherwise how it ended and its log's tail.
    std::string death_report();
    // How it ended, once it has (waiting up to `grace` for that); nullopt while it runs.
    std::optional<ExitStatus> ended(std::chrono::milliseconds grace = std::chrono::milliseconds{0});
    // SIGTERM, then SIGKILL after 5 s.
    ExitStatus stop();

    // Its open files now: fd number -> what /proc/PID/fd/N links to.
    Result<std::map<int, std::string>> open_files() const;
    // open_files() once the count has held still for `quiet` (bounded by `timeout`): a compositor
    // closes a client's files as it handles the disconnect, a moment after the client is gone.
    Result<std::map<int, std::string>> settled_files(std::chrono::milliseconds quiet, std::chrono::milliseconds timeout,
                                                     size_t hoped_for = 0) const;

private:
    SpawnedCompositor(ChildProcess child, std::string log_path) : child_{std::move(child)}, log_path_{std::move(log_path)} {}
    ChildProcess child_;
    std::string log_path_;
};

// A spawned compositor that is started again when it dies during a case, so that a crash costs
// that case and not the rest of the run. After each case, `after_case` looks at the compositor
// (waiting a moment when the case ended with a broken connection, which a compositor's death
// gives before its exit status is there); when it has died, the case becomes `crashed`, its
// detail saying how the compositor ended and how its log ends, and the compositor is started again
// with the same command, environment, socket and log (appended to). After `max_in_a_row` crashed
// cases in a row, or a restart that fails, it stays down: `gone()` says why, and the runners record
// the cases left as `not-run` with that reason.
class Supervisor {
public:
    struct Settings {
        std::string command;
        std::string socket;
        std::string log_path;
        std::chrono::milliseconds start_timeout{60000};  // for the socket, at every start
        std::chrono::milliseconds death_grace{1000};     // after a broken connection
        int max_in_a_row = 3;
    };
    static Result<std::unique_ptr<Supervisor>> start(Settings settings);

    SpawnedCompositor& compositor() noexcept { return *compositor_; }
    // The running compositor's pid (any thread: the watchdog kills it).
    pid_t pid() const noexcept { return pid_.load(); }
    // See above. True when the compositor was started again: connections to the old one (a
    // capturer's) are dead, and its open files are those of a new process.
    bool after_case(CaseResult& result);
    // Why no case can run any more, or nullopt.
    const std::optional<std::string>& gone() const noexcept { return gone_; }
    size_t crashes() const noexcept { return crashes_; }
    // One line per crash and what followed, for the run's notes.
    const std::vector<std::string>& notes() const noexcept { return notes_; }

private:
    explicit Supervisor(Settings settings) : settings_{std::move(settings)} {}
    Settings settings_;
    std::unique_ptr<SpawnedCompositor> compositor_;
    std::atomic<pid_t> pid_{0};
    std::optional<std::string> gone_;
    size_t crashes_ = 0;
    int in_a_row_ = 0;
    std::vector<std::string> notes_;
};

// The leak case: `before` and `after` the cases it covers. "no-leak" when the counts are equal,
// "leak" with the files that are new (and the count of those gone) otherwise.
CaseResult leak_case(const std::string& id, const std::map<int, std::string>& before,
                     const std::map<int, std::string>& after, double seconds);

}  // namespace dmafeed::conform

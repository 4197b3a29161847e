// --spawn: the compositor as a child of dmafeed-conform, so that its open files can be counted
// from outside (/proc/PID/fd) before and after the cases: a compositor that keeps a dma-buf, a
// memfd or a socket of a client that is gone shows up as a leak, with the files it kept.
#pragma once

#include "case.hpp"
#include "child_process.hpp"
#include "util/result.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>

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
    // Empty while it runs; otherwise how it ended and its log's tail.
    std::string death_report();
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

// The leak case: `before` and `after` the cases it covers. "no-leak" when the counts are equal,
// "leak" with the files that are new (and the count of those gone) otherwise.
CaseResult leak_case(const std::string& id, const std::map<int, std::string>& before,
                     const std::map<int, std::string>& after, double seconds);

}  // namespace dmafeed::conform

#include "spawn.hpp"

#include "wl/connection.hpp"

#include <cerrno>
#include <climits>
#include <dirent.h>
#include <thread>
#include <unistd.h>

namespace dmafeed::conform {

Result<std::unique_ptr<SpawnedCompositor>> SpawnedCompositor::start(const std::string& command, const std::string& socket,
                                                                    const std::string& log_path,
                                                                    std::chrono::milliseconds timeout)
{
    SpawnOptions options{.argv = {"sh", "-c", "exec " + command},
                         .env = {{"WAYLAND_DISPLAY", socket}},
                         .output_path = log_path,
                         .cwd = {}};
    auto child = ChildProcess::spawn(options);
    if (!child) return std::move(child).error().context("--spawn");
    std::unique_ptr<SpawnedCompositor> spawned{new SpawnedCompositor{std::move(child).value(), log_path}};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last_error;
    while (std::chrono::steady_clock::now() < deadline) {
        if (std::string death = spawned->death_report(); !death.empty()) {
            return Error{"--spawn: the compositor " + death};
        }
        auto connection = wl::Connection::connect(socket.c_str());
        if (connection) {
            if (auto ok = (*connection)->roundtrip(); ok) return spawned;
        } else {
            last_error = connection.error().message();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    return Error{"--spawn: no compositor listens on " + socket + " after " + std::to_string(timeout.count() / 1000) +
                 " s (" + last_error + "); did the command use --socket=$WAYLAND_DISPLAY? Its log (" + log_path +
                 ") ends with:\n" + file_tail(log_path, 15)};
}

SpawnedCompositor::~SpawnedCompositor() { stop(); }

std::string SpawnedCompositor::death_report()
{
    const auto status = child_.poll();
    if (!status) return {};
    return status->describe() + "; its log (" + log_path_ + ") ends with:\n" + file_tail(log_path_, 15);
}

ExitStatus SpawnedCompositor::stop() { return child_.terminate(std::chrono::seconds{5}); }

Result<std::map<int, std::string>> SpawnedCompositor::open_files() const
{
    const std::string dir_path = "/proc/" + std::to_string(child_.pid()) + "/fd";
    DIR* dir = opendir(dir_path.c_str());
    if (!dir) return Error::from_errno("open " + dir_path, errno);
    std::map<int, std::string> files;
    while (const dirent* e = readdir(dir)) {
        if (e->d_name[0] == '.') continue;
        char target[PATH_MAX];
        const std::string link = dir_path + "/" + e->d_name;
        const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
        files[std::atoi(e->d_name)] = n > 0 ? std::string{target, static_cast<size_t>(n)} : "?";
    }
    closedir(dir);
    return files;
}

Result<std::map<int, std::string>> SpawnedCompositor::settled_files(std::chrono::milliseconds quiet,
                                                                    std::chrono::milliseconds timeout,
                                                                    size_t hoped_for) const
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto files = open_files();
    if (!files) return files;
    auto still_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        auto now = open_files();
        if (!now) return now;
        if (now->size() != files->size()) {
            files = std::move(now);
            still_since = std::chrono::steady_clock::now();
            continue;
        }
        files = std::move(now);
        const bool quiet_enough = std::chrono::steady_clock::now() - still_since >= quiet;
        if (quiet_enough && (hoped_for == 0 || files->size() <= hoped_for)) break;
    }
    return files;
}

CaseResult leak_case(const std::string& id, const std::map<int, std::string>& before,
                     const std::map<int, std::string>& after, double seconds)
{
    CaseResult r;
    r.id = id;
    r.seconds = seconds;
    std::string added;
    size_t added_count = 0;
    for (const auto& [fd, target] : after) {
        auto it = before.find(fd);
        if (it == before.end() || it->second != target) {
            if (added_count < 8) added += (added.empty() ? "" : ", ") + std::to_string(fd) + " -> " + target;
            ++added_count;
        }
    }
    r.outcome = after.size() > before.size() ? "leak" : "no-leak";
    r.detail = std::to_string(before.size()) + " open files before, " + std::to_string(after.size()) + " after";
    if (after.size() > before.size()) {
        r.detail += " (+" + std::to_string(after.size() - before.size()) + "); new: " + added +
                    (added_count > 8 ? ", ..." : "");
    } else if (after.size() < before.size()) {
        r.detail += " (fewer: the compositor closed files it had at the start)";
    }
    return r;
}

}  // namespace dmafeed::conform

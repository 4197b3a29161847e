#include "spawn.hpp"

#include "wl/connection.hpp"

#include <cerrno>
#include <climits>
#include <dirent.h>
#include <fstream>
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

std::optional<ExitStatus> SpawnedCompositor::ended(std::chrono::milliseconds grace)
{
    if (grace.count() <= 0) return child_.poll();
    return child_.wait_for(grace);
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

Result<std::unique_ptr<Supervisor>> Supervisor::start(Settings settings)
{
    std::unique_ptr<Supervisor> s{new Supervisor{std::move(settings)}};
    auto started = SpawnedCompositor::start(s->settings_.command, s->settings_.socket, s->settings_.log_path,
                                            s->settings_.start_timeout);
    if (!started) return std::move(started).error();
    s->compositor_ = std::move(started).value();
    s->pid_ = s->compositor_->pid();
    return s;
}

bool Supervisor::after_case(CaseResult& r)
{
    if (gone_ || !compositor_) return false;
    // A compositor's death breaks the case's connection a moment before its exit status is there.
    const bool broken = r.outcome == "disconnected" || r.outcome == "tool-error";
    const std::optional<ExitStatus> status = compositor_->ended(broken ? settings_.death_grace : std::chrono::milliseconds{0});
    if (!status) {
        in_a_row_ = 0;
        return false;
    }
    ++crashes_;
    ++in_a_row_;
    const std::string how = status->describe();
    const std::string was = r.outcome + (r.detail.empty() ? "" : ": " + r.detail);
    r.outcome = "crashed";
    r.detail = "the compositor " + how + " during this case; its log (" + settings_.log_path + ") ends with:\n" +
               file_tail(settings_.log_path, 5) + "\n(the case itself saw " + was + ")";
    r.captured.reset();
    r.wanted.reset();
    r.zero_copy.reset();
    std::string note = "the compositor died during the run: " + how + " during " + r.id;
    if (in_a_row_ >= settings_.max_in_a_row) {
        gone_ = "the compositor crashed in " + std::to_string(in_a_row_) + " cases in a row (the last: " + r.id +
                ", " + how + "); it was not started again";
        notes_.push_back(note + "; " + std::to_string(in_a_row_) + " crashes in a row: not started again");
        r.detail += "; not started again: " + std::to_string(in_a_row_) + " crashes in a row";
        pid_ = 0;
        return false;
    }
    {
        std::ofstream log{settings_.log_path, std::ios::app};
        log << "--- dmafeed-conform: the compositor " << how << " during " << r.id << "; starting it again ---\n";
    }
    auto started = SpawnedCompositor::start(settings_.command, settings_.socket, settings_.log_path, settings_.start_timeout);
    if (!started) {
        gone_ = "the compositor did not start again after it crashed during " + r.id + ": " + started.error().message();
        notes_.push_back(note + "; it did not start again: " + started.error().message());
        r.detail += "; it did not start again";
        pid_ = 0;
        return false;
    }
    compositor_ = std::move(started).value();
    pid_ = compositor_->pid();
    notes_.push_back(note + "; started again (pid " + std::to_string(pid_.load()) + ")");
    r.detail += "; started again for the next case";
    return true;
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

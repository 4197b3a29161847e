#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace dmafeed {

namespace {
constexpr std::chrono::milliseconds kill_grace{5000};
}  // namespace

bool ExitStatus::clean() const { return !stuck && WIFEXITED(raw) && WEXITSTATUS(raw) == 0; }

std::string ExitStatus::describe() const
{
    if (stuck) {
        return "did not end within 5 s of SIGKILL: stuck in the kernel" + (wchan.empty() ? std::string{} : " (waiting in " + wchan + ")");
    }
    if (WIFEXITED(raw)) {
        return "exited with status " + std::to_string(WEXITSTATUS(raw));
    }
    if (WIFSIGNALED(raw)) {
        return "killed by signal " + std::to_string(WTERMSIG(raw)) + " (" + strsignal(WTERMSIG(raw)) + ")";
    }
    return "ended with wait status " + std::to_string(raw);
}

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options)
{
    if (options.argv.empty()) {
        return Error{"spawn: empty argv"};
    }
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string kv = *e;
        const auto eq = kv.find('=');
        if (eq != std::string::npos) {
            env[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
    }
    for (const auto& [k, v] : options.env) {
        env[k] = v;
    }
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) {
        env_strings.push_back(k + "=" + v);
    }
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = options.argv;
    std::vector<char*> argv;
    for (auto& s : argv_copy) argv.push_back(s.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!options.output_path.empty()) {
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, options.output_path.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    }
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (!options.cwd.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
    }
    pid_t pid = -1;
    const int err = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) {
        return Error::from_errno("spawn " + options.argv[0], err);
    }
    return ChildProcess{pid};
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_{std::exchange(o.pid_, -1)}, status_{std::exchange(o.status_, std::nullopt)}
{
}

ChildProcess::~ChildProcess()
{
    if (pid_ > 0 && !poll()) {
        ::kill(pid_, SIGKILL);
        (void)wait_for(kill_grace);
    }
}

std::optional<ExitStatus> ChildProcess::poll()
{
    if (status_ || pid_ <= 0) {
        return status_;
    }
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = ExitStatus{st};
    }
    return status_;
}

std::optional<ExitStatus> ChildProcess::wait_for(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!poll()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return status_;
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace)
{
    if (auto st = poll()) {
        return *st;
    }
    ::kill(pid_, SIGTERM);
    if (auto st = wait_for(grace)) {
        return *st;
    }
    ::kill(pid_, SIGKILL);
    if (auto st = wait_for(kill_grace)) {
        return *st;
    }
    // A process in uninterruptible sleep ignores even SIGKILL: say where it waits, do not block.
    ExitStatus stuck{.raw = 0, .stuck = true, .wchan = {}};
    std::ifstream{"/proc/" + std::to_string(pid_) + "/wchan"} >> stuck.wchan;
    return stuck;
}

std::string file_tail(const std::string& path, size_t lines)
{
    std::ifstream in{path};
    if (!in) {
        return "(no file " + path + ")";
    }
    std::deque<std::string> last;
    for (std::string line; std::getline(in, line);) {
        last.push_back(std::move(line));
        if (last.size() > lines) {
            last.pop_front();
        }
    }
    std::string out;
    for (const auto& l : last) {
        out += l;
        out += '\n';
    }
    return out;
}

}  // namespace dmafeed

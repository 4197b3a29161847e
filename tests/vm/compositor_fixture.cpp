#include "compositor_fixture.hpp"

#include "weston_fixture.hpp"  // artifacts_dir()
#include "wl/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <wayland-client.h>

namespace dmafeed::test {
namespace {

constexpr std::chrono::milliseconds stop_grace{10000};
constexpr std::chrono::seconds capture_timeout{60};
// sway and labwc refuse to run as root ("Unable to drop root"); they run as this uid and gid.
constexpr uid_t compositor_uid = 1000;
const std::string user_runtime_dir = "/run/user/1000";
// mutter's capture: its screen cast D-Bus API and PipeWire; the script lies beside kwin_screenshot.py.
const std::string mutter_screencast_script =
    (std::filesystem::path{DMAFEED_KWIN_SCREENSHOT}.parent_path() / "mutter_screencast.py").string();

// Measured in the sid root's guest (tests/vm/README.md has the figures): which set-up each renders
// in, whether its output is read back, whether a buffer covering the output goes on the KMS plane,
// whether dmafeed's frames go with syncobj acquire points there.
// One run of the whole matrix against mutter did not end within the session's 600 s (with another
// guest busy beside it); the suite runs the misuse cases and one RGB and one YUV format (16 s).
// While a screen cast runs on a busy host, mutter withholds the player's frame callbacks for 15 s
// and more; the player ends its waits within 100 ms of SIGTERM, so the exact-colour check's 10 s
// grace holds (docs/conformance.md, the mutter paragraph).
constexpr const char* mutter_conform_cases = "misuse/*,matrix/*/XRGB8888/*,matrix/*/NV12/*";

const CompositorTraits traits_table[] = {
    {CompositorKind::sway, "sway", "sid-vkms", true, true, false, "v5", "sway-1.12.expect", "*"},
    {CompositorKind::labwc, "labwc", "sid-vkms", true, true, false, "v4", "labwc-0.20.expect", "*"},
    {CompositorKind::kwin, "kwin", "sid-virtio", true, false, true, "v5", "kwin-6.7.expect", "*"},
    {CompositorKind::mutter, "mutter", "sid-nodrm", true, false, false, "v3", "mutter-51.expect", mutter_conform_cases},
};

// A client connects and gets an answer to wl_display.sync within `timeout`: a compositor whose
// main thread is stuck (KWin in drm_read, once, with another guest loading the host) fails the
// start with its log instead of holding the session until the host's timeout.
bool can_connect(const std::string& socket, std::chrono::milliseconds timeout)
{
    auto connection = wl::Connection::connect(socket.c_str());
    return connection && (*connection)->roundtrip(timeout).ok();
}

Result<void> write_file(const std::string& path, const std::string& text)
{
    std::ofstream out{path};
    out << text;
    out.close();
    if (!out) return Error{"cannot write " + path};
    return {};
}

// The line of `PROGRAM --version` that names it ("kwin 6.7.4"; KWin prints a locale warning first),
// or a line saying it printed none.
std::string version_line(const std::string& program, const std::string& name, const std::string& log_path)
{
    auto child = ChildProcess::spawn({.argv = {program, "--version"}, .env = {}, .output_path = log_path, .cwd = {}});
    if (child && child->wait_for(std::chrono::seconds{30})) {
        std::ifstream in{log_path};
        std::string line;
        while (std::getline(in, line)) {
            if (line.starts_with(name)) return line;
        }
    }
    return name + " (no answer to --version)";
}

// A runtime dir of uid 1000 for sway and labwc (and the sockets they make in it).
Result<void> make_user_runtime_dir()
{
    std::error_code ec;
    std::filesystem::create_directories(user_runtime_dir, ec);
    if (ec) return Error{"cannot create " + user_runtime_dir + ": " + ec.message()};
    if (chown(user_runtime_dir.c_str(), compositor_uid, compositor_uid) != 0 || chmod(user_runtime_dir.c_str(), 0700) != 0) {
        return Error::from_errno("chown/chmod " + user_runtime_dir, errno);
    }
    return {};
}

// The Wayland socket that appeared in `dir` (wayland-N, not its lock file), or "".
std::string find_socket(const std::string& dir)
{
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator{dir, ec}) {
        const std::string name = entry.path().filename();
        if (name.starts_with("wayland-") && !name.ends_with(".lock") && entry.is_socket(ec)) return entry.path();
    }
    return {};
}

struct Recipe {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;
    std::string runtime_dir;  // where its socket appears
    std::string socket_name;  // its name there; empty: the one that appears (sway and labwc pick it)
    bool session_bus = false;
    bool pipewire = false;  // a PipeWire daemon and wireplumber on that bus, from its first capture on
};

// wlroots on vkms: the DRM backend with GLES2 on llvmpipe (Mesa's software GBM on the KMS node).
std::map<std::string, std::string> wlroots_env()
{
    return {{"WLR_BACKENDS", "drm"},           {"WLR_DRM_DEVICES", "/dev/dri/card0"}, {"LIBSEAT_BACKEND", "noop"},
            {"WLR_RENDERER", "gles2"},         {"WLR_RENDERER_ALLOW_SOFTWARE", "1"}, {"WLR_LIBINPUT_NO_DEVICES", "1"},
            {"XDG_RUNTIME_DIR", user_runtime_dir}, {"HOME", "/tmp"},              {"WAYLAND_DISPLAY", ""}};
}

std::vector<std::string> as_user(std::vector<std::string> argv)
{
    const std::string id = std::to_string(compositor_uid);
    argv.insert(argv.begin(), {"setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups"});
    return argv;
}

Result<Recipe> recipe(CompositorKind kind, uint32_t width, uint32_t height, const std::string& log_path)
{
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime) return Error{"XDG_RUNTIME_DIR is not set"};
    const std::string own_runtime_dir = runtime;  // KWin's and mutter's sockets (they run as root)
    const std::string size = std::to_string(width) + "x" + std::to_string(height);
    switch (kind) {
    case CompositorKind::sway: {
        // One tiled window fills the output; no border, so dmafeed's buffer covers it all.
        const std::string config = log_path + ".config";
        if (auto ok = write_file(config, "output * mode --custom " + size + "@60Hz\ndefault_border none\n"); !ok) {
            return std::move(ok).error();
        }
        if (auto ok = make_user_runtime_dir(); !ok) return std::move(ok).error();
        return Recipe{as_user({"sway", "-c", config}), wlroots_env(), user_runtime_dir, {}};
    }
    case CompositorKind::labwc: {
        // labwc keeps vkms's preferred mode; a window rule makes every window fullscreen.
        const std::string dir = log_path + ".config";
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (auto ok = write_file(dir + "/rc.xml",
                                 "<labwc_config>\n  <windowRules>\n    <windowRule identifier=\"*\">\n"
                                 "      <action name=\"ToggleFullscreen\"/>\n    </windowRule>\n  </windowRules>\n"
                                 "</labwc_config>\n");
            !ok) {
            return std::move(ok).error();
        }
        if (auto ok = make_user_runtime_dir(); !ok) return std::move(ok).error();
        return Recipe{as_user({"labwc", "-C", dir}), wlroots_env(), user_runtime_dir, {}};
    }
    case CompositorKind::kwin:
        // On virtio-gpu's card0 (llvmpipe renders into dumb buffers there; its render node offers
        // timeline syncobjs, so KWin offers wp_linux_drm_syncobj_manager_v1).
        return Recipe{{"kwin_wayland", "--drm", "--socket", "wayland-kwin", "--no-lockscreen", "--no-global-shortcuts",
                       "--no-kactivities"},
                      // The screenshot D-Bus API without a desktop file that authorizes the caller.
                      {{"KWIN_DRM_DEVICES", "/dev/dri/card0"}, {"LIBSEAT_BACKEND", "noop"}, {"KWIN_COMPOSE", "O2"},
                       {"KWIN_SCREENSHOT_NO_PERMISSION_CHECKS", "1"}, {"WAYLAND_DISPLAY", ""}},
                      own_runtime_dir,
                      "wayland-kwin",
                      true};
    case CompositorKind::mutter:
        return Recipe{{"mutter", "--headless", "--wayland", "--no-x11", "--wayland-display", "wayland-mutter",
                       "--virtual-monitor", size},
                      {{"WAYLAND_DISPLAY", ""}},
                      own_runtime_dir,
                      "wayland-mutter",
                      true,
                      true};
    }
    return Error{"unknown compositor"};
}

// A session bus of its own (KWin and mutter want one): dbus-daemon on a socket in
// $XDG_RUNTIME_DIR, its address returned beside the process.
Result<std::pair<ChildProcess, std::string>> start_session_bus(const std::string& log_path)
{
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime) return Error{"XDG_RUNTIME_DIR is not set"};
    const std::string path = std::string{runtime} + "/dmafeed-session-bus";
    auto bus = ChildProcess::spawn({.argv = {"dbus-daemon", "--session", "--nofork", "--address=unix:path=" + path},
                                    .env = {},
                                    .output_path = log_path,
                                    .cwd = {}});
    if (!bus) return std::move(bus).error();
    for (int i = 0; i < 300 && !std::filesystem::exists(path); ++i) {
        if (bus->poll()) return Error{"dbus-daemon ended at once: " + file_tail(log_path, 10)};
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    if (!std::filesystem::exists(path)) return Error{"dbus-daemon made no socket in 30 s: " + file_tail(log_path, 10)};
    return std::pair{std::move(bus).value(), "unix:path=" + path};
}

// PipeWire and its session manager on the session bus `bus_address` (mutter's screen casts need
// both: wireplumber links the capture's stream to mutter's node): pipewire, once its socket is in
// $XDG_RUNTIME_DIR, then wireplumber. Logs at log_base + ".pipewire" and ".wireplumber".
Result<std::vector<ChildProcess>> start_pipewire(const std::string& bus_address, const std::string& log_base)
{
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime) return Error{"XDG_RUNTIME_DIR is not set"};
    const std::string socket = std::string{runtime} + "/pipewire-0";
    std::error_code ec;
    std::filesystem::remove(socket, ec);
    const std::map<std::string, std::string> env{{"DBUS_SESSION_BUS_ADDRESS", bus_address}, {"WAYLAND_DISPLAY", ""}};
    std::vector<ChildProcess> started;
    auto pipewire = ChildProcess::spawn({.argv = {"pipewire"}, .env = env, .output_path = log_base + ".pipewire", .cwd = {}});
    if (!pipewire) return std::move(pipewire).error();
    started.push_back(std::move(pipewire).value());
    for (int i = 0; i < 600 && !std::filesystem::exists(socket); ++i) {
        if (started[0].poll()) return Error{"pipewire ended at once: " + file_tail(log_base + ".pipewire", 10)};
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    if (!std::filesystem::exists(socket)) return Error{"pipewire made no socket in 60 s: " + file_tail(log_base + ".pipewire", 10)};
    auto wireplumber = ChildProcess::spawn({.argv = {"wireplumber"}, .env = env, .output_path = log_base + ".wireplumber", .cwd = {}});
    if (!wireplumber) return std::move(wireplumber).error();
    started.push_back(std::move(wireplumber).value());
    return started;
}

}  // namespace

const CompositorTraits& compositor_traits(CompositorKind kind)
{
    for (const auto& t : traits_table) {
        if (t.kind == kind) return t;
    }
    return traits_table[0];
}

std::vector<CompositorKind> all_compositor_kinds()
{
    std::vector<CompositorKind> kinds;
    for (const auto& t : traits_table) kinds.push_back(t.kind);
    return kinds;
}

Result<std::unique_ptr<Compositor>> Compositor::start(CompositorKind kind, uint32_t width, uint32_t height,
                                                      std::chrono::seconds start_timeout)
{
    const CompositorTraits& traits = compositor_traits(kind);
    const std::string log_path = artifacts_dir() + "/" + traits.name + ".log";
    auto r = recipe(kind, width, height, log_path);
    if (!r) return std::move(r).error();
    std::optional<ChildProcess> bus;
    std::string bus_address;
    if (r->session_bus) {
        auto started = start_session_bus(log_path + ".dbus");
        if (!started) return std::move(started).error();
        bus.emplace(std::move(started->first));
        bus_address = started->second;
        r->env["DBUS_SESSION_BUS_ADDRESS"] = bus_address;
    }
    // --version of the binary the recipe runs (past setpriv's arguments).
    const auto binary = std::find_if(r->argv.begin(), r->argv.end(), [](const std::string& a) { return !a.starts_with("-") && a != "setpriv"; });
    std::string version = version_line(*binary, traits.name, log_path + ".version");
    if (!r->socket_name.empty()) {
        std::error_code ec;
        std::filesystem::remove(r->runtime_dir + "/" + r->socket_name, ec);
    }
    auto child = ChildProcess::spawn({.argv = r->argv, .env = r->env, .output_path = log_path, .cwd = {}});
    if (!child) return std::move(child).error();
    std::unique_ptr<Compositor> c{new Compositor{traits, std::move(version), {}, log_path, std::move(bus), bus_address,
                                                 std::move(child).value()}};
    c->needs_pipewire_ = r->pipewire;
    const auto deadline = std::chrono::steady_clock::now() + start_timeout;
    for (;;) {
        if (c->socket_.empty()) {
            if (r->socket_name.empty()) {
                c->socket_ = find_socket(r->runtime_dir);
            } else if (std::filesystem::exists(r->runtime_dir + "/" + r->socket_name)) {
                c->socket_ = r->runtime_dir + "/" + r->socket_name;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (!c->socket_.empty() && can_connect(c->socket_, std::max(left, std::chrono::milliseconds{1000}))) break;
        if (std::string report = c->death_report(); !report.empty()) return Error{traits.name + std::string{" died while starting: "} + report};
        if (std::chrono::steady_clock::now() >= deadline) {
            return Error{c->version_ + " answered no client within " + std::to_string(start_timeout.count()) +
                         " s (socket: " + (c->socket_.empty() ? "none yet" : c->socket_) + "); log tail:\n" +
                         file_tail(log_path, 30)};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{200});
    }
    return c;
}

Compositor::~Compositor()
{
    child_.terminate(stop_grace);
    for (auto it = helpers_.rbegin(); it != helpers_.rend(); ++it) it->terminate(stop_grace);
    if (bus_) bus_->terminate(stop_grace);
}

std::map<std::string, std::string> Compositor::client_env() const
{
    std::map<std::string, std::string> env{{"WAYLAND_DISPLAY", socket_}};
    if (!bus_address_.empty()) env["DBUS_SESSION_BUS_ADDRESS"] = bus_address_;
    return env;
}

std::string Compositor::death_report()
{
    const auto st = child_.poll();
    if (!st) return {};
    return version_ + " " + st->describe() + "; log tail:\n" + file_tail(log_path_, 30);
}

std::string Compositor::stop()
{
    if (std::string report = death_report(); !report.empty()) return "already gone: " + report;
    return child_.terminate(stop_grace).describe();
}

Result<Image> Compositor::capture(const std::string& name)
{
    if (std::string report = death_report(); !report.empty()) return Error{"capture: " + report};
    const std::string png = artifacts_dir() + "/" + name + ".png";
    const std::string log = artifacts_dir() + "/" + name + ".capture.log";
    std::error_code ec;
    std::filesystem::remove(png, ec);
    // PipeWire starts with the first capture: it and wireplumber take seconds of the guest's CPU,
    // which the compositor's start and the checks that need no capture do without.
    if (needs_pipewire_ && helpers_.empty()) {
        auto started = start_pipewire(bus_address_, log_path_);
        if (!started) return Error{"capture: " + started.error().message()};
        helpers_ = std::move(started).value();
    }
    // KWin: its D-Bus screenshot API (kwin_screenshot.py); mutter: its screen cast D-Bus API and
    // PipeWire (mutter_screencast.py); the others: grim.
    const std::vector<std::string> argv = traits_.kind == CompositorKind::kwin ? std::vector<std::string>{"python3", DMAFEED_KWIN_SCREENSHOT, png}
                                          : traits_.kind == CompositorKind::mutter ? std::vector<std::string>{"python3", mutter_screencast_script, png}
                                                                                   : std::vector<std::string>{"grim", png};
    auto child = ChildProcess::spawn({.argv = argv, .env = client_env(), .output_path = log, .cwd = {}});
    if (!child) return std::move(child).error();
    const auto st = child->wait_for(capture_timeout);
    if (!st) {
        child->terminate(std::chrono::milliseconds{1000});
        return Error{argv[0] + " did not finish within " + std::to_string(capture_timeout.count()) + " s"};
    }
    if (!st->clean()) return Error{argv.back() + ": " + argv[0] + " " + st->describe() + ":\n" + file_tail(log, 10)};
    return read_png(png);
}

}  // namespace dmafeed::test

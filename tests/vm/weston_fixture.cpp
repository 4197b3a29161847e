#include "weston_fixture.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>
#include <wayland-client.h>

namespace dmafeed::test {
namespace {

constexpr std::chrono::milliseconds stop_grace{10000};
constexpr std::chrono::seconds capture_timeout{60};

bool can_connect(const std::string& socket)
{
    wl_display* display = wl_display_connect(socket.c_str());
    if (!display) {
        return false;
    }
    const bool ok = wl_display_roundtrip(display) >= 0;
    wl_display_disconnect(display);
    return ok;
}

// The first line `weston --version` prints ("weston 16.0.0"), or a line saying it printed none.
std::string weston_version(const std::string& log_path)
{
    auto child = ChildProcess::spawn({.argv = {"weston", "--version"}, .env = {}, .output_path = log_path, .cwd = {}});
    if (child && child->wait_for(std::chrono::seconds{30})) {
        std::ifstream in{log_path};
        std::string line;
        if (std::getline(in, line) && !line.empty()) return line;
    }
    return "weston (no answer to --version)";
}

// weston.ini for `o`: no idle blanking, colour management when asked; the desktop shell without
// its panel (a fullscreen window is then the whole output, as the exact-colour checks need). On
// the DRM backend, vkms's connector (Virtual-1) driven at a width x height mode given as a
// modeline (vkms takes any size from 10 x 10), 60 Hz with a small blanking. The modeline's pixel
// clock is in MHz: a clock 1000 times too high makes vkms simulate 60,000 vblanks a second, an
// hrtimer storm that can stall the whole guest under emulation.
Result<std::string> write_config(const WestonOptions& o)
{
    const std::string path = o.log_path + ".ini";
    std::ofstream out{path};
    out << "[core]\nidle-time=0\n" << (o.color_management ? "color-management=true\n" : "")
        << "\n[shell]\npanel-position=none\n";
    if (o.backend == WestonBackend::drm) {
        const uint32_t htotal = o.width + 24, vtotal = o.height + 6;
        char mode[160];
        std::snprintf(mode, sizeof mode, "%.6f %u %u %u %u %u %u %u %u +hsync +vsync", htotal * vtotal * 60 / 1e6,
                      o.width, o.width + 8, o.width + 16, htotal, o.height, o.height + 2, o.height + 4, vtotal);
        out << "\n[output]\nname=Virtual-1\nmode=" << mode << "\n";
    }
    out.close();
    if (!out) return Error{"cannot write " + path};
    return path;
}

}  // namespace

std::string artifacts_dir()
{
    const char* env = std::getenv("DMAFEED_VM_ARTIFACTS");
    std::string dir = env && *env ? env : std::filesystem::temp_directory_path() / "dmafeed-artifacts";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return dir;
}

Result<std::unique_ptr<Weston>> Weston::start(const WestonOptions& options)
{
    WestonOptions opts = options;
    if (opts.log_path.empty()) {
        opts.log_path = artifacts_dir() + "/weston.log";
    }
    if (!std::getenv("XDG_RUNTIME_DIR")) {
        return Error{"weston: XDG_RUNTIME_DIR is not set"};
    }
    std::vector<std::string> argv{"weston", "--renderer=gl", "--debug", "--shell=" + opts.shell, "--socket=" + opts.socket,
                                  "--log=" + opts.log_path};
    std::map<std::string, std::string> env;
    auto config = write_config(opts);
    if (!config) return std::move(config).error();
    argv.push_back("--config=" + *config);
    if (opts.backend == WestonBackend::drm) {
        // No seat manager in the guest: libseat's noop backend opens the devices directly.
        argv.insert(argv.end(), {"--backend=drm", "--continue-without-input"});
        env["LIBSEAT_BACKEND"] = "noop";
    } else {
        argv.insert(argv.end(), {"--backend=headless", "--width=" + std::to_string(opts.width),
                                 "--height=" + std::to_string(opts.height)});
    }
    std::string version = weston_version(opts.log_path + ".version");
    auto child = ChildProcess::spawn({.argv = argv, .env = env, .output_path = opts.log_path + ".stderr", .cwd = {}});
    if (!child) {
        return std::move(child).error();
    }
    std::unique_ptr<Weston> weston{new Weston{opts, std::move(version), std::move(child).value()}};
    const auto deadline = std::chrono::steady_clock::now() + opts.start_timeout;
    while (!can_connect(opts.socket)) {
        if (std::string report = weston->death_report(); !report.empty()) {
            return Error{"weston died while starting: " + report};
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            weston->child_.terminate(stop_grace);
            return Error{weston->version_ + " did not open socket '" + opts.socket + "' within " +
                         std::to_string(opts.start_timeout.count()) + " s; log tail:\n" +
                         file_tail(opts.log_path, 30)};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    return weston;
}

Weston::~Weston()
{
    child_.terminate(stop_grace);
}

std::string Weston::death_report()
{
    const auto st = child_.poll();
    if (!st) {
        return {};
    }
    return version_ + " " + st->describe() + "; log tail:\n" + file_tail(options_.log_path, 30) +
           file_tail(options_.log_path + ".stderr", 10);
}

Result<void> Weston::stop()
{
    if (std::string report = death_report(); !report.empty()) {
        return Error{"weston was already gone: " + report};
    }
    const ExitStatus st = child_.terminate(stop_grace);
    if (!st.clean()) {
        return Error{version_ + " " + st.describe() + " on SIGTERM; log tail:\n" + file_tail(options_.log_path, 30)};
    }
    return {};
}

Result<Image> Weston::capture(const std::string& name)
{
    if (std::string report = death_report(); !report.empty()) {
        return Error{"capture: " + report};
    }
    // weston-screenshooter writes wayland-screenshot-<date>.png into XDG_PICTURES_DIR: give it an
    // empty directory and take the one file that appears.
    char tmpl[] = "/tmp/dmafeed-capture-XXXXXX";
    if (!mkdtemp(tmpl)) {
        return Error::from_errno("mkdtemp", errno);
    }
    const std::string dir = tmpl;
    const std::string log = artifacts_dir() + "/" + name + ".screenshooter.log";
    auto child = ChildProcess::spawn({
        .argv = {"weston-screenshooter"},
        .env = {{"WAYLAND_DISPLAY", options_.socket}, {"XDG_PICTURES_DIR", dir}},
        .output_path = log,
        .cwd = dir,
    });
    if (!child) {
        return std::move(child).error();
    }
    const auto st = child->wait_for(capture_timeout);
    if (!st) {
        child->terminate(std::chrono::milliseconds{1000});
        return Error{"weston-screenshooter did not finish within " + std::to_string(capture_timeout.count()) + " s"};
    }
    if (!st->clean()) {
        return Error{"weston-screenshooter " + st->describe() + ":\n" + file_tail(log, 10)};
    }
    std::string png;
    for (const auto& entry : std::filesystem::directory_iterator{dir}) {
        if (entry.path().extension() == ".png") {
            png = entry.path();
        }
    }
    if (png.empty()) {
        return Error{"weston-screenshooter wrote no PNG into " + dir};
    }
    const std::string dest = artifacts_dir() + "/" + name + ".png";
    std::error_code ec;
    std::filesystem::copy_file(png, dest, std::filesystem::copy_options::overwrite_existing, ec);
    std::filesystem::remove_all(dir, ec);
    if (!std::filesystem::exists(dest)) {
        return Error{"capture: could not copy the PNG to " + dest};
    }
    return read_png(dest);
}

}  // namespace dmafeed::test

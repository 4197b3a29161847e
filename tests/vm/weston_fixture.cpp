#include "weston_fixture.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <filesystem>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
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
    auto child = ChildProcess::spawn({
        .argv = {"weston", "--backend=headless", "--renderer=gl", "--debug", "--shell=kiosk",
                 "--no-config", "--idle-time=0", "--socket=" + opts.socket,
                 "--width=" + std::to_string(opts.width), "--height=" + std::to_string(opts.height),
                 "--log=" + opts.log_path},
        .env = {},
        .output_path = opts.log_path + ".stderr",
        .cwd = {},
    });
    if (!child) {
        return std::move(child).error();
    }
    std::unique_ptr<Weston> weston{new Weston{opts, std::move(child).value()}};
    const auto deadline = std::chrono::steady_clock::now() + opts.start_timeout;
    while (!can_connect(opts.socket)) {
        if (std::string report = weston->death_report(); !report.empty()) {
            return Error{"weston died while starting: " + report};
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            weston->child_.terminate(stop_grace);
            return Error{"weston did not open socket '" + opts.socket + "' within " +
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
    return "weston " + st->describe() + "; log tail:\n" + file_tail(options_.log_path, 30) +
           file_tail(options_.log_path + ".stderr", 10);
}

Result<void> Weston::stop()
{
    if (std::string report = death_report(); !report.empty()) {
        return Error{"weston was already gone: " + report};
    }
    const ExitStatus st = child_.terminate(stop_grace);
    if (!st.clean()) {
        return Error{"weston " + st.describe() + " on SIGTERM; log tail:\n" + file_tail(options_.log_path, 30)};
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

// weston inside the VM: headless backend (or the DRM backend on vkms), GL renderer (llvmpipe),
// --debug so that captures are authorized, desktop shell, a private socket and a chosen output size.
// Captures go through weston-screenshooter (weston_capture_v1) into a PNG that the test reads back.
#pragma once

#include "child_process.hpp"
#include "png_image.hpp"
#include "util/result.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace dmafeed::test {

enum class WestonBackend {
    headless,  // --backend=headless: an output of width x height
    drm,       // --backend=drm on /dev/dri/card0 (vkms): real KMS scanout, a width x height mode
};

struct WestonOptions {
    WestonBackend backend = WestonBackend::headless;
    uint32_t width = 96;
    uint32_t height = 64;
    std::string socket = "dmafeed-vm-0";
    std::string log_path;  // weston's --log; empty: <artifacts>/weston.log
    std::chrono::seconds start_timeout{90};
    // desktop or kiosk. The kiosk shell makes every window fullscreen, but weston 14's and 16's
    // crash now and then when one client's window replaces another's (docs/conformance.md,
    // "weston's kiosk-shell crash"); so the checks run the desktop shell, and a window whose
    // capture must be the whole output asks to be fullscreen (the desktop shell's panel is off).
    std::string shell = "desktop";
    // [core] color-management=true: weston 15+ offers wp_color_manager_v1.
    bool color_management = false;
};

class Weston {
public:
    // Starts weston and waits until a client can connect to its socket. On failure the error
    // carries the tail of weston's log.
    static Result<std::unique_ptr<Weston>> start(const WestonOptions& options);
    ~Weston();

    const WestonOptions& options() const noexcept { return options_; }
    const std::string& socket() const noexcept { return options_.socket; }
    const std::string& log_path() const noexcept { return options_.log_path; }
    // What `weston --version` said, e.g. "weston 16.0.0".
    const std::string& version() const noexcept { return version_; }

    // Empty while weston runs; otherwise how it ended plus the tail of its log.
    std::string death_report();
    // SIGTERM and wait; an error when weston was already dead or did not exit cleanly.
    Result<void> stop();

    // Captures the first output into <artifacts>/<name>.png and reads it back.
    Result<Image> capture(const std::string& name);

private:
    Weston(WestonOptions options, std::string version, ChildProcess child)
        : options_{std::move(options)}, version_{std::move(version)}, child_{std::move(child)} {}
    WestonOptions options_;
    std::string version_;
    ChildProcess child_;
};

// The directory the VM rig copies back to the host ($DMAFEED_VM_ARTIFACTS), created if needed.
std::string artifacts_dir();

}  // namespace dmafeed::test

// The compositors of the Debian sid root besides weston (weston_fixture.hpp): sway, labwc, KWin and
// mutter, each started inside the VM by a recipe of its own in the set-up where it renders (KWin on
// virtio-gpu's card0, where it also offers wp_linux_drm_syncobj_manager_v1), with its
// output at a chosen size, its log and `--version` in the artifacts. Clients reach it through
// client_env() (WAYLAND_DISPLAY as an absolute path: sway and labwc refuse to run as root and run
// as uid 1000 with a runtime dir of their own). Captures go through grim (ext-image-copy-capture or
// wlr-screencopy) for sway and labwc, through KWin's D-Bus screenshot API (kwin_screenshot.py) for
// KWin, and through mutter's screen cast D-Bus API and PipeWire (mutter_screencast.py) for mutter,
// for which a PipeWire daemon and wireplumber of its own start with the first capture.
#pragma once

#include "child_process.hpp"
#include "png_image.hpp"
#include "util/result.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dmafeed::test {

enum class CompositorKind { sway, labwc, kwin, mutter };

// What the suite expects of a compositor, measured in the VM (tests/vm/README.md).
struct CompositorTraits {
    CompositorKind kind;
    const char* name;            // "sway": also the artifacts' prefix and the gtest parameter
    const char* setup;           // the tools/vm set-up it renders in ("sid-vkms")
    bool captures;               // the exact-colour checks run (capture() reads its output back)
    bool scans_out;              // presented frames of a buffer that covers the output are ZERO_COPY
    bool syncobj;                // the player's frames go with wp_linux_drm_syncobj_v1 acquire points
    const char* dmabuf_version;  // the zwp_linux_dmabuf_v1 version it offers, as dmafeed-info says it
    const char* expect_table;    // dmafeed-conform's table for it, in tools/conform/expect/
    const char* conform_filter;  // the cases dmafeed-conform runs against it (--filter)
};

const CompositorTraits& compositor_traits(CompositorKind kind);
std::vector<CompositorKind> all_compositor_kinds();

class Compositor {
public:
    // Starts it and waits (up to `start_timeout`) until a client's roundtrip is answered. On failure
    // the error carries the tail of its log.
    static Result<std::unique_ptr<Compositor>> start(CompositorKind kind, uint32_t width, uint32_t height,
                                                     std::chrono::seconds start_timeout = std::chrono::seconds{180});
    ~Compositor();

    const CompositorTraits& traits() const noexcept { return traits_; }
    // What `--version` said, e.g. "sway version 1.12".
    const std::string& version() const noexcept { return version_; }
    // WAYLAND_DISPLAY (an absolute path) and, for KWin and mutter, their session bus.
    std::map<std::string, std::string> client_env() const;
    const std::string& log_path() const noexcept { return log_path_; }

    // Empty while it runs; otherwise how it ended plus the tail of its log.
    std::string death_report();
    // SIGTERM and wait: how it ended, as a sentence.
    std::string stop();

    // Captures its output into <artifacts>/<name>.png and reads it back.
    Result<Image> capture(const std::string& name);

private:
    Compositor(const CompositorTraits& traits, std::string version, std::string socket, std::string log_path,
               std::optional<ChildProcess> bus, std::string bus_address, ChildProcess child)
        : traits_{traits}, version_{std::move(version)}, socket_{std::move(socket)}, log_path_{std::move(log_path)},
          bus_{std::move(bus)}, bus_address_{std::move(bus_address)}, child_{std::move(child)} {}
    const CompositorTraits& traits_;
    std::string version_;
    std::string socket_;
    std::string log_path_;
    std::optional<ChildProcess> bus_;
    std::string bus_address_;
    ChildProcess child_;
    bool needs_pipewire_ = false;        // its captures need PipeWire and wireplumber (mutter)
    std::vector<ChildProcess> helpers_;  // those two once started; stopped after it
};

}  // namespace dmafeed::test

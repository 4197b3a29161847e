// Reading the compositor's output back, with the capture protocol it offers. Detected on a
// connection of dmafeed-conform's own (not a case's): weston_capture_v1 (weston; needs `weston
// --debug`, which authorizes it), through a wl_shm buffer in the format the output says.
// ext-image-copy-capture-v1 and zwlr_screencopy_manager_v1 are named when offered, but this build
// does not speak them (the report says so, and the matrix then compares nothing).
#pragma once

#include "sources/packer.hpp"
#include "util/result.hpp"
#include "wl/connection.hpp"
#include "wl/registry.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace dmafeed::conform {

class Capturer {
public:
    // An error says why nothing can capture here: "none (the compositor offers no capture
    // protocol)", "none (zwlr_screencopy_manager_v1 is offered, which this build does not speak)".
    static Result<std::unique_ptr<Capturer>> create(const std::string& display, std::chrono::milliseconds timeout);
    virtual ~Capturer() = default;
    // "weston_capture_v1 (framebuffer)".
    virtual std::string method() const = 0;
    // The first output, as RGB.
    virtual Result<sources::RgbImage> capture() = 0;
};

}  // namespace dmafeed::conform

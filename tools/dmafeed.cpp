// dmafeed: plays test patterns into the Wayland compositor of $WAYLAND_DISPLAY through
// zwp_linux_dmabuf_v1 (see --help).
#include "cli/options.hpp"
#include "cli/player.hpp"

#include "drm/format_info.hpp"
#include "pixels/packer.hpp"
#include "producer/backends.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace {

using namespace dmafeed;
using Clock = std::chrono::steady_clock;

std::atomic<bool> interrupted{false};

void on_signal(int) { interrupted = true; }

int list_formats()
{
    std::printf("%-16s %-6s %-6s %s\n", "FORMAT", "FOURCC", "PLANES", "PATTERNS");
    for (const DrmFormat f : named_formats()) {
        const FormatInfo* info = format_info(f);
        if (!info) continue;
        const uint32_t cc = f.fourcc();
        const char fourcc[5] = {static_cast<char>(cc & 0xff), static_cast<char>((cc >> 8) & 0xff),
                                static_cast<char>((cc >> 16) & 0xff), static_cast<char>((cc >> 24) & 0xff), 0};
        const bool patterns = pixels::packable(f);
        std::printf("%-16s %-6s %-6u %s\n", name(f).c_str(), fourcc, info->plane_count, patterns ? "yes" : "no");
    }
    std::printf("\nFORMAT and FOURCC are what --format takes. Which formats and modifiers a compositor and this\n"
                "machine can exchange depends on both: dmafeed negotiates them at start.\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    const auto process_start = Clock::now();
    auto options = dmafeed::cli::parse({argv + 1, static_cast<size_t>(argc > 0 ? argc - 1 : 0)});
    if (!options) {
        std::fprintf(stderr, "dmafeed: %s\n", options.error().message().c_str());
        return 2;
    }
    if (options->help) {
        std::fputs(dmafeed::cli::help_text().c_str(), stdout);
        return 0;
    }
    if (options->version) {
        std::printf("dmafeed %s\n", DMAFEED_VERSION);
        return 0;
    }
    if (options->list_formats) return list_formats();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const int status = dmafeed::cli::Player{*options, process_start, interrupted}.run();
    if (dmafeed::producer::abandoned_set_ups_running() > 0) {
        // A Vulkan set-up that the quick start began is still running (the compositor went before
        // it ended): leave now, without static destructors under its feet.
        std::fflush(nullptr);
        std::_Exit(status);
    }
    return status;
}

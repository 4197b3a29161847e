// dmafeed-info: what the compositor of $WAYLAND_DISPLAY and this machine can exchange as dma-bufs:
// the compositor's globals, its linux-dmabuf feedback (main device, tranches with target device,
// flags and format/modifier pairs), what each local allocator (Vulkan, GBM) can produce for its
// device with the maximum extents, and the pairs both sides have. Plain text, or --json.
#include "alloc/vulkan_allocator.hpp"
#include "info/probe.hpp"
#include "info/report.hpp"
#include "producer/backends.hpp"
#include "util/log.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <sys/stat.h>

namespace dmafeed {
namespace {

constexpr const char* help = R"(Usage: dmafeed-info [OPTION]...
Shows what the Wayland compositor of $WAYLAND_DISPLAY and this machine can exchange as dma-bufs:
  - the compositor's globals and their versions;
  - its zwp_linux_dmabuf_v1 feedback (v4+: the main device, each tranche with its target device,
    flags and format/modifier pairs; v3: the modifier events);
  - for the compositor's main device (or --device), the pairs each local allocator can produce:
    Vulkan (export with VK_EXT_image_drm_format_modifier, with the maximum extent) and GBM;
  - the pairs both sides have, marked with * and listed best first.

Options:
  --display NAME     a Wayland socket name or path instead of $WAYLAND_DISPLAY
  --device PATH      the DRM node to ask the local allocators about (default: the main device)
  --json             print the report as JSON on stdout
  --timeout MS       bound on every wait for the compositor (default 5000)
  -h, --help         this text

Exit status: 0 ok, 1 the compositor could not be asked (no socket, no zwp_linux_dmabuf_v1), 2 usage error.

Examples:
  dmafeed-info
  dmafeed-info --json | jq '.common'
  dmafeed-info --device /dev/dri/card0
)";

struct Options {
    std::string display;
    std::string device;
    bool json = false;
    int timeout_ms = 5000;
};

int usage_error(const std::string& message)
{
    std::fprintf(stderr, "dmafeed-info: %s (see --help)\n", message.c_str());
    return 2;
}

int run(const Options& o)
{
    const auto timeout = std::chrono::milliseconds{o.timeout_ms};
    info::Report report;
    const char* display = o.display.empty() ? std::getenv("WAYLAND_DISPLAY") : o.display.c_str();
    if (!display || !*display) {
        std::fprintf(stderr, "dmafeed-info: WAYLAND_DISPLAY is not set: run it inside a Wayland session or pass --display\n");
        return 1;
    }
    report.display = display;
    auto offer = info::probe(display, timeout);
    if (!offer) {
        std::fprintf(stderr, "dmafeed-info: %s\n", offer.error().message().c_str());
        return 1;
    }
    report.globals = offer->globals;
    report.dmabuf_version = offer->dmabuf_version;
    report.feedback = offer->feedback;
    report.v3_formats = offer->v3_formats;
    report.color = offer->color;

    // The local allocators, for the device the compositor names (or --device).
    if (!o.device.empty()) {
        struct stat st {};
        if (::stat(o.device.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
            std::fprintf(stderr, "dmafeed-info: --device %s is not a DRM device node\n", o.device.c_str());
            return 1;
        }
        report.local_device = st.st_rdev;
    } else if (report.feedback) {
        report.local_device = report.feedback->main_device;
    }
    const auto factory = producer::system_backends({.device_path = o.device});
    auto contexts = factory(report.local_device);
    if (!contexts) {
        report.allocator_errors.push_back(contexts.error().message());
    } else {
        for (const auto& ctx : contexts->backends) {
            info::LocalAllocator local{.name = ctx->describe(), .pairs = {}};
            const auto* vulkan = dynamic_cast<const VulkanAllocator*>(&ctx->allocator());
            for (const FormatModifier& p : ctx->allocator().supported()) {
                info::LocalPair lp{.pair = p};
                if (vulkan) {
                    if (const auto* cap = vulkan->capabilities().find(p)) {
                        lp.max_width = cap->max_extent.width;
                        lp.max_height = cap->max_extent.height;
                    }
                }
                local.pairs.push_back(lp);
            }
            report.allocators.push_back(std::move(local));
        }
    }
    const std::string out = o.json ? info::to_json(report) : info::to_text(report);
    std::fputs(out.c_str(), stdout);
    return 0;
}

}  // namespace
}  // namespace dmafeed

int main(int argc, char** argv)
{
    dmafeed::Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&](const char* opt) -> const char* {
            if (i + 1 >= argc) return nullptr;
            (void)opt;
            return argv[++i];
        };
        if (arg == "-h" || arg == "--help") {
            std::fputs(dmafeed::help, stdout);
            return 0;
        }
        if (arg == "--json") {
            o.json = true;
        } else if (arg == "--display" || arg == "--device" || arg == "--timeout") {
            const char* v = value(argv[i]);
            if (!v) return dmafeed::usage_error(std::string{arg} + ": needs a value");
            if (arg == "--display") o.display = v;
            if (arg == "--device") o.device = v;
            if (arg == "--timeout") {
                const std::string_view s = v;
                int ms = 0;
                const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
                if (ec != std::errc{} || end != s.data() + s.size() || ms < 100 || ms > 600000) {
                    return dmafeed::usage_error("--timeout: '" + std::string{s} + "': milliseconds, 100 to 600000");
                }
                o.timeout_ms = ms;
            }
        } else {
            return dmafeed::usage_error("unknown option '" + std::string{arg} + "'");
        }
    }
    return dmafeed::run(o);
}

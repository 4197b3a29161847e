// dmafeed-bench-alloc: what one buffer costs with the Vulkan export allocator.
//
// For each format x size: the time of VulkanAllocator::allocate() (vkCreateImage with the modifier
// list, vkAllocateMemory with VkExportMemoryAllocateInfo{DMA_BUF}, bind, vkGetMemoryFdKHR per
// memory, plane layouts), median and p95 over N runs after one untimed warm-up; and the bytes
// allocated (Buffer::allocated_bytes()) over the theoretical size (sum over planes of
// width * height * bytes per pixel, no stride padding). LINEAR rows are held to a ratio target
// (default 1.05) and say PASS or FAIL; other modifiers have no target.
//
// For LINEAR rows, a second table: what one CPU access to such a buffer costs (begin_cpu_write +
// end_cpu_write: a DMA_BUF_IOCTL_SYNC start and end on its dma-buf), N times in a row and N times
// each after a 2 ms sleep (the thread leaves the CPU between accesses, as the player's does
// between frames). Under TCG the second is 5 to 19 times the first: the emulator's cost of a
// thread coming back to the CPU, which a frame loop pays and a tight loop does not.
//
// --modifier preferred lets the driver choose from every modifier it exports for the format (its
// tiled or compressed layout on a real GPU); --shader adds the GPU pattern shader's time per frame
// from GPU timestamps (a full redraw and a changed-region redraw); --handle opaque measures drivers
// that export no dma-buf (NVIDIA without nvidia-drm) with opaque fds.
//
// Needs a device that exports dma-bufs (or, with --handle opaque, memory): on the project's own
// machines run it in the VM with tools/bench; on a real GPU run it directly (docs/gpu.md).
#include "alloc/vulkan_allocator.hpp"
#include "render/gpu_pattern.hpp"
#include "sources/pattern.hpp"
#include "drm/device.hpp"
#include "drm/format.hpp"
#include "drm/format_info.hpp"
#include "util/log.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"
#include "vk/physical_device.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dmafeed {
namespace {

constexpr const char* usage_text = R"(Usage: dmafeed-bench-alloc [OPTIONS]

Measures dmafeed's Vulkan export allocator: for each format x size, the time to allocate and
export one buffer (VulkanAllocator::allocate(): image, exportable memory, bind, dma-buf fds, plane
layouts; freeing is not timed), median and p95 over N runs after one untimed warm-up, and the
bytes allocated divided by the theoretical size (sum over planes of width * height * bytes per
pixel, without stride padding). LINEAR rows are held to the ratio target and print PASS or FAIL.

Needs a Vulkan device that exports dma-bufs with DRM format modifiers; on the project's machines
that is lavapipe inside the VM: use tools/bench, which runs this program there.

Options:
  --runs N          timed allocations per row (default 50)
  --format F        a format to measure (repeatable; default XRGB8888 and NV12); a name
                    ("XRGB8888"), a fourcc ("NV12") or a hex code
  --size WxH        a size to measure (repeatable; default 1920x1080 and 3840x2160)
  --modifier M      the modifier to request (default LINEAR); e.g. "linear", "INTEL:Y_TILED",
                    or "preferred": every modifier the device exports for the format, the
                    driver choosing (the "chosen" column says which)
  --target R        the ratio target for LINEAR rows (default 1.05)
  --handle H        what memory is exported as: "dma-buf" (default where the device can),
                    "opaque" (an opaque Vulkan fd: for drivers that export no dma-buf, such as
                    NVIDIA without nvidia-drm; the figures then are not a compositor's), "auto"
  --shader          also time the GPU pattern shader (GPU timestamps) per format x size: a full
                    redraw of a moving-box frame and the redraw of only what changed since the
                    last frame, median and p95 over N frames (8-bit formats the shader draws)
  -h, --help        this text

Columns: median and p95 in milliseconds; allocated and theoretical in bytes; ratio =
allocated / theoretical.

For LINEAR rows, a second table: one CPU access to the buffer (begin_cpu_write + end_cpu_write,
a DMA_BUF_IOCTL_SYNC start and end), median and p90 in microseconds over N accesses in a row, and
over N accesses each after a 2 ms sleep (as between a player's frames).

With --shader, a third table: the pattern shader's GPU time per frame in milliseconds.

Exit status: 0 every LINEAR row within the target, 1 a row over it, 2 bad arguments,
3 no usable Vulkan device or an allocation failed.
)";

struct Size {
    uint32_t width = 0;
    uint32_t height = 0;
};

struct Options {
    uint32_t runs = 50;
    std::vector<DrmFormat> formats;
    std::vector<Size> sizes;
    DrmModifier modifier = modifier_linear;
    bool preferred = false;  // --modifier preferred: every exportable modifier, the driver choosing
    double target = 1.05;
    enum class Handle { automatic, dma_buf, opaque } handle = Handle::automatic;
    bool shader = false;
};

bool parse_uint(std::string_view text, uint32_t& out)
{
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

std::optional<Size> parse_size(std::string_view text)
{
    const size_t x = text.find('x');
    Size s;
    if (x == std::string_view::npos || !parse_uint(text.substr(0, x), s.width) ||
        !parse_uint(text.substr(x + 1), s.height) || s.width == 0 || s.height == 0) {
        return std::nullopt;
    }
    return s;
}

// nullopt: exit with the returned status (help printed or bad arguments).
std::optional<Options> parse_args(int argc, char** argv, int& status)
{
    Options o;
    const auto fail = [&](const std::string& msg) {
        std::fprintf(stderr, "dmafeed-bench-alloc: %s (try --help)\n", msg.c_str());
        status = 2;
        return std::nullopt;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(usage_text, stdout);
            status = 0;
            return std::nullopt;
        }
        if (arg == "--shader") {
            o.shader = true;
            continue;
        }
        if (arg != "--runs" && arg != "--format" && arg != "--size" && arg != "--modifier" && arg != "--target" &&
            arg != "--handle") {
            return fail("unknown argument '" + std::string{arg} + "'");
        }
        if (i + 1 >= argc) return fail(std::string{arg} + " needs a value");
        const std::string_view value = argv[++i];
        if (arg == "--runs") {
            if (!parse_uint(value, o.runs) || o.runs == 0) return fail("--runs wants a positive number, not '" + std::string{value} + "'");
        } else if (arg == "--format") {
            auto f = parse_format(value);
            if (!f) return fail(f.error().message());
            o.formats.push_back(*f);
        } else if (arg == "--size") {
            auto s = parse_size(value);
            if (!s) return fail("--size wants WxH (e.g. 1920x1080), not '" + std::string{value} + "'");
            o.sizes.push_back(*s);
        } else if (arg == "--handle") {
            if (value == "auto") {
                o.handle = Options::Handle::automatic;
            } else if (value == "dma-buf") {
                o.handle = Options::Handle::dma_buf;
            } else if (value == "opaque") {
                o.handle = Options::Handle::opaque;
            } else {
                return fail("--handle wants auto, dma-buf or opaque, not '" + std::string{value} + "'");
            }
        } else if (arg == "--modifier" && value == "preferred") {
            o.preferred = true;
        } else if (arg == "--modifier") {
            auto m = parse_modifier(value);
            if (!m) return fail(m.error().message());
            o.modifier = *m;
        } else {
            char* end = nullptr;
            const std::string v{value};
            o.target = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end != '\0' || !(o.target > 0)) return fail("--target wants a positive number, not '" + v + "'");
        }
    }
    if (o.formats.empty()) o.formats = {DrmFormat{DRM_FORMAT_XRGB8888}, DrmFormat{DRM_FORMAT_NV12}};
    if (o.sizes.empty()) o.sizes = {{1920, 1080}, {3840, 2160}};
    return o;
}

// Sum over planes of plane width * plane height * bytes per pixel.
uint64_t theoretical_bytes(const FormatInfo& info, uint32_t width, uint32_t height)
{
    uint64_t total = 0;
    for (uint32_t p = 0; p < info.plane_count; ++p) {
        total += uint64_t{plane_width(info, p, width)} * plane_height(info, p, height) * info.planes[p].bytes_per_pixel;
    }
    return total;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Nearest-rank percentile.
double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

struct CpuAccess {
    std::string label;
    std::vector<double> in_a_row, after_sleep;  // microseconds
};

// One CPU access (begin_cpu_write + end_cpu_write) to the buffer, timed `runs` times in a row and
// `runs` times each after a 2 ms sleep, after one untimed access that maps it.
Result<CpuAccess> time_cpu_access(const Buffer& buffer, uint32_t runs)
{
    const auto access = [&buffer]() -> Result<double> {
        const auto start = std::chrono::steady_clock::now();
        auto mapped = buffer.begin_cpu_write();
        buffer.end_cpu_write();
        if (!mapped) return std::move(mapped).error().context("CPU access");
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    };
    if (auto first = access(); !first) return std::move(first).error();
    CpuAccess out;
    for (uint32_t i = 0; i < runs; ++i) {
        auto us = access();
        if (!us) return std::move(us).error();
        out.in_a_row.push_back(*us);
    }
    for (uint32_t i = 0; i < runs; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{2});
        auto us = access();
        if (!us) return std::move(us).error();
        out.after_sleep.push_back(*us);
    }
    return out;
}

struct OpenedBenchDevice {
    std::unique_ptr<vk::Instance> instance;
    std::unique_ptr<vk::Device> device;  // after the instance: destroyed first
    VkExternalMemoryHandleTypeFlagBits handle = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
};

// The device select_device() picks; with --handle opaque or auto, a device that exports memory
// but no dma-buf qualifies too (opaque fds).
Result<OpenedBenchDevice> open_bench_device(const Options& o)
{
    OpenedBenchDevice out;
    auto instance = vk::Instance::create({.application_name = "dmafeed-bench-alloc"});
    if (!instance) return std::move(instance).error();
    out.instance = std::make_unique<vk::Instance>(std::move(instance).value());
    auto handles = out.instance->physical_devices();
    if (!handles) return std::move(handles).error();
    std::vector<vk::PhysicalDeviceInfo> infos;
    for (VkPhysicalDevice d : *handles) infos.push_back(vk::query_physical_device(d));
    auto choice = vk::select_device(infos, std::nullopt);
    if (choice && o.handle != Options::Handle::opaque) {
        auto device = vk::Device::create(infos[choice->index]);
        if (!device) return std::move(device).error();
        out.device = std::move(device).value();
        return out;
    }
    if (o.handle == Options::Handle::dma_buf) {
        return Error{choice.error().message() +
                     "\na machine without dma-buf export (no udmabuf, no DRM) has none: tools/bench runs this in the VM"};
    }
    out.handle = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    std::string why = choice ? std::string{} : choice.error().message();
    for (const auto& info : infos) {
        if (!info.missing(out.handle).empty()) continue;
        auto device = vk::Device::create(info, out.handle);
        if (!device) return std::move(device).error();
        out.device = std::move(device).value();
        if (!why.empty()) log::info("no device exports dma-bufs (%s): measuring opaque fds", why.c_str());
        return out;
    }
    return Error{"no Vulkan device exports memory with DRM format modifiers" + (why.empty() ? "" : ": " + why)};
}

// The pattern shader's GPU time for `format` at `size`: full redraws and changed-region redraws of
// consecutive moving-box frames.
struct ShaderTimes {
    std::string label;
    std::vector<double> full, changed;  // milliseconds
    double changed_share = 0;           // pixels redrawn / pixels of a full frame
};

Result<ShaderTimes> time_shader(render::PatternRenderer& renderer, const Buffer& buffer, uint32_t runs)
{
    const auto& parts = static_cast<const VulkanBuffer&>(buffer).parts();
    const sources::PatternSpec spec{sources::PatternKind::moving_box, {}};
    const auto k = pixels::yuv_coefficients({});
    const auto draw = [&](uint64_t n, std::optional<std::span<const sources::PixelRect>> rects) -> Result<double> {
        const auto frame = sources::pattern_frame(spec, buffer.width(), buffer.height(), n, n * 16);
        auto fence = renderer.render(buffer, parts, frame, k, rects);
        if (!fence) return std::move(fence).error();
        return renderer.last_gpu_time_ms();
    };
    ShaderTimes out;
    if (auto warm = draw(0, std::nullopt); !warm) return std::move(warm).error();
    for (uint32_t i = 1; i <= runs; ++i) {
        auto ms = draw(i, std::nullopt);
        if (!ms) return std::move(ms).error();
        out.full.push_back(*ms);
    }
    auto previous = sources::pattern_frame(spec, buffer.width(), buffer.height(), runs, runs * 16);
    double pixels = 0;
    for (uint32_t i = runs + 1; i <= 2 * runs; ++i) {
        const auto next = sources::pattern_frame(spec, buffer.width(), buffer.height(), i, i * 16);
        const auto changed = sources::pattern_changes(previous, next);
        for (const auto& r : changed) pixels += static_cast<double>(r.width) * r.height;
        auto ms = draw(i, std::span<const sources::PixelRect>{changed});
        if (!ms) return std::move(ms).error();
        out.changed.push_back(*ms);
        previous = next;
    }
    out.changed_share = pixels / (static_cast<double>(buffer.width()) * buffer.height() * runs);
    return out;
}

int run(const Options& o)
{
    auto opened = open_bench_device(o);
    if (!opened) {
        log::error("%s", opened.error().message().c_str());
        return 3;
    }
    const vk::Device& device = *opened->device;
    const bool dma_buf = opened->handle == VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    auto allocator = VulkanAllocator::create(device, VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                                             o.shader ? VkImageUsageFlags{VK_IMAGE_USAGE_STORAGE_BIT} : 0U, opened->handle);
    if (!allocator) {
        log::error("%s", allocator.error().message().c_str());
        return 3;
    }
    std::unique_ptr<render::PatternRenderer> renderer;
    if (o.shader) {
        auto r = render::PatternRenderer::create(device);
        if (!r) {
            log::error("%s", r.error().message().c_str());
            return 3;
        }
        renderer = std::move(r).value();
        if (auto timed = renderer->enable_gpu_timing(); !timed) {
            log::error("%s", timed.error().message().c_str());
            return 3;
        }
    }

    std::printf("device: %s (%s); exported as %s; usage TRANSFER_DST%s; %u timed runs per row after 1 warm-up\n",
                device.info().name.c_str(), device.info().driver.c_str(), dma_buf ? "dma-buf" : "OPAQUE_FD",
                o.shader ? " (+STORAGE where exportable)" : "", o.runs);
    std::printf("%-10s %-10s %-22s %-22s %10s %10s %12s %12s %7s  %s\n", "format", "size", "requested", "chosen", "median ms",
                "p95 ms", "allocated", "theoretical", "ratio", "result");
    bool over_target = false;
    std::vector<CpuAccess> accesses;
    std::vector<ShaderTimes> shader_times;
    for (DrmFormat format : o.formats) {
        const FormatInfo* info = format_info(format);
        if (!info) {
            log::error("dmafeed has no plane table for %s", name(format).c_str());
            return 3;
        }
        const std::vector<DrmModifier> modifiers =
            o.preferred ? (*allocator)->supported().modifiers_for(format) : std::vector<DrmModifier>{o.modifier};
        if (modifiers.empty()) {
            log::error("%s cannot be exported with any modifier on %s", name(format).c_str(), device.info().name.c_str());
            return 3;
        }
        for (const Size& size : o.sizes) {
            const AllocationRequest req{.format = format, .width = size.width, .height = size.height, .modifiers = modifiers};
            std::vector<double> ms;
            uint64_t allocated = 0;
            std::unique_ptr<Buffer> last;
            for (uint32_t i = 0; i <= o.runs; ++i) {  // run 0 is the warm-up
                last.reset();
                const auto start = std::chrono::steady_clock::now();
                auto buffer = (*allocator)->allocate(req);
                const auto stop = std::chrono::steady_clock::now();
                if (!buffer) {
                    log::error("%s", buffer.error().message().c_str());
                    return 3;
                }
                allocated = std::max(allocated, (*buffer)->allocated_bytes());
                if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
                last = std::move(*buffer);
            }
            const DrmModifier chosen = last->modifier();
            const uint64_t theoretical = theoretical_bytes(*info, size.width, size.height);
            const double ratio = static_cast<double>(allocated) / static_cast<double>(theoretical);
            std::string result = "-";
            if (chosen.is_linear()) {
                const bool pass = ratio <= o.target;
                over_target = over_target || !pass;
                result = log::format("%s (<= %.2f)", pass ? "PASS" : "FAIL", o.target);
            }
            const std::string size_text = std::to_string(size.width) + "x" + std::to_string(size.height);
            const std::string requested = o.preferred ? "preferred (" + std::to_string(modifiers.size()) + ")" : name(o.modifier);
            std::printf("%-10s %-10s %-22s %-22s %10.3f %10.3f %12llu %12llu %7.4f  %s\n", name(format).c_str(),
                        size_text.c_str(), requested.c_str(), name(chosen).c_str(), median(ms), percentile(ms, 95),
                        static_cast<unsigned long long>(allocated), static_cast<unsigned long long>(theoretical), ratio,
                        result.c_str());
            std::fflush(stdout);
            if (chosen.is_linear() && dma_buf) {
                auto access = time_cpu_access(*last, o.runs);
                if (!access) {
                    log::error("%s", access.error().message().c_str());
                    return 3;
                }
                access->label = log::format("%-10s %-10s", name(format).c_str(), size_text.c_str());
                accesses.push_back(std::move(*access));
            }
            if (renderer) {
                const auto& parts = static_cast<const VulkanBuffer&>(*last).parts();
                if (auto why = render::PatternRenderer::cannot_draw(device, *last, parts); !why.empty()) {
                    std::printf("  shader: not timed: %s\n", why.c_str());
                } else {
                    auto times = time_shader(*renderer, *last, o.runs);
                    if (!times) {
                        log::error("%s", times.error().message().c_str());
                        return 3;
                    }
                    times->label = log::format("%-10s %-10s %-22s", name(format).c_str(), size_text.c_str(), name(chosen).c_str());
                    shader_times.push_back(std::move(*times));
                }
            }
        }
    }
    if (!accesses.empty()) {
        std::printf("\nCPU access to a LINEAR buffer (begin_cpu_write + end_cpu_write: DMA_BUF_IOCTL_SYNC start and end), "
                    "microseconds\n%-10s %-10s %16s %8s %19s %8s\n",
                    "format", "size", "in a row: median", "p90", "after 2 ms: median", "p90");
        for (const CpuAccess& a : accesses) {
            std::printf("%s %16.1f %8.1f %19.1f %8.1f\n", a.label.c_str(), median(a.in_a_row), percentile(a.in_a_row, 90),
                        median(a.after_sleep), percentile(a.after_sleep, 90));
        }
    }
    if (!shader_times.empty()) {
        std::printf("\nPattern shader, GPU time per frame (timestamps), milliseconds, moving-box\n%-10s %-10s %-22s %12s %8s "
                    "%15s %8s %9s\n",
                    "format", "size", "modifier", "full: median", "p95", "changed: median", "p95", "redrawn");
        for (const ShaderTimes& t : shader_times) {
            std::printf("%s %12.4f %8.4f %15.4f %8.4f %8.1f%%\n", t.label.c_str(), median(t.full), percentile(t.full, 95),
                        median(t.changed), percentile(t.changed, 95), 100.0 * t.changed_share);
        }
    }
    return over_target ? 1 : 0;
}

}  // namespace
}  // namespace dmafeed

int main(int argc, char** argv)
{
    int status = 0;
    const auto options = dmafeed::parse_args(argc, argv, status);
    if (!options) return status;
    return dmafeed::run(*options);
}

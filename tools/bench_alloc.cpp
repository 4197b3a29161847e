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
// Needs a device that exports dma-bufs: run it in the VM with tools/bench.
#include "alloc/vulkan_allocator.hpp"
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
  --modifier M      the modifier to request (default LINEAR); e.g. "linear", "INTEL:Y_TILED"
  --target R        the ratio target for LINEAR rows (default 1.05)
  -h, --help        this text

Columns: median and p95 in milliseconds; allocated and theoretical in bytes; ratio =
allocated / theoretical.

For LINEAR rows, a second table: one CPU access to the buffer (begin_cpu_write + end_cpu_write,
a DMA_BUF_IOCTL_SYNC start and end), median and p90 in microseconds over N accesses in a row, and
over N accesses each after a 2 ms sleep (as between a player's frames).

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
    double target = 1.05;
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
        if (arg != "--runs" && arg != "--format" && arg != "--size" && arg != "--modifier" && arg != "--target") {
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

int run(const Options& o)
{
    auto instance = vk::Instance::create({.application_name = "dmafeed-bench-alloc"});
    if (!instance) {
        log::error("%s", instance.error().message().c_str());
        return 3;
    }
    auto handles = instance->physical_devices();
    if (!handles) {
        log::error("%s", handles.error().message().c_str());
        return 3;
    }
    std::vector<vk::PhysicalDeviceInfo> infos;
    for (VkPhysicalDevice d : *handles) infos.push_back(vk::query_physical_device(d));
    auto choice = vk::select_device(infos, std::nullopt, drm::same_device);
    if (!choice) {
        log::error("%s", choice.error().message().c_str());
        log::error("a machine without dma-buf export (no udmabuf, no DRM) has none: tools/bench runs this in the VM");
        return 3;
    }
    auto device = vk::Device::create(infos[choice->index]);
    if (!device) {
        log::error("%s", device.error().message().c_str());
        return 3;
    }
    auto allocator = VulkanAllocator::create(**device, VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    if (!allocator) {
        log::error("%s", allocator.error().message().c_str());
        return 3;
    }

    std::printf("device: %s (%s); usage TRANSFER_DST; %u timed runs per row after 1 warm-up\n",
                (*device)->info().name.c_str(), (*device)->info().driver.c_str(), o.runs);
    std::printf("%-10s %-10s %-8s %10s %10s %12s %12s %7s  %s\n", "format", "size", "modifier", "median ms", "p95 ms",
                "allocated", "theoretical", "ratio", "result");
    bool over_target = false;
    std::vector<CpuAccess> accesses;
    for (DrmFormat format : o.formats) {
        const FormatInfo* info = format_info(format);
        if (!info) {
            log::error("dmafeed has no plane table for %s", name(format).c_str());
            return 3;
        }
        for (const Size& size : o.sizes) {
            const AllocationRequest req{.format = format, .width = size.width, .height = size.height, .modifiers = {o.modifier}};
            std::vector<double> ms;
            uint64_t allocated = 0;
            std::unique_ptr<Buffer> last;
            for (uint32_t i = 0; i <= o.runs; ++i) {  // run 0 is the warm-up
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
            const uint64_t theoretical = theoretical_bytes(*info, size.width, size.height);
            const double ratio = static_cast<double>(allocated) / static_cast<double>(theoretical);
            std::string result = "-";
            if (o.modifier.is_linear()) {
                const bool pass = ratio <= o.target;
                over_target = over_target || !pass;
                result = log::format("%s (<= %.2f)", pass ? "PASS" : "FAIL", o.target);
            }
            const std::string size_text = std::to_string(size.width) + "x" + std::to_string(size.height);
            std::printf("%-10s %-10s %-8s %10.3f %10.3f %12llu %12llu %7.4f  %s\n", name(format).c_str(), size_text.c_str(),
                        name(o.modifier).c_str(), median(ms), percentile(ms, 95), static_cast<unsigned long long>(allocated),
                        static_cast<unsigned long long>(theoretical), ratio, result.c_str());
            std::fflush(stdout);
            if (o.modifier.is_linear()) {
                auto access = time_cpu_access(*last, o.runs);
                if (!access) {
                    log::error("%s", access.error().message().c_str());
                    return 3;
                }
                access->label = log::format("%-10s %-10s", name(format).c_str(), size_text.c_str());
                accesses.push_back(std::move(*access));
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

// The allocators a producer uses for one target device, and what fills their buffers.
//
// An Backend owns an allocator and whatever it needs (a Vulkan instance and device, an
// uploader). The producer asks a BackendFactory for the backends of each device the compositor
// names (a tranche's target device; 0 when the compositor does not say), once per device, and
// negotiates over them in the factory's order. A factory may hand out stand-ins first and set the
// preferred backends up in the background (PendingBackends, AllocatorOptions::quick_start).
// system_backends() is the one factory of the player, dmafeed-conform and the library (which
// renders into the images itself: AllocatorOptions::host_usage); tests bring their own.
#pragma once

#include "alloc/allocator.hpp"
#include "pixels/color.hpp"
#include "render/cpu_pattern.hpp"
#include "sources/pattern.hpp"
#include "util/result.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {
class Device;
class Instance;
}  // namespace dmafeed::vk

namespace dmafeed::producer {

// The Vulkan device whose images a backend's buffers have, for a host that renders into them.
struct BackendVulkan {
    const vk::Instance* instance = nullptr;
    const vk::Device* device = nullptr;
    VkImageUsageFlags usage = 0;  // what the images are made for (at least; some pairs add more)
};

class Backend {
public:
    Backend() = default;
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;
    virtual ~Backend() = default;

    virtual Allocator& allocator() = 0;
    // "vulkan on llvmpipe (LLVM 19.1.7, 256 bits)", "gbm on /dev/dri/card0 (virtio_gpu)".
    virtual std::string describe() const = 0;
    // Fills every plane of `buffer` (made by this allocator) from CPU pixels: through Vulkan where
    // the buffer has images, else through a CPU mapping. Returns a sync_file that signals when the
    // pixels are in place (GPU work still running), or no fd when they already are.
    virtual Result<UniqueFd> write(const Buffer& buffer, std::span<const PlanePixels> planes);
    // Whether write() puts CPU pixels straight into `buffer`'s mappings (no GPU copy), so that a
    // caller may write them there itself (Buffer::begin_cpu_write).
    virtual bool writes_in_place(const Buffer& buffer) const { return buffer.layout_modifier().is_linear(); }
    // Why draw() cannot fill `buffer`; empty when it can. Here (no GPU): a LINEAR buffer in a
    // format the packer knows, drawn on the CPU.
    virtual std::string cannot_draw(const Buffer& buffer) const;
    // Whether draw() puts `buffer`'s pixels there with the GPU (render::PatternRenderer) rather
    // than the CPU (render::CpuPatternDrawer).
    virtual bool draws_on_gpu(const Buffer&) const { return false; }
    // draw() would not wait for the pattern pipeline to be built (see prepare_patterns, whose
    // building the first call starts).
    virtual bool draw_ready() { return true; }
    // Draws a test pattern frame into `buffer` without CPU pixels of a whole frame: on the GPU
    // (render::PatternRenderer), or on the CPU straight into the buffer's mappings
    // (render::CpuPatternDrawer, here). `changed` set: the buffer holds a frame that differs only
    // there. Returns a sync_file like write().
    virtual Result<UniqueFd> draw(const Buffer& buffer, const sources::PatternFrame& frame,
                                  pixels::YuvEncoding encoding,
                                  const std::optional<std::vector<sources::PixelRect>>& changed);
    // The Vulkan device of the buffers' images; null where they have none (CPU mappings only).
    virtual const BackendVulkan* vulkan() const noexcept { return nullptr; }

protected:
    render::CpuPatternDrawer cpu_drawer_;
};

using Backends = std::vector<std::unique_ptr<Backend>>;

// Backends a factory is still setting up in the background (AllocatorOptions::quick_start: the
// Vulkan device, which takes seconds on lavapipe under emulation), to replace the ones it gave to
// start with. Destroying it does not wait for the set-up to end (see background_backends).
class PendingBackends {
public:
    PendingBackends() = default;
    PendingBackends(const PendingBackends&) = delete;
    PendingBackends& operator=(const PendingBackends&) = delete;
    virtual ~PendingBackends() = default;
    // take() would not wait.
    virtual bool ready() const = 0;
    // Waits for them: every backend of the device, in preference order (the stand-ins' allocators
    // among them), or why there are none (then the stand-ins stay). Once.
    virtual Result<Backends> take() = 0;
    // What is being set up, for logs: "Vulkan and GBM with Vulkan imports".
    virtual std::string describe() const = 0;
};

// The backends `set_up` makes, made on a thread of its own (what quick start gives as
// DeviceBackends::pending); `what` is describe()'s text. take() waits for them. Destroying the
// PendingBackends before the set-up has ended does not wait: the set-up is abandoned, runs to its
// end on its thread (a Vulkan device cannot be interrupted while it is being made) and destroys
// what it made there, before anyone could see it. So a producer whose compositor has died goes at
// once. Whichever side finishes last destroys the results, never both: the thread hands them over
// under a lock only while they are still wanted, and the PendingBackends destroys what was handed
// over itself, on its own thread.
std::unique_ptr<PendingBackends> background_backends(std::function<Result<Backends>()> set_up, std::string what);

// How many abandoned set-ups (above) are still running. A process that ends while one runs (a
// driver still loading in it) should leave with _exit() after flushing its output, so that no
// static destructor runs under that thread's feet; their fds go with the process.
size_t abandoned_set_ups_running() noexcept;
// Waits up to `timeout` until none runs: true then (from any thread).
bool wait_for_abandoned_set_ups(std::chrono::milliseconds timeout);

// What a factory gives for one device: its backends in preference order and, where they stand in
// for better ones still being set up, those (the producer switches to them when they are ready,
// keeping its buffers where the new first choice is the same allocator and layout).
struct DeviceBackends {
    Backends backends;
    std::unique_ptr<PendingBackends> pending;
};

// The backends for one device. An error (why no allocator works for that device) takes the
// device's tranches out of the negotiation.
using BackendFactory = std::function<Result<DeviceBackends>(dev_t target_device)>;

// udmabuf: only udmabuf buffers (UdmabufAllocator: system memory made a dma-buf, LINEAR, filled on
// the CPU), no Vulkan, no GBM; for compositors' imports of system-memory dma-bufs.
enum class AllocatorKind { automatic, vulkan, gbm, udmabuf };

// Who draws test patterns into a buffer both could draw (a LINEAR buffer with Vulkan images):
//  - gpu: the compute shader (render::PatternRenderer);
//  - cpu: the CPU, straight into the buffer's mappings (render::CpuPatternDrawer);
//  - automatic: the CPU where the Vulkan device is the CPU (lavapipe: the shader would run on the
//    same cores, after seconds of shader compilation and with a dispatch and a fence per frame),
//    the GPU elsewhere.
// A buffer only one of them can draw is drawn by that one.
enum class PatternDraw { automatic, gpu, cpu };

// How CPU pixels reach a Vulkan buffer.
//  - staging: copied into a staging buffer, then by the GPU into the image (a render fence).
//  - direct: written through a CPU mapping of the buffer's dma-bufs (LINEAR only; no fence).
//  - automatic: direct where the Vulkan device is the CPU (lavapipe: its "device memory" is RAM,
//    so the GPU copy is a second CPU copy), staging elsewhere.
enum class UploadPath { automatic, staging, direct };

struct AllocatorOptions {
    AllocatorKind kind = AllocatorKind::automatic;
    // A DRM node to use instead of the compositor's target device ("/dev/dri/renderD128").
    std::string device_path;
    bool validation = false;  // Vulkan validation layer
    UploadPath upload = UploadPath::automatic;
    // Build the GPU pattern pipeline in a background thread, started by the first draw_ready()
    // (compiling its shader takes seconds on lavapipe under emulation), which turns true when it
    // is done; meanwhile frames can be drawn on the CPU. Off: it is built on the first draw().
    bool prepare_patterns = false;
    // Who draws the patterns (Backend::draw), where both could.
    PatternDraw draw = PatternDraw::automatic;
    // Quick start (kind automatic or gbm, draw not gpu): udmabuf buffers where the compositor names
    // no DRM device and --device is not given (UdmabufAllocator: no device, no userspace driver;
    // automatic only), else dumb buffers of the device's primary node
    // (DumbAllocator: no userspace driver loaded; automatic only), else GBM alone without Vulkan, stand in, drawn
    // and written on the CPU, while the Vulkan device is set up in a background thread
    // (PendingBackends); then the usual backends (Vulkan and GBM, in the order rule's order) take
    // over. The first frame waits neither for Vulkan (seconds on lavapipe) nor for Mesa's driver.
    // Where neither stand-in can start, everything is set up at once as without it.
    bool quick_start = false;
    // Set: a host renders into the buffers' images itself with this usage (the library). The
    // images are made for it and TRANSFER_DST, without the GPU patterns' storage usage, so only
    // pairs exportable for that usage are negotiated.
    std::optional<VkImageUsageFlags> host_usage;
    // Called with every Vulkan device the factory sets up, in order, on the thread that sets it up
    // (a background one under quick_start).
    std::function<void(const BackendVulkan&)> on_vulkan_device;
};

// The udmabuf buffers' backend (AllocatorKind::udmabuf, and the quick start's stand-in where the
// compositor names no DRM device): on `path` ("/dev/udmabuf" when empty).
Result<std::unique_ptr<Backend>> udmabuf_backend(const std::string& path = {});
// AllocatorKind::udmabuf's backends, for every factory: the udmabuf backend alone.
Result<DeviceBackends> udmabuf_backends();

// Vulkan (the device that matches the target, else the best exporting device) and GBM (on the
// target device's nodes); `automatic` offers both, so that buffers the compositor refuses from one
// are tried from the other: Vulkan first, but GBM first when the compositor names a DRM device
// that the Vulkan device is not (lavapipe beside a virtio-gpu compositor).
BackendFactory system_backends(const AllocatorOptions& options);

// The order rule of `automatic` (for every factory): GBM before Vulkan when the compositor names a
// DRM device (`wanted`) that the Vulkan device is not, Vulkan first otherwise.
inline bool gbm_first(bool device_wanted, bool vulkan_is_that_device) noexcept
{
    return device_wanted && !vulkan_is_that_device;
}

// The end of every factory: `vulkan` (may be null) put before or after `others` (GBM) by the order
// rule; no backend at all is an error listing `failures` ("ALLOCATOR: why"), which are otherwise
// logged (debug) as the allocators not used.
Result<Backends> order_backends(Backends others, std::unique_ptr<Backend> vulkan, bool device_wanted,
                                         bool vulkan_is_that_device, const std::vector<std::string>& failures);

}  // namespace dmafeed::producer

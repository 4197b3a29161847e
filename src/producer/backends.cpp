#include "producer/backends.hpp"

#include "alloc/dumb_allocator.hpp"
#include "alloc/gbm_allocator.hpp"
#include "alloc/udmabuf_allocator.hpp"
#include "alloc/vulkan_allocator.hpp"
#include "render/gpu_pattern.hpp"
#include "util/log.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"
#include "vk/physical_device.hpp"
#include "vk/upload.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <sys/stat.h>

namespace dmafeed::producer {

Result<UniqueFd> Backend::write(const Buffer& buffer, std::span<const PlanePixels> planes)
{
    if (auto r = buffer.write_planes(planes); !r) return std::move(r).error();
    return UniqueFd{};
}

std::string Backend::cannot_draw(const Buffer& buffer) const { return render::CpuPatternDrawer::cannot_draw(buffer); }

Result<UniqueFd> Backend::draw(const Buffer& buffer, const sources::PatternFrame& frame, pixels::YuvEncoding encoding,
                                        const std::optional<std::vector<sources::PixelRect>>& changed)
{
    if (auto why = Backend::cannot_draw(buffer); !why.empty()) return Error{"CPU pattern: " + why};
    Result<void> drawn = changed ? cpu_drawer_.draw(buffer, frame, encoding, std::span<const sources::PixelRect>{*changed})
                                 : cpu_drawer_.draw(buffer, frame, encoding);
    if (!drawn) return std::move(drawn).error();
    return UniqueFd{};
}

namespace {

// Every image is made for this (uploads copy into it) and what a host asks for.
VkImageUsageFlags image_usage(const AllocatorOptions& options)
{
    return VK_IMAGE_USAGE_TRANSFER_DST_BIT | options.host_usage.value_or(0);
}
// Added where the driver can export the pair with it: the GPU patterns write storage images. Not
// for a host's images, whose usage is what the host asked for.
VkImageUsageFlags pattern_usage(const AllocatorOptions& options)
{
    return options.host_usage ? 0 : VK_IMAGE_USAGE_STORAGE_BIT;
}

// A Vulkan instance and device shared by the Vulkan and GBM backends of one target device.
struct VulkanStack {
    std::optional<vk::Instance> instance;
    std::unique_ptr<vk::Device> device;
    std::unique_ptr<vk::Uploader> uploader;
    std::unique_ptr<render::PatternRenderer> renderer;  // made on the first draw, or by `builder`
    // prepare_patterns: the thread building the renderer, its result, and whether it has one.
    std::thread builder;
    std::optional<Result<std::unique_ptr<render::PatternRenderer>>> built;
    std::atomic<bool> built_ready{false};
    bool prepare_patterns = false;  // start `builder` on the first draw_ready()
    PatternDraw draw_policy = PatternDraw::automatic;
    std::string name;
    bool matched = false;  // the device is the wanted DRM device (not a fallback such as lavapipe)
    BackendVulkan published;  // for hosts (Backend::vulkan)

    VulkanStack() = default;
    VulkanStack(const VulkanStack&) = delete;
    VulkanStack& operator=(const VulkanStack&) = delete;
    ~VulkanStack()
    {
        if (builder.joinable()) builder.join();  // before the device goes
    }

    static Result<std::shared_ptr<VulkanStack>> create(std::optional<dev_t> wanted, const AllocatorOptions& options)
    {
        const bool prepare_patterns = options.prepare_patterns;
        const PatternDraw draw_policy = options.draw;
        auto opened = vk::open_device(wanted, {.validation = options.validation});
        if (!opened) return std::move(opened).error();
        auto stack = std::make_shared<VulkanStack>();
        stack->instance.emplace(std::move(opened->instance));
        stack->device = std::move(opened->device);
        auto uploader = vk::Uploader::create(*stack->device);
        if (!uploader) return std::move(uploader).error();
        stack->uploader = std::move(*uploader);
        stack->name = stack->device->info().name;
        stack->draw_policy = draw_policy;
        // The pipeline is built ahead only where the GPU will draw (a GPU draw without it builds it then).
        stack->prepare_patterns = prepare_patterns && stack->device->stores_without_format() && !cpu_preferred(draw_policy, *stack);
        stack->matched = opened->matched;
        stack->published = {.instance = &*stack->instance, .device = stack->device.get(), .usage = image_usage(options)};
        return stack;
    }

    static bool cpu_preferred(PatternDraw policy, const VulkanStack& stack)
    {
        return policy == PatternDraw::cpu ||
               (policy == PatternDraw::automatic && stack.device->info().type == VK_PHYSICAL_DEVICE_TYPE_CPU);
    }

    Result<UniqueFd> upload(const Buffer& buffer, std::span<const PlanePixels> planes)
    {
        auto regions = buffer.upload_regions(planes);
        if (!regions) return std::move(regions).error();
        return uploader->upload_fenced(*regions);
    }

    // With prepare_patterns, the first call starts building the renderer in the background (after
    // start-up, so that it does not compete with it) and says no until it is built.
    bool draw_ready()
    {
        if (renderer) return true;
        if (prepare_patterns && !builder.joinable() && !built) {
            // Only the device is shared with the thread, and it outlives it (~VulkanStack joins).
            builder = std::thread{[this] {
                built.emplace(render::PatternRenderer::create(*device));
                built_ready.store(true, std::memory_order_release);
            }};
            return false;
        }
        return !builder.joinable() || built_ready.load(std::memory_order_acquire);
    }

    Result<UniqueFd> draw(const Buffer& buffer, std::span<const VulkanImagePart> parts, const sources::PatternFrame& frame,
                          pixels::YuvEncoding encoding, const std::optional<std::vector<sources::PixelRect>>& changed)
    {
        const pixels::YuvCoefficients coefficients = pixels::yuv_coefficients(encoding);
        if (!renderer) {
            if (builder.joinable()) builder.join();
            auto made = built ? std::move(*built) : render::PatternRenderer::create(*device);
            built.reset();
            if (!made) return std::move(made).error();
            renderer = std::move(*made);
        }
        if (changed) return renderer->render(buffer, parts, frame, coefficients, std::span<const sources::PixelRect>{*changed});
        return renderer->render(buffer, parts, frame, coefficients);
    }
};

enum class Drawer { gpu, cpu, none };

// Who draws the patterns into `buffer` under `policy`. `gpu_why`: why the GPU cannot (empty: it
// can). Neither: `why` says why not.
Drawer choose_drawer(PatternDraw policy, bool cpu_device, const std::string& gpu_why, const Buffer& buffer, std::string* why)
{
    const std::string cpu_why = render::CpuPatternDrawer::cannot_draw(buffer);
    Drawer chosen = Drawer::none;
    switch (policy) {
    case PatternDraw::gpu:
        if (gpu_why.empty()) chosen = Drawer::gpu;
        else if (why) *why = gpu_why;
        break;
    case PatternDraw::cpu:
        if (cpu_why.empty()) chosen = Drawer::cpu;
        else if (why) *why = cpu_why;
        break;
    case PatternDraw::automatic:
        if (cpu_device && cpu_why.empty()) chosen = Drawer::cpu;
        else if (gpu_why.empty()) chosen = Drawer::gpu;
        else if (cpu_why.empty()) chosen = Drawer::cpu;
        else if (why) *why = "the GPU cannot draw it (" + gpu_why + "), nor the CPU (" + cpu_why + ")";
        break;
    }
    return chosen;
}

class VulkanBackend final : public Backend {
public:
    VulkanBackend(std::shared_ptr<VulkanStack> stack, std::unique_ptr<VulkanAllocator> allocator, UploadPath upload)
        : stack_{std::move(stack)}, allocator_{std::move(allocator)}
    {
        direct_ = upload == UploadPath::direct ||
                  (upload == UploadPath::automatic && stack_->device->info().type == VK_PHYSICAL_DEVICE_TYPE_CPU);
    }
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override { return "vulkan on " + stack_->name; }
    Result<UniqueFd> write(const Buffer& buffer, std::span<const PlanePixels> planes) override
    {
        if (writes_in_place(buffer)) return Backend::write(buffer, planes);
        return stack_->upload(buffer, planes);
    }
    bool writes_in_place(const Buffer& buffer) const override { return direct_ && buffer.layout_modifier().is_linear(); }
    std::string cannot_draw(const Buffer& buffer) const override
    {
        std::string why;
        return drawer(buffer, &why) == Drawer::none ? why : std::string{};
    }
    bool draws_on_gpu(const Buffer& buffer) const override { return drawer(buffer, nullptr) == Drawer::gpu; }
    Result<UniqueFd> draw(const Buffer& buffer, const sources::PatternFrame& frame, pixels::YuvEncoding encoding,
                          const std::optional<std::vector<sources::PixelRect>>& changed) override
    {
        std::string why;
        switch (drawer(buffer, &why)) {
        case Drawer::gpu: return stack_->draw(buffer, static_cast<const VulkanBuffer&>(buffer).parts(), frame, encoding, changed);
        case Drawer::cpu: return Backend::draw(buffer, frame, encoding, changed);
        case Drawer::none: break;
        }
        return Error{"pattern: " + why};
    }
    bool draw_ready() override { return stack_->draw_ready(); }
    const BackendVulkan* vulkan() const noexcept override { return &stack_->published; }

private:
    Drawer drawer(const Buffer& buffer, std::string* why) const
    {
        const std::string gpu_why =
            render::PatternRenderer::cannot_draw(*stack_->device, buffer, static_cast<const VulkanBuffer&>(buffer).parts());
        return choose_drawer(stack_->draw_policy, stack_->device->info().type == VK_PHYSICAL_DEVICE_TYPE_CPU, gpu_why, buffer, why);
    }
    std::shared_ptr<VulkanStack> stack_;  // outlives the allocator (declared first)
    std::unique_ptr<VulkanAllocator> allocator_;
    bool direct_ = false;
};

class GbmBackend final : public Backend {
public:
    GbmBackend(std::shared_ptr<VulkanStack> stack, std::unique_ptr<GbmAllocator> allocator, PatternDraw policy)
        : stack_{std::move(stack)}, allocator_{std::move(allocator)}, policy_{policy}
    {
    }
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override
    {
        return "gbm on " + allocator_->node() + " (" + allocator_->kernel_driver() + ")";
    }
    Result<UniqueFd> write(const Buffer& buffer, std::span<const PlanePixels> planes) override
    {
        if (copied_by_gpu(buffer)) return stack_->upload(buffer, planes);
        return Backend::write(buffer, planes);
    }
    bool writes_in_place(const Buffer& buffer) const override
    {
        return !copied_by_gpu(buffer) && buffer.layout_modifier().is_linear();
    }
    std::string cannot_draw(const Buffer& buffer) const override
    {
        std::string why;
        return drawer(buffer, &why) == Drawer::none ? why : std::string{};
    }
    bool draws_on_gpu(const Buffer& buffer) const override { return drawer(buffer, nullptr) == Drawer::gpu; }
    Result<UniqueFd> draw(const Buffer& buffer, const sources::PatternFrame& frame, pixels::YuvEncoding encoding,
                          const std::optional<std::vector<sources::PixelRect>>& changed) override
    {
        std::string why;
        switch (drawer(buffer, &why)) {
        case Drawer::gpu: return stack_->draw(buffer, static_cast<const GbmBuffer&>(buffer).parts(), frame, encoding, changed);
        case Drawer::cpu: return Backend::draw(buffer, frame, encoding, changed);
        case Drawer::none: break;
        }
        return Error{"pattern: " + why};
    }
    bool draw_ready() override { return !stack_ || stack_->draw_ready(); }
    const BackendVulkan* vulkan() const noexcept override
    {
        return stack_ ? &stack_->published : nullptr;
    }

private:
    // CPU pixels go by a GPU copy where the bo is in Vulkan, unless the Vulkan device is the CPU
    // and the layout is known (then the copy would be a second CPU copy: the mapping is the one).
    bool copied_by_gpu(const Buffer& buffer) const
    {
        return buffer.fill_path() == FillPath::vulkan && stack_ &&
               (stack_->device->info().type != VK_PHYSICAL_DEVICE_TYPE_CPU || !buffer.layout_modifier().is_linear());
    }
    Drawer drawer(const Buffer& buffer, std::string* why) const
    {
        if (!stack_) {
            return choose_drawer(policy_, false, "no Vulkan device to draw with", buffer, why);
        }
        const std::string gpu_why =
            buffer.fill_path() != FillPath::vulkan
                ? "this GBM buffer is not imported into Vulkan (" + static_cast<const GbmBuffer&>(buffer).fill_path_reason() + ")"
                : render::PatternRenderer::cannot_draw(*stack_->device, buffer, static_cast<const GbmBuffer&>(buffer).parts());
        return choose_drawer(stack_->draw_policy, stack_->device->info().type == VK_PHYSICAL_DEVICE_TYPE_CPU, gpu_why, buffer, why);
    }
    std::shared_ptr<VulkanStack> stack_;  // may be null: CPU mapping only
    std::unique_ptr<GbmAllocator> allocator_;
    PatternDraw policy_;
};

}  // namespace

Result<Backends> order_backends(Backends others, std::unique_ptr<Backend> vulkan, bool device_wanted,
                                         bool vulkan_is_that_device, const std::vector<std::string>& failures)
{
    // Vulkan first, unless the compositor names a DRM device that the Vulkan device is not
    // (lavapipe for a virtio-gpu compositor, which refuses its buffers): then GBM, which
    // allocates on that device, goes first and Vulkan stays the fallback.
    if (vulkan) {
        const bool later = gbm_first(device_wanted, vulkan_is_that_device) && !others.empty();
        others.insert(later ? others.end() : others.begin(), std::move(vulkan));
    }
    if (others.empty()) {
        std::string msg = "no allocator works here";
        for (const auto& f : failures) msg += "\n  " + f;
        return Error{msg};
    }
    for (const auto& f : failures) log::debug("allocator not used: %s", f.c_str());
    return others;
}

namespace {

// The DRM device the allocators are for: --device's, else the compositor's target device.
Result<std::optional<dev_t>> wanted_device(const AllocatorOptions& options, dev_t target)
{
    if (!options.device_path.empty()) {
        struct stat st {};
        if (::stat(options.device_path.c_str(), &st) != 0) return Error::from_errno("--device " + options.device_path, errno);
        if (!S_ISCHR(st.st_mode)) return Error{"--device " + options.device_path + " is not a DRM device node"};
        return std::optional<dev_t>{st.st_rdev};
    }
    if (target != 0) return std::optional<dev_t>{target};
    return std::optional<dev_t>{};
}

// Every backend for the device, in the order rule's order.
Result<Backends> make_backends(const AllocatorOptions& options, std::optional<dev_t> wanted)
{
    Backends out;
    std::unique_ptr<Backend> vulkan_context;
    std::vector<std::string> failures;
    std::shared_ptr<VulkanStack> stack;
    auto vulkan = VulkanStack::create(wanted, options);
    if (vulkan) {
        stack = std::move(*vulkan);
    } else {
        failures.push_back("vulkan: " + vulkan.error().message());
    }
    if (stack && options.kind != AllocatorKind::gbm) {
        auto allocator = VulkanAllocator::create(*stack->device, image_usage(options), pattern_usage(options));
        if (allocator) {
            vulkan_context = std::make_unique<VulkanBackend>(stack, std::move(*allocator), options.upload);
        } else {
            failures.push_back("vulkan: " + allocator.error().message());
        }
    }
    if (options.kind != AllocatorKind::vulkan) {
        GbmAllocatorOptions gbm{.node = options.device_path,
                                .device = wanted,
                                .vulkan = stack ? stack->device.get() : nullptr,
                                .usage = image_usage(options),
                                .extra_usage = pattern_usage(options)};
        auto allocator = GbmAllocator::create(gbm);
        if (allocator) {
            out.push_back(std::make_unique<GbmBackend>(stack, std::move(*allocator), options.draw));
        } else {
            failures.push_back("gbm: " + allocator.error().message());
        }
    }
    auto ordered = order_backends(std::move(out), std::move(vulkan_context), wanted.has_value(), stack && stack->matched, failures);
    // Published once its backends exist (they keep it alive).
    if (ordered && stack && options.on_vulkan_device) options.on_vulkan_device(stack->published);
    return ordered;
}

// The abandoned set-ups still running. Never destroyed: a detached set-up thread uses it up to its
// last instruction, which may come after static destructors have begun.
struct AbandonedSetUps {
    std::mutex mutex;
    std::condition_variable ended;
    size_t running = 0;
};

AbandonedSetUps& abandoned_set_ups()
{
    static auto* a = new AbandonedSetUps;
    return *a;
}

// What a set-up's thread and its BackgroundBackends share; whichever lets go last frees it. The
// result is handed over (`result`, `done`) under the mutex, and only while not `abandoned`.
struct SetUpState {
    std::mutex mutex;
    std::condition_variable handed_over;
    std::optional<Result<Backends>> result;
    std::atomic<bool> done{false};
    bool abandoned = false;
};

class BackgroundBackends final : public PendingBackends {
public:
    BackgroundBackends(std::function<Result<Backends>()> set_up, std::string what)
        : state_{std::make_shared<SetUpState>()}, what_{std::move(what)}
    {
        std::thread{[state = state_, set_up = std::move(set_up)] {
            std::optional<Result<Backends>> made{set_up()};
            {
                const std::lock_guard lock{state->mutex};
                if (!state->abandoned) {
                    state->result = std::move(made);
                    state->done.store(true, std::memory_order_release);
                    state->handed_over.notify_all();
                    return;
                }
            }
            // Nobody wants them any more: they go here, on this thread.
            made.reset();
            AbandonedSetUps& a = abandoned_set_ups();
            const std::lock_guard abandoned_lock{a.mutex};
            --a.running;
            a.ended.notify_all();
        }}.detach();
    }
    ~BackgroundBackends() override
    {
        std::optional<Result<Backends>> left;  // destroyed here, after the lock, on this thread
        const std::lock_guard lock{state_->mutex};
        if (state_->done.load(std::memory_order_relaxed)) {
            left = std::move(state_->result);
            state_->result.reset();
            return;
        }
        state_->abandoned = true;
        {
            AbandonedSetUps& a = abandoned_set_ups();
            const std::lock_guard abandoned_lock{a.mutex};
            ++a.running;
        }
        log::debug("%s: still being set up; abandoned, to end in the background", what_.c_str());
    }
    bool ready() const override { return state_->done.load(std::memory_order_acquire); }
    Result<Backends> take() override
    {
        std::unique_lock lock{state_->mutex};
        state_->handed_over.wait(lock, [this] { return state_->done.load(std::memory_order_relaxed); });
        if (!state_->result) return Error{"the background allocators were taken already"};
        Result<Backends> out = std::move(*state_->result);
        state_->result.reset();
        return out;
    }
    std::string describe() const override { return what_; }

private:
    std::shared_ptr<SetUpState> state_;
    std::string what_;
};

// make_backends() in the background (quick start).
std::unique_ptr<PendingBackends> background_make_backends(AllocatorOptions options, std::optional<dev_t> wanted)
{
    return background_backends([options = std::move(options), wanted] { return make_backends(options, wanted); },
                               "the Vulkan device and the allocators that use it");
}

// Dumb buffers (quick start): drawn and written on the CPU by the base class.
class DumbBackend final : public Backend {
public:
    explicit DumbBackend(std::unique_ptr<DumbAllocator> allocator) : allocator_{std::move(allocator)} {}
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override
    {
        return "dumb buffers on " + allocator_->node() + " (" + allocator_->kernel_driver() + ")";
    }

private:
    std::unique_ptr<DumbAllocator> allocator_;
};

// udmabuf buffers (quick start where the compositor names no DRM device): drawn and written on
// the CPU by the base class.
class UdmabufBackend final : public Backend {
public:
    explicit UdmabufBackend(std::unique_ptr<UdmabufAllocator> allocator) : allocator_{std::move(allocator)} {}
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override { return "udmabuf buffers (" + allocator_->path() + ")"; }

private:
    std::unique_ptr<UdmabufAllocator> allocator_;
};

}  // namespace

std::unique_ptr<PendingBackends> background_backends(std::function<Result<Backends>()> set_up, std::string what)
{
    return std::make_unique<BackgroundBackends>(std::move(set_up), std::move(what));
}

size_t abandoned_set_ups_running() noexcept
{
    AbandonedSetUps& a = abandoned_set_ups();
    const std::lock_guard lock{a.mutex};
    return a.running;
}

bool wait_for_abandoned_set_ups(std::chrono::milliseconds timeout)
{
    AbandonedSetUps& a = abandoned_set_ups();
    std::unique_lock lock{a.mutex};
    return a.ended.wait_for(lock, timeout, [&] { return a.running == 0; });
}

Result<std::unique_ptr<Backend>> udmabuf_backend(const std::string& path)
{
    auto allocator = UdmabufAllocator::create(path);
    if (!allocator) return std::move(allocator).error();
    return std::unique_ptr<Backend>{std::make_unique<UdmabufBackend>(std::move(*allocator))};
}

Result<DeviceBackends> udmabuf_backends()
{
    auto udmabuf = udmabuf_backend();
    if (!udmabuf) return std::move(udmabuf).error();
    DeviceBackends out;
    out.backends.push_back(std::move(*udmabuf));
    return out;
}

BackendFactory system_backends(const AllocatorOptions& options)
{
    return [options](dev_t target) -> Result<DeviceBackends> {
        if (options.kind == AllocatorKind::udmabuf) return udmabuf_backends();
        auto wanted = wanted_device(options, target);
        if (!wanted) return std::move(wanted).error();
        const bool quick = options.quick_start && options.kind != AllocatorKind::vulkan && options.draw != PatternDraw::gpu;
        if (quick) {
            // Dumb buffers where the device's primary node makes them: no userspace driver to load
            // (automatic only: `gbm` asks for GBM's buffers from the first frame).
            // Where the compositor names none (a software compositor) and no device is given,
            // udmabuf buffers: memfds made dma-bufs, no device at all.
            if (options.kind == AllocatorKind::automatic && !*wanted && options.device_path.empty()) {
                auto udmabuf = udmabuf_backend();
                if (udmabuf) {
                    DeviceBackends out;
                    out.backends.push_back(std::move(*udmabuf));
                    out.pending = background_make_backends(options, *wanted);
                    return out;
                }
                log::debug("quick start: %s", udmabuf.error().message().c_str());
            }
            if (options.kind == AllocatorKind::automatic) {
                auto dumb = DumbAllocator::create(options.device_path, *wanted);
                if (dumb) {
                    DeviceBackends out;
                    out.backends.push_back(std::make_unique<DumbBackend>(std::move(*dumb)));
                    out.pending = background_make_backends(options, *wanted);
                    return out;
                }
                log::debug("quick start: %s", dumb.error().message().c_str());
            }
            // Else GBM alone (its driver loaded before the Vulkan thread starts, so that the two do
            // not initialise a shared compiler at once), its buffers filled on the CPU.
            auto gbm = GbmAllocator::create({.node = options.device_path, .device = *wanted, .usage = image_usage(options)});
            if (gbm) {
                // The background's GBM goes straight to the node found here (no second probe).
                AllocatorOptions background = options;
                background.device_path = (*gbm)->node();
                DeviceBackends out;
                out.backends.push_back(std::make_unique<GbmBackend>(nullptr, std::move(*gbm), options.draw));
                out.pending = background_make_backends(std::move(background), *wanted);
                return out;
            }
            log::debug("quick start: GBM cannot start here (%s); setting up every allocator first",
                       gbm.error().message().c_str());
        }
        auto made = make_backends(options, *wanted);
        if (!made) return std::move(made).error();
        return DeviceBackends{std::move(*made), nullptr};
    };
}

}  // namespace dmafeed::producer

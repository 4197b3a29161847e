#include "producer/allocators.hpp"

#include "alloc/gbm_allocator.hpp"
#include "alloc/vulkan_allocator.hpp"
#include "render/gpu_pattern.hpp"
#include "util/log.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"
#include "vk/physical_device.hpp"
#include "vk/upload.hpp"

#include <optional>
#include <sys/stat.h>

namespace dmafeed::producer {

Result<UniqueFd> AllocatorContext::write(const Buffer& buffer, std::span<const PlanePixels> planes)
{
    if (auto r = buffer.write_planes(planes); !r) return std::move(r).error();
    return UniqueFd{};
}

std::string AllocatorContext::cannot_draw(const Buffer& buffer) const
{
    return std::string{buffer.allocator_name()} + " buffers are filled from CPU pixels";
}

Result<UniqueFd> AllocatorContext::draw(const Buffer& buffer, const sources::PatternFrame&, const sources::YuvCoefficients&)
{
    return Error{"GPU pattern: " + cannot_draw(buffer)};
}

namespace {

constexpr VkImageUsageFlags image_usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
// Added where the driver can export the pair with it: the GPU patterns write storage images.
constexpr VkImageUsageFlags pattern_usage = VK_IMAGE_USAGE_STORAGE_BIT;

// A Vulkan instance and device shared by the Vulkan and GBM contexts of one target device.
struct VulkanStack {
    std::optional<vk::Instance> instance;
    std::unique_ptr<vk::Device> device;
    std::unique_ptr<vk::Uploader> uploader;
    std::unique_ptr<render::PatternRenderer> renderer;  // made on the first draw
    std::string name;

    static Result<std::shared_ptr<VulkanStack>> create(std::optional<dev_t> wanted, bool validation)
    {
        auto stack = std::make_shared<VulkanStack>();
        auto instance = vk::Instance::create({.validation = validation});
        if (!instance) return std::move(instance).error();
        stack->instance.emplace(std::move(*instance));
        auto handles = stack->instance->physical_devices();
        if (!handles) return std::move(handles).error();
        std::vector<vk::PhysicalDeviceInfo> infos;
        for (VkPhysicalDevice h : *handles) infos.push_back(vk::query_physical_device(h));
        auto choice = vk::select_device(infos, wanted, {});
        if (!choice) return std::move(choice).error();
        log::debug("vulkan: %s", choice->reason.c_str());
        auto device = vk::Device::create(infos[choice->index]);
        if (!device) return std::move(device).error();
        stack->device = std::move(*device);
        auto uploader = vk::Uploader::create(*stack->device);
        if (!uploader) return std::move(uploader).error();
        stack->uploader = std::move(*uploader);
        stack->name = infos[choice->index].name;
        return stack;
    }

    Result<UniqueFd> upload(const Buffer& buffer, std::span<const PlanePixels> planes)
    {
        auto regions = buffer.upload_regions(planes);
        if (!regions) return std::move(regions).error();
        return uploader->upload_fenced(*regions);
    }

    Result<UniqueFd> draw(const Buffer& buffer, std::span<const VulkanImagePart> parts, const sources::PatternFrame& frame,
                          const sources::YuvCoefficients& coefficients)
    {
        if (!renderer) {
            auto made = render::PatternRenderer::create(*device);
            if (!made) return std::move(made).error();
            renderer = std::move(*made);
        }
        return renderer->render(buffer, parts, frame, coefficients);
    }
};

class VulkanContext final : public AllocatorContext {
public:
    VulkanContext(std::shared_ptr<VulkanStack> stack, std::unique_ptr<VulkanAllocator> allocator, UploadPath upload)
        : stack_{std::move(stack)}, allocator_{std::move(allocator)}
    {
        direct_ = upload == UploadPath::direct ||
                  (upload == UploadPath::automatic && stack_->device->info().type == VK_PHYSICAL_DEVICE_TYPE_CPU);
    }
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override { return "vulkan on " + stack_->name; }
    Result<UniqueFd> write(const Buffer& buffer, std::span<const PlanePixels> planes) override
    {
        if (direct_ && buffer.layout_modifier().is_linear()) return AllocatorContext::write(buffer, planes);
        return stack_->upload(buffer, planes);
    }
    std::string cannot_draw(const Buffer& buffer) const override
    {
        return render::PatternRenderer::cannot_draw(*stack_->device, buffer, static_cast<const VulkanBuffer&>(buffer).parts());
    }
    Result<UniqueFd> draw(const Buffer& buffer, const sources::PatternFrame& frame,
                          const sources::YuvCoefficients& coefficients) override
    {
        return stack_->draw(buffer, static_cast<const VulkanBuffer&>(buffer).parts(), frame, coefficients);
    }

private:
    std::shared_ptr<VulkanStack> stack_;  // outlives the allocator (declared first)
    std::unique_ptr<VulkanAllocator> allocator_;
    bool direct_ = false;
};

class GbmContext final : public AllocatorContext {
public:
    GbmContext(std::shared_ptr<VulkanStack> stack, std::unique_ptr<GbmAllocator> allocator)
        : stack_{std::move(stack)}, allocator_{std::move(allocator)}
    {
    }
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override
    {
        return "gbm on " + allocator_->node() + " (" + allocator_->kernel_driver() + ")";
    }
    Result<UniqueFd> write(const Buffer& buffer, std::span<const PlanePixels> planes) override
    {
        if (buffer.fill_path() == FillPath::vulkan && stack_) return stack_->upload(buffer, planes);
        return AllocatorContext::write(buffer, planes);
    }

private:
    std::shared_ptr<VulkanStack> stack_;  // may be null: CPU mapping only
    std::unique_ptr<GbmAllocator> allocator_;
};

}  // namespace

AllocatorFactory system_allocators(const AllocatorOptions& options)
{
    return [options](dev_t target) -> Result<std::vector<std::unique_ptr<AllocatorContext>>> {
        std::optional<dev_t> wanted;
        if (!options.device_path.empty()) {
            struct stat st {};
            if (::stat(options.device_path.c_str(), &st) != 0) {
                return Error::from_errno("--device " + options.device_path, errno);
            }
            if (!S_ISCHR(st.st_mode)) return Error{"--device " + options.device_path + " is not a DRM device node"};
            wanted = st.st_rdev;
        } else if (target != 0) {
            wanted = target;
        }

        std::vector<std::unique_ptr<AllocatorContext>> out;
        std::vector<std::string> failures;
        std::shared_ptr<VulkanStack> stack;
        auto vulkan = VulkanStack::create(wanted, options.validation);
        if (vulkan) {
            stack = std::move(*vulkan);
        } else {
            failures.push_back("vulkan: " + vulkan.error().message());
        }
        if (stack && options.kind != AllocatorKind::gbm) {
            auto allocator = VulkanAllocator::create(*stack->device, image_usage, pattern_usage);
            if (allocator) {
                out.push_back(std::make_unique<VulkanContext>(stack, std::move(*allocator), options.upload));
            } else {
                failures.push_back("vulkan: " + allocator.error().message());
            }
        }
        if (options.kind != AllocatorKind::vulkan) {
            GbmAllocatorOptions gbm{.node = options.device_path,
                                    .device = wanted,
                                    .vulkan = stack ? stack->device.get() : nullptr,
                                    .usage = image_usage};
            auto allocator = GbmAllocator::create(gbm);
            if (allocator) {
                out.push_back(std::make_unique<GbmContext>(stack, std::move(*allocator)));
            } else {
                failures.push_back("gbm: " + allocator.error().message());
            }
        }
        if (out.empty()) {
            std::string msg = "no allocator works here";
            for (const auto& f : failures) msg += "\n  " + f;
            return Error{msg};
        }
        for (const auto& f : failures) log::debug("allocator not used: %s", f.c_str());
        return out;
    };
}

}  // namespace dmafeed::producer

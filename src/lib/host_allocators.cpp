#include "lib/host_allocators.hpp"

#include "alloc/gbm_allocator.hpp"
#include "alloc/vulkan_allocator.hpp"
#include "vk/physical_device.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>

namespace dmafeed::lib {
namespace {

Result<std::shared_ptr<SharedVulkan>> create_shared(std::optional<dev_t> wanted, bool validation)
{
    auto opened = vk::open_device(wanted, {.validation = validation});
    if (!opened) return std::move(opened).error();
    auto shared = std::make_shared<SharedVulkan>();
    shared->instance.emplace(std::move(opened->instance));
    shared->device = std::move(opened->device);
    shared->name = shared->device->info().name;
    shared->matched = opened->matched;
    const vk::Device& d = *shared->device;
    shared->handles = VulkanDevice{.instance = shared->instance->handle(),
                                   .physical_device = d.physical_handle(),
                                   .device = d.handle(),
                                   .api_version = std::min(vk::Instance::api_version, d.info().api_version),
                                   .queue_family_index = d.queue_family(),
                                   .queue = d.queue(),
                                   .exports_sync_fd = d.exports_sync_files()};
    return shared;
}

class VulkanHostContext final : public HostContext {
public:
    VulkanHostContext(std::shared_ptr<SharedVulkan> shared, std::unique_ptr<VulkanAllocator> allocator, VkImageUsageFlags usage)
        : HostContext{usage}, shared_{std::move(shared)}, allocator_{std::move(allocator)}
    {
    }
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override { return "vulkan on " + shared_->name; }
    const SharedVulkan* vulkan() const noexcept override { return shared_.get(); }

private:
    std::shared_ptr<SharedVulkan> shared_;  // outlives the allocator (declared first)
    std::unique_ptr<VulkanAllocator> allocator_;
};

class GbmHostContext final : public HostContext {
public:
    GbmHostContext(std::shared_ptr<SharedVulkan> shared, std::unique_ptr<GbmAllocator> allocator, VkImageUsageFlags usage)
        : HostContext{usage}, shared_{std::move(shared)}, allocator_{std::move(allocator)}
    {
    }
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override { return "gbm on " + allocator_->node() + " (" + allocator_->kernel_driver() + ")"; }
    const SharedVulkan* vulkan() const noexcept override { return shared_.get(); }

private:
    std::shared_ptr<SharedVulkan> shared_;  // may be null: CPU mappings only
    std::unique_ptr<GbmAllocator> allocator_;
};

}  // namespace

HostAllocators host_allocators(const producer::AllocatorOptions& options, VkImageUsageFlags usage)
{
    auto made = std::make_shared<SharedVulkanList>();
    const VkImageUsageFlags image_usage = usage | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    producer::AllocatorFactory factory = [options, made, image_usage](dev_t target) -> Result<producer::DeviceContexts> {
        // CPU pointers only, no Vulkan images.
        if (options.kind == producer::AllocatorKind::udmabuf) return producer::udmabuf_contexts();
        std::optional<dev_t> wanted;
        if (!options.device_path.empty()) {
            struct stat st {};
            if (::stat(options.device_path.c_str(), &st) != 0) return Error::from_errno("device " + options.device_path, errno);
            if (!S_ISCHR(st.st_mode)) return Error{"device " + options.device_path + " is not a DRM device node"};
            wanted = st.st_rdev;
        } else if (target != 0) {
            wanted = target;
        }

        std::vector<std::unique_ptr<producer::AllocatorContext>> out;
        std::vector<std::string> failures;
        std::shared_ptr<SharedVulkan> shared;
        auto vulkan = create_shared(wanted, options.validation);
        if (vulkan) {
            shared = std::move(*vulkan);
        } else {
            failures.push_back("vulkan: " + vulkan.error().message());
        }
        std::unique_ptr<producer::AllocatorContext> vulkan_context;
        if (shared && options.kind != producer::AllocatorKind::gbm) {
            auto allocator = VulkanAllocator::create(*shared->device, image_usage);
            if (allocator) {
                vulkan_context = std::make_unique<VulkanHostContext>(shared, std::move(*allocator), image_usage);
            } else {
                failures.push_back("vulkan: " + allocator.error().message());
            }
        }
        if (options.kind != producer::AllocatorKind::vulkan) {
            GbmAllocatorOptions gbm{.node = options.device_path,
                                    .device = wanted,
                                    .vulkan = shared ? shared->device.get() : nullptr,
                                    .usage = image_usage};
            auto allocator = GbmAllocator::create(gbm);
            if (allocator) {
                out.push_back(std::make_unique<GbmHostContext>(shared, std::move(*allocator), image_usage));
            } else {
                failures.push_back("gbm: " + allocator.error().message());
            }
        }
        auto ordered = producer::order_contexts(std::move(out), std::move(vulkan_context), wanted.has_value(),
                                                shared && shared->matched, failures);
        if (!ordered) return std::move(ordered).error();
        if (shared) made->devices.push_back(shared.get());
        return producer::DeviceContexts{std::move(*ordered), nullptr};
    };
    return {std::move(factory), std::move(made)};
}

}  // namespace dmafeed::lib

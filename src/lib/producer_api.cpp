// The public C++ API (include/dmafeed/dmafeed.hpp) over producer::Producer: configuration in
// plain types, CPU pointers for LINEAR buffers (each plane's dma-buf mapped while the frame is
// acquired, bracketed by DMA_BUF_IOCTL_SYNC), the Vulkan images of buffers that have them (with
// views the producer makes and destroys with the buffer) and the device they belong to (the
// allocator backends' Vulkan device, made with the host's image usage: AllocatorOptions::
// host_usage), presentation callbacks with the host's timestamps.
#include "dmafeed/dmafeed.hpp"

#include "alloc/gbm_allocator.hpp"
#include "alloc/vulkan_allocator.hpp"
#include "drm/format_info.hpp"
#include "producer/producer.hpp"
#include "util/log.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"

#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

namespace dmafeed {
namespace {

// The Vulkan images of a buffer: VulkanBuffer's, or those of a GBM buffer imported into Vulkan.
std::span<const VulkanImagePart> image_parts(const Buffer& b)
{
    if (const auto* v = dynamic_cast<const VulkanBuffer*>(&b)) return v->parts();
    if (const auto* g = dynamic_cast<const GbmBuffer*>(&b); g && g->fill_path() == FillPath::vulkan) return g->parts();
    return {};
}

// The Vulkan devices the allocators set up, in order (the first is for the compositor's preferred
// target device), with the handles the host gets. Shared by the factory's callback and the
// producer's owner.
struct HostDevices {
    std::vector<std::pair<const vk::Device*, VulkanDevice>> devices;

    void add(const producer::BackendVulkan& v)
    {
        const vk::Device& d = *v.device;
        devices.emplace_back(&d, VulkanDevice{.instance = v.instance->handle(),
                                              .physical_device = d.physical_handle(),
                                              .device = d.handle(),
                                              .api_version = std::min(vk::Instance::api_version, d.info().api_version),
                                              .queue_family_index = d.queue_family(),
                                              .queue = d.queue(),
                                              .exports_sync_fd = d.exports_sync_files()});
    }
    const VulkanDevice* find(const vk::Device* device) const
    {
        for (const auto& [d, handles] : devices) {
            if (d == device) return &handles;
        }
        return nullptr;
    }
};

constexpr VkImageUsageFlags view_usages = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_STORAGE_BIT |
                                          VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;

class ProducerImpl final : public Producer {
public:
    ProducerImpl(std::unique_ptr<producer::Producer> p, std::shared_ptr<HostDevices> devices)
        : devices_{std::move(devices)}, p_{std::move(p)}
    {
        p_->on_presented([this](const wl::PresentationResult& r) {
            if (!on_presented_) return;
            const auto pts = pts_.find(r.frame);
            Presented out{r.frame, pts == pts_.end() ? 0 : pts->second, r.presented, r.time_ns, r.refresh_ns, r.flags};
            if (pts != pts_.end()) pts_.erase(pts);
            on_presented_(out);
        });
        p_->on_buffer_destroyed([this](const Buffer&, uint64_t serial) {
            if (on_buffer_destroyed_) on_buffer_destroyed_(serial);  // the host's objects go first
            destroy_views(serial);
        });
    }

    ~ProducerImpl() override
    {
        // The views before their device, which the producer owns, once the host's work is done.
        std::set<VkDevice> devices;
        for (const auto& [serial, set] : views_) {
            if (devices.insert(set.device).second) vkDeviceWaitIdle(set.device);
        }
        while (!views_.empty()) destroy_views(views_.begin()->first);
    }

    Frame* acquire(int timeout_ms, std::string* error) override
    {
        if (error) error->clear();
        if (acquired_) return fail(error, "acquire: frame " + std::to_string(frame_.id) + " is still acquired; queue it first");
        auto got = drop_ ? p_->acquire() : p_->try_acquire(std::chrono::milliseconds{std::max(timeout_ms, 0)});
        if (!got) return fail(error, got.error().message());
        if (!*got) {
            if (drop_ && on_dropped_) on_dropped_(p_->stats().dropped);
            return nullptr;
        }
        internal_ = **got;
        const Buffer& b = *internal_.buffer;
        frame_ = Frame{};
        frame_.id = internal_.number;
        frame_.width = b.width();
        frame_.height = b.height();
        frame_.format = b.format().fourcc();
        frame_.modifier = b.modifier().value();
        end_cpu_access();
        fill_vulkan(b, internal_.buffer_serial);
        const FormatInfo* info = format_info(b.format());
        const bool linear = b.layout_modifier().is_linear() && info && b.planes().size() >= info->plane_count;
        frame_.plane_count = info ? info->plane_count : static_cast<uint32_t>(b.planes().size());
        // The buffer's kept mappings (made on its first frame), bracketed by DMA_BUF_IOCTL_SYNC
        // until queue(); not CPU-mappable: data stays null.
        Buffer::MappedPlanes mapped;
        if (linear) {
            if (auto m = b.begin_cpu_write(); m) {
                mapped = std::move(*m);
                mapped_ = &b;
            }
        }
        for (uint32_t i = 0; i < frame_.plane_count && i < 4; ++i) {
            const BufferPlane& plane = b.planes()[i];
            FramePlane& out = frame_.planes[i];
            out.stride = plane.stride;
            out.width = info ? plane_width(*info, i, b.width()) : b.width();
            out.height = info ? plane_height(*info, i, b.height()) : b.height();
            if (i < mapped.size()) out.data = mapped[i].data;
        }
        acquired_ = true;
        return &frame_;
    }

    bool queue(Frame& frame, uint64_t pts_ns, std::string* error) override { return queue_fenced(frame, pts_ns, -1, error); }

    bool queue_fenced(Frame& frame, uint64_t pts_ns, int render_fence_fd, std::string* error) override
    {
        UniqueFd fence{render_fence_fd};
        if (error) error->clear();
        if (!acquired_ || &frame != &frame_) return fail(error, "queue: that frame is not the acquired one"), false;
        end_cpu_access();  // DMA_BUF_IOCTL_SYNC end: the CPU writes are done
        if (fence) {
            if (auto r = p_->set_render_fence(internal_, std::move(fence)); !r) return fail(error, r.error().message()), false;
        }
        acquired_ = false;
        pts_[frame_.id] = pts_ns;
        if (pts_.size() > 64) pts_.erase(pts_.begin());  // feedback that never came (discarded surfaces)
        auto r = p_->queue(internal_);
        if (!r) return fail(error, r.error().message()), false;
        return true;
    }

    bool wait_for_frame(std::string* error) override
    {
        auto r = p_->wait_for_frame();
        if (!r) return fail(error, r.error().message()), false;
        return true;
    }

    int fd() const override { return p_->fd(); }

    bool dispatch(std::string* error) override
    {
        auto r = p_->dispatch_pending();
        if (!r) return fail(error, r.error().message()), false;
        return true;
    }

    void on_presented(std::function<void(const Presented&)> callback) override { on_presented_ = std::move(callback); }

    Stats stats() const override
    {
        const auto s = p_->stats();
        return Stats{s.queued,        s.presented,      s.discarded,      s.dropped, s.refused,
                     s.zero_copy,     s.presented_fps,  s.latency_p50_ms, s.latency_p99_ms};
    }

    std::string describe() const override { return p_->choice() ? p_->choice()->to_string() : std::string{"(no buffer yet)"}; }

    const VulkanDevice* vulkan() const override
    {
        if (last_vulkan_) return last_vulkan_;
        return devices_->devices.empty() ? nullptr : &devices_->devices.front().second;
    }

    void on_buffer_destroyed(std::function<void(uint64_t buffer_id)> callback) override
    {
        on_buffer_destroyed_ = std::move(callback);
    }
    void on_dropped(std::function<void(uint64_t dropped)> callback) override { on_dropped_ = std::move(callback); }

    bool drop_ = false;

private:
    // frame_'s Vulkan fields for buffer `b`, with the views made once per buffer (a view that
    // cannot be made stays VK_NULL_HANDLE, with a warning).
    void fill_vulkan(const Buffer& b, uint64_t serial)
    {
        const producer::BackendVulkan* context = internal_.backend ? internal_.backend->vulkan() : nullptr;
        const VulkanDevice* handles = context ? devices_->find(context->device) : nullptr;
        const auto parts = image_parts(b);
        frame_.buffer_id = serial;
        if (!handles || parts.empty()) return;
        frame_.vulkan = handles;
        last_vulkan_ = frame_.vulkan;
        frame_.image_usage = context->usage;
        auto views = views_.find(serial);
        if (views == views_.end()) {
            views = views_.emplace(serial, ViewSet{handles->device, {}}).first;
            for (const VulkanImagePart& part : parts) {
                VkImageView view = VK_NULL_HANDLE;
                if ((context->usage & view_usages) && part.plane_count == 1) {
                    const VkImageViewCreateInfo ci{.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                                   .image = part.image,
                                                   .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                                   .format = part.format,
                                                   .subresourceRange = {.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT,
                                                                        .levelCount = 1,
                                                                        .layerCount = 1}};
                    if (const VkResult r = vkCreateImageView(handles->device, &ci, nullptr, &view); r != VK_SUCCESS) {
                        log::warning("buffer %llu: vkCreateImageView failed (VkResult %d): the frame's image has no view",
                                     static_cast<unsigned long long>(serial), static_cast<int>(r));
                        view = VK_NULL_HANDLE;
                    }
                }
                views->second.views.push_back(view);
            }
        }
        frame_.image_count = static_cast<uint32_t>(std::min<size_t>(parts.size(), 4));
        for (uint32_t i = 0; i < frame_.image_count; ++i) {
            const VulkanImagePart& part = parts[i];
            frame_.images[i] = FrameImage{.image = part.image,
                                          .view = views->second.views[i],
                                          .format = part.format,
                                          .extent = part.extent,
                                          .first_plane = part.first_plane,
                                          .plane_count = part.plane_count};
        }
    }

    void destroy_views(uint64_t serial)
    {
        const auto it = views_.find(serial);
        if (it == views_.end()) return;
        for (VkImageView v : it->second.views) {
            if (v) vkDestroyImageView(it->second.device, v, nullptr);
        }
        views_.erase(it);
    }


    static std::nullptr_t fail(std::string* error, const std::string& message)
    {
        if (error) *error = message;
        return nullptr;
    }

    struct ViewSet {
        VkDevice device = VK_NULL_HANDLE;
        std::vector<VkImageView> views;  // per image part; VK_NULL_HANDLE where none is made
    };

    std::shared_ptr<HostDevices> devices_;
    std::unique_ptr<producer::Producer> p_;
    std::map<uint64_t, ViewSet> views_;  // buffer serial -> views, until the buffer goes
    const VulkanDevice* last_vulkan_ = nullptr;
    std::function<void(uint64_t)> on_buffer_destroyed_;
    std::function<void(uint64_t)> on_dropped_;
    producer::Frame internal_;
    Frame frame_;
    bool acquired_ = false;
    const Buffer* mapped_ = nullptr;  // whose planes the acquired frame's CPU pointers are
    void end_cpu_access() noexcept
    {
        if (mapped_) mapped_->end_cpu_write();
        mapped_ = nullptr;
    }
    std::map<uint64_t, uint64_t> pts_;  // frame id -> pts, until presented or discarded
    std::function<void(const Presented&)> on_presented_;
};

}  // namespace

std::unique_ptr<Producer> Producer::create(const Config& config, std::string* error)
{
    auto fail = [&](const std::string& m) {
        if (error) *error = m;
        return std::unique_ptr<Producer>{};
    };
    producer::ProducerConfig pc;
    pc.display = config.display;
    pc.format = DrmFormat{config.format ? config.format : 0x34325258};
    if (config.explicit_modifier) pc.modifier = DrmModifier{config.modifier};
    pc.width = config.width;
    pc.height = config.height;
    pc.buffers = config.buffers;
    pc.create_mode = config.create_immediate ? wl::CreateMode::immediate : wl::CreateMode::wait;
    pc.when_full = config.drop_when_full ? producer::FullPolicy::drop : producer::FullPolicy::wait;
    pc.timeout = std::chrono::milliseconds{config.timeout_ms > 0 ? config.timeout_ms : 5000};
    pc.window = {.title = config.title, .app_id = config.app_id, .fullscreen = config.fullscreen};
    producer::AllocatorKind kind = producer::AllocatorKind::automatic;
    if (config.allocator == "vulkan") kind = producer::AllocatorKind::vulkan;
    else if (config.allocator == "gbm") kind = producer::AllocatorKind::gbm;
    else if (config.allocator == "udmabuf") kind = producer::AllocatorKind::udmabuf;
    else if (config.allocator != "auto" && !config.allocator.empty())
        return fail("allocator '" + config.allocator + "': use auto, vulkan, gbm or udmabuf");
    if (config.sync == "explicit") pc.sync = producer::SyncMode::explicit_sync;
    else if (config.sync == "implicit") pc.sync = producer::SyncMode::implicit_sync;
    else if (config.sync != "auto" && !config.sync.empty()) return fail("sync '" + config.sync + "': use auto, explicit or implicit");
    auto devices = std::make_shared<HostDevices>();
    pc.backends = producer::system_backends({.kind = kind,
                                                 .device_path = config.device,
                                                 .host_usage = config.vulkan_usage,
                                                 .on_vulkan_device = [devices](const producer::BackendVulkan& v) { devices->add(v); }});
    auto p = producer::Producer::create(std::move(pc));
    if (!p) return fail(p.error().message());
    auto impl = std::make_unique<ProducerImpl>(std::move(*p), std::move(devices));
    impl->drop_ = config.drop_when_full;
    return impl;
}

}  // namespace dmafeed

// CPU pointers for LINEAR buffers: each plane's dma-buf mapped while the frame is acquired,
// bracketed by DMA_BUF_IOCTL_SYNC. Vulkan images of buffers that have them, with views the
// producer makes and destroys with the buffer, and the device they belong to: the allocator
// backends' Vulkan device, made with the host's image usage (AllocatorOptions::host_usage).
#include "lib/host_producer.hpp"

#include "alloc/gbm_allocator.hpp"
#include "alloc/vulkan_allocator.hpp"
#include "drm/format_info.hpp"
#include "producer/producer.hpp"
#include "util/log.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <set>
#include <span>
#include <unistd.h>

namespace dmafeed::lib {
namespace {

// The Vulkan images of a buffer: VulkanBuffer's, or those of a GBM buffer imported into Vulkan.
std::span<const VulkanImagePart> image_parts(const Buffer& b)
{
    if (const auto* v = dynamic_cast<const VulkanBuffer*>(&b)) return v->parts();
    if (const auto* g = dynamic_cast<const GbmBuffer*>(&b); g && g->fill_path() == FillPath::vulkan) return g->parts();
    return {};
}

constexpr VkImageUsageFlags view_usages = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_STORAGE_BIT |
                                          VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;

}  // namespace

// The Vulkan devices the allocators set up, in order (the first is for the compositor's preferred
// target device), with the handles the host gets. Filled by the factory's callback, which may run
// on the thread that sets up allocators in the background; a deque keeps the handles in place.
struct HostDevices {
    mutable std::mutex mutex;
    std::deque<std::pair<const vk::Device*, dmafeed_vulkan>> devices;

    void add(const producer::BackendVulkan& v)
    {
        const vk::Device& d = *v.device;
        const std::lock_guard lock{mutex};
        devices.emplace_back(&d, dmafeed_vulkan{.struct_size = sizeof(dmafeed_vulkan),
                                                .instance = v.instance->handle(),
                                                .physical_device = d.physical_handle(),
                                                .device = d.handle(),
                                                .api_version = std::min(vk::Instance::api_version, d.info().api_version),
                                                .queue_family_index = d.queue_family(),
                                                .queue = d.queue(),
                                                .exports_sync_fd = d.exports_sync_files() ? 1 : 0});
    }
    const dmafeed_vulkan* find(const vk::Device* device) const
    {
        const std::lock_guard lock{mutex};
        for (const auto& [d, handles] : devices) {
            if (d == device) return &handles;
        }
        return nullptr;
    }
    const dmafeed_vulkan* first() const
    {
        const std::lock_guard lock{mutex};
        return devices.empty() ? nullptr : &devices.front().second;
    }
};

Result<std::unique_ptr<HostProducer>> HostProducer::create(const HostConfig& config)
{
    producer::ProducerConfig pc;
    pc.display = config.display;
    pc.format = DrmFormat{config.format ? config.format : 0x34325258};
    if (config.modifier) pc.modifier = DrmModifier{*config.modifier};
    pc.width = config.width;
    pc.height = config.height;
    pc.buffers = config.buffers;
    pc.create_mode = config.create_immediate ? wl::CreateMode::immediate : wl::CreateMode::wait;
    pc.when_full = config.drop_when_full ? producer::FullPolicy::drop : producer::FullPolicy::wait;
    pc.timeout = std::chrono::milliseconds{config.timeout_ms};
    pc.window = {.title = config.title, .app_id = config.app_id, .fullscreen = config.fullscreen};
    constexpr producer::SyncMode sync_modes[] = {producer::SyncMode::automatic, producer::SyncMode::explicit_sync,
                                                 producer::SyncMode::implicit_sync};
    pc.sync = sync_modes[config.sync];
    constexpr producer::Pacing pacings[] = {producer::Pacing::automatic, producer::Pacing::frame_callbacks,
                                            producer::Pacing::fifo};
    pc.pacing = pacings[config.pacing];
    pc.color = config.color;
    constexpr producer::AllocatorKind kinds[] = {producer::AllocatorKind::automatic, producer::AllocatorKind::vulkan,
                                                 producer::AllocatorKind::gbm, producer::AllocatorKind::udmabuf};
    auto devices = std::make_shared<HostDevices>();
    pc.backends = producer::system_backends({.kind = kinds[config.allocator],
                                             .device_path = config.device,
                                             .host_usage = config.vulkan_usage,
                                             .on_vulkan_device = [devices](const producer::BackendVulkan& v) { devices->add(v); }});
    auto p = producer::Producer::create(std::move(pc));
    if (!p) return std::move(p).error();
    return std::unique_ptr<HostProducer>{new HostProducer{std::move(*p), std::move(devices), config}};
}

HostProducer::HostProducer(std::unique_ptr<producer::Producer> p, std::shared_ptr<HostDevices> devices,
                           const HostConfig& config)
    : devices_{std::move(devices)}, p_{std::move(p)}, drop_{config.drop_when_full}, pts_mode_{config.pts_mode},
      drop_late_{config.drop_late}, internal_{std::make_unique<producer::Frame>()}
{
    p_->on_presented([this](const wl::PresentationResult& r) {
        const auto pts = pts_.find(r.frame);
        const dmafeed_presented out{.struct_size = sizeof(dmafeed_presented),
                                    .frame_id = r.frame,
                                    .pts_ns = pts == pts_.end() ? 0 : pts->second,
                                    .presented = r.presented ? 1 : 0,
                                    .time_ns = r.time_ns,
                                    .refresh_ns = r.refresh_ns,
                                    .flags = r.flags,
                                    .show_at_ns = r.show_at_ns};
        if (pts != pts_.end()) pts_.erase(pts);
        if (presented_.fn) presented_.fn(presented_.user, &out);
    });
    p_->on_buffer_destroyed([this](const Buffer&, uint64_t serial) {
        if (buffer_destroyed_.fn) buffer_destroyed_.fn(buffer_destroyed_.user, serial);  // the host's objects go first
        destroy_views(serial);
    });
}

HostProducer::~HostProducer()
{
    // The views before their device, which the producer owns, once the host's work is done.
    std::set<VkDevice> devices;
    for (const auto& [serial, set] : views_) {
        if (devices.insert(set.device).second) vkDeviceWaitIdle(set.device);
    }
    while (!views_.empty()) destroy_views(views_.begin()->first);
}

Result<HostProducer::Acquired> HostProducer::acquire(int timeout_ms)
{
    auto got = drop_ ? p_->acquire() : p_->try_acquire(std::chrono::milliseconds{std::max(timeout_ms, 0)});
    if (!got) return std::move(got).error();
    if (!*got) {
        if (!drop_) return Acquired::timeout;
        if (dropped_.fn) dropped_.fn(dropped_.user, p_->stats().dropped);
        return Acquired::dropped;
    }
    *internal_ = **got;
    const Buffer& b = *internal_->buffer;
    frame_ = dmafeed_frame{.struct_size = sizeof(dmafeed_frame)};
    frame_.id = internal_->number;
    frame_.width = b.width();
    frame_.height = b.height();
    frame_.format = b.format().fourcc();
    frame_.modifier = b.modifier().value();
    end_cpu_access();
    fill_vulkan(internal_->buffer_serial);
    const FormatInfo* info = format_info(b.format());
    const bool linear = b.layout_modifier().is_linear() && info && b.planes().size() >= info->plane_count;
    frame_.plane_count = info ? info->plane_count : static_cast<uint32_t>(b.planes().size());
    // The buffer's kept mappings (made on its first frame), bracketed by DMA_BUF_IOCTL_SYNC until
    // queue(); not CPU-mappable: data stays null.
    Buffer::MappedPlanes mapped;
    if (linear) {
        if (auto m = b.begin_cpu_write(); m) {
            mapped = std::move(*m);
            mapped_ = &b;
        }
    }
    for (uint32_t i = 0; i < frame_.plane_count && i < DMAFEED_MAX_PLANES; ++i) {
        frame_.stride[i] = b.planes()[i].stride;
        if (i < mapped.size()) frame_.data[i] = mapped[i].data;
    }
    acquired_ = true;
    return Acquired::frame;
}

uint64_t HostProducer::show_at(uint64_t pts_ns)
{
    switch (pts_mode_) {
    case DMAFEED_PTS_MONOTONIC: return pts_ns;
    case DMAFEED_PTS_STREAM: {
        if (!stream_clock_ || pts_ns < stream_clock_->pts_ns) stream_clock_ = StreamClock{pts_ns, p_->now_ns()};
        return stream_clock_->shown_ns + (pts_ns - stream_clock_->pts_ns);
    }
    case DMAFEED_PTS_OPAQUE: break;
    }
    return 0;
}

Result<bool> HostProducer::queue(uint64_t pts_ns, UniqueFd render_fence)
{
    end_cpu_access();  // DMA_BUF_IOCTL_SYNC end: the CPU writes are done
    const uint64_t show_at_ns = show_at(pts_ns);
    constexpr uint64_t max_lateness_ns = 20'000'000;  // GStreamer's video sinks' default max-lateness
    if (drop_late_ && show_at_ns != 0 && p_->now_ns() > show_at_ns + max_lateness_ns) {
        acquired_ = false;
        if (auto r = p_->drop_late(*internal_); !r) return std::move(r).error();
        return false;
    }
    if (render_fence) {
        if (auto r = p_->set_render_fence(*internal_, std::move(render_fence)); !r) return std::move(r).error();
    }
    acquired_ = false;
    pts_[frame_.id] = pts_ns;
    if (pts_.size() > 64) pts_.erase(pts_.begin());  // feedback that never came (discarded surfaces)
    if (auto r = p_->queue(*internal_, show_at_ns); !r) return std::move(r).error();
    return true;
}

Result<void> HostProducer::abandon()
{
    end_cpu_access();
    acquired_ = false;
    return p_->abandon(*internal_);
}

void HostProducer::report_dropped() const
{
    if (dropped_.fn) dropped_.fn(dropped_.user, p_->stats().dropped);
}

Result<void> HostProducer::wait_for_frame() { return p_->wait_for_frame(); }

int HostProducer::fd() const { return p_->fd(); }

Result<void> HostProducer::dispatch() { return p_->dispatch_pending(); }

bool HostProducer::disconnected() const { return !p_->connection().status(); }

dmafeed_stats HostProducer::stats() const
{
    const auto s = p_->stats();
    return dmafeed_stats{.struct_size = sizeof(dmafeed_stats),
                         .queued = s.queued,
                         .presented = s.presented,
                         .discarded = s.discarded,
                         .dropped = s.dropped,
                         .refused = s.refused,
                         .zero_copy = s.zero_copy,
                         .presented_fps = s.presented_fps,
                         .latency_p50_ms = s.latency_p50_ms,
                         .latency_p99_ms = s.latency_p99_ms,
                         .late = s.late,
                         .unpaced = s.unpaced,
                         .timed = s.timed,
                         .show_error_p50_ms = s.show_error_p50_ms,
                         .show_error_p99_ms = s.show_error_p99_ms,
                         .show_error_mean_ms = s.show_error_mean_ms};
}

dmafeed_dmabuf HostProducer::dmabuf() const
{
    const Buffer& b = *internal_->buffer;
    dmafeed_dmabuf out{.struct_size = sizeof(dmafeed_dmabuf)};
    out.buffer_id = frame_.buffer_id;
    out.width = b.width();
    out.height = b.height();
    out.format = b.format().fourcc();
    out.modifier = b.modifier().value();
    const auto planes = b.planes();
    const auto fds = b.dmabuf_fds();
    out.plane_count = static_cast<uint32_t>(std::min<size_t>(planes.size(), DMAFEED_MAX_PLANES));
    out.fd_count = static_cast<uint32_t>(std::min<size_t>(fds.size(), DMAFEED_MAX_PLANES));
    for (uint32_t i = 0; i < out.plane_count; ++i) {
        const size_t index = b.dmabuf_of_plane(i);
        out.fd[i] = fds[index];
        out.fd_index[i] = static_cast<uint32_t>(index);
        out.offset[i] = planes[i].offset;
        out.pitch[i] = planes[i].stride;
    }
    // A dma-buf's size is its file's; the file offset that lseek moves is read by nothing, and put back.
    for (uint32_t i = 0; i < out.fd_count; ++i) {
        const off_t end = lseek(fds[i], 0, SEEK_END);
        out.fd_size[i] = end > 0 ? static_cast<uint64_t>(end) : 0;
        lseek(fds[i], 0, SEEK_SET);
    }
    return out;
}

const dmafeed_vulkan* HostProducer::vulkan() const { return last_vulkan_ ? last_vulkan_ : devices_->first(); }

const char* HostProducer::describe()
{
    description_ = p_->choice() ? p_->choice()->to_string() : std::string{"(no buffer yet)"};
    if (!p_->color_description().empty()) description_ += "; colour: " + p_->color_description();
    return description_.c_str();
}

// frame_'s Vulkan fields for the acquired buffer, with the views made once per buffer (a view that
// cannot be made stays VK_NULL_HANDLE, with a warning).
void HostProducer::fill_vulkan(uint64_t serial)
{
    const producer::BackendVulkan* context = internal_->backend ? internal_->backend->vulkan() : nullptr;
    const dmafeed_vulkan* handles = context ? devices_->find(context->device) : nullptr;
    const auto parts = image_parts(*internal_->buffer);
    frame_.buffer_id = serial;
    if (!handles || parts.empty()) return;
    frame_.vulkan = handles;
    last_vulkan_ = handles;
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
            views->second.views.emplace_back(handles->device, view);
        }
    }
    frame_.image_count = static_cast<uint32_t>(std::min<size_t>(parts.size(), DMAFEED_MAX_IMAGES));
    for (uint32_t i = 0; i < frame_.image_count; ++i) {
        const VulkanImagePart& part = parts[i];
        frame_.image[i] = part.image;
        frame_.image_view[i] = views->second.views[i].get();
        frame_.image_format[i] = part.format;
        frame_.image_extent[i] = part.extent;
        frame_.image_first_plane[i] = part.first_plane;
        frame_.image_plane_count[i] = part.plane_count;
    }
}

void HostProducer::destroy_views(uint64_t serial)
{
    const auto it = views_.find(serial);
    if (it == views_.end()) return;
    views_.erase(it);
}

void HostProducer::end_cpu_access() noexcept
{
    if (mapped_) mapped_->end_cpu_write();
    mapped_ = nullptr;
}

}  // namespace dmafeed::lib

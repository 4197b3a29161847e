// The public C++ API (include/dmafeed/dmafeed.hpp) over producer::Producer: configuration in
// plain types, CPU pointers for LINEAR buffers (each plane's dma-buf mapped while the frame is
// acquired, bracketed by DMA_BUF_IOCTL_SYNC), presentation callbacks with the host's timestamps.
#include "dmafeed/dmafeed.hpp"

#include "alloc/dmabuf_mapping.hpp"
#include "drm/format_info.hpp"
#include "producer/producer.hpp"

#include <map>
#include <optional>
#include <vector>

namespace dmafeed {
namespace {

class ProducerImpl final : public Producer {
public:
    explicit ProducerImpl(std::unique_ptr<producer::Producer> p) : p_{std::move(p)}
    {
        p_->on_presented([this](const wl::PresentationResult& r) {
            if (!on_presented_) return;
            const auto pts = pts_.find(r.frame);
            Presented out{r.frame, pts == pts_.end() ? 0 : pts->second, r.presented, r.time_ns, r.refresh_ns, r.flags};
            if (pts != pts_.end()) pts_.erase(pts);
            on_presented_(out);
        });
    }

    Frame* acquire(int timeout_ms, std::string* error) override
    {
        if (error) error->clear();
        if (acquired_) return fail(error, "acquire: frame " + std::to_string(frame_.id) + " is still acquired; queue it first");
        auto got = drop_ ? p_->acquire() : p_->try_acquire(std::chrono::milliseconds{std::max(timeout_ms, 0)});
        if (!got) return fail(error, got.error().message());
        if (!*got) return nullptr;
        internal_ = **got;
        const Buffer& b = *internal_.buffer;
        frame_ = Frame{};
        frame_.id = internal_.number;
        frame_.width = b.width();
        frame_.height = b.height();
        frame_.format = b.format().fourcc();
        frame_.modifier = b.modifier().value();
        mappings_.clear();
        const FormatInfo* info = format_info(b.format());
        const bool linear = b.layout_modifier().is_linear() && info && b.planes().size() >= info->plane_count;
        frame_.plane_count = info ? info->plane_count : static_cast<uint32_t>(b.planes().size());
        for (uint32_t i = 0; i < frame_.plane_count && i < 4; ++i) {
            const BufferPlane& plane = b.planes()[i];
            FramePlane& out = frame_.planes[i];
            out.stride = plane.stride;
            out.width = info ? plane_width(*info, i, b.width()) : b.width();
            out.height = info ? plane_height(*info, i, b.height()) : b.height();
            if (!linear) continue;
            auto map = DmabufMapping::map(plane.fd.get(), plane.offset + uint64_t{plane.stride} * out.height,
                                          DmabufMapping::Access::write);
            if (!map) continue;  // not CPU-mappable: data stays null
            out.data = map->bytes().data() + plane.offset;
            mappings_.push_back(std::move(*map));
        }
        acquired_ = true;
        return &frame_;
    }

    bool queue(Frame& frame, uint64_t pts_ns, std::string* error) override
    {
        if (error) error->clear();
        if (!acquired_ || &frame != &frame_) return fail(error, "queue: that frame is not the acquired one"), false;
        mappings_.clear();  // DMA_BUF_IOCTL_SYNC end: the CPU writes are done
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

    bool drop_ = false;

private:
    static std::nullptr_t fail(std::string* error, const std::string& message)
    {
        if (error) *error = message;
        return nullptr;
    }

    std::unique_ptr<producer::Producer> p_;
    producer::Frame internal_;
    Frame frame_;
    bool acquired_ = false;
    std::vector<DmabufMapping> mappings_;
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
    else if (config.allocator != "auto" && !config.allocator.empty())
        return fail("allocator '" + config.allocator + "': use auto, vulkan or gbm");
    if (config.sync == "explicit") pc.sync = producer::SyncMode::explicit_sync;
    else if (config.sync == "implicit") pc.sync = producer::SyncMode::implicit_sync;
    else if (config.sync != "auto" && !config.sync.empty()) return fail("sync '" + config.sync + "': use auto, explicit or implicit");
    pc.allocators = producer::system_allocators({.kind = kind, .device_path = config.device});
    auto p = producer::Producer::create(std::move(pc));
    if (!p) return fail(p.error().message());
    auto impl = std::make_unique<ProducerImpl>(std::move(*p));
    impl->drop_ = config.drop_when_full;
    return impl;
}

}  // namespace dmafeed

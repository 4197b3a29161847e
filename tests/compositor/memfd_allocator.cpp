#include "memfd_allocator.hpp"

#include "drm/format_info.hpp"

#include <drm_fourcc.h>

#include <sys/eventfd.h>
#include <sys/mman.h>  // memfd_create
#include <unistd.h>

namespace dmafeed::test {
namespace {

class MemfdBuffer final : public Buffer {
public:
    MemfdBuffer(DrmFormat format, DrmModifier modifier, uint32_t width, uint32_t height)
        : Buffer{format, modifier, width, height}
    {
    }
    FillPath fill_path() const noexcept override { return FillPath::cpu_mapping; }
    std::string_view allocator_name() const noexcept override { return "memfd"; }
    DrmModifier layout_modifier() const noexcept override { return modifier_linear; }
    void add_plane(BufferPlane plane) { planes_.push_back(std::move(plane)); }
    void set_bytes(uint64_t bytes) { allocated_bytes_ = bytes; }
};

class MemfdBackend final : public producer::Backend {
public:
    MemfdBackend(std::shared_ptr<MemfdAllocator> allocator, bool fence_writes, bool draws,
                 std::shared_ptr<std::vector<std::optional<std::vector<sources::PixelRect>>>> draw_log)
        : allocator_{std::move(allocator)}, fence_writes_{fence_writes}, draws_{draws}, draw_log_{std::move(draw_log)}
    {
    }
    std::string cannot_draw(const Buffer& buffer) const override
    {
        if (!draws_) return "the memfd stand-in draws only when asked to (MemfdFactory::draws)";
        return Backend::cannot_draw(buffer);
    }
    Result<UniqueFd> draw(const Buffer& buffer, const sources::PatternFrame& frame, pixels::YuvEncoding encoding,
                          const std::optional<std::vector<sources::PixelRect>>& changed) override
    {
        if (auto why = cannot_draw(buffer); !why.empty()) return Error{why};
        if (draw_log_) draw_log_->push_back(changed);
        return Backend::draw(buffer, frame, encoding, changed);  // the CPU pattern drawer
    }
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override { return std::string{allocator_->name()}; }
    Result<UniqueFd> write(const Buffer& buffer, std::span<const PlanePixels> planes) override
    {
        auto written = Backend::write(buffer, planes);
        if (!written || !fence_writes_) return written;
        UniqueFd fence{eventfd(1, EFD_CLOEXEC)};
        if (!fence) return Error::from_errno("eventfd", errno);
        return fence;
    }

private:
    std::shared_ptr<MemfdAllocator> allocator_;
    bool fence_writes_ = false;
    bool draws_ = false;
    std::shared_ptr<std::vector<std::optional<std::vector<sources::PixelRect>>>> draw_log_;
};

}  // namespace

Result<std::unique_ptr<Buffer>> MemfdAllocator::allocate(const AllocationRequest& request)
{
    if (request.modifiers.empty()) return Error{"memfd: no modifier requested"};
    const FormatModifier pair{request.format, request.modifiers.front()};
    if (!supported_.contains(pair)) return Error{"memfd: " + dmafeed::name(pair.format) + " " + dmafeed::name(pair.modifier) + " not supported"};
    if (fail_allocation.contains(pair)) return Error{"memfd: allocation of " + dmafeed::name(pair.format) + " failed (test knob)"};
    auto layout = linear_layout(request.format, request.width, request.height, request.stride_align ? request.stride_align : 4,
                                /*one_buffer=*/!memfd_per_plane);
    if (!layout) return std::move(layout).error();
    auto buffer = std::make_unique<MemfdBuffer>(request.format, pair.modifier, request.width, request.height);
    uint64_t size = 0;
    UniqueFd fd;
    for (const PlaneLayout& p : *layout) {
        if (!fd || memfd_per_plane) {
            const uint64_t bytes = memfd_per_plane ? p.size : buffer_size(*layout);
            fd = UniqueFd{memfd_create("dmafeed-test-buffer", MFD_CLOEXEC)};
            if (!fd) return Error::from_errno("memfd_create", errno);
            if (ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) return Error::from_errno("ftruncate", errno);
            size += bytes;
        }
        auto dup = fd.dup();
        if (!dup) return std::move(dup).error();
        buffer->add_plane({std::move(*dup), p.offset, p.stride, p.size});
    }
    buffer->set_bytes(size);
    ++allocations;
    if (request.scanout) ++scanout_allocations;
    return std::unique_ptr<Buffer>{std::move(buffer)};
}

producer::BackendFactory MemfdFactory::factory() const
{
    return [alloc = allocator, asked = asked, fence = fence_writes, draws = draws,
            log = draw_log](dev_t device) -> Result<producer::DeviceBackends> {
        asked->push_back(device);
        producer::DeviceBackends out;
        out.backends.push_back(std::make_unique<MemfdBackend>(alloc, fence, draws, log));
        return out;
    };
}

}  // namespace dmafeed::test

#include "alloc/dumb_allocator.hpp"

#include "alloc/cpu_buffers.hpp"

#include "drm/device.hpp"
#include "drm/format_info.hpp"

#include <algorithm>
#include <cerrno>
#include <drm.h>
#include <drm_mode.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <xf86drm.h>

namespace dmafeed {
namespace {

class DumbBuffer final : public Buffer {
public:
    DumbBuffer(DrmFormat format, uint32_t width, uint32_t height) : Buffer{format, modifier_linear, width, height} {}
    FillPath fill_path() const noexcept override { return FillPath::cpu_mapping; }
    std::string_view allocator_name() const noexcept override { return "dumb"; }
    void add_plane(BufferPlane plane) { planes_.push_back(std::move(plane)); }
    void set_bytes(uint64_t bytes) { allocated_bytes_ = bytes; }
};

struct Dumb {
    uint32_t pitch = 0;
    uint64_t size = 0;
};

// A dumb buffer of `rows` rows of at least `row_bytes` bytes, exported read-write; the handle is
// closed whatever happens. 32 bits a pixel: the depth every driver takes (virtio-gpu takes no other).
Result<std::pair<Dumb, UniqueFd>> make_dumb(int fd, uint32_t row_bytes, uint32_t rows, const std::string& node)
{
    drm_mode_create_dumb create{};
    create.width = (row_bytes + 3) / 4;
    create.height = rows;
    create.bpp = 32;
    if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0) {
        return Error::from_errno("DRM_IOCTL_MODE_CREATE_DUMB " + std::to_string(create.width) + "x" + std::to_string(rows) +
                                     " (32 bits a pixel) on " + node,
                                 errno);
    }
    int prime = -1;
    const int exported = drmPrimeHandleToFD(fd, create.handle, DRM_CLOEXEC | DRM_RDWR, &prime);
    const int export_errno = errno;
    drm_mode_destroy_dumb destroy{};
    destroy.handle = create.handle;
    drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
    if (exported != 0 || prime < 0) return Error::from_errno("exporting a dumb buffer of " + node, export_errno);
    return std::pair{Dumb{create.pitch, create.size}, UniqueFd{prime}};
}

}  // namespace

Result<std::unique_ptr<DumbAllocator>> DumbAllocator::create(const std::string& node, std::optional<dev_t> device)
{
    std::string path = node;
    if (path.empty()) {
        if (!device) return Error{"dumb buffers: no DRM device named (the compositor sent no main device)"};
        path = drm::node_path(*device, /*render=*/false);
        if (path.empty()) return Error{"dumb buffers: " + drm::describe_device(*device) + " has no node here"};
    }
    std::unique_ptr<DumbAllocator> a{new DumbAllocator};
    a->fd_ = UniqueFd{::open(path.c_str(), O_RDWR | O_CLOEXEC)};
    if (!a->fd_) return Error::from_errno("dumb buffers: open " + path, errno);
    a->node_ = path;
    if (drmGetNodeTypeFromFd(a->fd_.get()) != DRM_NODE_PRIMARY) {
        return Error{"dumb buffers: " + path + " is not a primary node (render nodes refuse dumb buffers)"};
    }
    if (drmVersionPtr version = drmGetVersion(a->fd_.get())) {
        a->driver_.assign(version->name, static_cast<size_t>(version->name_len));
        drmFreeVersion(version);
    }
    auto probe = make_dumb(a->fd_.get(), 256, 16, path);
    if (!probe) return std::move(probe).error().context("dumb buffers");
    a->supported_ = cpu_fillable_linear_formats();
    return a;
}

Result<std::unique_ptr<Buffer>> DumbAllocator::allocate(const AllocationRequest& request)
{
    const std::string what = "dumb " + dmafeed::name(request.format) + " " + std::to_string(request.width) + "x" +
                             std::to_string(request.height);
    auto checked = check_cpu_linear_request(request, supported_, what, "dumb buffers");
    if (!checked) return std::move(checked).error();
    const FormatInfo* info = *checked;
    if (request.plane_offset != 0 || request.disjoint) {
        return Error{what + ": dumb buffers hold the planes back to back in one dma-buf (no plane offset, no fd per plane)"};
    }
    uint64_t widest = 0, rows = 0;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        widest = std::max(widest, min_stride(*info, p, request.width));
        rows += plane_height(*info, p, request.height);
    }
    const uint64_t align = request.stride_align ? request.stride_align : 64;
    const uint64_t row_bytes = (widest + align - 1) / align * align;
    if (row_bytes > UINT32_MAX || rows > UINT32_MAX) return Error{what + ": too large"};
    auto made = make_dumb(fd_.get(), static_cast<uint32_t>(row_bytes), static_cast<uint32_t>(rows), node_);
    if (!made) return std::move(made).error().context(what);
    const auto& [dumb, prime] = *made;
    if (request.stride_align && dumb.pitch % request.stride_align != 0) {
        return Error{what + ": the driver gave a pitch of " + std::to_string(dumb.pitch) + ", not a multiple of " +
                     std::to_string(request.stride_align)};
    }
    auto buffer = std::make_unique<DumbBuffer>(request.format, request.width, request.height);
    uint64_t offset = 0;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        auto fd = prime.dup();
        if (!fd) return std::move(fd).error().context(what);
        const uint64_t plane_rows = plane_height(*info, p, request.height);
        buffer->add_plane({std::move(*fd), static_cast<uint32_t>(offset), dumb.pitch, plane_rows * dumb.pitch});
        offset += plane_rows * dumb.pitch;
    }
    buffer->set_bytes(dumb.size);
    return std::unique_ptr<Buffer>{std::move(buffer)};
}

}  // namespace dmafeed

#include "alloc/udmabuf_allocator.hpp"

#include "alloc/cpu_buffers.hpp"
#include "drm/format_info.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace dmafeed {
namespace {

class UdmabufBuffer final : public Buffer {
public:
    UdmabufBuffer(DrmFormat format, uint32_t width, uint32_t height) : Buffer{format, modifier_linear, width, height} {}
    FillPath fill_path() const noexcept override { return FillPath::cpu_mapping; }
    std::string_view allocator_name() const noexcept override { return "udmabuf"; }
    void add_plane(BufferPlane plane) { planes_.push_back(std::move(plane)); }
    void add_bytes(uint64_t bytes) { allocated_bytes_ += bytes; }
};

uint64_t align_up(uint64_t value, uint64_t align) { return (value + align - 1) / align * align; }

// A dma-buf of `bytes` (whole pages) over a new memfd, sealed against shrinking as udmabuf needs.
Result<UniqueFd> make_udmabuf(int device, uint64_t bytes, const std::string& path)
{
    UniqueFd memfd{::memfd_create("dmafeed-udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!memfd) return Error::from_errno("memfd_create", errno);
    if (::ftruncate(memfd.get(), static_cast<off_t>(bytes)) != 0) {
        return Error::from_errno("ftruncate of a memfd to " + std::to_string(bytes) + " bytes", errno);
    }
    if (::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK) != 0) return Error::from_errno("sealing a memfd (F_SEAL_SHRINK)", errno);
    udmabuf_create create{};
    create.memfd = static_cast<uint32_t>(memfd.get());
    create.flags = UDMABUF_FLAGS_CLOEXEC;
    create.offset = 0;
    create.size = bytes;
    int fd;
    do {
        fd = ::ioctl(device, UDMABUF_CREATE, &create);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Error::from_errno("UDMABUF_CREATE of " + std::to_string(bytes) + " bytes on " + path, errno);
    return UniqueFd{fd};
}

}  // namespace

Result<std::unique_ptr<UdmabufAllocator>> UdmabufAllocator::create(const std::string& path)
{
    std::unique_ptr<UdmabufAllocator> a{new UdmabufAllocator};
    a->path_ = path.empty() ? "/dev/udmabuf" : path;
    a->fd_ = UniqueFd{::open(a->path_.c_str(), O_RDWR | O_CLOEXEC)};
    if (!a->fd_) return Error::from_errno("udmabuf buffers: open " + a->path_, errno);
    a->page_ = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    auto probe = make_udmabuf(a->fd_.get(), a->page_, a->path_);
    if (!probe) return std::move(probe).error().context("udmabuf buffers");
    a->supported_ = cpu_fillable_linear_formats();
    return a;
}

Result<std::unique_ptr<Buffer>> UdmabufAllocator::allocate(const AllocationRequest& request)
{
    const std::string what = "udmabuf " + dmafeed::name(request.format) + " " + std::to_string(request.width) + "x" +
                             std::to_string(request.height);
    auto checked = check_cpu_linear_request(request, supported_, what, "udmabuf buffers");
    if (!checked) return std::move(checked).error();
    const FormatInfo* info = *checked;
    const uint64_t align = request.stride_align ? request.stride_align : 64;
    // Each plane's place: one memory for all (offsets back to back), or one each (disjoint).
    struct Place {
        uint64_t offset = 0, stride = 0, bytes = 0;
    };
    std::vector<Place> places(info->plane_count);
    uint64_t end = request.plane_offset;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        Place& place = places[p];
        place.stride = align_up(min_stride(*info, p, request.width), align);
        place.bytes = place.stride * plane_height(*info, p, request.height);
        place.offset = request.disjoint || p == 0 ? request.plane_offset : align_up(end, align);
        end = place.offset + place.bytes;
        if (place.stride > UINT32_MAX || place.offset > UINT32_MAX) return Error{what + ": too large"};
    }
    auto buffer = std::make_unique<UdmabufBuffer>(request.format, request.width, request.height);
    UniqueFd shared;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const Place& place = places[p];
        if (request.disjoint || p == 0) {
            const uint64_t bytes = align_up(request.disjoint ? place.offset + place.bytes : end, page_);
            auto made = make_udmabuf(fd_.get(), bytes, path_);
            if (!made) return std::move(made).error().context(what);
            shared = std::move(*made);
            buffer->add_bytes(bytes);
        }
        auto fd = shared.dup();
        if (!fd) return std::move(fd).error().context(what);
        buffer->add_plane({std::move(*fd), static_cast<uint32_t>(place.offset), static_cast<uint32_t>(place.stride), place.bytes});
    }
    return std::unique_ptr<Buffer>{std::move(buffer)};
}

}  // namespace dmafeed

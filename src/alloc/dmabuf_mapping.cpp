#include "alloc/dmabuf_mapping.hpp"

#include <cerrno>
#include <linux/dma-buf.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <utility>

namespace dmafeed {
namespace {

int sync_ioctl(int fd, uint64_t flags)
{
    dma_buf_sync sync{.flags = flags};
    int r;
    do {
        r = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
    } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    return r;
}

}  // namespace

Result<DmabufMapping> DmabufMapping::map(int fd, size_t size, Access access)
{
    if (size == 0) {
        return Error{"map dma-buf: size 0"};
    }
    const int prot = access == Access::read ? PROT_READ : access == Access::write ? PROT_WRITE : PROT_READ | PROT_WRITE;
    void* data = mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED) {
        return Error::from_errno("mmap of dma-buf fd " + std::to_string(fd) + " (" + std::to_string(size) + " bytes)", errno);
    }
    const uint64_t flags = access == Access::read ? DMA_BUF_SYNC_READ
                           : access == Access::write ? DMA_BUF_SYNC_WRITE
                                                     : DMA_BUF_SYNC_RW;
    // ENOTTY: not a dma-buf (a memfd in host tests); nothing to synchronise.
    const bool synced = sync_ioctl(fd, DMA_BUF_SYNC_START | flags) == 0;
    return DmabufMapping{fd, data, size, flags, synced};
}

Result<DmabufMapping> DmabufMapping::map_persistent(int fd, size_t size, Access access)
{
    auto m = map(fd, size, access);
    if (m) m->end();  // accesses bracket themselves
    return m;
}

void DmabufMapping::begin() noexcept
{
    if (!synced_) synced_ = sync_ioctl(fd_, DMA_BUF_SYNC_START | sync_flags_) == 0;
}

void DmabufMapping::end() noexcept
{
    if (synced_) sync_ioctl(fd_, DMA_BUF_SYNC_END | sync_flags_);
    synced_ = false;
}

DmabufMapping::DmabufMapping(DmabufMapping&& o) noexcept
    : fd_{std::exchange(o.fd_, -1)},
      data_{std::exchange(o.data_, nullptr)},
      size_{std::exchange(o.size_, 0)},
      sync_flags_{o.sync_flags_},
      synced_{std::exchange(o.synced_, false)}
{
}

DmabufMapping::~DmabufMapping()
{
    if (!data_) return;
    if (synced_) sync_ioctl(fd_, DMA_BUF_SYNC_END | sync_flags_);
    munmap(data_, size_);
}

}  // namespace dmafeed

// A CPU mapping of a dma-buf, bracketed by DMA_BUF_IOCTL_SYNC (START on map, END on unmap) so
// that caches are coherent with the device on either side.
#pragma once

#include "util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace dmafeed {

class DmabufMapping {
public:
    enum class Access { read, write, read_write };

    // Maps `size` bytes of the dma-buf `fd` (which is borrowed, not owned) from offset 0.
    static Result<DmabufMapping> map(int fd, size_t size, Access access);
    // A mapping kept across accesses (mapping a dma-buf afresh costs a page fault per page on the
    // next touch): no SYNC at map time; bracket each access with begin()/end().
    static Result<DmabufMapping> map_persistent(int fd, size_t size, Access access);
    void begin() noexcept;  // DMA_BUF_IOCTL_SYNC start
    void end() noexcept;    // DMA_BUF_IOCTL_SYNC end

    DmabufMapping(DmabufMapping&& o) noexcept;
    DmabufMapping& operator=(DmabufMapping&&) = delete;
    DmabufMapping(const DmabufMapping&) = delete;
    DmabufMapping& operator=(const DmabufMapping&) = delete;
    ~DmabufMapping();  // SYNC_END, munmap

    std::span<uint8_t> bytes() const noexcept { return {static_cast<uint8_t*>(data_), size_}; }
    // Whether DMA_BUF_IOCTL_SYNC worked (false for a memfd standing in for a dma-buf).
    bool synced() const noexcept { return synced_; }

private:
    DmabufMapping(int fd, void* data, size_t size, uint64_t sync_flags, bool synced)
        : fd_{fd}, data_{data}, size_{size}, sync_flags_{sync_flags}, synced_{synced}
    {
    }
    int fd_ = -1;
    void* data_ = nullptr;
    size_t size_ = 0;
    uint64_t sync_flags_ = 0;
    bool synced_ = false;
};

}  // namespace dmafeed

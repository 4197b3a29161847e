#include "drm/sync_file.hpp"

#include <cerrno>
#include <linux/dma-buf.h>
#include <poll.h>
#include <sys/ioctl.h>

namespace dmafeed::drm {

Result<void> attach_fence(int dmabuf_fd, int sync_file_fd)
{
    dma_buf_import_sync_file arg{.flags = DMA_BUF_SYNC_WRITE, .fd = sync_file_fd};
    int r;
    do {
        r = ::ioctl(dmabuf_fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &arg);
    } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    if (r < 0) return Error::from_errno("DMA_BUF_IOCTL_IMPORT_SYNC_FILE", errno);
    return {};
}

Result<UniqueFd> dmabuf_fences(int dmabuf_fd, bool for_write)
{
    dma_buf_export_sync_file arg{.flags = static_cast<uint32_t>(for_write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ), .fd = -1};
    int r;
    do {
        r = ::ioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg);
    } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    if (r < 0) return Error::from_errno("DMA_BUF_IOCTL_EXPORT_SYNC_FILE", errno);
    return UniqueFd{arg.fd};
}

Result<bool> wait_fence(int fd, std::chrono::milliseconds timeout)
{
    pollfd pfd{.fd = fd, .events = POLLIN, .revents = 0};
    int r;
    do {
        r = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return Error::from_errno("poll on a fence", errno);
    if (r == 0) return false;
    if (pfd.revents & (POLLERR | POLLNVAL)) return Error{"the fence fd reported an error (poll revents " + std::to_string(pfd.revents) + ")"};
    return true;
}

}  // namespace dmafeed::drm

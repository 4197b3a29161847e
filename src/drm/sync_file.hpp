// Kernel fences as files: sync_file fds and the implicit fences of a dma-buf.
//  - attach_fence() puts a sync_file into a dma-buf's implicit fences (DMA_BUF_IOCTL_IMPORT_SYNC_FILE):
//    a compositor that uses implicit sync waits for it before reading the buffer.
//  - dmabuf_fences() takes a snapshot of a dma-buf's fences as a sync_file
//    (DMA_BUF_IOCTL_EXPORT_SYNC_FILE): with `for_write`, every reader and writer, which is what must
//    finish before the producer writes the buffer again.
//  - wait_fence() waits (poll) for a sync_file, or anything pollable that stands in for one.
// Both ioctls need Linux 6.0; elsewhere (and on a memfd) they fail with ENOTTY, which the caller
// turns into a CPU wait.
#pragma once

#include "util/result.hpp"
#include "util/unique_fd.hpp"

#include <chrono>

namespace dmafeed::drm {

Result<void> attach_fence(int dmabuf_fd, int sync_file_fd);
Result<UniqueFd> dmabuf_fences(int dmabuf_fd, bool for_write);
// True when signalled within `timeout`; false on timeout. Errors: poll failed, or the fd reported
// an error condition.
Result<bool> wait_fence(int fd, std::chrono::milliseconds timeout);

}  // namespace dmafeed::drm

// What this process holds, for progress lines and soak runs: the resident set, the heap in use,
// open file descriptors and how many of them are dma-bufs.
#pragma once

#include <cstdint>

namespace dmafeed {

struct ProcessUsage {
    uint64_t resident_bytes = 0;  // /proc/self/statm (page-grained; 0 where it cannot be read)
    uint64_t heap_bytes = 0;      // malloc's bytes handed out and not freed (mallinfo2, every arena)
    int open_fds = -1;            // entries of /proc/self/fd (-1 where it cannot be read)
    int dmabufs = 0;              // of those, dma-bufs (their link names a dmabuf)
};

ProcessUsage process_usage();

}  // namespace dmafeed

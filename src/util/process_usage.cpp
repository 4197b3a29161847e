#include "util/process_usage.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <malloc.h>
#include <string>
#include <unistd.h>

namespace dmafeed {

ProcessUsage process_usage()
{
    ProcessUsage u;
    const struct mallinfo2 info = mallinfo2();
    u.heap_bytes = uint64_t{info.uordblks} + uint64_t{info.hblkhd};
    if (std::FILE* f = std::fopen("/proc/self/statm", "re")) {
        unsigned long long size = 0, resident = 0;
        if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) {
            u.resident_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
        }
        std::fclose(f);
    }
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return u;
    const int own = ::dirfd(dir);
    int fds = 0;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] == '.' || std::atoi(e->d_name) == own) continue;
        ++fds;
        char target[64] = {};
        const std::string link = std::string{"/proc/self/fd/"} + e->d_name;
        const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        // "/dmabuf:NAME" (kernels that name dma-bufs), "anon_inode:dmabuf" before.
        if (n > 0 && (std::strncmp(target, "/dmabuf:", 8) == 0 || std::strcmp(target, "anon_inode:dmabuf") == 0)) ++u.dmabufs;
    }
    ::closedir(dir);
    u.open_fds = fds;
    return u;
}

}  // namespace dmafeed

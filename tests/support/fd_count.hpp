// Counts this process's open file descriptors through /proc/self/fd, for leak checks.
#pragma once

#include <dirent.h>
#include <string>

namespace dmafeed::test {

inline int open_fd_count()
{
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) {
        return -1;
    }
    int n = 0;
    while (const dirent* e = readdir(dir)) {
        if (e->d_name[0] != '.') {
            ++n;
        }
    }
    closedir(dir);
    return n - 1;  // the DIR's own fd
}

}  // namespace dmafeed::test

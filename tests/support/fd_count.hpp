// Counts this process's open file descriptors through /proc/self/fd, for leak checks.
#pragma once

#include <dirent.h>
#include <string>
#include <unistd.h>

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

// One line per open fd: "N -> target" (for failure messages).
inline std::string open_fd_list()
{
    std::string out;
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) return out;
    while (const dirent* e = readdir(dir)) {
        if (e->d_name[0] == '.') continue;
        char target[256] = {};
        const std::string link = std::string{"/proc/self/fd/"} + e->d_name;
        const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
        out += std::string{e->d_name} + " -> " + (n > 0 ? std::string(target, static_cast<size_t>(n)) : "?") + "\n";
    }
    closedir(dir);
    return out;
}

}  // namespace dmafeed::test

#include "util/fd_limit.hpp"

#include <cerrno>
#include <dirent.h>
#include <sys/resource.h>

namespace dmafeed {

std::string fd_limit_note(unsigned margin)
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return {};
    const std::string limit_is = " of its " + std::to_string(limit.rlim_cur) +
                                 " open files (RLIMIT_NOFILE) in use: too many open files; raise the limit (`ulimit -n`, e.g. 1024)";
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) {
        // Not even the directory could be opened: every descriptor is taken.
        if (errno == EMFILE) return "; the process has all" + limit_is;
        return {};
    }
    rlim_t open = 0;
    while (const dirent* e = ::readdir(dir)) open += e->d_name[0] != '.' ? 1 : 0;
    ::closedir(dir);
    open -= open > 0 ? 1 : 0;  // the directory's own fd
    if (open + margin < limit.rlim_cur) return {};
    return "; the process has " + std::to_string(open) + limit_is;
}

}  // namespace dmafeed

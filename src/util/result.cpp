#include "util/result.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/resource.h>

namespace dmafeed {

Error Error::from_errno(std::string_view what, int err)
{
    std::string msg{what};
    msg += ": ";
    msg += std::strerror(err);
    if (const char* name = strerrorname_np(err)) {
        msg += " (";
        msg += name;
        msg += ')';
    }
    // Out of descriptors: say how many the process may have, the limit that was hit.
    rlimit limit{};
    if (err == EMFILE && ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        msg += "; the process's limit is " + std::to_string(limit.rlim_cur) +
               " open files (RLIMIT_NOFILE): raise it (`ulimit -n`, e.g. 1024)";
    }
    return Error{std::move(msg)};
}

Error Error::context(std::string_view outer) &&
{
    std::string msg{outer};
    msg += ": ";
    msg += message_;
    return Error{std::move(msg)};
}

}  // namespace dmafeed

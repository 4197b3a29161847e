#include "util/result.hpp"

#include <cstring>
#include <string>

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

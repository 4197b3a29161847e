#include "util/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace dmafeed {

void UniqueFd::reset(int fd) noexcept
{
    if (fd_ >= 0 && fd_ != fd) {
        ::close(fd_);
    }
    fd_ = fd;
}

Result<UniqueFd> UniqueFd::dup() const
{
    if (fd_ < 0) {
        return Error{"dup of an empty UniqueFd"};
    }
    const int copy = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        return Error::from_errno("fcntl(F_DUPFD_CLOEXEC)", errno);
    }
    return UniqueFd{copy};
}

}  // namespace dmafeed

// UniqueFd: sole owner of one file descriptor.
//
// Every fd dmafeed touches is a UniqueFd from the moment it exists (syscall results, exported
// dma-bufs, GBM plane fds, fds received in Wayland events). release() hands ownership to a call
// that consumes the fd, and is only called once that call has succeeded.
#pragma once

#include "util/result.hpp"

#include <utility>

namespace dmafeed {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_{fd} {}
    UniqueFd(UniqueFd&& o) noexcept : fd_{std::exchange(o.fd_, -1)} {}
    UniqueFd& operator=(UniqueFd&& o) noexcept
    {
        reset(std::exchange(o.fd_, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }

    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    // Closes the current fd (if any; EINTR is not retried, as on Linux the fd is gone) and adopts `fd`.
    void reset(int fd = -1) noexcept;
    // A new fd for the same open file, with FD_CLOEXEC (F_DUPFD_CLOEXEC).
    Result<UniqueFd> dup() const;

private:
    int fd_ = -1;
};

}  // namespace dmafeed

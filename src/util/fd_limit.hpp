// The process's open-file limit (RLIMIT_NOFILE), for errors that running out of descriptors
// causes without saying so: a driver's VK_ERROR_OUT_OF_DEVICE_MEMORY, or libwayland's EINVAL when
// the kernel could not give the process an fd the compositor sent (recvmsg drops it at the limit,
// and the event that carried it arrives without it).
#pragma once

#include <string>

namespace dmafeed {

// "; the process has 9 of its 9 open files (RLIMIT_NOFILE) in use: too many open files; raise the
// limit (`ulimit -n`, e.g. 1024)" when the process uses all of the open files it may have, or all
// but `margin`; empty otherwise (or without a limit).
std::string fd_limit_note(unsigned margin = 4);

}  // namespace dmafeed

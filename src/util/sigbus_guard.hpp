// Reading a mapped file that can shrink: reads of a mapping under a SIGBUS guard.
//
// An access to a mapping of a file past the file's end faults with SIGBUS, and another program can
// truncate or rewrite the file at any time. Comparing the file's size with the mapping's first
// cannot close that race (the file can shrink between the fstat and the copy), and pread for every
// frame would give up the mapping's one copy a frame. So every access of the Y4M reader
// (sources/y4m.cpp) to the mapping runs under a guard: a SIGBUS handler, installed once (by the
// first mapped file) and chained to the handler it replaced, jumps back out of a guarded access of
// the faulting thread when the faulting address lies in the pages that access reads; the access
// then reports a fault and the reader an error. Any other SIGBUS goes on to the previous handler,
// or to the default action, as if this one were not there. Besides:
//  - before each frame the reader compares the file's size (fstat) with the mapping's, so that the
//    usual case, a file truncated between two frames, is an error without any signal;
//  - where another handler has replaced this one since (a host program's), the reader reads the
//    mapped range with pread, which answers a short count past the file's end, instead.
#pragma once

#include <csetjmp>
#include <cstddef>
#include <cstdint>

namespace dmafeed {

namespace sigbus_detail {
struct GuardedAccess {
    uintptr_t begin = 0, end = 0;  // the whole pages of the range read
    sigjmp_buf env;
};
// The calling thread's innermost guarded access (nullptr: none).
extern constinit thread_local GuardedAccess* current;
uintptr_t page_size() noexcept;
void unblock_sigbus() noexcept;
}  // namespace sigbus_detail

// Whether the guard's handler is SIGBUS's (installing it the first time).
bool sigbus_guard_in_place();

// Runs `access`, which reads `size` bytes of a mapping from `begin`, under the guard: false when
// it faulted (it stopped where it faulted). Call only where sigbus_guard_in_place().
template <class Access>
bool sigbus_guarded(const uint8_t* begin, size_t size, Access&& access)
{
    using sigbus_detail::current;
    const uintptr_t page = sigbus_detail::page_size();
    sigbus_detail::GuardedAccess a;
    a.begin = reinterpret_cast<uintptr_t>(begin) & ~(page - 1);
    a.end = (reinterpret_cast<uintptr_t>(begin) + size + page - 1) & ~(page - 1);
    sigbus_detail::GuardedAccess* const outer = current;
    current = &a;
    if (sigsetjmp(a.env, 0) != 0) {
        // Out of the handler: SIGBUS is still blocked (sigsetjmp saved no mask, to stay cheap).
        current = outer;
        sigbus_detail::unblock_sigbus();
        return false;
    }
    access();
    current = outer;
    return true;
}

}  // namespace dmafeed

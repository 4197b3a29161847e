// Shrinking a file in the middle of a copy out of its mapping, deterministically, for the Y4M
// reader's tests: the copy's destination starts PROT_NONE, so that the copy's first write to it
// faults (SIGSEGV); the handler truncates the file, opens the destination and returns, and the copy
// goes on, now reading pages of the mapping past the file's new end. No check made before the copy
// can have seen the shrink. One trap at a time; other faults go to the handler it replaced.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

namespace dmafeed::fuzz {

class ShrinkTrap {
public:
    // Arms the trap on [page, page + bytes) (page-aligned, made PROT_NONE): the first write there
    // truncates `fd` to `size`. `fired()` tells whether it did.
    ShrinkTrap(void* page, size_t bytes, int fd, off_t size)
    {
        state() = {static_cast<uint8_t*>(page), bytes, fd, size, false, {}};
        mprotect(page, bytes, PROT_NONE);
        struct sigaction sa {};
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        armed_ = sigaction(SIGSEGV, &sa, &state().previous) == 0;
    }
    ~ShrinkTrap()
    {
        if (armed_) sigaction(SIGSEGV, &state().previous, nullptr);
        mprotect(state().page, state().bytes, PROT_READ | PROT_WRITE);
    }
    ShrinkTrap(const ShrinkTrap&) = delete;
    ShrinkTrap& operator=(const ShrinkTrap&) = delete;

    bool armed() const noexcept { return armed_; }
    static bool fired() noexcept { return state().fired; }

private:
    struct State {
        uint8_t* page = nullptr;
        size_t bytes = 0;
        int fd = -1;
        off_t size = 0;
        volatile bool fired = false;
        struct sigaction previous;
    };
    static State& state() noexcept
    {
        static State s;
        return s;
    }
    static void on_segv(int sig, siginfo_t* info, void* context)
    {
        State& s = state();
        auto* at = static_cast<uint8_t*>(info->si_addr);
        if (!s.fired && at >= s.page && at < s.page + s.bytes) {
            s.fired = true;
            (void)!ftruncate(s.fd, s.size);
            mprotect(s.page, s.bytes, PROT_READ | PROT_WRITE);
            return;  // the write runs again, and succeeds
        }
        if ((s.previous.sa_flags & SA_SIGINFO) && s.previous.sa_sigaction) {
            s.previous.sa_sigaction(sig, info, context);
            return;
        }
        if (!(s.previous.sa_flags & SA_SIGINFO) && s.previous.sa_handler != SIG_DFL && s.previous.sa_handler != SIG_IGN) {
            s.previous.sa_handler(sig);
            return;
        }
        signal(SIGSEGV, SIG_DFL);  // the fault happens again, with the default action
    }
    bool armed_ = false;
};

}  // namespace dmafeed::fuzz

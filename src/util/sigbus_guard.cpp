#include "util/sigbus_guard.hpp"

#include <csignal>
#include <pthread.h>
#include <unistd.h>

namespace dmafeed {

namespace sigbus_detail {
constinit thread_local GuardedAccess* current = nullptr;
}  // namespace sigbus_detail

namespace {

struct sigaction previous_sigbus {};
uintptr_t guard_page_size = 4096;

void on_sigbus(int sig, siginfo_t* info, void* context)
{
    sigbus_detail::GuardedAccess* const access = sigbus_detail::current;
    const auto at = reinterpret_cast<uintptr_t>(info->si_addr);
    if (access && info->si_code > 0 && at >= access->begin && at < access->end) siglongjmp(access->env, 1);
    if ((previous_sigbus.sa_flags & SA_SIGINFO) && previous_sigbus.sa_sigaction) {
        previous_sigbus.sa_sigaction(sig, info, context);
        return;
    }
    if (!(previous_sigbus.sa_flags & SA_SIGINFO) && previous_sigbus.sa_handler != SIG_DFL &&
        previous_sigbus.sa_handler != SIG_IGN) {
        previous_sigbus.sa_handler(sig);
        return;
    }
    // The default action: a fault happens again once this returns; a signal sent is sent again
    // (blocked until then).
    signal(SIGBUS, SIG_DFL);
    if (info->si_code <= 0) raise(sig);
}

}  // namespace

namespace sigbus_detail {
uintptr_t page_size() noexcept { return guard_page_size; }

void unblock_sigbus() noexcept
{
    sigset_t bus;
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &bus, nullptr);
}
}  // namespace sigbus_detail

bool sigbus_guard_in_place()
{
    static const bool installed = [] {
        guard_page_size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
        struct sigaction sa {};
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        return sigaction(SIGBUS, &sa, &previous_sigbus) == 0;
    }();
    struct sigaction now {};
    return installed && sigaction(SIGBUS, nullptr, &now) == 0 && (now.sa_flags & SA_SIGINFO) &&
           now.sa_sigaction == on_sigbus;
}

}  // namespace dmafeed

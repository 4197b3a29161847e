// A producer in a process of its own, for compositor_faults' open-file-limit case: its limit is
// its own, and the test compositor's fds do not count against it.
//
//   fd_limit_client SOCKET NOFILE
//
// Sets RLIMIT_NOFILE to NOFILE, connects to the compositor on SOCKET ($XDG_RUNTIME_DIR), shows 3
// frames, then takes every descriptor the limit leaves (as a leak or a driver's set-up would),
// prints "full" on stdout and dispatches until the compositor's next event that carries an fd
// breaks the connection (the test then changes the feedback: a new format table, which the kernel
// cannot hand to a process at its limit). The error goes to stderr, and the exit status is 1; 0
// when nothing broke within 10 s; 2 when the producer could not start.
#include "memfd_allocator.hpp"

#include "producer/producer.hpp"
#include "sources/solid.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <drm_fourcc.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace dmafeed;
using namespace std::chrono_literals;

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: fd_limit_client SOCKET NOFILE\n");
        return 2;
    }
    const rlim_t nofile = std::strtoul(argv[2], nullptr, 10);
    const rlimit limit{nofile, nofile};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        std::perror("setrlimit");
        return 2;
    }
    constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
    test::MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    producer::ProducerConfig config;
    config.display = argv[1];
    config.width = 32;
    config.height = 16;
    config.backends = memfd.factory();
    config.timeout = 5000ms;
    auto p = producer::Producer::create(config);
    if (!p) {
        std::fprintf(stderr, "fd_limit_client: %s\n", p.error().message().c_str());
        return 2;
    }
    auto colour = sources::SolidFrame::make(xrgb, 32, 16, {1, 2, 3});
    if (!colour) return 2;
    const auto planes = colour->planes();
    for (int i = 0; i < 3; ++i) {
        auto frame = (*p)->acquire();
        if (!frame || !*frame || !(*p)->write(**frame, planes) || !(*p)->queue(**frame)) {
            std::fprintf(stderr, "fd_limit_client: frame %d was not shown\n", i);
            return 2;
        }
    }
    while (dup(STDIN_FILENO) >= 0) {
    }
    std::printf("full\n");
    std::fflush(stdout);
    for (int i = 0; i < 10; ++i) {
        if (auto r = (*p)->dispatch(1000ms); !r) {
            std::fprintf(stderr, "fd_limit_client: %s\n", r.error().message().c_str());
            return 1;
        }
    }
    return 0;
}

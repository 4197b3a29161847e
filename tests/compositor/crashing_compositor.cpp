// A compositor that crashes on purpose, for dmafeed-conform --spawn's crash handling
// (conform_crash_test.cpp): the test compositor's server, on the socket $WAYLAND_DISPLAY names, in
// a loop of this process's own, which aborts (SIGABRT, no core) as soon as the Nth client of this
// process has connected, before anything that client sent is answered: its connection breaks at
// its first roundtrip.
//
//   crashing_compositor --abort-at-client N [--marker FILE --then-at-client M]
//
// With --marker, a process that finds FILE (an earlier one crashed and created it) aborts at its
// Mth client instead (0: never). dmafeed-conform's first compositor has two clients before the
// first case (the check that it listens, the probe of its globals); one that it starts again
// after a crash has one.
#include "server.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <drm_fourcc.h>
#include <fstream>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>

using namespace dmafeed;
using namespace dmafeed::test;

int main(int argc, char** argv)
{
    size_t abort_at = 0;
    size_t then_at = 0;
    std::string marker;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view arg = argv[i];
        const std::string_view value = argv[i + 1];
        if (arg == "--abort-at-client") std::from_chars(value.data(), value.data() + value.size(), abort_at);
        if (arg == "--then-at-client") std::from_chars(value.data(), value.data() + value.size(), then_at);
        if (arg == "--marker") marker = value;
    }
    const char* socket = std::getenv("WAYLAND_DISPLAY");
    if (abort_at == 0 || !socket || !*socket) {
        std::fprintf(stderr, "usage: WAYLAND_DISPLAY=NAME crashing_compositor --abort-at-client N [--marker FILE "
                             "--then-at-client M]\n");
        return 2;
    }
    if (!marker.empty() && access(marker.c_str(), F_OK) == 0) abort_at = then_at;
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);

    Config config;
    config.dmabuf_version = 5;
    config.formats = FormatSet{{DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear},
                               {DrmFormat{DRM_FORMAT_NV12}, modifier_linear}};
    config.keep_plane_fds = false;
    detail::RecordStore records;
    auto server = detail::Server::create(config, records);
    if (!server) {
        std::fprintf(stderr, "crashing_compositor: %s\n", server.error().message().c_str());
        return 1;
    }
    if (wl_display_add_socket((*server)->display, socket) != 0) {
        std::fprintf(stderr, "crashing_compositor: cannot listen on %s\n", socket);
        return 1;
    }
    std::fprintf(stderr, "crashing_compositor: listening on %s, %s\n", socket,
                 abort_at ? ("aborting at client " + std::to_string(abort_at)).c_str() : "not aborting");
    std::fflush(stderr);
    for (;;) {
        wl_display_flush_clients((*server)->display);
        if (wl_event_loop_dispatch((*server)->loop, -1) < 0 && errno != EINTR) return 1;
        // A client accepted in this dispatch is read from in the next one: nothing it sent is answered yet.
        const uint64_t clients = records.read([](const Records& r) { return r.clients_total; });
        if (abort_at > 0 && clients >= abort_at) {
            if (!marker.empty()) std::ofstream{marker} << "crashed\n";
            std::fprintf(stderr, "crashing_compositor: client %llu connected: aborting\n",
                         static_cast<unsigned long long>(clients));
            std::fflush(stderr);
            std::abort();
        }
    }
}

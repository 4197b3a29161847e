// wl::Connection against a peer that is not a compositor: a closed socket (a dead compositor)
// and a silent one (a hung compositor) both become errors, quickly, without spinning.
#include "fd_count.hpp"
#include "wl/connection.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using dmafeed::UniqueFd;
using dmafeed::wl::Connection;
using namespace std::chrono_literals;

namespace {

struct Pair {
    UniqueFd client;
    UniqueFd server;
};

Pair socket_pair()
{
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    return {UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

double cpu_seconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

TEST(Connection, ADeadCompositorIsAnErrorWellWithinASecond)
{
    const int fds_before = dmafeed::test::open_fd_count();
    {
        Pair p = socket_pair();
        auto conn = Connection::adopt(std::move(p.client));
        ASSERT_TRUE(conn.ok()) << conn.error().message();
        p.server.reset();  // the compositor dies
        const auto start = std::chrono::steady_clock::now();
        auto r = (*conn)->roundtrip(5000ms);
        const auto took = std::chrono::steady_clock::now() - start;
        ASSERT_FALSE(r.ok());
        EXPECT_LT(took, 1s);
        EXPECT_FALSE((*conn)->status().ok()) << "the connection should report its fatal error";
        // Later calls keep failing instead of blocking.
        EXPECT_FALSE((*conn)->dispatch(100ms).ok());
    }
    EXPECT_EQ(dmafeed::test::open_fd_count(), fds_before) << "the socket must be closed with the connection";
}

TEST(Connection, AHungCompositorTimesOutWithoutSpinning)
{
    Pair p = socket_pair();  // the server end stays open and never answers
    auto conn = Connection::adopt(std::move(p.client));
    ASSERT_TRUE(conn.ok());
    const double cpu_before = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    auto r = (*conn)->roundtrip(300ms);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("did not answer within 300 ms"), std::string::npos) << r.error().message();
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 1s);
    EXPECT_LT(cpu_seconds() - cpu_before, 0.1) << "waiting must sleep in poll, not spin";
}

TEST(Connection, DispatchWithNothingToReadReturnsAfterTheTimeout)
{
    Pair p = socket_pair();
    auto conn = Connection::adopt(std::move(p.client));
    ASSERT_TRUE(conn.ok());
    EXPECT_TRUE((*conn)->dispatch_pending().ok());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE((*conn)->dispatch(50ms).ok());
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST(Connection, ConnectingToAMissingSocketNamesIt)
{
    auto conn = Connection::connect("dmafeed-no-such-socket");
    ASSERT_FALSE(conn.ok());
    EXPECT_NE(conn.error().message().find("dmafeed-no-such-socket"), std::string::npos) << conn.error().message();
}

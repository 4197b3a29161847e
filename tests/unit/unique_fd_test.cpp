#include "fd_count.hpp"
#include "util/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

using dmafeed::UniqueFd;
using dmafeed::test::open_fd_count;

namespace {

UniqueFd make_memfd()
{
    return UniqueFd{memfd_create("dmafeed-test", MFD_CLOEXEC)};
}

bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

}  // namespace

TEST(UniqueFd, ClosesOnDestruction)
{
    const int before = open_fd_count();
    int raw = -1;
    {
        UniqueFd fd = make_memfd();
        ASSERT_TRUE(fd.valid());
        raw = fd.get();
        EXPECT_EQ(open_fd_count(), before + 1);
    }
    EXPECT_FALSE(is_open(raw));
    EXPECT_EQ(open_fd_count(), before);
}

TEST(UniqueFd, MoveTransfersOwnershipAndAssignmentClosesTheOld)
{
    const int before = open_fd_count();
    UniqueFd a = make_memfd();
    UniqueFd b = make_memfd();
    const int a_raw = a.get();
    const int b_raw = b.get();
    b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    EXPECT_EQ(b.get(), a_raw);
    EXPECT_FALSE(is_open(b_raw));
    UniqueFd c{std::move(b)};
    EXPECT_EQ(c.get(), a_raw);
    EXPECT_EQ(open_fd_count(), before + 1);
}

TEST(UniqueFd, ReleaseGivesUpOwnership)
{
    UniqueFd fd = make_memfd();
    const int raw = fd.release();
    EXPECT_FALSE(fd.valid());
    EXPECT_TRUE(is_open(raw));
    ::close(raw);
}

TEST(UniqueFd, ResetToTheSameFdKeepsItOpen)
{
    UniqueFd fd = make_memfd();
    const int raw = fd.get();
    fd.reset(raw);
    EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, DupIsCloexecAndIndependent)
{
    const int before = open_fd_count();
    UniqueFd fd = make_memfd();
    auto copy = fd.dup();
    ASSERT_TRUE(copy.ok()) << copy.error().message();
    EXPECT_NE(copy->get(), fd.get());
    EXPECT_TRUE(fcntl(copy->get(), F_GETFD) & FD_CLOEXEC);
    fd.reset();
    EXPECT_TRUE(is_open(copy->get()));
    EXPECT_EQ(open_fd_count(), before + 1);
}

TEST(UniqueFd, DupOfEmptyIsAnError)
{
    UniqueFd empty;
    auto copy = empty.dup();
    ASSERT_FALSE(copy.ok());
    EXPECT_NE(copy.error().message().find("empty"), std::string::npos);
}

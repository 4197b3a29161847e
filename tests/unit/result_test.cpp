#include "util/result.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <memory>

using dmafeed::Error;
using dmafeed::Result;

namespace {

Result<int> parse_positive(int v)
{
    if (v <= 0) {
        return Error{"not positive: " + std::to_string(v)};
    }
    return v;
}

}  // namespace

TEST(Result, HoldsAValueOrAnError)
{
    auto good = parse_positive(3);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 3);
    auto bad = parse_positive(-1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "not positive: -1");
}

TEST(Result, MoveOnlyValues)
{
    Result<std::unique_ptr<int>> r{std::make_unique<int>(7)};
    ASSERT_TRUE(r.ok());
    std::unique_ptr<int> p = std::move(r).value();
    EXPECT_EQ(*p, 7);
}

TEST(Result, VoidResult)
{
    Result<void> ok;
    EXPECT_TRUE(ok.ok());
    Result<void> bad{Error{"boom"}};
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message(), "boom");
}

TEST(Error, FromErrnoNamesTheErrno)
{
    const Error e = Error::from_errno("open /dev/udmabuf", ENOENT);
    EXPECT_EQ(e.message(), "open /dev/udmabuf: No such file or directory (ENOENT)");
}

TEST(Error, ContextPrefixes)
{
    Error e = Error{"VK_ERROR_OUT_OF_DEVICE_MEMORY"}.context("vkAllocateMemory");
    EXPECT_EQ(e.message(), "vkAllocateMemory: VK_ERROR_OUT_OF_DEVICE_MEMORY");
}

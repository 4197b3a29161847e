// The linux-dmabuf format table as untrusted input: mapped only when the fd really holds the
// announced size, which must be a multiple of 16; dev_t arrays of the wrong size are refused.
#include "fd_count.hpp"
#include "util/unique_fd.hpp"
#include "wl/dmabuf_feedback.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <wayland-util.h>

using dmafeed::DrmFormat;
using dmafeed::DrmModifier;
using dmafeed::UniqueFd;
using dmafeed::wl::dev_from_array;
using dmafeed::wl::FormatTable;

namespace {

struct Entry {
    uint32_t format;
    uint32_t pad;
    uint64_t modifier;
};

UniqueFd table_fd(const std::vector<Entry>& entries, size_t extra_bytes = 0)
{
    UniqueFd fd{memfd_create("format-table", MFD_CLOEXEC)};
    const size_t bytes = entries.size() * sizeof(Entry) + extra_bytes;
    EXPECT_EQ(ftruncate(fd.get(), static_cast<off_t>(bytes)), 0);
    if (!entries.empty()) {
        EXPECT_EQ(pwrite(fd.get(), entries.data(), entries.size() * sizeof(Entry), 0),
                  static_cast<ssize_t>(entries.size() * sizeof(Entry)));
    }
    return fd;
}

}  // namespace

TEST(FormatTable, MapsEntriesInOrder)
{
    const auto fd = table_fd({{DRM_FORMAT_XRGB8888, 0, DRM_FORMAT_MOD_LINEAR}, {DRM_FORMAT_NV12, 0, DRM_FORMAT_MOD_INVALID}});
    auto table = FormatTable::map(fd.get(), 32);
    ASSERT_TRUE(table.ok()) << table.error().message();
    ASSERT_EQ(table->size(), 2U);
    EXPECT_EQ(table->at(0).format, DrmFormat{DRM_FORMAT_XRGB8888});
    EXPECT_EQ(table->at(0).modifier, DrmModifier{DRM_FORMAT_MOD_LINEAR});
    EXPECT_EQ(table->at(1).format, DrmFormat{DRM_FORMAT_NV12});
    EXPECT_TRUE(table->at(1).modifier.is_implicit());
}

TEST(FormatTable, RefusesATableSmallerThanAnnounced)
{
    const auto fd = table_fd({{DRM_FORMAT_XRGB8888, 0, 0}});
    auto table = FormatTable::map(fd.get(), 64);  // would SIGBUS on access past the file's end
    ASSERT_FALSE(table.ok());
    EXPECT_NE(table.error().message().find("holds 16 bytes"), std::string::npos) << table.error().message();
}

TEST(FormatTable, RefusesASizeNotAMultipleOf16)
{
    const auto fd = table_fd({{DRM_FORMAT_XRGB8888, 0, 0}}, 8);
    auto table = FormatTable::map(fd.get(), 24);
    ASSERT_FALSE(table.ok());
    EXPECT_NE(table.error().message().find("multiple of 16"), std::string::npos);
}

TEST(FormatTable, TheMappingIsPrivateAndOutlivesTheFd)
{
    const int before = dmafeed::test::open_fd_count();
    std::optional<FormatTable> table;
    {
        const auto fd = table_fd({{DRM_FORMAT_ARGB8888, 0, DRM_FORMAT_MOD_LINEAR}});
        auto mapped = FormatTable::map(fd.get(), 16);
        ASSERT_TRUE(mapped.ok());
        table = std::move(mapped).value();
    }
    EXPECT_EQ(dmafeed::test::open_fd_count(), before);  // the fd is closed, the map stays
    EXPECT_EQ(table->at(0).format, DrmFormat{DRM_FORMAT_ARGB8888});
}

TEST(DevFromArray, OnlyExactlySizeofDevT)
{
    dev_t dev = makedev(226, 128);
    wl_array a{.size = sizeof dev, .alloc = sizeof dev, .data = &dev};
    ASSERT_TRUE(dev_from_array(&a).has_value());
    EXPECT_EQ(*dev_from_array(&a), dev);
    a.size = 4;
    EXPECT_FALSE(dev_from_array(&a).has_value());
    a.size = 16;
    EXPECT_FALSE(dev_from_array(&a).has_value());
    EXPECT_FALSE(dev_from_array(nullptr).has_value());
}

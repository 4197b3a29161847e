// The linux-dmabuf format table as untrusted input: read only when the fd really holds the
// announced size, which must be a multiple of 16; dev_t arrays of the wrong size are refused. The
// feedback rules (FeedbackParser) driven as a compositor's events would.
#include "fd_count.hpp"
#include "util/unique_fd.hpp"
#include "wl/dmabuf_feedback.hpp"
#include "wl/feedback_parser.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <span>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>
#include <wayland-util.h>

using dmafeed::DrmFormat;
using dmafeed::DrmModifier;
using dmafeed::UniqueFd;
using dmafeed::FormatModifier;
using dmafeed::FormatSet;
using dmafeed::wl::dev_from_array;
using dmafeed::wl::FeedbackParser;
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
    auto table = FormatTable::read(fd.get(), 32);
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
    auto table = FormatTable::read(fd.get(), 64);
    ASSERT_FALSE(table.ok());
    EXPECT_NE(table.error().message().find("holds 16 bytes"), std::string::npos) << table.error().message();
}

TEST(FormatTable, RefusesASizeNotAMultipleOf16)
{
    const auto fd = table_fd({{DRM_FORMAT_XRGB8888, 0, 0}}, 8);
    auto table = FormatTable::read(fd.get(), 24);
    ASSERT_FALSE(table.ok());
    EXPECT_NE(table.error().message().find("multiple of 16"), std::string::npos);
}

TEST(FormatTable, TheTableIsACopyThatOutlivesTheFd)
{
    const int before = dmafeed::test::open_fd_count();
    std::optional<FormatTable> table;
    {
        const auto fd = table_fd({{DRM_FORMAT_ARGB8888, 0, DRM_FORMAT_MOD_LINEAR}});
        auto read = FormatTable::read(fd.get(), 16);
        ASSERT_TRUE(read.ok());
        table = std::move(read).value();
    }
    EXPECT_EQ(dmafeed::test::open_fd_count(), before);  // the fd is closed, the table stays
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

TEST(FormatTable, AnAnnouncedSizeBeyond65536EntriesKeepsWhatAnIndexReaches)
{
    UniqueFd fd{memfd_create("format-table", MFD_CLOEXEC)};
    const size_t entries = FormatTable::max_entries + 4;
    ASSERT_EQ(ftruncate(fd.get(), static_cast<off_t>(entries * sizeof(Entry))), 0);
    const Entry last{DRM_FORMAT_NV12, 0, DRM_FORMAT_MOD_LINEAR};
    ASSERT_EQ(pwrite(fd.get(), &last, sizeof last, static_cast<off_t>((FormatTable::max_entries - 1) * sizeof(Entry))),
              static_cast<ssize_t>(sizeof last));
    auto table = FormatTable::read(fd.get(), static_cast<uint32_t>(entries * sizeof(Entry)));
    ASSERT_TRUE(table.ok()) << table.error().message();
    ASSERT_EQ(table->size(), FormatTable::max_entries);
    EXPECT_EQ(table->at(FormatTable::max_entries - 1).format, DrmFormat{DRM_FORMAT_NV12});
}

namespace {

std::span<const uint8_t> bytes_of(const auto& value)
{
    return {reinterpret_cast<const uint8_t*>(&value), sizeof value};
}

// One round of events: main device, then one tranche of `indices` into the current table.
dmafeed::Result<void> round(FeedbackParser& p, const std::vector<uint16_t>& indices, uint32_t flags = 0)
{
    const dev_t dev = makedev(226, 128);
    p.main_device(bytes_of(dev));
    p.tranche_target_device(bytes_of(dev));
    p.tranche_formats({reinterpret_cast<const uint8_t*>(indices.data()), indices.size() * sizeof(uint16_t)});
    p.tranche_flags(flags);
    p.tranche_done();
    return p.done();
}

const FormatModifier xrgb_linear{DrmFormat{DRM_FORMAT_XRGB8888}, DrmModifier{DRM_FORMAT_MOD_LINEAR}};
const FormatModifier nv12_implicit{DrmFormat{DRM_FORMAT_NV12}, DrmModifier{DRM_FORMAT_MOD_INVALID}};

}  // namespace

TEST(FeedbackParser, PublishesARoundAndKeepsTheTableForTheNext)
{
    FeedbackParser p;
    p.format_table(table_fd({{DRM_FORMAT_XRGB8888, 0, DRM_FORMAT_MOD_LINEAR}, {DRM_FORMAT_NV12, 0, DRM_FORMAT_MOD_INVALID}}), 32);
    auto r = round(p, {1, 0, 1}, dmafeed::wl::tranche_flag_scanout);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_TRUE(p.current().has_value());
    EXPECT_EQ(p.generation(), 1U);
    EXPECT_EQ(p.current()->main_device, makedev(226, 128));
    ASSERT_EQ(p.current()->tranches.size(), 1U);
    EXPECT_TRUE(p.current()->tranches[0].scanout());
    EXPECT_EQ(p.current()->tranches[0].formats, (FormatSet{nv12_implicit, xrgb_linear}));
    // No table event: the round indexes the last one.
    ASSERT_TRUE(round(p, {0}).ok());
    EXPECT_EQ(p.current()->formats(), FormatSet{xrgb_linear});
    EXPECT_EQ(p.generation(), 2U);
}

TEST(FeedbackParser, ARejectedRoundKeepsThePreviousFeedback)
{
    FeedbackParser p;
    p.format_table(table_fd({{DRM_FORMAT_XRGB8888, 0, DRM_FORMAT_MOD_LINEAR}}), 16);
    ASSERT_TRUE(round(p, {0}).ok());
    auto r = round(p, {0, 1});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("tranche index 1 is outside the format table (1 entries)"), std::string::npos)
        << r.error().message();
    EXPECT_EQ(p.rejected(), 1U);
    EXPECT_EQ(p.last_rejection(), r.error().message());
    EXPECT_EQ(p.generation(), 1U);
    EXPECT_EQ(p.current()->formats(), FormatSet{xrgb_linear});
    // A table that fails leaves none: a round without a new one is rejected too.
    p.format_table(table_fd({{DRM_FORMAT_XRGB8888, 0, 0}}), 32);
    EXPECT_FALSE(round(p, {0}).ok());
    EXPECT_NE(p.last_rejection().find("the event announces 32"), std::string::npos) << p.last_rejection();
    EXPECT_FALSE(round(p, {0}).ok());
    EXPECT_EQ(p.last_rejection(), "tranche_formats before any valid format table");
    EXPECT_EQ(p.current()->formats(), FormatSet{xrgb_linear});
    // A round without a tranche (or a main device).
    EXPECT_EQ(p.done().error().message(), "no tranche");
    EXPECT_EQ(p.rejected(), 4U);
}

TEST(FeedbackParser, BeforeV6ARoundNeedsAMainDevice)
{
    FeedbackParser p{5};
    p.format_table(table_fd({{DRM_FORMAT_XRGB8888, 0, DRM_FORMAT_MOD_LINEAR}}), 16);
    const dev_t dev = makedev(226, 128);
    const uint16_t index = 0;
    p.tranche_target_device(bytes_of(dev));
    p.tranche_formats(bytes_of(index));
    p.tranche_flags(dmafeed::wl::tranche_flag_sampling);
    p.tranche_done();
    EXPECT_EQ(p.done().error().message(), "no main_device event");
}

TEST(FeedbackParser, FromV6TheFirstSamplingTrancheNamesTheMainDevice)
{
    FeedbackParser p{6};
    p.format_table(table_fd({{DRM_FORMAT_XRGB8888, 0, DRM_FORMAT_MOD_LINEAR}}), 16);
    const dev_t scanout_only = makedev(226, 0), sampler = makedev(226, 129);
    const uint16_t index = 0;
    for (auto [dev, flags] : {std::pair{scanout_only, dmafeed::wl::tranche_flag_scanout},
                              std::pair{sampler, dmafeed::wl::tranche_flag_sampling | dmafeed::wl::tranche_flag_scanout},
                              std::pair{makedev(226, 130), dmafeed::wl::tranche_flag_sampling}}) {
        p.tranche_target_device(bytes_of(dev));
        p.tranche_formats(bytes_of(index));
        p.tranche_flags(flags);
        p.tranche_done();
    }
    auto r = p.done();
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(p.current()->main_device, sampler);
    EXPECT_FALSE(p.current()->main_device_sent);
    EXPECT_TRUE(p.current()->tranches[1].sampling());
    EXPECT_FALSE(p.current()->tranches[0].sampling());
    EXPECT_NE(p.current()->to_string().find("tranche 1: target"), std::string::npos);
    EXPECT_NE(p.current()->to_string().find(", sampling"), std::string::npos);
    // A v6 round must have a sampling tranche.
    p.tranche_target_device(bytes_of(scanout_only));
    p.tranche_formats(bytes_of(index));
    p.tranche_flags(dmafeed::wl::tranche_flag_scanout);
    p.tranche_done();
    EXPECT_EQ(p.done().error().message(), "no tranche with the sampling flag (v6 requires one)");
    EXPECT_EQ(p.current()->main_device, sampler);
}

TEST(FeedbackParser, ATableShrunkAfterItsEventChangesNothing)
{
    // A compositor can truncate the file it sent: a mapping of it would fault past the new end.
    FeedbackParser p;
    UniqueFd fd = table_fd({{DRM_FORMAT_XRGB8888, 0, DRM_FORMAT_MOD_LINEAR}, {DRM_FORMAT_NV12, 0, DRM_FORMAT_MOD_INVALID}});
    auto kept = fd.dup();
    ASSERT_TRUE(kept.ok());
    p.format_table(std::move(fd), 32);
    ASSERT_EQ(ftruncate(kept->get(), 0), 0);
    ASSERT_TRUE(round(p, {1}).ok());
    EXPECT_EQ(p.current()->formats(), FormatSet{nv12_implicit});
}

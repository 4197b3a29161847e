#include "drm/format_set.hpp"

#include <gtest/gtest.h>
#include <unordered_set>
#include <vector>

using dmafeed::DrmFormat;
using dmafeed::DrmModifier;
using dmafeed::FormatModifier;
using dmafeed::FormatSet;
using dmafeed::modifier_implicit;
using dmafeed::modifier_linear;

namespace {

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
constexpr DrmFormat argb{DRM_FORMAT_ARGB8888};
constexpr DrmFormat nv12{DRM_FORMAT_NV12};
constexpr DrmModifier x_tiled{I915_FORMAT_MOD_X_TILED};
constexpr DrmModifier y_tiled{I915_FORMAT_MOD_Y_TILED};

}  // namespace

TEST(FormatSet, KeepsInsertionOrderAndIgnoresDuplicates)
{
    FormatSet set;
    EXPECT_TRUE(set.empty());
    EXPECT_TRUE(set.add(nv12, modifier_linear));
    EXPECT_TRUE(set.add(xrgb, y_tiled));
    EXPECT_TRUE(set.add(xrgb, modifier_linear));
    EXPECT_FALSE(set.add(nv12, modifier_linear));
    EXPECT_TRUE(set.add(nv12, modifier_implicit));
    EXPECT_FALSE(set.add(xrgb, y_tiled));

    EXPECT_FALSE(set.empty());
    ASSERT_EQ(set.size(), 4U);
    const std::vector<FormatModifier> expected{
        {nv12, modifier_linear}, {xrgb, y_tiled}, {xrgb, modifier_linear}, {nv12, modifier_implicit}};
    EXPECT_EQ(set.pairs(), expected);
    EXPECT_EQ(std::vector<FormatModifier>(set.begin(), set.end()), expected);
    EXPECT_EQ(set.formats(), (std::vector<DrmFormat>{nv12, xrgb}));
}

TEST(FormatSet, ContainsTreatsInvalidAsAnOrdinaryModifier)
{
    const FormatSet set{{xrgb, modifier_implicit}, {nv12, modifier_linear}};
    EXPECT_TRUE(set.contains(xrgb, modifier_implicit));
    EXPECT_FALSE(set.contains(xrgb, modifier_linear));
    EXPECT_TRUE(set.contains(FormatModifier{nv12, modifier_linear}));
    EXPECT_FALSE(set.contains(nv12, modifier_implicit));
    EXPECT_FALSE(set.contains(argb, modifier_implicit));
}

TEST(FormatSet, ModifiersForKeepsOrder)
{
    const FormatSet set{{xrgb, y_tiled}, {nv12, modifier_linear}, {xrgb, modifier_linear},
                        {xrgb, x_tiled}, {xrgb, modifier_implicit}};
    EXPECT_EQ(set.modifiers_for(xrgb), (std::vector<DrmModifier>{y_tiled, modifier_linear, x_tiled, modifier_implicit}));
    EXPECT_EQ(set.modifiers_for(nv12), (std::vector<DrmModifier>{modifier_linear}));
    EXPECT_TRUE(set.modifiers_for(argb).empty());
}

TEST(FormatSet, IntersectKeepsTheLeftOrder)
{
    // The compositor prefers tiled XRGB, then linear; the device lists linear first.
    const FormatSet compositor{{xrgb, y_tiled}, {xrgb, modifier_linear}, {argb, modifier_linear},
                               {nv12, modifier_linear}, {xrgb, modifier_implicit}};
    const FormatSet device{{nv12, modifier_linear}, {xrgb, modifier_implicit}, {xrgb, modifier_linear},
                           {xrgb, y_tiled}, {xrgb, x_tiled}};
    const FormatSet both = compositor.intersect(device);
    const std::vector<FormatModifier> expected{
        {xrgb, y_tiled}, {xrgb, modifier_linear}, {nv12, modifier_linear}, {xrgb, modifier_implicit}};
    EXPECT_EQ(both.pairs(), expected);
    EXPECT_FALSE(both.contains(argb, modifier_linear));
    EXPECT_FALSE(both.contains(xrgb, x_tiled));

    // The other way round: same pairs, the device's order.
    const FormatSet reverse = device.intersect(compositor);
    EXPECT_TRUE(reverse.same_pairs(both));
    EXPECT_NE(reverse, both);
    EXPECT_EQ(reverse.pairs().front(), (FormatModifier{nv12, modifier_linear}));

    EXPECT_TRUE(compositor.intersect(FormatSet{}).empty());
    EXPECT_TRUE(FormatSet{}.intersect(compositor).empty());
}

TEST(FormatSet, EqualityIsOrderSensitive)
{
    const FormatSet a{{xrgb, modifier_linear}, {nv12, modifier_linear}};
    const FormatSet b{{xrgb, modifier_linear}, {nv12, modifier_linear}, {xrgb, modifier_linear}};
    const FormatSet c{{nv12, modifier_linear}, {xrgb, modifier_linear}};
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_TRUE(a.same_pairs(c));
    EXPECT_FALSE(a.same_pairs(FormatSet{{xrgb, modifier_linear}}));
    EXPECT_EQ(FormatSet{}, FormatSet{});
}

TEST(FormatSet, RemoveAndClear)
{
    FormatSet set{{xrgb, y_tiled}, {xrgb, modifier_linear}, {nv12, modifier_linear}};
    EXPECT_TRUE(set.remove(xrgb, y_tiled));
    EXPECT_FALSE(set.remove(xrgb, y_tiled));
    EXPECT_FALSE(set.contains(xrgb, y_tiled));
    EXPECT_EQ(set.pairs(), (std::vector<FormatModifier>{{xrgb, modifier_linear}, {nv12, modifier_linear}}));
    // A removed pair can come back, at the end.
    EXPECT_TRUE(set.add(xrgb, y_tiled));
    EXPECT_EQ(set.modifiers_for(xrgb), (std::vector<DrmModifier>{modifier_linear, y_tiled}));
    set.clear();
    EXPECT_TRUE(set.empty());
    EXPECT_FALSE(set.contains(xrgb, modifier_linear));
    EXPECT_TRUE(set.add(xrgb, modifier_linear));
}

TEST(FormatSet, ToStringGroupsByFormatWithLibdrmNames)
{
    const FormatSet set{{xrgb, modifier_linear}, {nv12, modifier_linear}, {xrgb, modifier_implicit}};
    EXPECT_EQ(set.to_string(), "XRGB8888: LINEAR, INVALID; NV12: LINEAR");
    const FormatSet tiled{{argb, y_tiled}, {argb, DrmModifier{0x00ffffffffffff00ULL}}};
    EXPECT_EQ(tiled.to_string(), "ARGB8888: INTEL:Y_TILED, 0x00ffffffffffff00");
    EXPECT_EQ(FormatSet{}.to_string(), "(empty)");
}

TEST(FormatSet, HashSpreadsPairs)
{
    // Pairs that differ only in format or only in modifier hash apart (the index relies on it).
    std::unordered_set<std::size_t> hashes;
    const std::hash<FormatModifier> h;
    for (uint32_t f = 1; f <= 64; ++f) {
        for (uint64_t m = 0; m < 64; ++m) {
            hashes.insert(h(FormatModifier{DrmFormat{f}, DrmModifier{m}}));
        }
    }
    EXPECT_EQ(hashes.size(), 64U * 64U);
}

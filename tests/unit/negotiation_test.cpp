// Negotiation: tranche order, device following, allocator order, refusals, implicit modifiers and
// the error that lists both sides.
#include "producer/negotiation.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>

namespace dmafeed::producer {
namespace {

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
constexpr DrmFormat nv12{DRM_FORMAT_NV12};
constexpr DrmModifier tiled{0x0100000000000002ULL};
const dev_t gpu = makedev(226, 128);
const dev_t display = makedev(226, 129);

wl::Feedback two_tranches()
{
    wl::Feedback fb;
    fb.main_device = gpu;
    fb.tranches.push_back({display, 1, FormatSet{{xrgb, tiled}, {nv12, modifier_linear}}});
    fb.tranches.push_back({gpu, 0, FormatSet{{xrgb, modifier_linear}, {xrgb, tiled}, {xrgb, modifier_implicit}}});
    return fb;
}

struct Offers {
    FormatSet vulkan{{xrgb, modifier_linear}, {xrgb, tiled}, {nv12, modifier_linear}};
    FormatSet gbm{{xrgb, modifier_linear}, {xrgb, modifier_implicit}};
    std::vector<dev_t> asked;
    OfferFor fn()
    {
        return [this](dev_t d) {
            asked.push_back(d);
            return std::vector<AllocatorOffer>{{"vulkan", &vulkan, {}}, {"gbm", &gbm, {}}};
        };
    }
};

TEST(Negotiation, TranchesInOrderThenAllocatorsThenTheTranchesPairOrder)
{
    Offers offers;
    auto c = negotiate(two_tranches(), {xrgb, {}}, offers.fn());
    ASSERT_TRUE(c.ok()) << c.error().message();
    ASSERT_EQ(c->size(), 5u);
    EXPECT_EQ((*c)[0].pair.modifier, tiled);  // scanout tranche first
    EXPECT_EQ((*c)[0].target_device, display);
    EXPECT_TRUE((*c)[0].scanout);
    EXPECT_EQ((*c)[0].allocator, 0u);
    EXPECT_EQ((*c)[1].pair.modifier, modifier_linear);  // tranche 1, vulkan: LINEAR, tiled
    EXPECT_EQ((*c)[1].target_device, gpu);
    EXPECT_EQ((*c)[2].pair.modifier, tiled);
    EXPECT_EQ((*c)[2].allocator, 0u);
    EXPECT_EQ((*c)[3].pair.modifier, modifier_linear);  // then gbm: LINEAR, INVALID
    EXPECT_EQ((*c)[3].allocator, 1u);
    EXPECT_EQ((*c)[4].pair.modifier, modifier_implicit);
    EXPECT_EQ((*c)[4].allocator, 1u);
    EXPECT_EQ(offers.asked, (std::vector<dev_t>{display, gpu}));  // each device asked once
}

TEST(Negotiation, ImplicitOnlyFromAnAllocatorThatListsIt)
{
    Offers offers;
    auto c = negotiate(two_tranches(), {xrgb, modifier_implicit}, offers.fn());
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 1u);
    EXPECT_EQ((*c)[0].allocator, 1u);  // gbm; vulkan cannot make implicit layouts
}

TEST(Negotiation, AWantedModifierFiltersTheCandidates)
{
    Offers offers;
    auto c = negotiate(two_tranches(), {xrgb, modifier_linear}, offers.fn());
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 2u);
    for (const auto& cand : *c) EXPECT_EQ(cand.pair.modifier, modifier_linear);
}

TEST(Negotiation, RefusedCandidatesAreLeftOutPerAllocator)
{
    Offers offers;
    const IsRefused refused = [](const Candidate& c) { return c.allocator == 0 && c.pair.modifier == modifier_linear; };
    auto c = negotiate(two_tranches(), {xrgb, modifier_linear}, offers.fn(), refused);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 1u);
    EXPECT_EQ((*c)[0].allocator, 1u);  // the same pair from gbm is still a candidate
}

TEST(Negotiation, NoCommonPairListsBothSidesAndRefusals)
{
    Offers offers;
    const IsRefused all = [](const Candidate&) { return true; };
    auto c = negotiate(two_tranches(), {xrgb, modifier_linear}, offers.fn(), all);
    ASSERT_FALSE(c.ok());
    const std::string& m = c.error().message();
    EXPECT_NE(m.find("XRGB8888 with modifier LINEAR"), std::string::npos) << m;
    EXPECT_NE(m.find("the compositor offers for XRGB8888: INTEL:Y_TILED, LINEAR, INVALID"), std::string::npos) << m;
    EXPECT_NE(m.find("vulkan"), std::string::npos) << m;
    EXPECT_NE(m.find("can produce for XRGB8888: LINEAR, INTEL:Y_TILED"), std::string::npos) << m;
    EXPECT_NE(m.find("refused by the compositor (failed): [vulkan LINEAR] [gbm LINEAR]"), std::string::npos) << m;
}

TEST(Negotiation, AFormatTheCompositorLacksSaysWhatItOffers)
{
    Offers offers;
    auto c = negotiate(two_tranches(), {DrmFormat{DRM_FORMAT_P010}, {}}, offers.fn());
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message().find("the compositor offers for P010: nothing (it offers: "), std::string::npos)
        << c.error().message();
}

TEST(Negotiation, ADeviceWithoutAllocatorGivesNoCandidatesAndSaysWhy)
{
    FormatSet linear{{xrgb, modifier_linear}};
    const OfferFor offer_for = [&](dev_t d) {
        if (d == display) return std::vector<AllocatorOffer>{{"allocator", nullptr, "no render node"}};
        return std::vector<AllocatorOffer>{{"vulkan", &linear, {}}};
    };
    auto c = negotiate(two_tranches(), {xrgb, {}}, offer_for);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 1u);
    EXPECT_EQ((*c)[0].target_device, gpu);

    wl::Feedback only_display;
    only_display.tranches.push_back(two_tranches().tranches[0]);
    auto none = negotiate(only_display, {xrgb, {}}, offer_for);
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message().find("unavailable: no render node"), std::string::npos) << none.error().message();
}

TEST(Negotiation, Version3IsOneTrancheWithoutDevice)
{
    Offers offers;
    auto c = negotiate(feedback_from_v3(FormatSet{{xrgb, modifier_implicit}, {xrgb, modifier_linear}}), {xrgb, {}}, offers.fn());
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 3u);  // vulkan LINEAR, then gbm's INVALID and LINEAR in the compositor's order
    EXPECT_EQ(offers.asked, (std::vector<dev_t>{0}));
    EXPECT_EQ((*c)[0].allocator, 0u);
    EXPECT_EQ((*c)[1].pair.modifier, modifier_implicit);
    EXPECT_EQ((*c)[2].pair.modifier, modifier_linear);
    EXPECT_EQ((*c)[2].allocator, 1u);
}

}  // namespace
}  // namespace dmafeed::producer

// The producer's colour space against the test compositor's wp_color_manager_v1: a parametric
// image description (named transfer function and primaries, HDR10 metadata) set before the first
// frame; metadata the compositor cannot take left out, a description refused with metadata made
// again without it, and clear errors where the compositor cannot be told at all.
#include "memfd_allocator.hpp"
#include "producer_fixture.hpp"
#include "test_compositor.hpp"

#include "producer/producer.hpp"
#include "sources/solid.hpp"

#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using producer::Producer;
using producer::ProducerConfig;

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
// wp_color_manager_v1 enum values.
constexpr uint32_t tf_gamma22 = 2, tf_pq = 11, tf_hlg = 13;
constexpr uint32_t primaries_srgb = 1, primaries_bt2020 = 6;
constexpr uint32_t feature_parametric = 1;

ProducerConfig config_for(const TestCompositor& c, const MemfdFactory& memfd, pixels::ColorSpace color)
{
    ProducerConfig config = config_for(c, memfd);
    config.color = std::move(color);
    return config;
}

pixels::ColorSpace hdr10()
{
    return {.transfer = pixels::Transfer::st2084_pq,
            .hdr = {.mastering = *pixels::MasteringDisplay::parse("display_p3:0.005-1000"), .max_cll = 1000, .max_fall = 400}};
}

// One solid frame, queued; then the compositor's record of the commit that showed it.
CommitRecord show_one_frame(Producer& p, TestCompositor& comp)
{
    auto frame = p.acquire();
    EXPECT_TRUE(frame.ok() && *frame);
    if (!frame.ok() || !*frame) return {};
    auto solid = sources::SolidFrame::make(xrgb, 32, 16, {1, 2, 3});
    EXPECT_TRUE(solid.ok() && p.write(**frame, solid->planes()).ok());
    EXPECT_TRUE(p.queue(**frame).ok());
    EXPECT_TRUE(comp.wait_until([](const Records& r) {
        for (const CommitRecord& c : r.commits) {
            if (c.attached && c.buffer) return true;
        }
        return false;
    }));
    for (const CommitRecord& c : comp.records().commits) {
        if (c.attached && c.buffer) return c;
    }
    ADD_FAILURE() << "no frame was committed";
    return {};
}

std::string create_error(const TestCompositor& comp, const MemfdFactory& memfd, pixels::ColorSpace color)
{
    auto made = Producer::create(config_for(comp, memfd, std::move(color)));
    return made.ok() ? std::string{"(created)"} : made.error().message();
}

TEST(ProducerColor, TheDefaultDeclaresNothing)
{
    auto comp = start({.color_management = ColorManagementConfig{}});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto made = Producer::create(config_for(*comp, memfd, {}));
    ASSERT_TRUE(made.ok()) << made.error().message();
    EXPECT_EQ((*made)->color_description(), "");
    const CommitRecord shown = show_one_frame(**made, *comp);
    EXPECT_FALSE(shown.image_description.has_value());
    EXPECT_TRUE(comp->records().image_descriptions.empty());
}

TEST(ProducerColor, Hdr10IsDeclaredWithItsMetadataBeforeTheFirstFrame)
{
    auto comp = start({.color_management = ColorManagementConfig{}});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto made = Producer::create(config_for(*comp, memfd, hdr10()));
    ASSERT_TRUE(made.ok()) << made.error().message();
    EXPECT_EQ((*made)->color_description(),
              "BT.2020, PQ (SMPTE ST 2084), mastering R 0.6800,0.3200 G 0.2650,0.6900 B 0.1500,0.0600 WP "
              "0.3127,0.3290, 0.0050-1000 cd/m², MaxCLL 1000, MaxFALL 400; declared (wp_color_manager_v1 v2)");
    const CommitRecord shown = show_one_frame(**made, *comp);
    ASSERT_TRUE(shown.image_description.has_value()) << "the first frame already carries it";
    const ImageDescriptionRecord& d = *shown.image_description;
    EXPECT_EQ(d.tf_named, tf_pq);
    EXPECT_EQ(d.primaries_named, primaries_bt2020);
    EXPECT_EQ(d.mastering_primaries, (std::array<int32_t, 8>{680000, 320000, 265000, 690000, 150000, 60000, 312700, 329000}));
    EXPECT_EQ(d.mastering_luminance, (std::array<uint32_t, 2>{50, 1000}));
    EXPECT_EQ(d.max_cll, 1000u);
    EXPECT_EQ(d.max_fall, 400u);
    EXPECT_EQ(shown.render_intent, 0u) << "perceptual";
    EXPECT_EQ(comp->records().image_descriptions.size(), 1u);
    EXPECT_TRUE(comp->records().errors.empty());
}

TEST(ProducerColor, ADescriptionRefusedWithMetadataIsDeclaredAgainWithout)
{
    ColorManagementConfig cm;
    cm.refuse = ColorManagementConfig::Refuse::with_metadata;
    auto comp = start({.color_management = cm});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto made = Producer::create(config_for(*comp, memfd, hdr10()));
    ASSERT_TRUE(made.ok()) << made.error().message();
    EXPECT_NE((*made)->color_description().find("BT.2020, PQ (SMPTE ST 2084); declared (wp_color_manager_v1 v2); HDR metadata "
                                                 "left out: the compositor refused the description with it (unsupported"),
              std::string::npos)
        << (*made)->color_description();
    const auto descriptions = comp->records().image_descriptions;
    ASSERT_EQ(descriptions.size(), 2u);
    EXPECT_TRUE(descriptions[0].failed);
    EXPECT_TRUE(descriptions[0].max_cll.has_value());
    EXPECT_TRUE(descriptions[1].ready);
    EXPECT_FALSE(descriptions[1].max_cll.has_value());
    EXPECT_FALSE(descriptions[1].mastering_primaries.has_value());
    const CommitRecord shown = show_one_frame(**made, *comp);
    ASSERT_TRUE(shown.image_description.has_value());
    EXPECT_EQ(shown.image_description->serial, 2u);
    EXPECT_EQ(shown.image_description->tf_named, tf_pq);
}

TEST(ProducerColor, ADescriptionRefusedOutrightIsAnErrorWithTheCompositorsWords)
{
    ColorManagementConfig cm;
    cm.refuse = ColorManagementConfig::Refuse::all;
    auto comp = start({.color_management = cm});
    ASSERT_TRUE(comp);
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    const std::string e = create_error(*comp, memfd, {.transfer = pixels::Transfer::hlg});
    EXPECT_NE(e.find("frames in BT.2020, HLG (BT.2100): the compositor refused the image description (unsupported"),
              std::string::npos)
        << e;
    ASSERT_EQ(comp->records().image_descriptions.size(), 1u) << "nothing to leave out: no second try";
    EXPECT_EQ(comp->records().image_descriptions[0].tf_named, tf_hlg);
}

TEST(ProducerColor, WhereTheCompositorCannotBeToldItIsAnErrorNamingWhatItSupports)
{
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    auto none = start({});
    ASSERT_TRUE(none);
    EXPECT_NE(create_error(*none, memfd, hdr10()).find("the compositor does not offer wp_color_manager_v1"), std::string::npos);

    ColorManagementConfig sdr_only;
    sdr_only.tf_named = {tf_gamma22};
    sdr_only.primaries_named = {primaries_srgb};
    auto sdr = start({.color_management = sdr_only});
    ASSERT_TRUE(sdr);
    EXPECT_NE(create_error(*sdr, memfd, hdr10()).find("does not support the transfer function st2084_pq; it supports gamma22"),
              std::string::npos)
        << create_error(*sdr, memfd, hdr10());
    EXPECT_NE(create_error(*sdr, memfd, {.primaries = pixels::Primaries::display_p3, .transfer = pixels::Transfer::gamma22})
                  .find("does not support the primaries display_p3; it supports srgb"),
              std::string::npos);
    // Version 2 deprecates the srgb transfer function: not listed to a version 2 client.
    EXPECT_NE(create_error(*sdr, memfd, {.transfer = pixels::Transfer::srgb}).find("transfer function srgb"), std::string::npos);

    ColorManagementConfig icc_only;
    icc_only.features = {0};
    auto icc = start({.color_management = icc_only});
    ASSERT_TRUE(icc);
    EXPECT_NE(create_error(*icc, memfd, hdr10()).find("makes no parametric image descriptions"), std::string::npos);
    for (const auto* c : {none.get(), sdr.get(), icc.get()}) {
        EXPECT_TRUE(c->records().errors.empty()) << "refused before anything was sent";
    }
}

TEST(ProducerColor, MetadataTheCompositorCannotTakeIsLeftOutNotSentIntoAProtocolError)
{
    MemfdFactory memfd{FormatSet{{xrgb, modifier_linear}}};
    // No set_mastering_display_primaries: the mastering display stays home, the light levels go.
    ColorManagementConfig no_mastering;
    no_mastering.features = {feature_parametric};
    auto a = start({.color_management = no_mastering});
    ASSERT_TRUE(a);
    auto made = Producer::create(config_for(*a, memfd, hdr10()));
    ASSERT_TRUE(made.ok()) << made.error().message();
    EXPECT_NE((*made)->color_description().find("the mastering display left out: the compositor lacks "
                                                 "set_mastering_display_primaries"),
              std::string::npos)
        << (*made)->color_description();
    ASSERT_EQ(a->records().image_descriptions.size(), 1u);
    EXPECT_FALSE(a->records().image_descriptions[0].mastering_primaries.has_value());
    EXPECT_EQ(a->records().image_descriptions[0].max_cll, 1000u);

    // Version 1: MaxCLL above the mastering display's maximum is a protocol error there.
    ColorManagementConfig v1;
    v1.version = 1;
    auto b = start({.color_management = v1});
    ASSERT_TRUE(b);
    pixels::ColorSpace bright = hdr10();
    bright.hdr.max_cll = 4000;
    auto made1 = Producer::create(config_for(*b, memfd, bright));
    ASSERT_TRUE(made1.ok()) << made1.error().message();
    EXPECT_NE((*made1)->color_description().find("MaxCLL and MaxFALL left out"), std::string::npos);
    ASSERT_EQ(b->records().image_descriptions.size(), 1u);
    EXPECT_FALSE(b->records().image_descriptions[0].max_cll.has_value());
    EXPECT_TRUE(b->records().image_descriptions[0].mastering_primaries.has_value());
    EXPECT_TRUE(b->records().errors.empty());

    // Version 2 takes it.
    auto c = start({.color_management = ColorManagementConfig{}});
    ASSERT_TRUE(c);
    auto made2 = Producer::create(config_for(*c, memfd, bright));
    ASSERT_TRUE(made2.ok()) << made2.error().message();
    EXPECT_EQ(c->records().image_descriptions.at(0).max_cll, 4000u);
    EXPECT_EQ(c->records().image_descriptions.at(0).primaries_named, primaries_bt2020);
}

}  // namespace
}  // namespace dmafeed::test

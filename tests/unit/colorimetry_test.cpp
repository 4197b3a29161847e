// What frames' colours mean as users and streams state them: names, the mastering display's two
// notations, completion of a partial colour space, and the metadata's legality rules.
#include "pixels/colorimetry.hpp"

#include <gtest/gtest.h>

namespace dmafeed::pixels {
namespace {

std::string error_of(const Result<MasteringDisplay>& r) { return r.ok() ? std::string{"(parsed)"} : r.error().message(); }

TEST(Colorimetry, NamesReadBackAndAliasesAreAccepted)
{
    for (Transfer t : {Transfer::srgb, Transfer::gamma22, Transfer::gamma28, Transfer::bt1886, Transfer::st240,
                       Transfer::ext_linear, Transfer::st2084_pq, Transfer::hlg, Transfer::compound_power_2_4}) {
        auto back = parse_transfer(transfer_name(t));
        ASSERT_TRUE(back.ok()) << transfer_name(t);
        EXPECT_EQ(*back, t);
    }
    for (Primaries p : {Primaries::srgb, Primaries::bt2020, Primaries::display_p3, Primaries::dci_p3, Primaries::adobe_rgb,
                        Primaries::pal, Primaries::ntsc, Primaries::pal_m, Primaries::generic_film}) {
        auto back = parse_primaries(primaries_name(p));
        ASSERT_TRUE(back.ok()) << primaries_name(p);
        EXPECT_EQ(*back, p);
    }
    EXPECT_EQ(*parse_transfer("pq"), Transfer::st2084_pq);
    EXPECT_EQ(*parse_transfer("linear"), Transfer::ext_linear);
    EXPECT_EQ(*parse_primaries("bt709"), Primaries::srgb);
    auto bad = parse_transfer("rec2100");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("unknown transfer function 'rec2100': use srgb, gamma22"), std::string::npos)
        << bad.error().message();
    EXPECT_NE(parse_primaries("p3").error().message().find("display_p3"), std::string::npos);
}

TEST(Colorimetry, X265NotationReadsInAnyOrderAndPrintsBack)
{
    // The HDR10 example x265's documentation gives: P3-D65 primaries, 0.005-1000 cd/m².
    const std::string x265 = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)";
    auto m = MasteringDisplay::parse(x265);
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_NEAR(m->red.x, 0.680, 1e-12);
    EXPECT_NEAR(m->red.y, 0.320, 1e-12);
    EXPECT_NEAR(m->green.x, 0.265, 1e-12);
    EXPECT_NEAR(m->blue.y, 0.060, 1e-12);
    EXPECT_NEAR(m->white.x, 0.3127, 1e-12);
    EXPECT_NEAR(m->white.y, 0.3290, 1e-12);
    EXPECT_DOUBLE_EQ(m->min_luminance, 0.005);
    EXPECT_DOUBLE_EQ(m->max_luminance, 1000);
    EXPECT_EQ(m->to_x265(), x265);
    auto shuffled = MasteringDisplay::parse("L(10000000,50)WP(15635,16450)R(34000,16000)B(7500,3000)G(13250,34500)");
    ASSERT_TRUE(shuffled.ok());
    EXPECT_EQ(*shuffled, *m);
}

TEST(Colorimetry, ShortNotationIsTheNamedPrimariesOnX265sGrid)
{
    auto m = MasteringDisplay::parse("display_p3:0.005-1000");
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_EQ(*m, *MasteringDisplay::parse("G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)"));
    auto bt2020 = MasteringDisplay::parse("bt2020:0.0001-4000");
    ASSERT_TRUE(bt2020.ok());
    EXPECT_EQ(bt2020->to_x265(), "G(8500,39850)B(6550,2300)R(35400,14600)WP(15635,16450)L(40000000,1)");
    EXPECT_EQ(*MasteringDisplay::parse(bt2020->to_x265()), *bt2020);
}

TEST(Colorimetry, MalformedMasteringDisplaysSayWhatIsWrong)
{
    EXPECT_NE(error_of(MasteringDisplay::parse("G(1,2)B(3,4)R(5,6)WP(7,8)")).find("L(...) is missing"), std::string::npos);
    EXPECT_NE(error_of(MasteringDisplay::parse("G(1,2)G(1,2)")).find("G appears twice"), std::string::npos);
    EXPECT_NE(error_of(MasteringDisplay::parse("G(1)B(3,4)R(5,6)WP(7,8)L(9,1)")).find("G(1) needs two whole numbers"),
              std::string::npos);
    EXPECT_NE(error_of(MasteringDisplay::parse("X(1,2)")).find("unknown group 'X'"), std::string::npos);
    EXPECT_NE(error_of(MasteringDisplay::parse("hdr10")).find("G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min)"), std::string::npos);
    EXPECT_NE(error_of(MasteringDisplay::parse("display_p3:1000")).find("MIN-MAX"), std::string::npos);
    EXPECT_NE(error_of(MasteringDisplay::parse("p3:0.005-1000")).find("unknown primaries 'p3'"), std::string::npos);
}

TEST(Colorimetry, LegalityFollowsTheProtocolAndCta861)
{
    HdrMetadata ok{.mastering = *MasteringDisplay::parse("display_p3:0.005-1000"), .max_cll = 1000, .max_fall = 400};
    EXPECT_TRUE(check_legal(ok).ok());
    EXPECT_TRUE(light_levels_within_mastering(ok));

    HdrMetadata fall_above_cll = ok;
    fall_above_cll.max_fall = 1200;
    ASSERT_FALSE(check_legal(fall_above_cll).ok());
    EXPECT_NE(check_legal(fall_above_cll).error().message().find("MaxFALL 1200 is above MaxCLL 1000"), std::string::npos);

    HdrMetadata inverted = ok;
    inverted.mastering->min_luminance = 2000;
    ASSERT_FALSE(check_legal(inverted).ok());
    EXPECT_NE(check_legal(inverted).error().message().find("must be above its minimum"), std::string::npos);

    // 999.5-999.9 cd/m²: the maximum goes as 999, below the minimum.
    HdrMetadata narrow = ok;
    narrow.mastering->min_luminance = 999.5;
    narrow.mastering->max_luminance = 999.9;
    EXPECT_FALSE(check_legal(narrow).ok());

    HdrMetadata not_a_colour = ok;
    not_a_colour.mastering->green = {0.7, 0.6};  // x + y > 1
    ASSERT_FALSE(check_legal(not_a_colour).ok());
    EXPECT_NE(check_legal(not_a_colour).error().message().find("green 0.7000,0.6000 is not a chromaticity"), std::string::npos);

    HdrMetadata black_white = ok;
    black_white.mastering->white = {0.3, 0.0};
    EXPECT_FALSE(check_legal(black_white).ok());

    // Version 1 of wp_color_manager_v1 wants the light levels inside (min, max] of the mastering
    // luminance; version 2 does not, and neither does CTA-861.
    HdrMetadata bright = ok;
    bright.max_cll = 2000;
    EXPECT_TRUE(check_legal(bright).ok());
    EXPECT_FALSE(light_levels_within_mastering(bright));
    EXPECT_TRUE(light_levels_within_mastering(HdrMetadata{.max_cll = 5000}));
}

TEST(Colorimetry, APartialColourSpaceIsCompletedOrRefused)
{
    EXPECT_TRUE(ColorSpace{}.is_default());
    EXPECT_EQ(ColorSpace{}.to_string(), "the compositor's default");
    EXPECT_EQ(*ColorSpace{}.completed(), ColorSpace{});

    auto pq = ColorSpace{.transfer = Transfer::st2084_pq}.completed();
    ASSERT_TRUE(pq.ok());
    EXPECT_EQ(pq->primaries, Primaries::bt2020);
    auto hlg = ColorSpace{.transfer = Transfer::hlg}.completed();
    EXPECT_EQ(hlg->primaries, Primaries::bt2020);
    auto sdr = ColorSpace{.transfer = Transfer::gamma22}.completed();
    EXPECT_EQ(sdr->primaries, Primaries::srgb);
    auto p3 = ColorSpace{.primaries = Primaries::display_p3, .transfer = Transfer::st2084_pq}.completed();
    EXPECT_EQ(p3->primaries, Primaries::display_p3);

    auto no_tf = ColorSpace{.primaries = Primaries::bt2020}.completed();
    ASSERT_FALSE(no_tf.ok());
    EXPECT_NE(no_tf.error().message().find("needs its transfer function"), std::string::npos);
    auto metadata_only = ColorSpace{.hdr = {.max_cll = 1000}}.completed();
    EXPECT_FALSE(metadata_only.ok());
    auto illegal = ColorSpace{.transfer = Transfer::st2084_pq, .hdr = {.max_cll = 100, .max_fall = 200}}.completed();
    EXPECT_FALSE(illegal.ok());

    const ColorSpace hdr{.primaries = Primaries::bt2020, .transfer = Transfer::st2084_pq, .hdr = {.max_cll = 1000, .max_fall = 400}};
    EXPECT_EQ(hdr.to_string(), "BT.2020, PQ (SMPTE ST 2084), MaxCLL 1000, MaxFALL 400");
}

}  // namespace
}  // namespace dmafeed::pixels

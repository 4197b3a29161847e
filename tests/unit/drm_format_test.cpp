#include "drm/format.hpp"

#include <cctype>
#include <gtest/gtest.h>
#include <string>
#include <unordered_set>

using dmafeed::DrmFormat;
using dmafeed::DrmModifier;
using dmafeed::fourcc_string;
using dmafeed::modifier_implicit;
using dmafeed::modifier_linear;
using dmafeed::name;
using dmafeed::parse_format;
using dmafeed::parse_modifier;

namespace {

bool contains(const std::string& haystack, const std::string& needle)
{
    return haystack.find(needle) != std::string::npos;
}

std::string lowercase(std::string s)
{
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

}  // namespace

TEST(DrmFormat, StrongTypesCompareAndHash)
{
    const DrmFormat xr24{DRM_FORMAT_XRGB8888};
    EXPECT_EQ(xr24, DrmFormat{DRM_FORMAT_XRGB8888});
    EXPECT_NE(xr24, DrmFormat{DRM_FORMAT_ARGB8888});
    EXPECT_LT(DrmFormat{1}, DrmFormat{2});
    EXPECT_TRUE(DrmFormat{}.is_invalid());

    EXPECT_TRUE(DrmModifier{}.is_implicit());
    EXPECT_EQ(DrmModifier{}, modifier_implicit);
    EXPECT_TRUE(modifier_linear.is_linear());
    EXPECT_LT(modifier_linear, modifier_implicit);
    EXPECT_EQ(DrmModifier{I915_FORMAT_MOD_X_TILED}.vendor(), DRM_FORMAT_MOD_VENDOR_INTEL);

    std::unordered_set<DrmFormat> formats{xr24, DrmFormat{DRM_FORMAT_XRGB8888}, DrmFormat{DRM_FORMAT_NV12}};
    EXPECT_EQ(formats.size(), 2U);
    std::unordered_set<DrmModifier> modifiers{modifier_linear, modifier_implicit, DrmModifier{0}};
    EXPECT_EQ(modifiers.size(), 2U);
}

TEST(DrmFormatNames, FormatLongNamesAndFourccs)
{
    EXPECT_EQ(name(DrmFormat{DRM_FORMAT_XRGB8888}), "XRGB8888");
    EXPECT_EQ(name(DrmFormat{DRM_FORMAT_ABGR16161616F}), "ABGR16161616F");
    EXPECT_EQ(name(DrmFormat{DRM_FORMAT_NV12}), "NV12");
    EXPECT_EQ(name(DrmFormat{DRM_FORMAT_XRGB8888 | DRM_FORMAT_BIG_ENDIAN}), "XRGB8888_BE");
    EXPECT_EQ(fourcc_string(DrmFormat{DRM_FORMAT_XRGB8888}), "XR24");
    EXPECT_EQ(fourcc_string(DrmFormat{DRM_FORMAT_ABGR16161616F}), "AB4H");
    // libdrm trims the padding of short fourccs.
    EXPECT_EQ(fourcc_string(DrmFormat{DRM_FORMAT_R8}), "R8");
    EXPECT_EQ(name(DrmFormat{DRM_FORMAT_INVALID}), "INVALID");
}

TEST(DrmFormatNames, UnknownFormatsFallBackToFourccThenHex)
{
    // A printable fourcc no header defines: its characters.
    const DrmFormat made_up{fourcc_code('Q', 'Z', '9', '9')};
    EXPECT_EQ(fourcc_string(made_up), "QZ99");
    EXPECT_EQ(name(made_up), "QZ99");
    // Not printable: hex.
    EXPECT_EQ(fourcc_string(DrmFormat{0x12345678}), "0x12345678");
    EXPECT_EQ(name(DrmFormat{0x00000001}), "0x00000001");
}

TEST(DrmFormatNames, ModifierNamesComeFromLibdrm)
{
    EXPECT_EQ(name(modifier_linear), "LINEAR");
    EXPECT_EQ(name(modifier_implicit), "INVALID");
    EXPECT_EQ(name(DrmModifier{I915_FORMAT_MOD_Y_TILED}), "INTEL:Y_TILED");
    EXPECT_EQ(name(DrmModifier{DRM_FORMAT_MOD_BROADCOM_VC4_T_TILED}), "BROADCOM:VC4_T_TILED");
    // A parametric AMD modifier is named by libdrm from its fields.
    const uint64_t amd = AMD_FMT_MOD | AMD_FMT_MOD_SET(TILE, AMD_FMT_MOD_TILE_GFX9_64K_S) |
                         AMD_FMT_MOD_SET(TILE_VERSION, AMD_FMT_MOD_TILE_VER_GFX9);
    EXPECT_EQ(name(DrmModifier{amd}), "AMD:GFX9,GFX9_64K_S");
    // libdrm has no name for these: hex.
    EXPECT_EQ(name(DrmModifier{0x00ffffffffffff00ULL}), "0x00ffffffffffff00");
    EXPECT_EQ(name(DrmModifier{fourcc_mod_code(INTEL, 0x99)}), "0x0100000000000099");
}

TEST(ParseFormat, AcceptsNamesFourccsAndHex)
{
    const DrmFormat xr24{DRM_FORMAT_XRGB8888};
    for (const char* text : {"XRGB8888", "xrgb8888", "XrGb8888", "XR24", "0x34325258", "0X34325258"}) {
        auto r = parse_format(text);
        ASSERT_TRUE(r.ok()) << text << ": " << r.error().message();
        EXPECT_EQ(*r, xr24) << text;
    }
    EXPECT_EQ(*parse_format("NV12"), DrmFormat{DRM_FORMAT_NV12});
    EXPECT_EQ(*parse_format("AB4H"), DrmFormat{DRM_FORMAT_ABGR16161616F});
    EXPECT_EQ(*parse_format("abgr16161616f"), DrmFormat{DRM_FORMAT_ABGR16161616F});
    EXPECT_EQ(*parse_format("R8"), DrmFormat{DRM_FORMAT_R8});
    // Hex reaches formats without a name.
    EXPECT_EQ(*parse_format("0x39395a51"), DrmFormat{fourcc_code('Q', 'Z', '9', '9')});
}

TEST(ParseFormat, FourccsAreCaseSensitive)
{
    // "xr24" is neither a name nor the fourcc 'X','R','2','4'.
    auto r = parse_format("xr24");
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.error().message(), "'xr24'")) << r.error().message();
}

TEST(ParseFormat, RejectsGarbageNamingTheInput)
{
    for (const char* text : {"XRGB", "XRGB88888", "", "0x", "0xzz", "0x123456789", "0x0", "nv-12", "XR24 "}) {
        auto r = parse_format(text);
        ASSERT_FALSE(r.ok()) << "'" << text << "' parsed as " << name(*r);
        EXPECT_TRUE(contains(r.error().message(), "'" + std::string{text} + "'")) << r.error().message();
        EXPECT_TRUE(contains(r.error().message(), "--list-formats")) << r.error().message();
    }
}

TEST(ParseFormat, EveryNamedFormatRoundTripsUnambiguously)
{
    ASSERT_GT(dmafeed::named_formats().size(), 50U);
    std::unordered_set<std::string> lower_names;
    for (const DrmFormat f : dmafeed::named_formats()) {
        const std::string n = name(f);
        EXPECT_TRUE(lower_names.insert(lowercase(n)).second) << "duplicate name " << n;
        auto by_name = parse_format(n);
        ASSERT_TRUE(by_name.ok()) << n;
        EXPECT_EQ(*by_name, f) << n;
        auto by_lower = parse_format(lowercase(n));
        ASSERT_TRUE(by_lower.ok()) << n;
        EXPECT_EQ(*by_lower, f) << n;
        auto by_fourcc = parse_format(fourcc_string(f));
        ASSERT_TRUE(by_fourcc.ok()) << fourcc_string(f);
        EXPECT_EQ(*by_fourcc, f) << fourcc_string(f);
    }
    // No format's fourcc spells another format's name in any case, so the parse order never matters.
    for (const DrmFormat f : dmafeed::named_formats()) {
        for (const DrmFormat g : dmafeed::named_formats()) {
            if (f != g) {
                EXPECT_NE(lowercase(fourcc_string(f)), lowercase(name(g))) << name(f) << " vs " << name(g);
            }
        }
    }
}

TEST(ParseModifier, AcceptsKeywordsNamesAndHex)
{
    EXPECT_EQ(*parse_modifier("linear"), modifier_linear);
    EXPECT_EQ(*parse_modifier("LINEAR"), modifier_linear);
    EXPECT_EQ(*parse_modifier("invalid"), modifier_implicit);
    EXPECT_EQ(*parse_modifier("implicit"), modifier_implicit);
    EXPECT_EQ(*parse_modifier("Implicit"), modifier_implicit);
    EXPECT_EQ(*parse_modifier("0x0"), modifier_linear);
    EXPECT_EQ(*parse_modifier("0x00ffffffffffffff"), modifier_implicit);
    EXPECT_EQ(*parse_modifier("0x0100000000000002"), DrmModifier{I915_FORMAT_MOD_Y_TILED});
    EXPECT_EQ(*parse_modifier("INTEL:Y_TILED"), DrmModifier{I915_FORMAT_MOD_Y_TILED});
    EXPECT_EQ(*parse_modifier("intel:y_tiled"), DrmModifier{I915_FORMAT_MOD_Y_TILED});
    EXPECT_EQ(*parse_modifier("Y_TILED"), DrmModifier{I915_FORMAT_MOD_Y_TILED});
    EXPECT_EQ(*parse_modifier("I915_FORMAT_MOD_X_TILED"), DrmModifier{I915_FORMAT_MOD_X_TILED});
    EXPECT_EQ(*parse_modifier("DRM_FORMAT_MOD_LINEAR"), modifier_linear);
}

TEST(ParseModifier, RejectsGarbageNamingTheInput)
{
    for (const char* text : {"", "lineer", "0x", "0x1g", "0x10000000000000000", "INTEL:NOPE", "-1"}) {
        auto r = parse_modifier(text);
        ASSERT_FALSE(r.ok()) << "'" << text << "' parsed as " << name(*r);
        EXPECT_TRUE(contains(r.error().message(), "'" + std::string{text} + "'")) << r.error().message();
    }
}

TEST(ParseModifier, EveryNamedModifierRoundTrips)
{
    ASSERT_GE(dmafeed::named_modifiers().size(), 20U);
    EXPECT_EQ(dmafeed::named_modifiers()[0], modifier_linear);
    EXPECT_EQ(dmafeed::named_modifiers()[1], modifier_implicit);
    for (const DrmModifier m : dmafeed::named_modifiers()) {
        const std::string n = name(m);
        EXPECT_NE(n.rfind("0x", 0), 0U) << "libdrm has no name for " << n;
        auto r = parse_modifier(n);
        ASSERT_TRUE(r.ok()) << n << ": " << r.error().message();
        EXPECT_EQ(*r, m) << n;
    }
}

TEST(ParseModifier, AmbiguousBareNameListsTheCandidates)
{
    // Vivante and Allwinner both call a modifier "TILED".
    auto r = parse_modifier("tiled");
    ASSERT_FALSE(r.ok()) << name(*r);
    EXPECT_TRUE(contains(r.error().message(), "ambiguous")) << r.error().message();
    EXPECT_TRUE(contains(r.error().message(), "VIVANTE:TILED")) << r.error().message();
    EXPECT_TRUE(contains(r.error().message(), "ALLWINNER:TILED")) << r.error().message();
    EXPECT_EQ(*parse_modifier("allwinner:tiled"), DrmModifier{DRM_FORMAT_MOD_ALLWINNER_TILED});
}

#include "drm/format.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>
#include <xf86drm.h>

namespace dmafeed {

namespace {

struct FormatName {
    uint32_t fourcc;
    const char* name;
};

// The long names are the identifiers of drm_fourcc.h's macros. Formats added to the kernel header
// after the oldest libdrm this project accepts are guarded, so an older header still builds.
#define DMAFEED_FORMAT(n) FormatName{DRM_FORMAT_##n, #n}
const FormatName format_names[] = {
#ifdef DRM_FORMAT_C1
    DMAFEED_FORMAT(C1), DMAFEED_FORMAT(C2), DMAFEED_FORMAT(C4),
#endif
    DMAFEED_FORMAT(C8),
#ifdef DRM_FORMAT_D1
    DMAFEED_FORMAT(D1), DMAFEED_FORMAT(D2), DMAFEED_FORMAT(D4), DMAFEED_FORMAT(D8),
#endif
#ifdef DRM_FORMAT_R1
    DMAFEED_FORMAT(R1), DMAFEED_FORMAT(R2), DMAFEED_FORMAT(R4),
#endif
    DMAFEED_FORMAT(R8),
#ifdef DRM_FORMAT_R10
    DMAFEED_FORMAT(R10), DMAFEED_FORMAT(R12),
#endif
    DMAFEED_FORMAT(R16), DMAFEED_FORMAT(RG88), DMAFEED_FORMAT(GR88), DMAFEED_FORMAT(RG1616),
    DMAFEED_FORMAT(GR1616), DMAFEED_FORMAT(RGB332), DMAFEED_FORMAT(BGR233),
    DMAFEED_FORMAT(XRGB4444), DMAFEED_FORMAT(XBGR4444), DMAFEED_FORMAT(RGBX4444), DMAFEED_FORMAT(BGRX4444),
    DMAFEED_FORMAT(ARGB4444), DMAFEED_FORMAT(ABGR4444), DMAFEED_FORMAT(RGBA4444), DMAFEED_FORMAT(BGRA4444),
    DMAFEED_FORMAT(XRGB1555), DMAFEED_FORMAT(XBGR1555), DMAFEED_FORMAT(RGBX5551), DMAFEED_FORMAT(BGRX5551),
    DMAFEED_FORMAT(ARGB1555), DMAFEED_FORMAT(ABGR1555), DMAFEED_FORMAT(RGBA5551), DMAFEED_FORMAT(BGRA5551),
    DMAFEED_FORMAT(RGB565), DMAFEED_FORMAT(BGR565), DMAFEED_FORMAT(RGB888), DMAFEED_FORMAT(BGR888),
    DMAFEED_FORMAT(XRGB8888), DMAFEED_FORMAT(XBGR8888), DMAFEED_FORMAT(RGBX8888), DMAFEED_FORMAT(BGRX8888),
    DMAFEED_FORMAT(ARGB8888), DMAFEED_FORMAT(ABGR8888), DMAFEED_FORMAT(RGBA8888), DMAFEED_FORMAT(BGRA8888),
    DMAFEED_FORMAT(XRGB2101010), DMAFEED_FORMAT(XBGR2101010), DMAFEED_FORMAT(RGBX1010102),
    DMAFEED_FORMAT(BGRX1010102), DMAFEED_FORMAT(ARGB2101010), DMAFEED_FORMAT(ABGR2101010),
    DMAFEED_FORMAT(RGBA1010102), DMAFEED_FORMAT(BGRA1010102),
#ifdef DRM_FORMAT_XRGB16161616
    DMAFEED_FORMAT(XRGB16161616), DMAFEED_FORMAT(XBGR16161616), DMAFEED_FORMAT(ARGB16161616),
    DMAFEED_FORMAT(ABGR16161616),
#endif
    DMAFEED_FORMAT(XRGB16161616F), DMAFEED_FORMAT(XBGR16161616F), DMAFEED_FORMAT(ARGB16161616F),
    DMAFEED_FORMAT(ABGR16161616F),
#ifdef DRM_FORMAT_AXBXGXRX106106106106
    DMAFEED_FORMAT(AXBXGXRX106106106106),
#endif
    DMAFEED_FORMAT(YUYV), DMAFEED_FORMAT(YVYU), DMAFEED_FORMAT(UYVY), DMAFEED_FORMAT(VYUY), DMAFEED_FORMAT(AYUV),
#ifdef DRM_FORMAT_AVUY8888
    DMAFEED_FORMAT(AVUY8888),
#endif
    DMAFEED_FORMAT(XYUV8888),
#ifdef DRM_FORMAT_XVUY8888
    DMAFEED_FORMAT(XVUY8888),
#endif
    DMAFEED_FORMAT(VUY888), DMAFEED_FORMAT(VUY101010), DMAFEED_FORMAT(Y210), DMAFEED_FORMAT(Y212),
    DMAFEED_FORMAT(Y216), DMAFEED_FORMAT(Y410), DMAFEED_FORMAT(Y412), DMAFEED_FORMAT(Y416),
    DMAFEED_FORMAT(XVYU2101010), DMAFEED_FORMAT(XVYU12_16161616), DMAFEED_FORMAT(XVYU16161616),
    DMAFEED_FORMAT(Y0L0), DMAFEED_FORMAT(X0L0), DMAFEED_FORMAT(Y0L2), DMAFEED_FORMAT(X0L2),
    DMAFEED_FORMAT(YUV420_8BIT), DMAFEED_FORMAT(YUV420_10BIT),
    DMAFEED_FORMAT(XRGB8888_A8), DMAFEED_FORMAT(XBGR8888_A8), DMAFEED_FORMAT(RGBX8888_A8),
    DMAFEED_FORMAT(BGRX8888_A8), DMAFEED_FORMAT(RGB888_A8), DMAFEED_FORMAT(BGR888_A8),
    DMAFEED_FORMAT(RGB565_A8), DMAFEED_FORMAT(BGR565_A8),
    DMAFEED_FORMAT(NV12), DMAFEED_FORMAT(NV21), DMAFEED_FORMAT(NV16), DMAFEED_FORMAT(NV61),
    DMAFEED_FORMAT(NV24), DMAFEED_FORMAT(NV42),
#ifdef DRM_FORMAT_NV15
    DMAFEED_FORMAT(NV15),
#endif
#ifdef DRM_FORMAT_NV20
    DMAFEED_FORMAT(NV20), DMAFEED_FORMAT(NV30),
#endif
    DMAFEED_FORMAT(P210), DMAFEED_FORMAT(P010), DMAFEED_FORMAT(P012), DMAFEED_FORMAT(P016),
#ifdef DRM_FORMAT_P030
    DMAFEED_FORMAT(P030),
#endif
#ifdef DRM_FORMAT_Q410
    DMAFEED_FORMAT(Q410), DMAFEED_FORMAT(Q401),
#endif
    DMAFEED_FORMAT(YUV410), DMAFEED_FORMAT(YVU410), DMAFEED_FORMAT(YUV411), DMAFEED_FORMAT(YVU411),
    DMAFEED_FORMAT(YUV420), DMAFEED_FORMAT(YVU420), DMAFEED_FORMAT(YUV422), DMAFEED_FORMAT(YVU422),
    DMAFEED_FORMAT(YUV444), DMAFEED_FORMAT(YVU444),
};
#undef DMAFEED_FORMAT

struct ModifierName {
    uint64_t value;
    const char* macro;
};

// Parameterless modifiers from drm_fourcc.h, by macro. Aliases (DRM_FORMAT_MOD_NONE,
// DRM_FORMAT_MOD_GENERIC_16_16_TILE) are left out; newer ones are guarded as above.
#define DMAFEED_MODIFIER(m) ModifierName{m, #m}
const ModifierName modifier_names[] = {
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_LINEAR),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_INVALID),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_X_TILED),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_Y_TILED),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_Yf_TILED),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_Y_TILED_CCS),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_Yf_TILED_CCS),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_Y_TILED_GEN12_RC_CCS),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_Y_TILED_GEN12_MC_CCS),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_Y_TILED_GEN12_RC_CCS_CC),
#ifdef I915_FORMAT_MOD_4_TILED
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED),
#endif
#ifdef I915_FORMAT_MOD_4_TILED_DG2_RC_CCS
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED_DG2_RC_CCS),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED_DG2_MC_CCS),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED_DG2_RC_CCS_CC),
#endif
#ifdef I915_FORMAT_MOD_4_TILED_MTL_RC_CCS
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED_MTL_RC_CCS),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED_MTL_MC_CCS),
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED_MTL_RC_CCS_CC),
#endif
#ifdef I915_FORMAT_MOD_4_TILED_LNL_CCS
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED_LNL_CCS),
#endif
#ifdef I915_FORMAT_MOD_4_TILED_BMG_CCS
    DMAFEED_MODIFIER(I915_FORMAT_MOD_4_TILED_BMG_CCS),
#endif
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_SAMSUNG_64_32_TILE),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_SAMSUNG_16_16_TILE),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_QCOM_COMPRESSED),
#ifdef DRM_FORMAT_MOD_QCOM_TILED3
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_QCOM_TILED3),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_QCOM_TILED2),
#endif
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_VIVANTE_TILED),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_VIVANTE_SUPER_TILED),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_VIVANTE_SPLIT_TILED),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_VIVANTE_SPLIT_SUPER_TILED),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_NVIDIA_TEGRA_TILED),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_BROADCOM_VC4_T_TILED),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_BROADCOM_SAND32),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_BROADCOM_SAND64),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_BROADCOM_SAND128),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_BROADCOM_SAND256),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_BROADCOM_UIF),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_ARM_16X16_BLOCK_U_INTERLEAVED),
    DMAFEED_MODIFIER(DRM_FORMAT_MOD_ALLWINNER_TILED),
};
#undef DMAFEED_MODIFIER

struct FreeDeleter {
    void operator()(char* p) const noexcept { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};
// libdrm's name functions return malloc'd strings (or NULL).
using MallocString = std::unique_ptr<char, FreeDeleter>;

bool printable(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string hex32(uint32_t v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::string hex64(uint64_t v)
{
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
    return buf;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return lower(x) == lower(y);
           });
}

const char* long_name(uint32_t fourcc)
{
    for (const FormatName& n : format_names) {
        if (n.fourcc == fourcc) {
            return n.name;
        }
    }
    return nullptr;
}

// "0x" followed by 1..max_digits hex digits; nullopt for anything else.
std::optional<uint64_t> parse_hex(std::string_view text, size_t max_digits)
{
    if (text.size() < 3 || text[0] != '0' || lower(text[1]) != 'x') {
        return std::nullopt;
    }
    const std::string_view digits = text.substr(2);
    if (digits.size() > max_digits) {
        return std::nullopt;
    }
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return value;
}

std::string libdrm_modifier_name(uint64_t value)
{
    const MallocString n{drmGetFormatModifierName(value)};
    return n && printable(n.get()) ? std::string{n.get()} : std::string{};
}

}  // namespace

std::string fourcc_string(DrmFormat format)
{
    const MallocString n{drmGetFormatName(format.fourcc())};
    if (n && printable(n.get())) {
        return n.get();
    }
    return hex32(format.fourcc());
}

std::string name(DrmFormat format)
{
    const uint32_t code = format.fourcc() & ~DRM_FORMAT_BIG_ENDIAN;
    if (const char* n = long_name(code); n != nullptr && code != DRM_FORMAT_INVALID) {
        std::string s{n};
        if ((format.fourcc() & DRM_FORMAT_BIG_ENDIAN) != 0) {
            s += "_BE";
        }
        return s;
    }
    return fourcc_string(format);
}

std::string name(DrmModifier modifier)
{
    const std::string n = libdrm_modifier_name(modifier.value());
    if (n.empty()) {
        return hex64(modifier.value());
    }
    if (modifier.vendor() == DRM_FORMAT_MOD_VENDOR_NONE) {
        return n;
    }
    const MallocString vendor{drmGetFormatModifierVendor(modifier.value())};
    if (!vendor || !printable(vendor.get())) {
        return hex64(modifier.value());
    }
    return std::string{vendor.get()} + ":" + n;
}

Result<DrmFormat> parse_format(std::string_view text)
{
    // Exact-case names, then fourccs, then names in any case: "XR24" is a fourcc even if a future
    // format were called "xr24". The format tests check that no fourcc collides with another name.
    for (const FormatName& n : format_names) {
        if (text == n.name) {
            return DrmFormat{n.fourcc};
        }
    }
    if (!text.empty() && text.size() <= 4) {
        uint32_t fourcc = 0;
        for (size_t i = 0; i < 4; ++i) {
            const auto c = static_cast<unsigned char>(i < text.size() ? text[i] : ' ');
            fourcc |= uint32_t{c} << (8 * i);
        }
        if (long_name(fourcc) != nullptr) {
            return DrmFormat{fourcc};
        }
    }
    for (const FormatName& n : format_names) {
        if (iequals(text, n.name)) {
            return DrmFormat{n.fourcc};
        }
    }
    if (const auto hex = parse_hex(text, 8); hex && *hex != DRM_FORMAT_INVALID) {
        return DrmFormat{static_cast<uint32_t>(*hex)};
    }
    return Error{"unknown DRM format '" + std::string{text} +
                 "': expected a format name (XRGB8888), a fourcc (XR24) or a nonzero 32-bit hex code "
                 "(0x34325258); --list-formats shows the known formats"};
}

Result<DrmModifier> parse_modifier(std::string_view text)
{
    if (iequals(text, "linear")) {
        return modifier_linear;
    }
    if (iequals(text, "invalid") || iequals(text, "implicit")) {
        return modifier_implicit;
    }
    if (const auto hex = parse_hex(text, 16)) {
        return DrmModifier{*hex};
    }
    std::vector<uint64_t> bare_matches;
    for (const ModifierName& m : modifier_names) {
        const DrmModifier modifier{m.value};
        if (iequals(text, m.macro) || iequals(text, name(modifier))) {
            return modifier;
        }
        if (iequals(text, libdrm_modifier_name(m.value))) {
            bare_matches.push_back(m.value);
        }
    }
    if (bare_matches.size() == 1) {
        return DrmModifier{bare_matches.front()};
    }
    std::string message = "unknown DRM format modifier '" + std::string{text} + "'";
    if (bare_matches.size() > 1) {
        message += ": ambiguous, say one of";
        for (uint64_t v : bare_matches) {
            message += ' ';
            message += name(DrmModifier{v});
        }
    } else {
        message += ": expected linear, implicit, a modifier name (INTEL:Y_TILED, I915_FORMAT_MOD_Y_TILED) or "
                   "a 64-bit hex value (0x0100000000000002)";
    }
    message += "; dmafeed-info shows the modifiers the compositor offers and this machine can make";
    return Error{std::move(message)};
}

std::span<const DrmFormat> named_formats()
{
    static const std::vector<DrmFormat> formats = [] {
        std::vector<DrmFormat> v;
        v.reserve(std::size(format_names));
        for (const FormatName& n : format_names) {
            v.emplace_back(n.fourcc);
        }
        return v;
    }();
    return formats;
}

std::span<const DrmModifier> named_modifiers()
{
    static const std::vector<DrmModifier> modifiers = [] {
        std::vector<DrmModifier> v;
        v.reserve(std::size(modifier_names));
        for (const ModifierName& m : modifier_names) {
            v.emplace_back(m.value);
        }
        return v;
    }();
    return modifiers;
}

}  // namespace dmafeed

// DrmFormat and DrmModifier: strong types for a DRM fourcc and a DRM format modifier, their names,
// and parsers for what a user types on a command line.
//
// Names: a modifier's name comes from libdrm (drmGetFormatModifierName, with the vendor from
// drmGetFormatModifierVendor). libdrm's drmGetFormatName only returns the fourcc characters ("XR24"),
// so a format's long name ("XRGB8888") is the identifier of its DRM_FORMAT_* macro in libdrm's
// drm_fourcc.h, stringified at compile time (a misspelt name does not compile). A format without
// such a name falls back to its fourcc characters, then to hex.
//
// DRM_FORMAT_MOD_INVALID means "implicit layout accepted": the buffer's layout is whatever the
// driver picks without an explicit modifier (linux-dmabuf: modifier_hi/lo = INVALID, or a
// pre-modifier wl_drm-style buffer). It is a modifier like any other for set membership.
#pragma once

#include "util/result.hpp"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <drm_fourcc.h>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace dmafeed {

class DrmFormat {
public:
    constexpr DrmFormat() = default;
    constexpr explicit DrmFormat(uint32_t fourcc) noexcept : fourcc_{fourcc} {}

    constexpr uint32_t fourcc() const noexcept { return fourcc_; }
    // DRM_FORMAT_INVALID (0) is what a default-constructed DrmFormat holds.
    constexpr bool is_invalid() const noexcept { return fourcc_ == DRM_FORMAT_INVALID; }

    friend constexpr bool operator==(DrmFormat, DrmFormat) = default;
    friend constexpr auto operator<=>(DrmFormat, DrmFormat) = default;

private:
    uint32_t fourcc_ = DRM_FORMAT_INVALID;
};

class DrmModifier {
public:
    // Default: DRM_FORMAT_MOD_INVALID, "implicit layout accepted".
    constexpr DrmModifier() = default;
    constexpr explicit DrmModifier(uint64_t value) noexcept : value_{value} {}

    constexpr uint64_t value() const noexcept { return value_; }
    // The vendor byte (DRM_FORMAT_MOD_VENDOR_*), the top 8 bits.
    constexpr uint8_t vendor() const noexcept { return static_cast<uint8_t>(value_ >> 56U); }
    constexpr bool is_linear() const noexcept { return value_ == DRM_FORMAT_MOD_LINEAR; }
    // DRM_FORMAT_MOD_INVALID: no explicit modifier, the implicit (driver-chosen) layout.
    constexpr bool is_implicit() const noexcept { return value_ == DRM_FORMAT_MOD_INVALID; }

    friend constexpr bool operator==(DrmModifier, DrmModifier) = default;
    friend constexpr auto operator<=>(DrmModifier, DrmModifier) = default;

private:
    uint64_t value_ = DRM_FORMAT_MOD_INVALID;
};

inline constexpr DrmModifier modifier_linear{DRM_FORMAT_MOD_LINEAR};
inline constexpr DrmModifier modifier_implicit{DRM_FORMAT_MOD_INVALID};

// libdrm's drmGetFormatName: the four fourcc characters with trailing spaces trimmed ("XR24", "R8"
// for 'R','8',' ',' '), "_BE" appended when DRM_FORMAT_BIG_ENDIAN is set, "INVALID" for 0. "0x%08x"
// when libdrm returns nothing or a character is not printable ASCII.
std::string fourcc_string(DrmFormat format);
// "XRGB8888" for a format drm_fourcc.h names ("XRGB8888_BE" with the big-endian bit), else
// fourcc_string(format).
std::string name(DrmFormat format);
// libdrm's name: "LINEAR", "INVALID" for vendor NONE; "VENDOR:NAME" for the others ("INTEL:X_TILED",
// "AMD:GFX9,GFX9_64K_S"), since libdrm's names are only unique within a vendor. "0x%016llx" when
// libdrm has no name for it.
std::string name(DrmModifier modifier);

// Accepts, in this order: a format name ("XRGB8888", case-insensitive), a fourcc of a format with a
// name ("XR24"; exactly 4 characters, case-sensitive as fourccs are, trailing spaces may be left
// out: "R8"), or a hex code ("0x34325258", any value but 0). The error names the input and points to
// --list-formats.
Result<DrmFormat> parse_format(std::string_view text);
// Accepts "linear", "invalid" or "implicit" (case-insensitive), the name of a constant modifier from
// drm_fourcc.h as name() prints it ("INTEL:Y_TILED", or "Y_TILED" when only one vendor has it) or
// as its macro ("I915_FORMAT_MOD_Y_TILED"), or a hex value ("0x0100000000000002"). Modifiers with
// parameters (AMD, NVIDIA block linear, ARM AFBC) are given in hex.
Result<DrmModifier> parse_modifier(std::string_view text);

// Every format with a long name, in drm_fourcc.h order (for --list-formats and the parser's tests).
std::span<const DrmFormat> named_formats();
// The constant (parameterless) modifiers parse_modifier knows by name, LINEAR and INVALID first.
std::span<const DrmModifier> named_modifiers();

}  // namespace dmafeed

template <>
struct std::hash<dmafeed::DrmFormat> {
    std::size_t operator()(dmafeed::DrmFormat f) const noexcept { return std::hash<uint32_t>{}(f.fourcc()); }
};

template <>
struct std::hash<dmafeed::DrmModifier> {
    std::size_t operator()(dmafeed::DrmModifier m) const noexcept { return std::hash<uint64_t>{}(m.value()); }
};

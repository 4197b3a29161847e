// What the frames' pixel values mean: the colour primaries, the transfer function and HDR10 static
// metadata (SMPTE ST 2086 mastering display, CTA-861 MaxCLL/MaxFALL), as a user or a stream states
// them. wp_color_manager_v1 carries them to the compositor (producer/color_management); here they
// are parsed, named and checked for legality, with no protocol in sight.
//
// The names are the protocol's (wp_color_manager_v1.primaries and .transfer_function), with the
// aliases users reach for: "bt709" for the sRGB primaries, "pq" and "linear".
#pragma once

#include "util/result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dmafeed::pixels {

enum class Primaries { srgb, bt2020, display_p3, dci_p3, adobe_rgb, pal, ntsc, pal_m, generic_film };
enum class Transfer { srgb, gamma22, gamma28, bt1886, st240, ext_linear, st2084_pq, hlg, compound_power_2_4 };

// Errors list the choices.
Result<Primaries> parse_primaries(std::string_view text);
Result<Transfer> parse_transfer(std::string_view text);
std::string_view primaries_name(Primaries primaries) noexcept;  // "bt2020"
std::string_view transfer_name(Transfer transfer) noexcept;     // "st2084_pq"
// "BT.2020", "PQ (SMPTE ST 2084)", for people.
std::string_view primaries_title(Primaries primaries) noexcept;
std::string_view transfer_title(Transfer transfer) noexcept;
// HDR transfer functions, whose content the metadata describes.
bool is_hdr(Transfer transfer) noexcept;

// CIE 1931 xy.
struct Chromaticity {
    double x = 0;
    double y = 0;
    friend bool operator==(const Chromaticity&, const Chromaticity&) = default;
};

// The named primaries' red, green, blue and white point (H.273's tables).
std::array<Chromaticity, 4> chromaticities(Primaries primaries) noexcept;

// SMPTE ST 2086: the display the content was mastered on.
struct MasteringDisplay {
    Chromaticity red, green, blue, white;
    double min_luminance = 0;  // cd/m², 4 decimals reach the compositor
    double max_luminance = 0;  // cd/m², whole
    friend bool operator==(const MasteringDisplay&, const MasteringDisplay&) = default;
    // x265's and HDR10 tools' notation: "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)",
    // chromaticities in 0.00002 and luminances in 0.0001 cd/m² (max first); the five groups in
    // any order; or named primaries and a luminance range in cd/m², "display_p3:0.005-1000".
    // Values land on x265's grids either way. Errors say which group is wrong and how.
    static Result<MasteringDisplay> parse(std::string_view text);
    // x265's notation (parse() reads it back as the same values).
    std::string to_x265() const;
    // "R 0.708,0.292 G 0.170,0.797 B 0.131,0.046 WP 0.3127,0.3290, 0.005-1000 cd/m²"
    std::string to_string() const;
};

struct HdrMetadata {
    std::optional<MasteringDisplay> mastering;
    uint32_t max_cll = 0;   // cd/m²; 0: unknown (not sent)
    uint32_t max_fall = 0;  // cd/m²; 0: unknown (not sent)
    bool empty() const noexcept { return !mastering && max_cll == 0 && max_fall == 0; }
    friend bool operator==(const HdrMetadata&, const HdrMetadata&) = default;
    // "mastering R ... , MaxCLL 1000, MaxFALL 400"
    std::string to_string() const;
};

// The metadata's legality, as wp_color_manager_v1 and CTA-861 see it: chromaticities inside
// 0..1 with x + y <= 1 and a white point with y > 0; min < max mastering luminance (the maximum
// in whole cd/m², as the protocol carries it); MaxFALL <= MaxCLL. An error names the value and
// the rule.
Result<void> check_legal(const HdrMetadata& metadata);
// Whether MaxCLL and MaxFALL lie within the mastering luminance range (min, max]: required by
// wp_color_manager_v1 version 1 (a protocol error there), not by version 2.
bool light_levels_within_mastering(const HdrMetadata& metadata) noexcept;

// What the frames are. Unset fields are the compositor's default (no image description at all when
// everything is unset).
struct ColorSpace {
    std::optional<Primaries> primaries;
    std::optional<Transfer> transfer;
    HdrMetadata hdr;
    bool is_default() const noexcept { return !primaries && !transfer && hdr.empty(); }
    friend bool operator==(const ColorSpace&, const ColorSpace&) = default;
    // Fills what a stated colour space leaves open and checks the rest: a transfer function is
    // required once anything is stated; primaries default to BT.2020 for PQ and HLG and to sRGB
    // (BT.709) otherwise; the metadata must be legal (check_legal).
    Result<ColorSpace> completed() const;
    // "BT.2020, PQ (SMPTE ST 2084), mastering ..., MaxCLL 1000" ("the compositor's default" when unset).
    std::string to_string() const;
};

}  // namespace dmafeed::pixels

#include "pixels/colorimetry.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace dmafeed::pixels {
namespace {

struct PrimariesEntry {
    Primaries value;
    std::string_view name, title;
    std::array<Chromaticity, 4> rgbw;
};

constexpr Chromaticity d65{0.3127, 0.3290};
constexpr Chromaticity illuminant_c{0.310, 0.316};

// ITU-T H.273's ColourPrimaries table.
constexpr PrimariesEntry primaries_table[] = {
    {Primaries::srgb, "srgb", "sRGB/BT.709", {{{0.640, 0.330}, {0.300, 0.600}, {0.150, 0.060}, d65}}},
    {Primaries::bt2020, "bt2020", "BT.2020", {{{0.708, 0.292}, {0.170, 0.797}, {0.131, 0.046}, d65}}},
    {Primaries::display_p3, "display_p3", "Display P3", {{{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}, d65}}},
    {Primaries::dci_p3, "dci_p3", "DCI-P3", {{{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}, {0.314, 0.351}}}},
    {Primaries::adobe_rgb, "adobe_rgb", "Adobe RGB", {{{0.640, 0.330}, {0.210, 0.710}, {0.150, 0.060}, d65}}},
    {Primaries::pal, "pal", "PAL (BT.601 625)", {{{0.640, 0.330}, {0.290, 0.600}, {0.150, 0.060}, d65}}},
    {Primaries::ntsc, "ntsc", "NTSC (BT.601 525)", {{{0.630, 0.340}, {0.310, 0.595}, {0.155, 0.070}, d65}}},
    {Primaries::pal_m, "pal_m", "PAL-M (BT.470 M)", {{{0.670, 0.330}, {0.210, 0.710}, {0.140, 0.080}, illuminant_c}}},
    {Primaries::generic_film, "generic_film", "generic film", {{{0.681, 0.319}, {0.243, 0.692}, {0.145, 0.049}, illuminant_c}}},
};

struct TransferEntry {
    Transfer value;
    std::string_view name, title;
};

constexpr TransferEntry transfer_table[] = {
    {Transfer::srgb, "srgb", "sRGB (IEC 61966-2-1)"},
    {Transfer::gamma22, "gamma22", "gamma 2.2"},
    {Transfer::gamma28, "gamma28", "gamma 2.8"},
    {Transfer::bt1886, "bt1886", "BT.1886"},
    {Transfer::st240, "st240", "SMPTE ST 240"},
    {Transfer::ext_linear, "ext_linear", "extended linear"},
    {Transfer::st2084_pq, "st2084_pq", "PQ (SMPTE ST 2084)"},
    {Transfer::hlg, "hlg", "HLG (BT.2100)"},
    {Transfer::compound_power_2_4, "compound_power_2_4", "compound power 2.4 (IEC 61966-2-1)"},
};

template <class Table>
std::string choices(const Table& table)
{
    std::string s;
    for (size_t i = 0; i < std::size(table); ++i) {
        s += (i == 0 ? "" : i + 1 == std::size(table) ? " or " : ", ");
        s += table[i].name;
    }
    return s;
}

std::string decimal(double v, int digits)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string xy(Chromaticity c) { return decimal(c.x, 4) + "," + decimal(c.y, 4); }

// A chromaticity's legality: inside the unit square, on the visible side of x + y = 1.
Result<void> check_chromaticity(const char* what, Chromaticity c)
{
    if (!(c.x >= 0 && c.x <= 1 && c.y >= 0 && c.y <= 1 && c.x + c.y <= 1)) {
        return Error{std::string{"the mastering display's "} + what + " " + xy(c) +
                     " is not a chromaticity: x and y must lie in 0..1 with x + y <= 1"};
    }
    return {};
}

// x265's grids: chromaticities in 0.00002, luminances in 0.0001 cd/m². Values parsed in either
// notation lie on them, so that they print back (to x265's notation) as the same doubles.
double chroma_grid(uint64_t steps) { return static_cast<double>(steps) * 0.00002; }
double luminance_grid(uint64_t steps) { return static_cast<double>(steps) / 10000.0; }
Chromaticity on_grid(Chromaticity c)
{
    return {chroma_grid(static_cast<uint64_t>(std::llround(c.x / 0.00002))), chroma_grid(static_cast<uint64_t>(std::llround(c.y / 0.00002)))};
}

bool parse_u64(std::string_view text, uint64_t& out)
{
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

bool parse_double(std::string_view text, double& out)
{
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && !text.empty() && std::isfinite(out);
}

}  // namespace

Result<Primaries> parse_primaries(std::string_view text)
{
    if (text == "bt709") return Primaries::srgb;
    for (const auto& e : primaries_table) {
        if (e.name == text) return e.value;
    }
    return Error{"unknown primaries '" + std::string{text} + "': use " + choices(primaries_table) +
                 " (bt709 is srgb's)"};
}

Result<Transfer> parse_transfer(std::string_view text)
{
    if (text == "pq") return Transfer::st2084_pq;
    if (text == "linear") return Transfer::ext_linear;
    for (const auto& e : transfer_table) {
        if (e.name == text) return e.value;
    }
    return Error{"unknown transfer function '" + std::string{text} + "': use " + choices(transfer_table) +
                 " (pq and linear are st2084_pq's and ext_linear's)"};
}

std::string_view primaries_name(Primaries primaries) noexcept
{
    for (const auto& e : primaries_table) {
        if (e.value == primaries) return e.name;
    }
    return "?";
}

std::string_view transfer_name(Transfer transfer) noexcept
{
    for (const auto& e : transfer_table) {
        if (e.value == transfer) return e.name;
    }
    return "?";
}

std::string_view primaries_title(Primaries primaries) noexcept
{
    for (const auto& e : primaries_table) {
        if (e.value == primaries) return e.title;
    }
    return "?";
}

std::string_view transfer_title(Transfer transfer) noexcept
{
    for (const auto& e : transfer_table) {
        if (e.value == transfer) return e.title;
    }
    return "?";
}

bool is_hdr(Transfer transfer) noexcept { return transfer == Transfer::st2084_pq || transfer == Transfer::hlg; }

std::array<Chromaticity, 4> chromaticities(Primaries primaries) noexcept
{
    for (const auto& e : primaries_table) {
        if (e.value == primaries) return e.rgbw;
    }
    return primaries_table[0].rgbw;
}

Result<MasteringDisplay> MasteringDisplay::parse(std::string_view text)
{
    const std::string quoted = "mastering display '" + std::string{text} + "'";
    // The short form: named primaries and a luminance range, "display_p3:0.005-1000".
    if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
        auto primaries = parse_primaries(text.substr(0, colon));
        if (!primaries) return std::move(primaries).error().context(quoted);
        const std::string_view range = text.substr(colon + 1);
        const size_t dash = range.find('-');
        MasteringDisplay m;
        if (dash == std::string_view::npos || !parse_double(range.substr(0, dash), m.min_luminance) ||
            !parse_double(range.substr(dash + 1), m.max_luminance)) {
            return Error{quoted + ": after the primaries comes the luminance range in cd/m², MIN-MAX (e.g. 0.005-1000)"};
        }
        if (m.min_luminance < 0 || m.max_luminance < 0 || m.min_luminance > 400000 || m.max_luminance > 400000) {
            return Error{quoted + ": the luminances lie in 0..400000 cd/m²"};
        }
        m.min_luminance = luminance_grid(static_cast<uint64_t>(std::llround(m.min_luminance * 10000.0)));
        m.max_luminance = luminance_grid(static_cast<uint64_t>(std::llround(m.max_luminance * 10000.0)));
        const auto rgbw = chromaticities(*primaries);
        m.red = on_grid(rgbw[0]);
        m.green = on_grid(rgbw[1]);
        m.blue = on_grid(rgbw[2]);
        m.white = on_grid(rgbw[3]);
        return m;
    }
    // x265's notation.
    MasteringDisplay m;
    bool seen[5] = {};
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t open = text.find('(', pos);
        const size_t close = open == std::string_view::npos ? open : text.find(')', open);
        if (close == std::string_view::npos) {
            return Error{quoted + ": expected G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min) (x265's notation: chromaticities " +
                         "in 0.00002, luminances in 0.0001 cd/m²) or PRIMARIES:MIN-MAX (e.g. display_p3:0.005-1000)"};
        }
        const std::string_view key = text.substr(pos, open - pos);
        const std::string_view args = text.substr(open + 1, close - open - 1);
        const size_t comma = args.find(',');
        uint64_t a = 0, b = 0;
        if (comma == std::string_view::npos || !parse_u64(args.substr(0, comma), a) || !parse_u64(args.substr(comma + 1), b)) {
            return Error{quoted + ": " + std::string{key} + "(" + std::string{args} + ") needs two whole numbers"};
        }
        int slot = -1;
        if (key == "G") slot = 0;
        else if (key == "B") slot = 1;
        else if (key == "R") slot = 2;
        else if (key == "WP") slot = 3;
        else if (key == "L") slot = 4;
        if (slot < 0) return Error{quoted + ": unknown group '" + std::string{key} + "': the groups are G, B, R, WP and L"};
        if (seen[slot]) return Error{quoted + ": " + std::string{key} + " appears twice"};
        seen[slot] = true;
        if (slot == 4) {
            m.max_luminance = luminance_grid(a);
            m.min_luminance = luminance_grid(b);
        } else {
            const Chromaticity c{chroma_grid(a), chroma_grid(b)};
            (slot == 0 ? m.green : slot == 1 ? m.blue : slot == 2 ? m.red : m.white) = c;
        }
        pos = close + 1;
    }
    static constexpr const char* names[] = {"G", "B", "R", "WP", "L"};
    for (int i = 0; i < 5; ++i) {
        if (!seen[i]) return Error{quoted + ": " + names[i] + "(...) is missing"};
    }
    return m;
}

std::string MasteringDisplay::to_x265() const
{
    auto steps = [](double v, double unit) { return std::to_string(std::llround(v / unit)); };
    auto group = [&](const char* key, Chromaticity c) {
        return std::string{key} + "(" + steps(c.x, 0.00002) + "," + steps(c.y, 0.00002) + ")";
    };
    return group("G", green) + group("B", blue) + group("R", red) + group("WP", white) + "L(" +
           std::to_string(std::llround(max_luminance * 10000.0)) + "," + std::to_string(std::llround(min_luminance * 10000.0)) + ")";
}

std::string MasteringDisplay::to_string() const
{
    return "R " + xy(red) + " G " + xy(green) + " B " + xy(blue) + " WP " + xy(white) + ", " +
           decimal(min_luminance, 4) + "-" + decimal(max_luminance, 0) + " cd/m²";
}

std::string HdrMetadata::to_string() const
{
    std::string s;
    if (mastering) s = "mastering " + mastering->to_string();
    if (max_cll) s += (s.empty() ? "" : ", ") + std::string{"MaxCLL "} + std::to_string(max_cll);
    if (max_fall) s += (s.empty() ? "" : ", ") + std::string{"MaxFALL "} + std::to_string(max_fall);
    return s;
}

Result<void> check_legal(const HdrMetadata& metadata)
{
    if (const auto& m = metadata.mastering) {
        if (auto r = check_chromaticity("red", m->red); !r) return r;
        if (auto r = check_chromaticity("green", m->green); !r) return r;
        if (auto r = check_chromaticity("blue", m->blue); !r) return r;
        if (auto r = check_chromaticity("white point", m->white); !r) return r;
        if (m->white.y <= 0) return Error{"the mastering display's white point " + xy(m->white) + " has y = 0"};
        if (!(m->min_luminance >= 0) || !(m->max_luminance >= 1) || m->max_luminance > 4294967295.0 ||
            m->min_luminance * 10000.0 > 4294967295.0) {
            return Error{"the mastering display's luminance " + decimal(m->min_luminance, 4) + "-" +
                         decimal(m->max_luminance, 0) + " cd/m² is out of range: min >= 0, max >= 1 cd/m²"};
        }
        // The protocol carries the maximum in whole cd/m²: what reaches the compositor must stay above the minimum.
        if (std::floor(m->max_luminance) <= m->min_luminance) {
            return Error{"the mastering display's maximum luminance (" + decimal(m->max_luminance, 4) +
                         " cd/m², sent in whole cd/m²) must be above its minimum (" + decimal(m->min_luminance, 4) + " cd/m²)"};
        }
    }
    if (metadata.max_cll && metadata.max_fall > metadata.max_cll) {
        return Error{"MaxFALL " + std::to_string(metadata.max_fall) + " is above MaxCLL " +
                     std::to_string(metadata.max_cll) + ": the brightest frame's average cannot exceed its brightest pixel"};
    }
    return {};
}

bool light_levels_within_mastering(const HdrMetadata& metadata) noexcept
{
    if (!metadata.mastering) return true;
    const double min = metadata.mastering->min_luminance, max = std::floor(metadata.mastering->max_luminance);
    auto within = [&](uint32_t v) { return v == 0 || (v > min && v <= max); };
    return within(metadata.max_cll) && within(metadata.max_fall);
}

Result<ColorSpace> ColorSpace::completed() const
{
    if (is_default()) return *this;
    if (!transfer) {
        return Error{"a colour space needs its transfer function (--transfer: srgb, gamma22, bt1886, st2084_pq, hlg, "
                     "ext_linear, ...) once primaries or HDR metadata are given"};
    }
    if (auto r = check_legal(hdr); !r) return std::move(r).error();
    ColorSpace c = *this;
    if (!c.primaries) c.primaries = is_hdr(*transfer) ? Primaries::bt2020 : Primaries::srgb;
    return c;
}

std::string ColorSpace::to_string() const
{
    if (is_default()) return "the compositor's default";
    std::string s;
    if (primaries) s = std::string{primaries_title(*primaries)};
    if (transfer) s += (s.empty() ? "" : ", ") + std::string{transfer_title(*transfer)};
    if (!hdr.empty()) s += (s.empty() ? "" : ", ") + hdr.to_string();
    return s;
}

}  // namespace dmafeed::pixels

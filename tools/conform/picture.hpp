// Pictures for the HTML report: a captured or expected Picture scaled down to a thumbnail, encoded
// as PNG in memory (libpng) and as base64 for a data: URL, so that the report is one file.
#pragma once

#include "conform/case.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dmafeed::conform {

// `picture` scaled down with nearest-neighbour sampling (the pixels stay the compositor's, not a
// blend of them) to at most max_w x max_h, keeping its aspect ratio; each side at least 1 pixel.
// A picture that fits already is returned as it is; one whose rgb size does not match its width and
// height comes back empty (0x0), which encode_png refuses.
Picture scaled_to_fit(const Picture& picture, uint32_t max_w, uint32_t max_h);

// `picture` as an 8-bit RGB PNG file in memory.
Result<std::vector<uint8_t>> encode_png(const Picture& picture);

// RFC 4648 base64 with '=' padding, no line breaks.
std::string base64(std::span<const uint8_t> bytes);

}  // namespace dmafeed::conform

// Small readers the vm checks share: a whole file, a count from dmafeed's JSON summary, the pixels
// of a capture that differ from one colour.
#pragma once

#include "png_image.hpp"

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace dmafeed::test {

inline std::string read_file(const std::string& path)
{
    std::ifstream in{path};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The number after "\"key\": " in dmafeed's JSON summary.
inline std::optional<unsigned long> json_count(const std::string& out, const std::string& key)
{
    const auto at = out.find("\"" + key + "\": ");
    if (at == std::string::npos) return std::nullopt;
    return std::stoul(out.substr(at + key.size() + 4));
}

inline size_t differing(const Image& image, uint8_t r, uint8_t g, uint8_t b)
{
    size_t bad = 0;
    for (const Rgba& px : image.pixels) bad += (px.r != r || px.g != g || px.b != b) ? 1 : 0;
    return bad;
}

}  // namespace dmafeed::test

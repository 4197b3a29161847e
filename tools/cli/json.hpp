// JSON string escaping for the tools' --json output.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace dmafeed::cli {

// `s` as the inside of a JSON string: quotes, backslashes and control characters escaped.
inline std::string json_escape(std::string_view s)
{
    std::string out;
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace dmafeed::cli

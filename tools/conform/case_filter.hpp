// dmafeed-conform's --filter: case ids selected by one glob or several, comma-separated
// ("misuse/*,matrix/*/XRGB8888/*"); a case runs when any of them matches its id (fnmatch, so `*`
// also matches `/`).
#pragma once

#include <fnmatch.h>
#include <string>
#include <string_view>

namespace dmafeed::conform {

inline bool filter_selects(std::string_view filter, const std::string& id)
{
    for (size_t begin = 0;;) {
        const size_t comma = filter.find(',', begin);
        const std::string glob{filter.substr(begin, comma - begin)};
        if (fnmatch(glob.c_str(), id.c_str(), 0) == 0) return true;
        if (comma == std::string_view::npos) return false;
        begin = comma + 1;
    }
}

}  // namespace dmafeed::conform

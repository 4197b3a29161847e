// dmafeed-conform's --filter: case ids selected by one glob or several, comma-separated
// ("misuse/*,matrix/*/XRGB8888/*"); a case runs when any of them matches its id (fnmatch, so `*`
// also matches `/`).
#pragma once

#include "session.hpp"

#include <fnmatch.h>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Each of `cases` (a range of anything with an `id`) that the filter selects, run by `run_one(c)`
// between the hooks' on_start and on_done, or `not-run` where the hooks say no case can run any more.
template <class Cases, class RunOne>
std::vector<CaseResult> run_selected(const Cases& cases, const Hooks& hooks, std::string_view filter, RunOne run_one)
{
    std::vector<CaseResult> results;
    for (const auto& c : cases) {
        if (!filter_selects(filter, c.id)) continue;
        if (hooks.on_start) hooks.on_start(c.id);
        std::optional<CaseResult> refused = not_run(hooks, c.id);
        results.push_back(refused ? std::move(*refused) : run_one(c));
        if (hooks.on_done) hooks.on_done(results.back());
    }
    return results;
}

}  // namespace dmafeed::conform

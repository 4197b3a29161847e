// The player's HDR10 declaration against what a compositor's wp_color_manager_v1 supports, for the
// vm checks of each compositor: where dmafeed-info lists parametric descriptions, st2084_pq and
// bt2020, the player declares PQ/BT.2020 with a mastering display and light levels and presents
// its frames; elsewhere it exits 1 before the first frame, naming what the compositor lacks.
#pragma once

#include "pacing_checks.hpp"

#include <gtest/gtest.h>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace dmafeed::test {

// The player's arguments for the check (after the tool's path).
inline std::vector<std::string> hdr10_player_args()
{
    return {"--pattern",   "solid:3c8aef", "--frames", "10", "--fps",  "10", "--json", "--timeout",  "30000", "--transfer",
            "pq", "--mastering-display", "display_p3:0.005-1000", "--max-cll", "1000", "--max-fall", "400"};
}

// The string value of "key" in dmafeed's JSON summary (no escapes in what the checks look for).
inline std::string json_string(const std::string& json, const std::string& key)
{
    const std::string tag = "\"" + key + "\": \"";
    const size_t at = json.find(tag);
    if (at == std::string::npos) return {};
    const size_t from = at + tag.size();
    return json.substr(from, json.find('"', from) - from);
}

// `info`: dmafeed-info's text report; `raw`: the player's wait status; `out`: its output. Returns
// the outcome in one line, for the test's output (and the docs).
inline std::string check_hdr10(const std::string& info, int raw, const std::string& out)
{
    const size_t at = info.find("\nwp_color_manager_v1 v");
    const std::string support = at == std::string::npos ? "" : info.substr(at + 1, info.find('\n', at + 1) - at - 1);
    const bool can_tell = support.find(" st2084_pq") != std::string::npos && support.find(" bt2020") != std::string::npos &&
                          support.find(" parametric") != std::string::npos;
    if (can_tell) {
        EXPECT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 0) << support << "\n" << out;
        const std::string declared = json_string(out, "color");
        EXPECT_NE(declared.find("BT.2020, PQ (SMPTE ST 2084)"), std::string::npos) << out;
        EXPECT_NE(declared.find("declared (wp_color_manager_v1 v"), std::string::npos) << out;
        EXPECT_GE(json_double(out, "presented"), 5) << out;
        return "declared: " + declared;
    }
    EXPECT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 1) << "wait status " << raw << "\n" << out;
    const bool named = out.find("does not offer wp_color_manager_v1") != std::string::npos ||
                       out.find("does not support the") != std::string::npos ||
                       out.find("makes no parametric image descriptions") != std::string::npos;
    EXPECT_TRUE(named) << "the error names what the compositor lacks\n" << out;
    const size_t e = out.find("dmafeed: ");
    return "refused before the first frame (" + (support.empty() ? std::string{"no wp_color_manager_v1"} : support) +
           "): " + (e == std::string::npos ? out : out.substr(e, out.find('\n', e) - e));
}

}  // namespace dmafeed::test

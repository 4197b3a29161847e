// The player's pacing and timing against what a compositor offers, for the vm checks of each
// compositor: fifo pacing where it offers wp_fifo_manager_v1, frame callbacks elsewhere; commit
// timing where it offers wp_commit_timing_manager_v1; every presented frame of a --fps run has a
// time to be shown at, and the summary says how far from it frames were shown.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>

namespace dmafeed::test {

// The text after "\"key\": " in dmafeed's JSON summary, up to the next comma, brace or line end
// (a string's quotes kept).
inline std::string json_text(const std::string& json, const std::string& key)
{
    const std::string tag = "\"" + key + "\": ";
    const size_t at = json.find(tag);
    if (at == std::string::npos) return {};
    const size_t from = at + tag.size();
    return json.substr(from, json.find_first_of(",}\n", from) - from);
}

inline double json_double(const std::string& json, const std::string& key, double otherwise = -1)
{
    const std::string text = json_text(json, key);
    return text.empty() ? otherwise : std::strtod(text.c_str(), nullptr);
}

// `info`: dmafeed-info's text report of the compositor; `player`: the JSON summary of a player run
// at --fps. Returns the figures in one line, for the test's output (and the docs).
inline std::string check_pacing(const std::string& info, const std::string& player)
{
    const bool fifo = info.find("  wp_fifo_manager_v1 v") != std::string::npos;
    const bool timing = info.find("  wp_commit_timing_manager_v1 v") != std::string::npos;
    EXPECT_EQ(json_text(player, "pacing"), fifo ? "\"fifo\"" : "\"frame callbacks\"") << player;
    EXPECT_EQ(json_text(player, "commit_timing"), timing ? "true" : "false") << player;
    const double presented = json_double(player, "presented");
    EXPECT_EQ(json_double(player, "timed"), presented) << "every presented frame had a time to be shown at\n" << player;
    // "show_error_ms": {"p50": A, "p99": B, "max": C, "mean": D}
    const size_t at = player.find("\"show_error_ms\": {");
    EXPECT_NE(at, std::string::npos) << player;
    const std::string errors = at == std::string::npos ? "" : player.substr(at, player.find('}', at) - at + 1);
    char line[512];
    std::snprintf(line, sizeof line, "pacing %s, commit timing %s, %.0f presented, %.0f late, show error %s",
                  json_text(player, "pacing").c_str(), timing ? "yes" : "no", presented, json_double(player, "late"),
                  errors.c_str());
    return line;
}

}  // namespace dmafeed::test

// A compositor's expectation table: which outcome each dmafeed-conform case should have there, read
// from a text file in the repository, and applied to the results (CaseResult::expected and verdict).
//
//   # comments and blank lines are ignored; a '#' after whitespace starts a trailing comment
//   [any]                                   a section; rules before any header are in [any]
//   misuse/out_of_bounds/*   error out_of_bounds
//   matrix/*/NV12/*          shown | wrong-pixels      alternatives, separated by '|'
//   [main-device-driver=virtio_gpu]         rules that apply only where the condition holds
//   matrix/vulkan/*          failed
//   [dmabuf-version>=4 main-device-driver=none]      several conditions: all must hold
//
// A rule is `<glob> <outcome>[ | <outcome>...]`: the glob matches the whole case id ('*' any run of
// characters, '/' included; '?' one character); the outcomes are CaseResult::outcome's words.
// Section conditions are `key=value` or `key!=value` on main-device-driver, capture-method (its
// first word: "none" of "none (no capture protocol)"), compositor (its first word, the name: "weston"
// of "weston 14.0.2") and dmabuf-version, which also compares with >= and <=.
//
// Among the rules of the sections that hold for the run, the last one matching a case wins. With
// none, the protocol's expectations apply ("default"): matrix cases are shown (created when the run
// has no capture), scanout cases zero-copy or shown (created), misuse/<name>/... raise the protocol
// error <name>, leaks/ have no leak.
#pragma once

#include "conform/case.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dmafeed::conform {

// True when `glob` matches all of `text`: '*' matches any run of characters ('/' too), '?' one.
bool glob_match(std::string_view glob, std::string_view text);

// What a case should be when no rule says: see above. "(no expectation)" for ids outside matrix/,
// scanout/, misuse/ and leaks/, which can then only mismatch.
std::string default_expectation(const RunInfo& run, std::string_view id);

class Expectations {
public:
    // The protocol's defaults alone (no table).
    Expectations() = default;

    // `text` is the table; `file_name` names it in errors and in CaseResult::expected_from
    // ("FILE:LINE"). A malformed line is an Error "FILE:LINE: what is wrong, and what is expected".
    static Result<Expectations> parse(std::string_view text, std::string file_name);
    // parse() of the file at `path`, named as given.
    static Result<Expectations> load(const std::string& path);

    // Sets expected, expected_from and verdict of every result: "skipped" is a skip, an outcome among
    // the expected alternatives a pass, anything else a mismatch.
    void evaluate(const RunInfo& run, std::vector<CaseResult>& results) const;

    // Rules of sections that hold for `run` whose glob matches none of the results' ids, as
    // "FILE:LINE: glob": a table gone stale (a renamed case, a typo). Rules of sections that do not
    // hold are not listed: they are for other machines.
    std::vector<std::string> unused_rules(const RunInfo& run, const std::vector<CaseResult>& results) const;

    size_t rule_count() const { return rules_.size(); }

    // The table in a canonical form: its sections and rules in order, one a line, single spaces,
    // no comments. parse() reads it back as a table that evaluates every run as this one does
    // (only expected_from's line numbers differ).
    std::string to_text() const;

private:
    struct Condition {
        enum class Key { main_device_driver, capture_method, compositor, dmabuf_version };
        enum class Op { eq, ne, ge, le };
        Key key;
        Op op;
        std::string value;    // the string keys
        uint32_t number = 0;  // dmabuf-version
        bool holds(const RunInfo& run) const;
        std::string to_text() const;  // "dmabuf-version>=4"
    };
    struct Section {
        std::vector<Condition> conditions;  // all must hold; none: [any]
    };
    struct Rule {
        std::string glob;
        std::vector<std::string> outcomes;  // "shown", "error out_of_bounds", ...
        size_t section = 0;                 // index into sections_
        std::string where;                  // "FILE:LINE"
    };

    static Result<Section> parse_section(std::string_view header, const std::string& where);
    static Result<Rule> parse_rule(std::string_view line, const std::string& where);
    std::vector<bool> sections_holding(const RunInfo& run) const;

    std::vector<Section> sections_{Section{}};  // sections_[0] is the [any] before the first header
    std::vector<Rule> rules_;
};

}  // namespace dmafeed::conform

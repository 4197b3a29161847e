// dmafeed-conform's reports, written from the run's results once evaluate() has set their
// expectations and verdicts. Each writer returns the whole file; the runner writes it. Pure:
// unit-tested on made-up results.
#pragma once

#include "conform/case.hpp"

#include <string>
#include <vector>

namespace dmafeed::conform {

// TAP version 14: the run info as leading comments, "ok N - <id>" / "not ok N - <id>" /
// "ok N - <id> # SKIP <detail>", and a YAML block per case (outcome, expected, expected_from, detail,
// seconds, zero_copy); the summary line last, as a comment.
std::string to_tap(const RunInfo& run, const std::vector<CaseResult>& results);

// JUnit XML: one <testsuite name="dmafeed-conform"> with the run info as <properties>, a <testcase>
// per case (classname "matrix.vulkan.NV12", name "LINEAR/tight/explicit"), <failure> for mismatches,
// <skipped> for skips, <system-out> with the detail for passes.
std::string to_junit(const RunInfo& run, const std::vector<CaseResult>& results);

// {"run": {...}, "totals": {"cases", "passed", "mismatched", "skipped", "crashed"}, "cases": [{"id", "outcome", "expected", "expected_from", "verdict",
// "detail", "seconds", "zero_copy", "captured"}]}.
std::string to_json(const RunInfo& run, const std::vector<CaseResult>& results);

// One self-contained HTML page (inline CSS and script, pictures as data: URLs): the run info and
// totals, links to the mismatches, and a table per id group (matrix, misuse, leaks) in run order with
// captured and expected thumbnails. Once loaded, its script sets <body data-images="ok N"> (or
// "broken K of N", with a visible warning) after checking that every thumbnail decoded.
std::string to_html(const RunInfo& run, const std::vector<CaseResult>& results);

// The cases whose outcome is "crashed" (a spawned compositor died during them).
size_t crashed_count(const std::vector<CaseResult>& results);

// "N cases: P passed, M mismatched, S skipped", and ", C crashed" when `crashed` is not 0.
std::string summary_line(const Totals& totals, size_t crashed = 0);

// JUnit's split of a case id: classname "matrix.vulkan.NV12" (3 parts for matrix/, 2 for misuse/
// and leaks/, 1 for others, always leaving at least one part for the name), name "LINEAR/tight/explicit".
struct JunitName {
    std::string classname;
    std::string name;
};
JunitName junit_name(const std::string& id);

}  // namespace dmafeed::conform

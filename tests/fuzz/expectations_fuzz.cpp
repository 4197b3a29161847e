// libFuzzer target for dmafeed-conform's expectation tables (conform::Expectations::parse): any
// bytes as a table's text. Invariants, beside no crash and no sanitizer report:
//  - an error is a message "fuzz.expect:LINE: what", LINE a line of the text;
//  - a table that parses is stable: its canonical text (to_text()) parses, to the same text, and
//    both tables give every case of a set of runs the same expectation and verdict;
//  - glob_match agrees with a plain dynamic-programming matcher on the first two lines.
#include "conform/expectations.hpp"
#include "fuzz_input.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

namespace {

using dmafeed::conform::CaseResult;
using dmafeed::conform::Expectations;
using dmafeed::conform::RunInfo;

// '*' any run, '?' one character: whether `glob` matches all of `text`, by the table of prefixes.
bool reference_match(std::string_view glob, std::string_view text)
{
    std::vector<char> row(text.size() + 1, 0), next(row.size());
    row[0] = 1;
    for (const char g : glob) {
        std::fill(next.begin(), next.end(), 0);
        for (size_t t = 0; t <= text.size(); ++t) {
            if (g == '*') {
                next[t] = static_cast<char>(row[t] || (t > 0 && next[t - 1]));
            } else if (t > 0 && row[t - 1] && (g == '?' || g == text[t - 1])) {
                next[t] = 1;
            }
        }
        row.swap(next);
    }
    return row[text.size()] != 0;
}

std::vector<std::string_view> lines(std::string_view text)
{
    std::vector<std::string_view> out;
    for (size_t begin = 0; begin < text.size();) {
        const size_t end = std::min(text.find('\n', begin), text.size());
        out.push_back(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return out;
}

// The runs and case ids to evaluate: made of the canonical text's own words, so that its
// conditions hold for some runs and its globs match some ids.
void runs_and_ids(std::string_view canonical, std::vector<RunInfo>& runs, std::vector<std::string>& ids)
{
    RunInfo base;
    base.main_device_driver = "none";
    base.capture_method = "none (no capture protocol)";
    base.dmabuf_version = 4;
    runs.push_back(base);
    RunInfo weston = base;
    weston.compositor = "weston 14.0.2";
    weston.main_device_driver = "virtio_gpu";
    weston.capture_method = "weston_capture_v1";
    weston.dmabuf_version = 5;
    runs.push_back(weston);
    ids = {"matrix/vulkan/NV12/LINEAR/tight/explicit", "misuse/out_of_bounds/offset-past-size",
           "misuse/invalid_format/modifier-differs", "leaks/fds-after-misuse", "other"};
    for (const std::string_view line : lines(canonical)) {
        if (runs.size() > 12 || ids.size() > 24) break;
        if (line.starts_with("[")) {
            const std::string_view header = line.substr(1, line.size() - 2);
            for (size_t at = 0; at < header.size();) {
                const size_t end = std::min(header.find(' ', at), header.size());
                const std::string_view cond = header.substr(at, end - at);
                at = end + 1;
                const size_t op = cond.find_first_of("!<>=");
                if (op == std::string_view::npos) continue;
                const std::string value{cond.substr(cond.find_first_not_of("!<>=", op) == std::string_view::npos
                                                        ? cond.size()
                                                        : cond.find_first_not_of("!<>=", op))};
                RunInfo r = base;
                r.main_device_driver = value;
                r.capture_method = value + " (why)";
                r.compositor = value + " 1.0";
                uint32_t n = 0;
                if (std::from_chars(value.data(), value.data() + value.size(), n).ec == std::errc{}) r.dmabuf_version = n;
                runs.push_back(r);
            }
        } else {
            std::string id{line.substr(0, line.find(' '))};
            std::replace(id.begin(), id.end(), '?', 'x');
            for (size_t star; (star = id.find('*')) != std::string::npos;) id.replace(star, 1, "a/b");
            ids.push_back(id);
        }
    }
}

std::vector<CaseResult> evaluate(const Expectations& table, const RunInfo& run, const std::vector<std::string>& ids)
{
    static const char* const outcomes[] = {"shown", "failed", "skipped", "error out_of_bounds", "no-leak"};
    std::vector<CaseResult> results;
    for (size_t i = 0; i < ids.size(); ++i) {
        CaseResult r;
        r.id = ids[i];
        r.outcome = outcomes[i % std::size(outcomes)];
        results.push_back(std::move(r));
    }
    table.evaluate(run, results);
    return results;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    const std::vector<std::string_view> text_lines = lines(text);
    if (text_lines.size() >= 2 && text_lines[0].size() <= 256 && text_lines[1].size() <= 256) {
        FUZZ_CHECK(dmafeed::conform::glob_match(text_lines[0], text_lines[1]) == reference_match(text_lines[0], text_lines[1]),
                   "glob_match disagrees on a glob of %zu and a text of %zu bytes", text_lines[0].size(), text_lines[1].size());
    }

    auto table = Expectations::parse(text, "fuzz.expect");
    if (!table) {
        const std::string& m = table.error().message();
        FUZZ_CHECK(m.starts_with("fuzz.expect:"), "an error without its place: %s", m.c_str());
        size_t line = 0;
        const char* digits = m.data() + 12;
        const auto [end, ec] = std::from_chars(digits, m.data() + m.size(), line);
        FUZZ_CHECK(ec == std::errc{} && line >= 1 && line <= text_lines.size() + 1, "an error on no line of the text: %s", m.c_str());
        FUZZ_CHECK(std::string_view(end, static_cast<size_t>(m.data() + m.size() - end)).starts_with(": ") &&
                       m.size() > static_cast<size_t>(end - m.data()) + 2,
                   "an error that says nothing: %s", m.c_str());
        return 0;
    }
    const std::string canonical = table->to_text();
    auto again = Expectations::parse(canonical, "canonical.expect");
    FUZZ_CHECK(again.ok(), "the canonical text does not parse: %s", again.ok() ? "" : again.error().message().c_str());
    FUZZ_CHECK(again->to_text() == canonical, "the canonical text is not a fixed point");
    FUZZ_CHECK(again->rule_count() == table->rule_count(), "%zu rules, then %zu", table->rule_count(), again->rule_count());

    std::vector<RunInfo> runs;
    std::vector<std::string> ids;
    runs_and_ids(canonical, runs, ids);
    for (const RunInfo& run : runs) {
        const std::vector<CaseResult> a = evaluate(*table, run, ids), b = evaluate(*again, run, ids);
        for (size_t i = 0; i < a.size(); ++i) {
            FUZZ_CHECK(a[i].expected == b[i].expected && a[i].verdict == b[i].verdict, "case %s: '%s' from the text, '%s' from the canonical one",
                       a[i].id.c_str(), a[i].expected.c_str(), b[i].expected.c_str());
        }
        std::vector<CaseResult> results = evaluate(*table, run, ids);
        FUZZ_CHECK(table->unused_rules(run, results).size() == again->unused_rules(run, results).size(), "unused rules differ");
    }
    return 0;
}

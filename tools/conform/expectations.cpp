#include "conform/expectations.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>

namespace dmafeed::conform {
namespace {

constexpr std::string_view whitespace = " \t\r\f\v";

std::string_view trim(std::string_view s)
{
    const size_t b = s.find_first_not_of(whitespace);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(whitespace) - b + 1);
}

std::vector<std::string_view> words(std::string_view s)
{
    std::vector<std::string_view> out;
    for (size_t i = s.find_first_not_of(whitespace); i != std::string_view::npos;
         i = s.find_first_not_of(whitespace, i)) {
        const size_t end = std::min(s.find_first_of(whitespace, i), s.size());
        out.push_back(s.substr(i, end - i));
        i = end;
    }
    return out;
}

// "none" of "none (no capture protocol)", "weston" of "weston 14.0.2".
std::string_view first_word(std::string_view s)
{
    const std::vector<std::string_view> w = words(s);
    return w.empty() ? std::string_view{} : w.front();
}

// The line without its comment: a '#' at its start or after whitespace starts one.
std::string_view strip_comment(std::string_view line)
{
    for (size_t i = 0; i < line.size(); ++i) {
        const bool after_space = i == 0 || whitespace.find(line[i - 1]) != std::string_view::npos;
        if (line[i] == '#' && after_space) return line.substr(0, i);
    }
    return line;
}

// The outcomes a rule may expect: CaseResult::outcome's words, less "skipped" and "tool-error",
// which no table can expect (see parse_outcome). "crashed": a spawned compositor that dies in the
// case every time (a compositor bug the table records, so that the rest of the run still counts).
// "zero-copy": a scanout case shown without compositing.
constexpr std::array<std::string_view, 10> plain_outcomes = {"shown",   "wrong-pixels", "created", "failed",
                                                             "no-error", "disconnected", "no-leak", "leak",
                                                             "crashed",  "zero-copy"};
const std::string expected_outcomes = "expected shown, zero-copy, wrong-pixels, created, failed, error <name>, no-error, "
                                      "disconnected, no-leak, leak or crashed";

Error line_error(const std::string& where, std::string_view what) { return Error{where + ": " + std::string{what}}; }

Result<std::string> parse_outcome(std::string_view alternative, const std::string& where)
{
    const std::vector<std::string_view> w = words(alternative);
    if (w.empty()) return line_error(where, "an empty alternative; expected an outcome on each side of '|'");
    const std::string text{trim(alternative)};
    if (w[0] == "error") {
        if (w.size() == 1) {
            return line_error(where,
                              "\"error\" needs the protocol error's name after it, as in \"error out_of_bounds\"");
        }
        if (w.size() > 2) {
            return line_error(where,
                              "\"" + text + "\": expected one name after \"error\", and '|' between alternatives");
        }
        return "error " + std::string{w[1]};
    }
    if (w[0] == "skipped") {
        const std::string why =
            "\"skipped\" cannot be expected: a case skips where it cannot run, whatever the table says";
        return line_error(where, why + "; " + expected_outcomes);
    }
    if (w[0] == "tool-error") {
        const std::string why = "\"tool-error\" cannot be expected: it is dmafeed-conform failing, not the compositor";
        return line_error(where, why + "; " + expected_outcomes);
    }
    if (std::find(plain_outcomes.begin(), plain_outcomes.end(), w[0]) == plain_outcomes.end()) {
        return line_error(where, "unknown outcome \"" + std::string{w[0]} + "\"; " + expected_outcomes);
    }
    if (w.size() > 1) {
        return line_error(where, "\"" + text + "\": expected one outcome word, and '|' between alternatives");
    }
    return std::string{w[0]};
}

std::string join(const std::vector<std::string>& parts, std::string_view sep)
{
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string{sep} : "") + parts[i];
    return out;
}

}  // namespace

bool glob_match(std::string_view glob, std::string_view text)
{
    // Greedy matching that backtracks to the last '*' only: linear enough for case ids.
    size_t g = 0, t = 0;
    size_t star = std::string_view::npos, star_t = 0;
    while (t < text.size()) {
        // '*' first: a '*' in the text is matched by the glob's '*' as any other character is.
        if (g < glob.size() && glob[g] == '*') {
            star = g++;
            star_t = t;
        } else if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
            ++g;
            ++t;
        } else if (star != std::string_view::npos) {
            g = star + 1;
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (g < glob.size() && glob[g] == '*') ++g;
    return g == glob.size();
}

std::string default_expectation(const RunInfo& run, std::string_view id)
{
    if (id.starts_with("matrix/")) return first_word(run.capture_method) == "none" ? "created" : "shown";
    // ZERO_COPY is the compositor's choice: a table requires it where it is known to scan out.
    if (id.starts_with("scanout/")) return first_word(run.capture_method) == "none" ? "zero-copy | created" : "zero-copy | shown";
    if (id.starts_with("misuse/")) {
        // linux-dmabuf makes these errors mandatory only from a version on; before it, `failed`
        // is as good an answer.
        if (id == "misuse/invalid_format/modifier-differs" && run.dmabuf_version < 5) return "error invalid_format | failed";
        if (id == "misuse/invalid_format/unadvertised-format" && run.dmabuf_version < 4) return "error invalid_format | failed";
        const std::string_view rest = id.substr(7);
        const std::string_view name = rest.substr(0, rest.find('/'));
        if (!name.empty()) return "error " + std::string{name};
    }
    if (id.starts_with("leaks/")) return "no-leak";
    return "(no expectation)";
}

bool Expectations::Condition::holds(const RunInfo& run) const
{
    if (key == Key::dmabuf_version) {
        switch (op) {
        case Op::eq: return run.dmabuf_version == number;
        case Op::ne: return run.dmabuf_version != number;
        case Op::ge: return run.dmabuf_version >= number;
        case Op::le: return run.dmabuf_version <= number;
        }
        return false;
    }
    const std::string_view actual = key == Key::main_device_driver ? std::string_view{run.main_device_driver}
                                    : key == Key::capture_method   ? first_word(run.capture_method)
                                                                   : first_word(run.compositor);
    return (actual == value) == (op == Op::eq);
}

std::string Expectations::Condition::to_text() const
{
    std::string_view k;
    switch (key) {
    case Key::main_device_driver: k = "main-device-driver"; break;
    case Key::capture_method: k = "capture-method"; break;
    case Key::compositor: k = "compositor"; break;
    case Key::dmabuf_version: k = "dmabuf-version"; break;
    }
    std::string_view o;
    switch (op) {
    case Op::eq: o = "="; break;
    case Op::ne: o = "!="; break;
    case Op::ge: o = ">="; break;
    case Op::le: o = "<="; break;
    }
    return std::string{k} + std::string{o} + (key == Key::dmabuf_version ? std::to_string(number) : value);
}

std::string Expectations::to_text() const
{
    std::string out;
    size_t rule = 0;
    for (size_t s = 0; s < sections_.size(); ++s) {
        if (s > 0) {  // sections_[0] is the [any] before the first header
            std::string header;
            for (const Condition& c : sections_[s].conditions) header += (header.empty() ? "" : " ") + c.to_text();
            out += "[" + (header.empty() ? std::string{"any"} : header) + "]\n";
        }
        for (; rule < rules_.size() && rules_[rule].section == s; ++rule) {
            out += rules_[rule].glob + " " + join(rules_[rule].outcomes, " | ") + "\n";
        }
    }
    return out;
}

Result<Expectations::Section> Expectations::parse_section(std::string_view header, const std::string& where)
{
    constexpr std::string_view expected =
        "expected [any] or conditions like [main-device-driver=virtio_gpu dmabuf-version>=4] "
        "(keys main-device-driver, capture-method, compositor, dmabuf-version; operators = and !=, and >= <= for "
        "dmabuf-version)";
    const std::vector<std::string_view> conds = words(header);
    if (conds.empty()) return line_error(where, "an empty section header; " + std::string{expected});
    Section section;
    if (conds.size() == 1 && conds[0] == "any") return section;
    for (const std::string_view c : conds) {
        const std::string quoted = "\"" + std::string{c} + "\"";
        if (c == "any") return line_error(where, "\"any\" goes alone in its header; " + std::string{expected});
        const size_t at = c.find_first_of("!<>=");
        if (at == std::string_view::npos || at == 0) {
            return line_error(where, quoted + " is not a condition; " + std::string{expected});
        }
        Condition cond{};
        const std::string_view key = c.substr(0, at);
        if (key == "main-device-driver") {
            cond.key = Condition::Key::main_device_driver;
        } else if (key == "capture-method") {
            cond.key = Condition::Key::capture_method;
        } else if (key == "compositor") {
            cond.key = Condition::Key::compositor;
        } else if (key == "dmabuf-version") {
            cond.key = Condition::Key::dmabuf_version;
        } else {
            return line_error(where,
                              "unknown key \"" + std::string{key} + "\" in " + quoted + "; " + std::string{expected});
        }
        std::string_view rest = c.substr(at);
        if (rest.starts_with("!=")) {
            cond.op = Condition::Op::ne;
        } else if (rest.starts_with(">=")) {
            cond.op = Condition::Op::ge;
        } else if (rest.starts_with("<=")) {
            cond.op = Condition::Op::le;
        } else if (rest.starts_with("=")) {
            cond.op = Condition::Op::eq;
        } else {
            return line_error(where, "unknown operator in " + quoted + "; " + std::string{expected});
        }
        rest.remove_prefix(cond.op == Condition::Op::eq ? 1 : 2);
        if (rest.empty()) return line_error(where, quoted + " has no value; " + std::string{expected});
        if (rest.find_first_of("!<>=") != std::string_view::npos) {
            return line_error(where, "unknown operator in " + quoted + "; " + std::string{expected});
        }
        if (cond.key == Condition::Key::dmabuf_version) {
            const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), cond.number);
            if (ec != std::errc{} || end != rest.data() + rest.size()) {
                return line_error(
                    where, "dmabuf-version compares with a number, not \"" + std::string{rest} + "\", in " + quoted);
            }
        } else if (cond.op == Condition::Op::ge || cond.op == Condition::Op::le) {
            return line_error(
                where, "only dmabuf-version compares with >= and <=, in " + quoted + "; " + std::string{expected});
        } else {
            cond.value = std::string{rest};
        }
        section.conditions.push_back(std::move(cond));
    }
    return section;
}

Result<Expectations::Rule> Expectations::parse_rule(std::string_view line, const std::string& where)
{
    const size_t glob_end = std::min(line.find_first_of(whitespace), line.size());
    Rule rule;
    rule.glob = std::string{line.substr(0, glob_end)};
    rule.where = where;
    if (rule.glob.find('|') != std::string::npos) {
        return line_error(
            where, "\"" + rule.glob + "\" is not a case id pattern; expected \"<glob> <outcome>[ | <outcome>...]\"");
    }
    const std::string_view rest = trim(line.substr(glob_end));
    if (rest.empty()) {
        return line_error(where,
                          "\"" + rule.glob + "\" has no outcome; expected \"<glob> <outcome>[ | <outcome>...]\"");
    }
    for (size_t begin = 0;;) {
        const size_t bar = rest.find('|', begin);
        Result<std::string> outcome = parse_outcome(rest.substr(begin, bar - begin), where);
        if (!outcome) return std::move(outcome).error();
        rule.outcomes.push_back(std::move(*outcome));
        if (bar == std::string_view::npos) break;
        begin = bar + 1;
    }
    return rule;
}

Result<Expectations> Expectations::parse(std::string_view text, std::string file_name)
{
    Expectations table;
    size_t line_no = 0;
    for (size_t begin = 0; begin < text.size();) {
        const size_t end = std::min(text.find('\n', begin), text.size());
        const std::string_view line = trim(strip_comment(text.substr(begin, end - begin)));
        begin = end + 1;
        ++line_no;
        if (line.empty()) continue;
        const std::string where = file_name + ":" + std::to_string(line_no);
        if (line.front() == '[') {
            if (line.back() != ']') {
                return line_error(where, "a section header ends with ']', as in [main-device-driver=virtio_gpu]");
            }
            Result<Section> section = parse_section(line.substr(1, line.size() - 2), where);
            if (!section) return std::move(section).error();
            table.sections_.push_back(std::move(*section));
            continue;
        }
        Result<Rule> rule = parse_rule(line, where);
        if (!rule) return std::move(rule).error();
        rule->section = table.sections_.size() - 1;
        table.rules_.push_back(std::move(*rule));
    }
    return table;
}

Result<Expectations> Expectations::load(const std::string& path)
{
    struct Closer {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    const std::unique_ptr<std::FILE, Closer> file{std::fopen(path.c_str(), "rbe")};
    if (!file) return Error::from_errno("open expectation table " + path, errno);
    std::string text;
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) text.append(buf, n);
    if (std::ferror(file.get())) return Error::from_errno("read expectation table " + path, errno);
    return parse(text, path);
}

std::vector<bool> Expectations::sections_holding(const RunInfo& run) const
{
    std::vector<bool> out;
    for (const Section& s : sections_) {
        out.push_back(
            std::all_of(s.conditions.begin(), s.conditions.end(), [&](const Condition& c) { return c.holds(run); }));
    }
    return out;
}

void Expectations::evaluate(const RunInfo& run, std::vector<CaseResult>& results) const
{
    const std::vector<bool> holding = sections_holding(run);
    for (CaseResult& r : results) {
        const auto rule = std::find_if(rules_.rbegin(), rules_.rend(),
                                       [&](const Rule& x) { return holding[x.section] && glob_match(x.glob, r.id); });
        std::vector<std::string> alternatives;
        if (rule != rules_.rend()) {
            alternatives = rule->outcomes;
            r.expected = join(alternatives, " | ");
            r.expected_from = rule->where;
        } else {
            r.expected = default_expectation(run, r.id);
            r.expected_from = "default";
            if (r.expected != "(no expectation)") {
                std::string_view rest = r.expected;
                for (size_t bar; (bar = rest.find(" | ")) != std::string_view::npos; rest.remove_prefix(bar + 3)) {
                    alternatives.emplace_back(rest.substr(0, bar));
                }
                alternatives.emplace_back(rest);
            }
        }
        if (r.outcome == "skipped") {
            r.verdict = Verdict::skip;
        } else if (std::find(alternatives.begin(), alternatives.end(), r.outcome) != alternatives.end()) {
            r.verdict = Verdict::pass;
        } else {
            r.verdict = Verdict::mismatch;
        }
    }
}

std::vector<std::string> Expectations::unused_rules(const RunInfo& run, const std::vector<CaseResult>& results) const
{
    const std::vector<bool> holding = sections_holding(run);
    std::vector<std::string> out;
    for (const Rule& rule : rules_) {
        if (!holding[rule.section]) continue;
        const bool used = std::any_of(results.begin(), results.end(),
                                      [&](const CaseResult& r) { return glob_match(rule.glob, r.id); });
        if (!used) out.push_back(rule.where + ": " + rule.glob);
    }
    return out;
}

Totals totals(const std::vector<CaseResult>& results)
{
    Totals t;
    t.cases = results.size();
    for (const CaseResult& r : results) {
        switch (r.verdict) {
        case Verdict::pass: ++t.passed; break;
        case Verdict::mismatch: ++t.mismatched; break;
        case Verdict::skip: ++t.skipped; break;
        }
    }
    return t;
}

}  // namespace dmafeed::conform

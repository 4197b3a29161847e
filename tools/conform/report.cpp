#include "conform/report.hpp"

#include "cli/json.hpp"
#include "conform/picture.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace dmafeed::conform {
namespace {

// Thumbnails in the HTML report are at most this size.
constexpr uint32_t thumb_w = 192, thumb_h = 128;

// `s` with every byte sequence that is not UTF-8 replaced by U+FFFD: details carry compositor error
// text, which can be anything, and JSON, XML and HTML all need valid UTF-8.
std::string valid_utf8(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        uint32_t cp = len == 2 ? c & 0x1fU : len == 3 ? c & 0x0fU : c & 0x07U;
        bool ok = len != 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            ok = (cc & 0xc0) == 0x80;
            cp = cp << 6 | (cc & 0x3fU);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
        if (ok && len > 1) {
            ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000) &&
                 !(cp >= 0xd800 && cp <= 0xdfff) && cp <= 0x10ffff;
        }
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\xef\xbf\xbd";
            ++i;
        }
    }
    return out;
}

// A number for JSON, XML and YAML: finite, milliseconds.
std::string seconds_text(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", std::isfinite(s) ? s : 0.0);
    return buf;
}

std::string json_string(std::string_view s) { return "\"" + cli::json_escape(valid_utf8(s)) + "\""; }

// One line of text for TAP: control characters (newlines) become spaces.
std::string one_line(std::string_view s)
{
    std::string out = valid_utf8(s);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    return out;
}

// XML text or attribute: the five special characters as entities; in attributes, tabs and line
// breaks as character references so that parsers keep them; other control characters, which XML 1.0
// cannot carry at all, dropped.
std::string xml_escape(std::string_view s, bool attribute)
{
    std::string out;
    for (const char c : valid_utf8(s)) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\t': out += attribute ? "&#9;" : "\t"; break;
        case '\n': out += attribute ? "&#10;" : "\n"; break;
        case '\r': out += attribute ? "&#13;" : "\r"; break;
        default:
            if (static_cast<unsigned char>(c) >= 0x20) out += c;
        }
    }
    return out;
}

// HTML text or attribute value: the special characters as entities, control characters other than
// tab and newline dropped.
std::string html_escape(std::string_view s)
{
    std::string out;
    for (const char c : valid_utf8(s)) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') out += c;
        }
    }
    return out;
}

const char* verdict_name(Verdict v)
{
    switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::mismatch: return "mismatch";
    case Verdict::skip: return "skip";
    }
    return "skip";
}

// The run info as (key, label, value): keys for JUnit properties, labels for people.
struct Field {
    std::string key;
    std::string label;
    std::string value;
};

std::vector<Field> run_fields(const RunInfo& run)
{
    std::vector<Field> f;
    f.push_back({"tool_version", "dmafeed-conform", run.tool_version});
    f.push_back({"display", "display", run.display});
    f.push_back({"compositor", "compositor", run.compositor.empty() ? "unknown" : run.compositor});
    f.push_back({"main_device", "main device", run.main_device.empty() ? "none named" : run.main_device});
    f.push_back({"main_device_driver", "main device driver", run.main_device_driver});
    f.push_back({"dmabuf_version", "linux-dmabuf version", std::to_string(run.dmabuf_version)});
    f.push_back({"capture_method", "capture", run.capture_method});
    for (const std::string& a : run.allocators) f.push_back({"allocator", "allocator", a});
    f.push_back(
        {"expectations", "expectations", run.expectations.empty() ? "the protocol's defaults" : run.expectations});
    f.push_back({"started", "started", run.started});
    f.push_back({"seconds", "seconds", seconds_text(run.seconds)});
    return f;
}

// The id's first component: "matrix", "misuse", "leaks".
std::string group_of(const std::string& id) { return id.substr(0, id.find('/')); }

std::string outcome_vs_expected(const CaseResult& r) { return "outcome " + r.outcome + ", expected " + r.expected; }

// An <img> thumbnail of `picture` with its caption, or why there is none.
std::string thumbnail_html(const Picture& picture, const char* caption)
{
    const Picture thumb = scaled_to_fit(picture, thumb_w, thumb_h);
    // A picture that cannot be scaled is malformed: encoding it says how.
    const Result<std::vector<uint8_t>> png = encode_png(thumb.width > 0 ? thumb : picture);
    std::string s = "<figure>";
    if (png) {
        s += "<img src=\"data:image/png;base64," + base64(png.value()) + "\" width=\"" + std::to_string(thumb.width) +
             "\" height=\"" + std::to_string(thumb.height) + "\" alt=\"" + caption + "\" title=\"" + caption + ", " +
             std::to_string(picture.width) + "x" + std::to_string(picture.height) + "\">";
    } else {
        s += "<span class=\"nopic\">" + html_escape(png.error().message()) + "</span>";
    }
    return s + "<figcaption>" + caption + "</figcaption></figure>";
}

constexpr const char* html_style = R"(
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1f2328; background: #fff; }
h1 { font-size: 1.5em; margin: 0 0 .5em; }
h2 { font-size: 1.2em; margin: 1.5em 0 .5em; }
h2 small, td small { color: #656d76; font-weight: normal; }
td small { white-space: nowrap; }
[hidden] { display: none !important; }
table { border-collapse: collapse; }
table.run th { text-align: right; padding: 1px 1em 1px 0; font-weight: normal; color: #656d76; vertical-align: top; }
table.run td { padding: 1px 0; }
table.cases { width: 100%; }
table.cases th, table.cases td { border-bottom: 1px solid #d0d7de; padding: 4px 8px; text-align: left;
                                 vertical-align: top; }
table.cases th { background: #f6f8fa; }
tr.mismatch { background: #fff5f5; }
td.id, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
td.detail { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 40em; }
td.pics { white-space: nowrap; }
.badge { display: inline-block; min-width: 5em; text-align: center; padding: 1px 6px; border-radius: 10px;
         color: #fff; font-weight: bold; font-size: 12px; }
.badge.pass { background: #1a7f37; }
.badge.mismatch { background: #cf222e; }
.badge.skip { background: #6e7781; }
.totals { font-size: 1.1em; font-weight: bold; }
.warning { background: #cf222e; color: #fff; padding: 8px 12px; font-weight: bold; margin: 1em 0; }
figure { display: inline-block; margin: 0 8px 0 0; vertical-align: top; text-align: center; }
figure img { image-rendering: pixelated; border: 1px solid #d0d7de; display: block; }
figcaption { font-size: 11px; color: #656d76; }
.nopic { color: #cf222e; font-size: 12px; }
)";

// Checks, once everything has loaded, that every thumbnail decoded; tests and people read the result
// from <body data-images>, and a visible warning says when some did not.
constexpr const char* html_script = R"(
window.addEventListener('load', function () {
  var images = document.images, broken = 0;
  for (var i = 0; i < images.length; i++) {
    if (!(images[i].complete && images[i].naturalWidth > 0)) broken++;
  }
  if (broken === 0) {
    document.body.dataset.images = 'ok ' + images.length;
  } else {
    document.body.dataset.images = 'broken ' + broken + ' of ' + images.length;
    var warning = document.getElementById('image-warning');
    warning.textContent = broken + ' of ' + images.length + ' pictures in this report did not decode.';
    warning.hidden = false;
  }
});
)";

}  // namespace

JunitName junit_name(const std::string& id)
{
    std::vector<std::string> parts;
    for (size_t begin = 0;;) {
        const size_t slash = id.find('/', begin);
        parts.push_back(id.substr(begin, slash - begin));
        if (slash == std::string::npos) break;
        begin = slash + 1;
    }
    size_t n = parts[0] == "matrix" ? 3 : (parts[0] == "misuse" || parts[0] == "leaks") ? 2 : 1;
    n = std::min(n, parts.size() - 1);  // the name keeps at least one part
    JunitName out;
    for (size_t i = 0; i < parts.size(); ++i) {
        std::string& into = i < n ? out.classname : out.name;
        into += (into.empty() ? "" : i < n ? "." : "/") + parts[i];
    }
    return out;
}

size_t crashed_count(const std::vector<CaseResult>& results)
{
    return static_cast<size_t>(
        std::count_if(results.begin(), results.end(), [](const CaseResult& r) { return r.outcome == "crashed"; }));
}

std::string summary_line(const Totals& t, size_t crashed)
{
    return std::to_string(t.cases) + " cases: " + std::to_string(t.passed) + " passed, " +
           std::to_string(t.mismatched) + " mismatched, " + std::to_string(t.skipped) + " skipped" +
           (crashed > 0 ? ", " + std::to_string(crashed) + " crashed" : "");
}

std::string to_tap(const RunInfo& run, const std::vector<CaseResult>& results)
{
    std::string s = "TAP version 14\n";
    for (const Field& f : run_fields(run)) s += "# " + f.label + ": " + one_line(f.value) + "\n";
    s += "1.." + std::to_string(results.size()) + "\n";
    for (size_t i = 0; i < results.size(); ++i) {
        const CaseResult& r = results[i];
        // TAP 14 escapes '\' and '#' in descriptions, where '#' would start a directive.
        std::string id;
        for (const char c : one_line(r.id)) id += (c == '#' || c == '\\') ? std::string{"\\"} + c : std::string{c};
        s += std::string{r.verdict == Verdict::mismatch ? "not ok " : "ok "} + std::to_string(i + 1) + " - " + id;
        if (r.verdict == Verdict::skip) {
            s += " # SKIP " + (r.detail.empty() ? std::string{"skipped"} : one_line(r.detail));
        }
        // YAML diagnostics; JSON strings are YAML double-quoted scalars.
        s += "\n  ---\n  outcome: " + json_string(r.outcome) + "\n  expected: " + json_string(r.expected) +
             "\n  expected_from: " + json_string(r.expected_from) + "\n  verdict: " + verdict_name(r.verdict) +
             "\n  detail: " + json_string(r.detail) + "\n  seconds: " + seconds_text(r.seconds) + "\n";
        if (r.zero_copy) s += std::string{"  zero_copy: "} + (*r.zero_copy ? "true" : "false") + "\n";
        s += "  ...\n";
    }
    return s + "# " + summary_line(totals(results), crashed_count(results)) + "\n";
}

std::string to_junit(const RunInfo& run, const std::vector<CaseResult>& results)
{
    const Totals t = totals(results);
    const std::string counts = "tests=\"" + std::to_string(t.cases) + "\" failures=\"" + std::to_string(t.mismatched) +
                               "\" errors=\"0\" skipped=\"" + std::to_string(t.skipped) + "\" time=\"" +
                               seconds_text(run.seconds) + "\"";
    std::string s =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dmafeed-conform\" " + counts + ">\n";
    s += "  <testsuite name=\"dmafeed-conform\" " + counts;
    if (!run.started.empty()) s += " timestamp=\"" + xml_escape(run.started, true) + "\"";
    s += ">\n    <properties>\n";
    for (const Field& f : run_fields(run)) {
        s += "      <property name=\"" + f.key + "\" value=\"" + xml_escape(f.value, true) + "\"/>\n";
    }
    s += "    </properties>\n";
    for (const CaseResult& r : results) {
        const JunitName n = junit_name(r.id);
        s += "    <testcase classname=\"" + xml_escape(n.classname, true) + "\" name=\"" + xml_escape(n.name, true) +
             "\" time=\"" + seconds_text(r.seconds) + "\">";
        switch (r.verdict) {
        case Verdict::mismatch:
            s += "\n      <failure message=\"" + xml_escape(outcome_vs_expected(r), true) + "\" type=\"mismatch\">" +
                 xml_escape(r.detail + (r.detail.empty() ? "" : "\n") + "expected from " + r.expected_from, false) +
                 "</failure>\n    ";
            break;
        case Verdict::skip: s += "\n      <skipped message=\"" + xml_escape(r.detail, true) + "\"/>\n    "; break;
        case Verdict::pass:
            if (!r.detail.empty()) s += "\n      <system-out>" + xml_escape(r.detail, false) + "</system-out>\n    ";
            break;
        }
        s += "</testcase>\n";
    }
    return s + "  </testsuite>\n</testsuites>\n";
}

std::string to_json(const RunInfo& run, const std::vector<CaseResult>& results)
{
    std::string s = "{\n  \"run\": {\"tool_version\": " + json_string(run.tool_version) +
                    ", \"display\": " + json_string(run.display) + ", \"compositor\": " + json_string(run.compositor) +
                    ", \"main_device\": " + json_string(run.main_device) +
                    ", \"main_device_driver\": " + json_string(run.main_device_driver) +
                    ", \"dmabuf_version\": " + std::to_string(run.dmabuf_version) +
                    ", \"capture_method\": " + json_string(run.capture_method) + ", \"allocators\": [";
    for (size_t i = 0; i < run.allocators.size(); ++i) s += (i ? ", " : "") + json_string(run.allocators[i]);
    s += "], \"expectations\": " + json_string(run.expectations) + ", \"started\": " + json_string(run.started) +
         ", \"seconds\": " + seconds_text(run.seconds) + "},\n";
    const Totals t = totals(results);
    s += "  \"totals\": {\"cases\": " + std::to_string(t.cases) + ", \"passed\": " + std::to_string(t.passed) +
         ", \"mismatched\": " + std::to_string(t.mismatched) + ", \"skipped\": " + std::to_string(t.skipped) +
         ", \"crashed\": " + std::to_string(crashed_count(results)) + "},\n";
    s += "  \"cases\": [";
    for (size_t i = 0; i < results.size(); ++i) {
        const CaseResult& r = results[i];
        s += std::string{i ? ",\n    " : "\n    "} + "{\"id\": " + json_string(r.id) +
             ", \"outcome\": " + json_string(r.outcome) + ", \"expected\": " + json_string(r.expected) +
             ", \"expected_from\": " + json_string(r.expected_from) + ", \"verdict\": \"" + verdict_name(r.verdict) +
             "\", \"detail\": " + json_string(r.detail) + ", \"seconds\": " + seconds_text(r.seconds) +
             ", \"zero_copy\": " + (r.zero_copy ? (*r.zero_copy ? "true" : "false") : "null") +
             ", \"captured\": " + (r.captured ? "true" : "false") + "}";
    }
    return s + (results.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

std::string to_html(const RunInfo& run, const std::vector<CaseResult>& results)
{
    const Totals t = totals(results);
    const std::string title = "dmafeed-conform: " + (run.compositor.empty() ? run.display : run.compositor);
    std::string s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                    html_escape(title) + "</title>\n<style>" + html_style +
                    "</style>\n</head>\n<body>\n<header>\n<h1>" + html_escape(title) + "</h1>\n<table class=\"run\">\n";
    for (const Field& f : run_fields(run)) {
        s += "<tr><th>" + html_escape(f.label) + "</th><td>" + html_escape(f.value) + "</td></tr>\n";
    }
    s += "</table>\n<p class=\"totals\">" + html_escape(summary_line(t, crashed_count(results))) + "</p>\n";
    s += "<div id=\"image-warning\" class=\"warning\" hidden></div>\n</header>\n";

    // The mismatches first, as links to their rows.
    s += "<section id=\"mismatches\">\n<h2>Mismatches</h2>\n";
    if (t.mismatched == 0) {
        s += "<p>None.</p>\n";
    } else {
        s += "<ul>\n";
        for (size_t i = 0; i < results.size(); ++i) {
            const CaseResult& r = results[i];
            if (r.verdict != Verdict::mismatch) continue;
            s += "<li><a href=\"#case-" + std::to_string(i + 1) + "\"><code>" + html_escape(r.id) +
                 "</code></a>: " + html_escape(outcome_vs_expected(r)) + "</li>\n";
        }
        s += "</ul>\n";
    }
    s += "</section>\n";

    // The groups in the order they first appear, their cases in run order.
    std::vector<std::pair<std::string, std::vector<size_t>>> groups;
    for (size_t i = 0; i < results.size(); ++i) {
        const std::string g = group_of(results[i].id);
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == g; });
        if (it == groups.end()) it = groups.insert(groups.end(), {g, {}});
        it->second.push_back(i);
    }
    for (size_t gi = 0; gi < groups.size(); ++gi) {
        const auto& [group, members] = groups[gi];
        std::vector<CaseResult> of_group;
        for (const size_t i : members) of_group.push_back(results[i]);
        s += "<section id=\"group-" + std::to_string(gi + 1) + "\">\n<h2>" + html_escape(group) + " <small>" +
             html_escape(summary_line(totals(of_group), crashed_count(of_group))) + "</small></h2>\n<table class=\"cases\">\n" +
             "<thead><tr><th>verdict</th><th>case</th><th>outcome</th><th>expected</th><th>detail</th><th>pictures</th>"
             "</tr></thead>\n<tbody>\n";
        for (const size_t i : members) {
            const CaseResult& r = results[i];
            const char* v = verdict_name(r.verdict);
            std::string timing = seconds_text(r.seconds) + " s";
            if (r.zero_copy) timing += *r.zero_copy ? ", zero-copy" : ", not zero-copy";
            s += "<tr id=\"case-" + std::to_string(i + 1) + "\" class=\"" + v + "\"><td><span class=\"badge " + v +
                 "\">" + v + "</span></td><td class=\"id\">" + html_escape(r.id) + "</td><td>" +
                 html_escape(r.outcome) + "<br><small>" + timing + "</small></td><td>" + html_escape(r.expected) +
                 "<br><small>" + html_escape(r.expected_from) + "</small></td><td class=\"detail\">" +
                 html_escape(r.detail) + "</td><td class=\"pics\">";
            if (r.captured) s += thumbnail_html(*r.captured, "captured");
            if (r.wanted) s += thumbnail_html(*r.wanted, "expected");
            s += "</td></tr>\n";
        }
        s += "</tbody>\n</table>\n</section>\n";
    }
    return s + "<script>" + html_script + "</script>\n</body>\n</html>\n";
}

}  // namespace dmafeed::conform

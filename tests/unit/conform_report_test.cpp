// dmafeed-conform's reports on made-up results: TAP, JUnit XML, JSON and HTML carry each case with
// its verdict, escape what the compositor wrote, and embed thumbnails as PNG data: URLs; the picture
// helpers scale with nearest-neighbour sampling and encode PNG and base64 correctly.
#include "conform/expectations.hpp"
#include "conform/picture.hpp"
#include "conform/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <gtest/gtest.h>
#include <png.h>

namespace dmafeed::conform {
namespace {

// A w x h picture whose every pixel says where it is: (x, y, x ^ y).
Picture coordinates(uint32_t w, uint32_t h)
{
    Picture p{w, h, {}};
    for (uint32_t y = 0; y < h; ++y) {
        for (uint32_t x = 0; x < w; ++x) {
            p.rgb.push_back(static_cast<uint8_t>(x));
            p.rgb.push_back(static_cast<uint8_t>(y));
            p.rgb.push_back(static_cast<uint8_t>(x ^ y));
        }
    }
    return p;
}

const char* const nasty = "<script>alert(1)</script> & \"quotes\" 'apos'\x01 line\nbreak";

RunInfo run_info()
{
    RunInfo run;
    run.tool_version = "0.1.0";
    run.display = "wayland-1";
    run.compositor = "weston 14.0.2";
    run.main_device = "/dev/dri/renderD128";
    run.main_device_driver = "virtio_gpu";
    run.dmabuf_version = 5;
    run.capture_method = "weston_capture_v1";
    run.allocators = {"vulkan on llvmpipe", "gbm on /dev/dri/card0 (virtio_gpu)"};
    run.expectations = "tools/conform/expect/weston.expect";
    run.started = "2025-01-02T03:04:05Z";
    run.seconds = 12.5;
    return run;
}

std::vector<CaseResult> sample()
{
    std::vector<CaseResult> r(4);
    r[0].id = "matrix/vulkan/NV12/LINEAR/tight/explicit";
    r[0].outcome = "shown";
    r[0].detail = "ok";
    r[0].seconds = 0.25;
    r[0].zero_copy = true;
    r[0].captured = coordinates(400, 100);
    r[0].wanted = coordinates(400, 100);
    r[1].id = "matrix/gbm/XRGB8888/LINEAR/tight/implicit";
    r[1].outcome = "wrong-pixels";
    r[1].detail = nasty;
    r[1].seconds = 0.5;
    r[1].zero_copy = false;
    r[1].captured = coordinates(16, 16);
    r[2].id = "misuse/out_of_bounds/offset-past-size";
    r[2].outcome = "error out_of_bounds";
    r[2].seconds = std::nan("");
    r[3].id = "leaks/fds";
    r[3].outcome = "skipped";
    r[3].detail = "no /proc here";
    Expectations{}.evaluate(run_info(), r);
    return r;
}

size_t count(const std::string& text, const std::string& what)
{
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

#define EXPECT_CONTAINS(text, want) \
    EXPECT_NE((text).find(want), std::string::npos) << "missing " << (want) << " in\n" << (text)

std::vector<uint8_t> base64_decode(std::string_view s)
{
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::vector<uint8_t> out;
    uint32_t bits = 0;
    int n = 0;
    for (const char c : s) {
        if (c == '=') break;
        bits = bits << 6 | static_cast<uint32_t>(alphabet.find(c));
        n += 6;
        if (n >= 8) {
            n -= 8;
            out.push_back(static_cast<uint8_t>(bits >> n));
        }
    }
    return out;
}

uint32_t be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }

// A strict JSON checker (RFC 8259's grammar, numbers loosely): enough to tell that the report parses.
class JsonChecker {
public:
    static bool valid(std::string_view text)
    {
        JsonChecker c{text};
        return c.value() && c.i_ == text.size();
    }

private:
    explicit JsonChecker(std::string_view s) : s_{s} {}

    bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
    void skip_space()
    {
        while (i_ < s_.size() && std::string_view{" \n\t\r"}.find(s_[i_]) != std::string_view::npos) ++i_;
    }
    bool literal(std::string_view w)
    {
        if (s_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }
    bool string()
    {
        if (!literal("\"")) return false;
        while (i_ < s_.size() && s_[i_] != '"') {
            const auto c = static_cast<unsigned char>(s_[i_++]);
            if (c < 0x20) return false;
            if (c != '\\') continue;
            if (at('u')) {
                for (int k = 1; k <= 4; ++k) {
                    if (i_ + k >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_ + k]))) return false;
                }
                i_ += 5;
            } else if (i_ < s_.size() && std::string_view{"\"\\/bfnrt"}.find(s_[i_]) != std::string_view::npos) {
                ++i_;
            } else {
                return false;
            }
        }
        return literal("\"");
    }
    bool number()
    {
        const size_t begin = i_;
        literal("-");
        while (i_ < s_.size() && std::string_view{"0123456789.eE+-"}.find(s_[i_]) != std::string_view::npos) ++i_;
        return i_ > begin && std::isdigit(static_cast<unsigned char>(s_[i_ - 1]));
    }
    bool value()
    {
        skip_space();
        bool ok = false;
        if (at('{') || at('[')) {
            const bool object = at('{');
            const std::string_view close = object ? "}" : "]";
            ++i_;
            skip_space();
            if (literal(close)) {
                skip_space();
                return true;
            }
            do {
                skip_space();
                if (object && !string()) return false;
                skip_space();
                if (object && !literal(":")) return false;
                if (!value()) return false;
            } while (literal(","));
            ok = literal(close);
        } else if (at('"')) {
            ok = string();
        } else {
            ok = literal("true") || literal("false") || literal("null") || number();
        }
        skip_space();
        return ok;
    }

    std::string_view s_;
    size_t i_ = 0;
};

TEST(ConformPicture, Base64KnownVectors)
{
    const auto b64 = [](std::string_view s) { return base64({reinterpret_cast<const uint8_t*>(s.data()), s.size()}); };
    EXPECT_EQ(b64(""), "");
    EXPECT_EQ(b64("f"), "Zg==");
    EXPECT_EQ(b64("fo"), "Zm8=");
    EXPECT_EQ(b64("foo"), "Zm9v");
    EXPECT_EQ(b64("foob"), "Zm9vYg==");
    EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
    const std::vector<uint8_t> high{0xff, 0xfe, 0xfd};
    EXPECT_EQ(base64(high), "//79");
}

TEST(ConformPicture, ScaledToFitKeepsTheAspectRatio)
{
    const auto size = [](uint32_t w, uint32_t h, uint32_t mw, uint32_t mh) {
        const Picture p = scaled_to_fit(coordinates(w, h), mw, mh);
        EXPECT_EQ(p.rgb.size(), size_t{p.width} * p.height * 3);
        return std::to_string(p.width) + "x" + std::to_string(p.height);
    };
    EXPECT_EQ(size(400, 100, 192, 128), "192x48");
    EXPECT_EQ(size(100, 400, 192, 128), "32x128");
    EXPECT_EQ(size(1920, 1080, 192, 128), "192x108");
    EXPECT_EQ(size(97, 61, 192, 128), "97x61");  // fits: unchanged
    EXPECT_EQ(size(1, 1000, 192, 128), "1x128");
    EXPECT_EQ(size(1000, 1, 192, 128), "192x1");  // never 0 high
    EXPECT_EQ(size(384, 256, 192, 128), "192x128");
    Picture broken{4, 4, std::vector<uint8_t>(10)};
    EXPECT_EQ(scaled_to_fit(broken, 2, 2).width, 0U);
}

TEST(ConformPicture, ScaledToFitTakesThePixelUnderEachCentre)
{
    const Picture p = scaled_to_fit(coordinates(6, 6), 3, 3);
    ASSERT_EQ(p.width, 3U);
    ASSERT_EQ(p.height, 3U);
    for (uint32_t y = 0; y < 3; ++y) {
        for (uint32_t x = 0; x < 3; ++x) {
            const uint8_t* px = &p.rgb[(size_t{y} * 3 + x) * 3];
            EXPECT_EQ(px[0], 2 * x + 1);
            EXPECT_EQ(px[1], 2 * y + 1);
            EXPECT_EQ(px[2], (2 * x + 1) ^ (2 * y + 1));  // copied whole, not blended
        }
    }
}

TEST(ConformPicture, EncodePngRoundTrips)
{
    const Picture p = coordinates(97, 61);
    const Result<std::vector<uint8_t>> png = encode_png(p);
    ASSERT_TRUE(png.ok()) << png.error().message();
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    ASSERT_TRUE(png_image_begin_read_from_memory(&img, png.value().data(), png.value().size())) << img.message;
    EXPECT_EQ(img.width, 97U);
    EXPECT_EQ(img.height, 61U);
    img.format = PNG_FORMAT_RGB;
    std::vector<uint8_t> rgb(size_t{97} * 61 * 3);
    ASSERT_TRUE(png_image_finish_read(&img, nullptr, rgb.data(), 0, nullptr)) << img.message;
    EXPECT_EQ(rgb, p.rgb);

    const Result<std::vector<uint8_t>> bad = encode_png(Picture{2, 2, std::vector<uint8_t>(3)});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message(), "encode PNG: a 2x2 picture with 3 bytes of RGB is not a picture");
}

TEST(ConformReport, SummaryLine)
{
    EXPECT_EQ(summary_line(totals(sample())), "4 cases: 2 passed, 1 mismatched, 1 skipped");
}

// A case a spawned compositor died in is `crashed` (a mismatch: no table expects it), a case it could
// no longer run is `not-run`; every report counts the crashes.
TEST(ConformReport, CrashesAreCountedInEverySummary)
{
    std::vector<CaseResult> r = sample();
    CaseResult crashed;
    crashed.id = "misuse/plane_idx/index-4";
    crashed.outcome = "crashed";
    crashed.detail = "the compositor killed by signal 11 (Segmentation fault) during this case";
    r.push_back(crashed);
    crashed.id = "misuse/plane_set/same-plane-twice";
    r.push_back(crashed);
    CaseResult not_run;
    not_run.id = "misuse/incomplete/no-planes";
    not_run.outcome = "not-run";
    not_run.detail = "not run: the compositor crashed in 3 cases in a row";
    r.push_back(not_run);
    Expectations{}.evaluate(run_info(), r);
    for (size_t i = 4; i < r.size(); ++i) EXPECT_EQ(r[i].verdict, Verdict::mismatch) << r[i].id;

    EXPECT_EQ(crashed_count(r), 2U);
    EXPECT_EQ(crashed_count(sample()), 0U);
    const std::string line = "7 cases: 2 passed, 4 mismatched, 1 skipped, 2 crashed";
    EXPECT_EQ(summary_line(totals(r), crashed_count(r)), line);
    EXPECT_NE(to_tap(run_info(), r).find("\n# " + line + "\n"), std::string::npos);
    const std::string json = to_json(run_info(), r);
    EXPECT_NE(json.find("\"totals\": {\"cases\": 7, \"passed\": 2, \"mismatched\": 4, \"skipped\": 1, \"crashed\": 2}"),
              std::string::npos)
        << json;
    const std::string html = to_html(run_info(), r);
    EXPECT_NE(html.find("<p class=\"totals\">" + line + "</p>"), std::string::npos);
    EXPECT_NE(html.find("<h2>misuse <small>4 cases: 1 passed, 3 mismatched, 0 skipped, 2 crashed</small>"),
              std::string::npos);
    const std::string junit = to_junit(run_info(), r);
    EXPECT_NE(junit.find("failures=\"4\""), std::string::npos);
    EXPECT_NE(junit.find("outcome crashed, expected error plane_idx"), std::string::npos);
}

TEST(ConformReport, TapHasThePlanALinePerCaseAndYamlBlocks)
{
    const std::string tap = to_tap(run_info(), sample());
    EXPECT_EQ(tap.rfind("TAP version 14\n# dmafeed-conform: 0.1.0\n# display: wayland-1\n", 0), 0U) << tap;
    for (const char* want :
         {"# compositor: weston 14.0.2\n", "# allocator: vulkan on llvmpipe\n",
          "# allocator: gbm on /dev/dri/card0 (virtio_gpu)\n", "\n1..4\n",
          "\nok 1 - matrix/vulkan/NV12/LINEAR/tight/explicit\n  ---\n  outcome: \"shown\"\n"
          "  expected: \"shown\"\n  expected_from: \"default\"\n  verdict: pass\n  detail: \"ok\"\n"
          "  seconds: 0.250\n  zero_copy: true\n  ...\n",
          "\nnot ok 2 - matrix/gbm/XRGB8888/LINEAR/tight/implicit\n",
          "  detail: \"<script>alert(1)</script> & \\\"quotes\\\" 'apos'\\u0001 line\\u000abreak\"\n",
          "  zero_copy: false\n", "\nok 3 - misuse/out_of_bounds/offset-past-size\n", "  seconds: 0.000\n  ...\n",
          "\nok 4 - leaks/fds # SKIP no /proc here\n  ---\n  outcome: \"skipped\"\n",
          "\n# 4 cases: 2 passed, 1 mismatched, 1 skipped\n"}) {
        EXPECT_CONTAINS(tap, want);
    }
    EXPECT_EQ(count(tap, "\n  ---\n"), 4U);
    EXPECT_EQ(count(tap, "\n  ...\n"), 4U);
    EXPECT_EQ(count(tap, "zero_copy"), 2U);  // not for case 3, which had no feedback
}

TEST(ConformReport, TapEscapesHashesAndKeepsDirectivesOnOneLine)
{
    std::vector<CaseResult> r(1);
    r[0].id = "leaks/odd#id";
    r[0].outcome = "skipped";
    r[0].detail = "two\nlines";
    Expectations{}.evaluate(run_info(), r);
    const std::string tap = to_tap(run_info(), r);
    EXPECT_CONTAINS(tap, "\nok 1 - leaks/odd\\#id # SKIP two lines\n");
    EXPECT_CONTAINS(tap, "\n1..1\n");
}

TEST(ConformReport, JunitNamesSplitTheId)
{
    const auto split = [](const std::string& id) {
        const JunitName n = junit_name(id);
        return n.classname + " " + n.name;
    };
    EXPECT_EQ(split("matrix/vulkan/NV12/LINEAR/tight/explicit"), "matrix.vulkan.NV12 LINEAR/tight/explicit");
    EXPECT_EQ(split("misuse/out_of_bounds/offset-past-size"), "misuse.out_of_bounds offset-past-size");
    EXPECT_EQ(split("leaks/fds-after-misuse"), "leaks fds-after-misuse");
    EXPECT_EQ(split("matrix/vulkan"), "matrix vulkan");
    EXPECT_EQ(split("other/a/b"), "other a/b");
}

TEST(ConformReport, JunitHasACasePerResultWithFailuresAndSkips)
{
    const std::string xml = to_junit(run_info(), sample());
    EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 0), 0U) << xml;
    EXPECT_CONTAINS(xml,
                    "<testsuite name=\"dmafeed-conform\" tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\" "
                    "time=\"12.500\" timestamp=\"2025-01-02T03:04:05Z\">");
    EXPECT_CONTAINS(xml, "<property name=\"display\" value=\"wayland-1\"/>");
    EXPECT_CONTAINS(xml, "<property name=\"dmabuf_version\" value=\"5\"/>");
    EXPECT_EQ(count(xml, "<testcase "), 4U);
    EXPECT_EQ(count(xml, "</testcase>"), 4U);
    EXPECT_CONTAINS(xml,
                    "<testcase classname=\"matrix.vulkan.NV12\" name=\"LINEAR/tight/explicit\" time=\"0.250\">\n"
                    "      <system-out>ok</system-out>\n    </testcase>");
    EXPECT_CONTAINS(xml,
                    "<failure message=\"outcome wrong-pixels, expected shown\" type=\"mismatch\">"
                    "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &apos;apos&apos; line\nbreak\n"
                    "expected from default</failure>");
    EXPECT_CONTAINS(
        xml, "<testcase classname=\"misuse.out_of_bounds\" name=\"offset-past-size\" time=\"0.000\"></testcase>");
    EXPECT_CONTAINS(
        xml, "<testcase classname=\"leaks\" name=\"fds\" time=\"0.000\">\n      <skipped message=\"no /proc here\"/>");
    EXPECT_EQ(count(xml, "<failure "), 1U);
    EXPECT_EQ(count(xml, "<skipped "), 1U);
    EXPECT_EQ(xml.find("<script>"), std::string::npos);
    EXPECT_EQ(xml.find('\x01'), std::string::npos);  // XML 1.0 cannot carry it at all

    // In attributes, line breaks are kept as references.
    std::vector<CaseResult> r = sample();
    r[3].detail = "a\nb";
    EXPECT_CONTAINS(to_junit(run_info(), r), "<skipped message=\"a&#10;b\"/>");
}

TEST(ConformReport, JsonIsValidAndCarriesEveryCase)
{
    std::vector<CaseResult> r = sample();
    r[3].detail = "bad UTF-8: \xff\xc3(";
    const std::string json = to_json(run_info(), r);
    EXPECT_TRUE(JsonChecker::valid(json)) << json;
    for (const char* want :
         {"\"run\": {\"tool_version\": \"0.1.0\", \"display\": \"wayland-1\", \"compositor\": \"weston 14.0.2\"",
          "\"dmabuf_version\": 5", "\"allocators\": [\"vulkan on llvmpipe\", \"gbm on /dev/dri/card0 (virtio_gpu)\"]",
          "\"seconds\": 12.500}", "\"totals\": {\"cases\": 4, \"passed\": 2, \"mismatched\": 1, \"skipped\": 1, \"crashed\": 0}",
          "{\"id\": \"matrix/vulkan/NV12/LINEAR/tight/explicit\", \"outcome\": \"shown\", \"expected\": \"shown\", "
          "\"expected_from\": \"default\", \"verdict\": \"pass\", \"detail\": \"ok\", \"seconds\": 0.250, "
          "\"zero_copy\": true, \"captured\": true}",
          "\"verdict\": \"mismatch\", \"detail\": \"<script>alert(1)</script> & \\\"quotes\\\" 'apos'\\u0001 "
          "line\\u000abreak\"",
          "\"zero_copy\": false, \"captured\": true}", "\"expected\": \"error out_of_bounds\"",
          "\"seconds\": 0.000, \"zero_copy\": null, \"captured\": false}",
          "\"verdict\": \"skip\", \"detail\": \"bad UTF-8: \xef\xbf\xbd\xef\xbf\xbd(\""}) {
        EXPECT_CONTAINS(json, want);
    }
    EXPECT_TRUE(JsonChecker::valid(to_json(RunInfo{}, {}))) << to_json(RunInfo{}, {});
    EXPECT_FALSE(JsonChecker::valid("{\"a\": nan}"));  // the checker checks
}

// The base64 payloads of the report's data: URLs, in order.
std::vector<std::string> data_urls(const std::string& html)
{
    std::vector<std::string> out;
    const std::string prefix = "src=\"data:image/png;base64,";
    for (size_t at = html.find(prefix); at != std::string::npos; at = html.find(prefix, at + 1)) {
        const size_t b = at + prefix.size();
        out.push_back(html.substr(b, html.find('"', b) - b));
    }
    return out;
}

TEST(ConformReport, HtmlEmbedsScaledThumbnails)
{
    const std::string html = to_html(run_info(), sample());
    const std::vector<std::string> urls = data_urls(html);
    ASSERT_EQ(urls.size(), 3U);  // case 1: captured and expected; case 2: captured
    const std::vector<std::pair<uint32_t, uint32_t>> sizes{{192, 48}, {192, 48}, {16, 16}};
    for (size_t i = 0; i < urls.size(); ++i) {
        const std::vector<uint8_t> png = base64_decode(urls[i]);
        ASSERT_GE(png.size(), 24U);
        const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        EXPECT_TRUE(std::equal(signature, signature + 8, png.begin())) << i;
        EXPECT_EQ(std::string(png.begin() + 12, png.begin() + 16), "IHDR");
        EXPECT_EQ(be32(&png[16]), sizes[i].first) << i;
        EXPECT_EQ(be32(&png[20]), sizes[i].second) << i;
    }
    EXPECT_CONTAINS(html, "width=\"192\" height=\"48\" alt=\"captured\"");
    EXPECT_CONTAINS(html, "<figcaption>expected</figcaption>");
    EXPECT_CONTAINS(html, "image-rendering: pixelated");
    // Self-contained: nothing is fetched.
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(ConformReport, HtmlEscapesTextAndLinksTheMismatches)
{
    const std::string html = to_html(run_info(), sample());
    EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0U);
    EXPECT_EQ(count(html, "<script"), 1U) << "only the report's own script";
    EXPECT_CONTAINS(html,
                    "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;apos&#39; line\nbreak</td>");
    EXPECT_EQ(html.find('\x01'), std::string::npos);
    EXPECT_CONTAINS(
        html,
        "<section id=\"mismatches\">\n<h2>Mismatches</h2>\n<ul>\n<li><a href=\"#case-2\"><code>"
        "matrix/gbm/XRGB8888/LINEAR/tight/implicit</code></a>: outcome wrong-pixels, expected shown</li>\n</ul>");
    EXPECT_CONTAINS(html, "<tr id=\"case-2\" class=\"mismatch\"><td><span class=\"badge mismatch\">mismatch</span>");
    EXPECT_CONTAINS(html, "<tr id=\"case-1\" class=\"pass\"><td><span class=\"badge pass\">pass</span>");
    EXPECT_CONTAINS(html, "<tr id=\"case-4\" class=\"skip\"><td><span class=\"badge skip\">skip</span>");
    EXPECT_CONTAINS(html, "<p class=\"totals\">4 cases: 2 passed, 1 mismatched, 1 skipped</p>");
    EXPECT_CONTAINS(html, "0.250 s, zero-copy");
    EXPECT_CONTAINS(html, "default</small>");
    // Grouped by the first id component, in run order.
    const size_t matrix = html.find("<h2>matrix <small>2 cases: 1 passed, 1 mismatched, 0 skipped</small>");
    const size_t misuse = html.find("<h2>misuse <small>1 cases: 1 passed");
    const size_t leaks = html.find("<h2>leaks <small>1 cases: 0 passed, 0 mismatched, 1 skipped");
    EXPECT_LT(matrix, misuse);
    EXPECT_LT(misuse, leaks);
    EXPECT_NE(leaks, std::string::npos);
    EXPECT_LT(html.find("id=\"case-1\""), html.find("id=\"case-2\""));
    // The image check the render test reads.
    EXPECT_CONTAINS(html, "document.body.dataset.images = 'ok ' + images.length;");
    EXPECT_CONTAINS(html, "<div id=\"image-warning\" class=\"warning\" hidden></div>");
}

TEST(ConformReport, HtmlWithoutMismatchesOrPictures)
{
    std::vector<CaseResult> r = sample();
    r.erase(r.begin() + 1);
    r[0].captured.reset();
    r[0].wanted.reset();
    const std::string html = to_html(RunInfo{}, r);
    EXPECT_CONTAINS(html, "<h2>Mismatches</h2>\n<p>None.</p>");
    EXPECT_EQ(html.find("data:image/png"), std::string::npos);
    EXPECT_CONTAINS(html, "<title>dmafeed-conform: </title>");
}

TEST(ConformReport, HtmlSaysWhyAPictureIsMissing)
{
    std::vector<CaseResult> r = sample();
    r[1].captured = Picture{3, 3, {}};
    const std::string html = to_html(run_info(), r);
    EXPECT_CONTAINS(html,
                    "<span class=\"nopic\">encode PNG: a 3x3 picture with 0 bytes of RGB is not a picture</span>"
                    "<figcaption>captured</figcaption>");
}

}  // namespace
}  // namespace dmafeed::conform

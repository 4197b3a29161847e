// dmafeed-conform's expectation table on made-up tables and results: parse errors name the file and
// line, the last matching rule of the sections that hold wins, the protocol's defaults apply
// elsewhere, and verdicts follow from the outcomes.
#include "conform/expectations.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <unistd.h>

namespace dmafeed::conform {
namespace {

RunInfo virtio_run()
{
    RunInfo run;
    run.compositor = "weston 14.0.2";
    run.main_device_driver = "virtio_gpu";
    run.dmabuf_version = 5;
    run.capture_method = "weston_capture_v1";
    return run;
}

CaseResult result(std::string id, std::string outcome)
{
    CaseResult r;
    r.id = std::move(id);
    r.outcome = std::move(outcome);
    return r;
}

Expectations parsed(std::string_view text)
{
    Result<Expectations> e = Expectations::parse(text, "t.expect");
    EXPECT_TRUE(e.ok()) << e.error().message();
    return e.ok() ? std::move(e).value() : Expectations{};
}

// The result after evaluation under `run`.
CaseResult evaluated(const Expectations& e, const RunInfo& run, const std::string& id, const std::string& outcome)
{
    std::vector<CaseResult> results{result(id, outcome)};
    e.evaluate(run, results);
    return results[0];
}

std::string parse_error(std::string_view text)
{
    Result<Expectations> e = Expectations::parse(text, "t.expect");
    return e.ok() ? std::string{"(parsed)"} : e.error().message();
}

TEST(ConformExpectations, GlobStarSpansSlashesAndQuestionMarkIsOneCharacter)
{
    EXPECT_TRUE(glob_match("matrix/*/NV12/*", "matrix/vulkan/NV12/LINEAR/tight/explicit"));
    EXPECT_TRUE(glob_match("*", ""));
    EXPECT_TRUE(glob_match("matrix/*", "matrix/a/b/c"));
    EXPECT_TRUE(glob_match("*/NV12/*", "matrix/gbm/NV12/LINEAR/x/y"));
    EXPECT_TRUE(glob_match("leaks/fd?", "leaks/fds"));
    EXPECT_FALSE(glob_match("leaks/fd?", "leaks/fd"));
    EXPECT_FALSE(glob_match("matrix/*/NV12", "matrix/vulkan/NV12/LINEAR"));  // the whole id
    EXPECT_FALSE(glob_match("matrix", "matrix/vulkan"));
    EXPECT_TRUE(glob_match("a*b*c", "aXbYbZc"));
    EXPECT_FALSE(glob_match("a*b*c", "aXbYbZ"));
    // A '*' in the text is a character like any other: the glob's '*' stays a wildcard for it.
    EXPECT_TRUE(glob_match("*b", "*ab"));
    EXPECT_TRUE(glob_match("x*y*z", "x*y*yz"));
}

TEST(ConformExpectations, DefaultsAreTheProtocols)
{
    const Expectations none;
    const RunInfo run = virtio_run();
    CaseResult r = evaluated(none, run, "matrix/vulkan/NV12/LINEAR/tight/explicit", "shown");
    EXPECT_EQ(r.expected, "shown");
    EXPECT_EQ(r.expected_from, "default");
    EXPECT_EQ(r.verdict, Verdict::pass);
    r = evaluated(none, run, "misuse/out_of_bounds/offset-past-size", "error out_of_bounds");
    EXPECT_EQ(r.expected, "error out_of_bounds");
    EXPECT_EQ(r.verdict, Verdict::pass);
    r = evaluated(none, run, "misuse/plane_idx", "no-error");
    EXPECT_EQ(r.expected, "error plane_idx");
    EXPECT_EQ(r.verdict, Verdict::mismatch);
    r = evaluated(none, run, "leaks/fds-after-misuse", "no-leak");
    EXPECT_EQ(r.expected, "no-leak");
    EXPECT_EQ(r.verdict, Verdict::pass);
    r = evaluated(none, run, "leaks/fds-after-misuse", "leak");
    EXPECT_EQ(r.verdict, Verdict::mismatch);
    // ZERO_COPY is the compositor's choice: scanned out or composited, both pass by default.
    r = evaluated(none, run, "scanout/gbm/XRGB8888/LINEAR", "zero-copy");
    EXPECT_EQ(r.expected, "zero-copy | shown");
    EXPECT_EQ(r.verdict, Verdict::pass);
    EXPECT_EQ(evaluated(none, run, "scanout/gbm/XRGB8888/LINEAR", "shown").verdict, Verdict::pass);
    EXPECT_EQ(evaluated(none, run, "scanout/gbm/XRGB8888/LINEAR", "wrong-pixels").verdict, Verdict::mismatch);
}

// linux-dmabuf requires invalid_format for planes with different modifiers from v5 on, and for an
// unadvertised pair from v4 on: before that, `failed` passes too.
TEST(ConformExpectations, DefaultsFollowTheVersionThatMadeAnErrorMandatory)
{
    RunInfo run = virtio_run();
    for (uint32_t version : {3U, 4U, 5U}) {
        run.dmabuf_version = version;
        const CaseResult differs = evaluated(Expectations{}, run, "misuse/invalid_format/modifier-differs", "failed");
        EXPECT_EQ(differs.verdict, version < 5 ? Verdict::pass : Verdict::mismatch) << "v" << version;
        const CaseResult unadvertised = evaluated(Expectations{}, run, "misuse/invalid_format/unadvertised-format", "failed");
        EXPECT_EQ(unadvertised.verdict, version < 4 ? Verdict::pass : Verdict::mismatch) << "v" << version;
        EXPECT_EQ(evaluated(Expectations{}, run, "misuse/invalid_format/modifier-differs", "error invalid_format").verdict,
                  Verdict::pass);
        EXPECT_EQ(evaluated(Expectations{}, run, "misuse/invalid_format/modifier-differs", "no-error").verdict,
                  Verdict::mismatch);
    }
    run.dmabuf_version = 3;
    EXPECT_EQ(evaluated(Expectations{}, run, "misuse/invalid_format/modifier-differs", "failed").expected,
              "error invalid_format | failed");
}

TEST(ConformExpectations, WithoutCaptureMatrixCasesAreExpectedCreated)
{
    RunInfo run = virtio_run();
    run.capture_method = "none (the compositor offers no capture protocol)";
    const CaseResult r = evaluated(Expectations{}, run, "matrix/gbm/XRGB8888/LINEAR/tight/implicit", "created");
    EXPECT_EQ(r.expected, "created");
    EXPECT_EQ(r.verdict, Verdict::pass);
    EXPECT_EQ(evaluated(Expectations{}, run, "matrix/gbm/XRGB8888/LINEAR/tight/implicit", "shown").verdict,
              Verdict::mismatch);
}

TEST(ConformExpectations, UnknownIdsAndToolErrorsCanOnlyMismatch)
{
    const CaseResult odd = evaluated(Expectations{}, virtio_run(), "other/thing", "shown");
    EXPECT_EQ(odd.expected, "(no expectation)");
    EXPECT_EQ(odd.expected_from, "default");
    EXPECT_EQ(odd.verdict, Verdict::mismatch);
    EXPECT_EQ(evaluated(Expectations{}, virtio_run(), "misuse/", "no-error").expected, "(no expectation)");
    EXPECT_EQ(evaluated(Expectations{}, virtio_run(), "matrix/vulkan/NV12/LINEAR/tight/explicit", "tool-error").verdict,
              Verdict::mismatch);
    // ...and no table can expect them.
    EXPECT_EQ(
        parse_error("matrix/* tool-error"),
        "t.expect:1: \"tool-error\" cannot be expected: it is dmafeed-conform failing, not the compositor; expected "
        "shown, zero-copy, wrong-pixels, created, failed, error <name>, no-error, disconnected, no-leak, leak or crashed");
}

TEST(ConformExpectations, SkippedIsASkipWhateverIsExpected)
{
    const Expectations e = parsed("matrix/* failed\n");
    const CaseResult r = evaluated(e, virtio_run(), "matrix/vulkan/NV12/LINEAR/tight/explicit", "skipped");
    EXPECT_EQ(r.verdict, Verdict::skip);
    EXPECT_EQ(r.expected, "failed");
    EXPECT_EQ(evaluated(Expectations{}, virtio_run(), "other/thing", "skipped").verdict, Verdict::skip);
}

TEST(ConformExpectations, TheLastMatchingRuleWinsAndNamesItsLine)
{
    const Expectations e = parsed(
        "# a comment\n"
        "\n"
        "matrix/*            failed\n"
        "matrix/*/NV12/*     shown | wrong-pixels   # NV12 may come out wrong\n"
        "misuse/*            no-error\n");
    EXPECT_EQ(e.rule_count(), 3U);
    CaseResult r = evaluated(e, virtio_run(), "matrix/vulkan/NV12/LINEAR/tight/explicit", "wrong-pixels");
    EXPECT_EQ(r.expected, "shown | wrong-pixels");
    EXPECT_EQ(r.expected_from, "t.expect:4");
    EXPECT_EQ(r.verdict, Verdict::pass);
    EXPECT_EQ(evaluated(e, virtio_run(), "matrix/vulkan/NV12/LINEAR/tight/explicit", "shown").verdict, Verdict::pass);
    EXPECT_EQ(evaluated(e, virtio_run(), "matrix/vulkan/NV12/LINEAR/tight/explicit", "failed").verdict,
              Verdict::mismatch);
    r = evaluated(e, virtio_run(), "matrix/vulkan/XRGB8888/LINEAR/tight/explicit", "failed");
    EXPECT_EQ(r.expected, "failed");
    EXPECT_EQ(r.expected_from, "t.expect:3");
    EXPECT_EQ(r.verdict, Verdict::pass);
    r = evaluated(e, virtio_run(), "leaks/fds", "no-leak");
    EXPECT_EQ(r.expected_from, "default");
    // Written the other way round, the broad rule shadows the narrow one.
    const Expectations reversed = parsed("matrix/*/NV12/* shown\nmatrix/* failed\n");
    EXPECT_EQ(evaluated(reversed, virtio_run(), "matrix/vulkan/NV12/LINEAR/tight/explicit", "shown").expected,
              "failed");
}

TEST(ConformExpectations, ErrorOutcomesCarryTheirName)
{
    const Expectations e = parsed("misuse/out_of_bounds/*     error out_of_bounds|error invalid_wl_buffer\n");
    EXPECT_EQ(evaluated(e, virtio_run(), "misuse/out_of_bounds/offset-past-size", "error invalid_wl_buffer").verdict,
              Verdict::pass);
    const CaseResult r = evaluated(e, virtio_run(), "misuse/out_of_bounds/offset-past-size", "error plane_idx");
    EXPECT_EQ(r.expected, "error out_of_bounds | error invalid_wl_buffer");
    EXPECT_EQ(r.verdict, Verdict::mismatch);
}

TEST(ConformExpectations, ACrashTheTableRecordsPassesAndAnyOtherMismatches)
{
    const Expectations e = parsed("matrix/vulkan/ABGR16161616F/LINEAR/tight/implicit crashed\n");
    EXPECT_EQ(evaluated(e, virtio_run(), "matrix/vulkan/ABGR16161616F/LINEAR/tight/implicit", "crashed").verdict, Verdict::pass);
    EXPECT_EQ(evaluated(e, virtio_run(), "matrix/vulkan/ABGR16161616F/LINEAR/tight/implicit", "shown").verdict, Verdict::mismatch);
    EXPECT_EQ(evaluated(e, virtio_run(), "matrix/vulkan/XRGB8888/LINEAR/tight/implicit", "crashed").verdict, Verdict::mismatch);
}

TEST(ConformExpectations, SectionsApplyWhereAllTheirConditionsHold)
{
    const Expectations e = parsed(
        "matrix/* shown\n"
        "[main-device-driver=virtio_gpu]\n"
        "matrix/vulkan/* failed\n"
        "[any]\n"
        "matrix/gbm/* created\n"
        "[dmabuf-version>=4 main-device-driver=none]\n"
        "matrix/gbm/* disconnected\n"
        "[main-device-driver!=virtio_gpu]\n"
        "leaks/* leak\n");
    const std::string vk = "matrix/vulkan/NV12/LINEAR/tight/explicit", gbm = "matrix/gbm/NV12/LINEAR/tight/explicit";
    RunInfo run = virtio_run();
    EXPECT_EQ(evaluated(e, run, vk, "x").expected_from, "t.expect:3");
    EXPECT_EQ(evaluated(e, run, gbm, "x").expected_from, "t.expect:5");
    EXPECT_EQ(evaluated(e, run, "leaks/fds", "x").expected_from, "default");
    run.main_device_driver = "none";
    EXPECT_EQ(evaluated(e, run, vk, "x").expected_from, "t.expect:1");
    EXPECT_EQ(evaluated(e, run, gbm, "x").expected_from, "t.expect:7");
    EXPECT_EQ(evaluated(e, run, "leaks/fds", "x").expected_from, "t.expect:9");
    run.dmabuf_version = 3;  // one condition of two fails
    EXPECT_EQ(evaluated(e, run, gbm, "x").expected_from, "t.expect:5");
}

TEST(ConformExpectations, EachConditionOperator)
{
    const auto section_holds = [](std::string_view header, const RunInfo& run) {
        const Expectations e = parsed(std::string{header} + "\nleaks/* leak\n");
        return evaluated(e, run, "leaks/fds", "leak").expected_from == "t.expect:2";
    };
    RunInfo run = virtio_run();
    EXPECT_TRUE(section_holds("[dmabuf-version=5]", run));
    EXPECT_FALSE(section_holds("[dmabuf-version=4]", run));
    EXPECT_TRUE(section_holds("[dmabuf-version!=4]", run));
    EXPECT_FALSE(section_holds("[dmabuf-version!=5]", run));
    EXPECT_TRUE(section_holds("[dmabuf-version>=5]", run));
    EXPECT_FALSE(section_holds("[dmabuf-version>=6]", run));
    EXPECT_TRUE(section_holds("[dmabuf-version<=5]", run));
    EXPECT_FALSE(section_holds("[dmabuf-version<=4]", run));
    EXPECT_TRUE(section_holds("[main-device-driver=virtio_gpu]", run));
    EXPECT_FALSE(section_holds("[main-device-driver=i915]", run));
    EXPECT_TRUE(section_holds("[main-device-driver!=i915]", run));
    // capture-method and compositor compare their first word.
    EXPECT_TRUE(section_holds("[capture-method=weston_capture_v1]", run));
    EXPECT_TRUE(section_holds("[compositor=weston]", run));
    EXPECT_FALSE(section_holds("[compositor!=weston]", run));
    EXPECT_FALSE(section_holds("[compositor=sway]", run));
    run.capture_method = "none (no capture protocol)";
    EXPECT_TRUE(section_holds("[capture-method=none]", run));
    EXPECT_FALSE(section_holds("[capture-method!=none]", run));
    run.compositor = "";
    EXPECT_TRUE(section_holds("[compositor!=weston]", run));
    EXPECT_TRUE(section_holds("[any]", run));
    EXPECT_TRUE(section_holds("[  any  ]   # trailing comment", run));
}

TEST(ConformExpectations, ParseErrorsNameTheLineAndWhatIsExpected)
{
    EXPECT_EQ(
        parse_error("# ok\nmatrix/* shwn\n"),
        "t.expect:2: unknown outcome \"shwn\"; expected shown, zero-copy, wrong-pixels, created, failed, error <name>, "
        "no-error, disconnected, no-leak, leak or crashed");
    EXPECT_EQ(parse_error("\n\nmisuse/* error\n"),
              "t.expect:3: \"error\" needs the protocol error's name after it, as in \"error out_of_bounds\"");
    EXPECT_EQ(parse_error("misuse/* error a b\n"),
              "t.expect:1: \"error a b\": expected one name after \"error\", and '|' between alternatives");
    EXPECT_EQ(parse_error("matrix/*\n"),
              "t.expect:1: \"matrix/*\" has no outcome; expected \"<glob> <outcome>[ | <outcome>...]\"");
    EXPECT_EQ(parse_error("matrix/* shown |\n"),
              "t.expect:1: an empty alternative; expected an outcome on each side of '|'");
    EXPECT_EQ(parse_error("matrix/* shown created\n"),
              "t.expect:1: \"shown created\": expected one outcome word, and '|' between alternatives");
    EXPECT_NE(parse_error("matrix/* skipped\n").find("t.expect:1: \"skipped\" cannot be expected"), std::string::npos);
    EXPECT_EQ(parse_error("[main-device-driver=virtio_gpu\n"),
              "t.expect:1: a section header ends with ']', as in [main-device-driver=virtio_gpu]");
    const std::string conditions =
        "; expected [any] or conditions like [main-device-driver=virtio_gpu dmabuf-version>=4] (keys "
        "main-device-driver, "
        "capture-method, compositor, dmabuf-version; operators = and !=, and >= <= for dmabuf-version)";
    EXPECT_EQ(parse_error("x/* leak\n[driver=i915]"),
              "t.expect:2: unknown key \"driver\" in \"driver=i915\"" + conditions);
    EXPECT_EQ(parse_error("[dmabuf-version>4]"), "t.expect:1: unknown operator in \"dmabuf-version>4\"" + conditions);
    EXPECT_EQ(parse_error("[dmabuf-version==4]"), "t.expect:1: unknown operator in \"dmabuf-version==4\"" + conditions);
    EXPECT_EQ(parse_error("[compositor>=weston]"),
              "t.expect:1: only dmabuf-version compares with >= and <=, in \"compositor>=weston\"" + conditions);
    EXPECT_EQ(parse_error("[dmabuf-version>=four]"),
              "t.expect:1: dmabuf-version compares with a number, not \"four\", in \"dmabuf-version>=four\"");
    EXPECT_EQ(parse_error("[compositor=]"), "t.expect:1: \"compositor=\" has no value" + conditions);
    EXPECT_EQ(parse_error("[]"), "t.expect:1: an empty section header" + conditions);
    EXPECT_EQ(parse_error("[any compositor=weston]"), "t.expect:1: \"any\" goes alone in its header" + conditions);
    EXPECT_EQ(parse_error("[weston]"), "t.expect:1: \"weston\" is not a condition" + conditions);
}

TEST(ConformExpectations, CommentsNeedWhitespaceBeforeTheHash)
{
    // "#" inside a token is part of it; after whitespace it starts a comment; CRLF line ends are fine.
    const Expectations e = parsed("leaks/a#b leak\r\n   # indented comment\r\nleaks/c no-leak | leak # comment\r\n");
    EXPECT_EQ(evaluated(e, virtio_run(), "leaks/a#b", "leak").verdict, Verdict::pass);
    EXPECT_EQ(evaluated(e, virtio_run(), "leaks/c", "leak").expected, "no-leak | leak");
    EXPECT_EQ(parse_error("leaks/c no-leak#x\n"),
              "t.expect:1: unknown outcome \"no-leak#x\"; expected shown, zero-copy, wrong-pixels, created, failed, "
              "error <name>, no-error, disconnected, no-leak, leak or crashed");
}

TEST(ConformExpectations, UnusedRulesAreThoseOfHoldingSectionsThatMatchNoCase)
{
    const Expectations e = parsed(
        "matrix/* shown\n"
        "matrix/*/NV21/* wrong-pixels\n"
        "misuse/old_name/* no-error\n"
        "[main-device-driver=i915]\n"
        "matrix/intel/* failed\n");
    std::vector<CaseResult> results{result("matrix/vulkan/NV12/LINEAR/tight/explicit", "shown"),
                                    result("misuse/out_of_bounds/offset-past-size", "skipped")};
    EXPECT_EQ(e.unused_rules(virtio_run(), results),
              (std::vector<std::string>{"t.expect:2: matrix/*/NV21/*", "t.expect:3: misuse/old_name/*"}));
    RunInfo intel = virtio_run();
    intel.main_device_driver = "i915";
    EXPECT_EQ(e.unused_rules(intel, results).back(), "t.expect:5: matrix/intel/*");
}

TEST(ConformExpectations, TheCanonicalTextReadsBackAsTheSameTable)
{
    const Expectations e = parsed("misuse/out_of_bounds/*   error   out_of_bounds   # weston\n"
                                  "[main-device-driver=virtio_gpu\tdmabuf-version>=4]\n"
                                  "matrix/*/NV12/*  shown|wrong-pixels\n"
                                  "[compositor!=weston]\n"
                                  "[ any ]\n"
                                  "leaks/*  leak\n");
    const std::string canonical = e.to_text();
    EXPECT_EQ(canonical,
              "misuse/out_of_bounds/* error out_of_bounds\n"
              "[main-device-driver=virtio_gpu dmabuf-version>=4]\n"
              "matrix/*/NV12/* shown | wrong-pixels\n"
              "[compositor!=weston]\n"
              "[any]\n"
              "leaks/* leak\n");
    const Expectations again = parsed(canonical);
    EXPECT_EQ(again.to_text(), canonical);
    EXPECT_EQ(again.rule_count(), 3U);
    EXPECT_EQ(evaluated(again, virtio_run(), "matrix/vulkan/NV12/LINEAR/tight/explicit", "wrong-pixels").verdict, Verdict::pass);
    EXPECT_EQ(Expectations{}.to_text(), "");
}

TEST(ConformExpectations, TotalsCountVerdicts)
{
    const Expectations e = parsed("matrix/* shown\n");
    std::vector<CaseResult> results{result("matrix/a", "shown"), result("matrix/b", "failed"),
                                    result("matrix/c", "skipped"), result("leaks/fds", "no-leak")};
    e.evaluate(virtio_run(), results);
    const Totals t = totals(results);
    EXPECT_EQ(t.cases, 4U);
    EXPECT_EQ(t.passed, 2U);
    EXPECT_EQ(t.mismatched, 1U);
    EXPECT_EQ(t.skipped, 1U);
}

TEST(ConformExpectations, LoadReadsAFileAndNamesIt)
{
    char path[] = "/tmp/conform-expect-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    const std::string text = "leaks/* leak\nleaks/* bogus\n";
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    const Result<Expectations> e = Expectations::load(path);
    unlink(path);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().message().rfind(std::string{path} + ":2: unknown outcome \"bogus\"", 0), 0U)
        << e.error().message();
    const Result<Expectations> missing = Expectations::load("/nonexistent/table.expect");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message().find("/nonexistent/table.expect: No such file"), std::string::npos)
        << missing.error().message();
}

}  // namespace
}  // namespace dmafeed::conform

// dmafeed-conform --spawn when the compositor crashes: the binary itself, run against
// crashing_compositor (the test compositor's server, aborting as its Nth client connects). The case it dies in is `crashed`, with the
// signal and the tail of the compositor's log; the compositor is started again and the later cases
// get their usual outcomes; the report's summary counts the crashes. A compositor that crashes in
// every case is started again only up to 3 crashes in a row, and one that does not start again is
// not tried twice: the cases left are `not-run`, and the run still ends with a complete report.
#include "child_process.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;

struct Case {
    std::string id, outcome, detail;
};

struct ConformRun {
    std::optional<ExitStatus> status;
    std::string output;  // dmafeed-conform's stdout and stderr
    std::string json;
    std::vector<Case> cases;
    std::string log;  // the compositor's
};

std::string slurp(const std::string& path)
{
    std::ifstream in{path};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The raw (still escaped) JSON string after `"key": "` in `line`, from `from` on; nullopt if absent.
std::optional<std::string> string_field(const std::string& line, const std::string& key, size_t* from)
{
    const std::string start = "\"" + key + "\": \"";
    const size_t at = line.find(start, *from);
    if (at == std::string::npos) return std::nullopt;
    std::string value;
    for (size_t i = at + start.size(); i < line.size(); ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
            value += line.substr(i, 2);
            ++i;
        } else if (line[i] == '"') {
            *from = i + 1;
            return value;
        } else {
            value += line[i];
        }
    }
    return std::nullopt;
}

// The JSON report's cases: one a line, each starting {"id": ..., "outcome": ... with a "detail".
// (A hand-written scan: <regex> trips GCC 12's -Wmaybe-uninitialized under ASan.)
std::vector<Case> cases_of(const std::string& json)
{
    std::vector<Case> out;
    std::istringstream in{json};
    for (std::string l; std::getline(in, l);) {
        if (l.find("{\"id\": \"") == std::string::npos || l.find("\"seconds\"") == std::string::npos) continue;
        size_t from = 0;
        auto id = string_field(l, "id", &from);
        auto outcome = id ? string_field(l, "outcome", &from) : std::nullopt;
        auto detail = outcome ? string_field(l, "detail", &from) : std::nullopt;
        if (detail) out.push_back({*id, *outcome, *detail});
    }
    return out;
}

class ConformCrash : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "conform-crash-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // dmafeed-conform --spawn crashing_compositor ARGS --only misuse, with its own XDG_RUNTIME_DIR.
    ConformRun conform(const std::string& compositor_args)
    {
        SpawnOptions options{.argv = {DMAFEED_CONFORM_PATH, "--spawn", std::string{CRASHING_COMPOSITOR_PATH} + " " + compositor_args,
                                      "--display", "conform-crash", "--spawn-log", dir_ + "/compositor.log",
                                      "--only", "misuse", "--timeout", "2000", "--json", dir_ + "/report.json",
                                      "--expect", dir_ + "/test.expect"},
                             .env = {{"XDG_RUNTIME_DIR", dir_}},
                             .output_path = dir_ + "/output.txt",
                             .cwd = {}};
        // The test compositor's deviations from the protocol (as in conform_test.cpp).
        std::ofstream{dir_ + "/test.expect"} << "misuse/invalid_format/unknown-flag no-error\n"
                                                 "misuse/invalid_wl_buffer/create-immed-unimportable no-error\n";
        ConformRun run;
        auto child = ChildProcess::spawn(options);
        EXPECT_TRUE(child.ok()) << (child.ok() ? "" : child.error().message());
        if (!child.ok()) return run;
        run.status = child->wait_for(90s);
        if (!run.status) run.status = child->terminate(1s);
        run.output = slurp(dir_ + "/output.txt");
        run.json = slurp(dir_ + "/report.json");
        run.cases = cases_of(run.json);
        run.log = slurp(dir_ + "/compositor.log");
        return run;
    }

    std::string dir_;
};

// What the test compositor gives each misuse case at zwp_linux_dmabuf_v1 v5 (conform_test.cpp).
const std::map<std::string, std::string> usual{
    {"misuse/already_used/add-after-create", "error already_used"},
    {"misuse/already_used/create-twice", "error already_used"},
    {"misuse/plane_idx/index-4", "error plane_idx"},
    {"misuse/plane_set/same-plane-twice", "error plane_set"},
    {"misuse/incomplete/no-planes", "error incomplete"},
    {"misuse/incomplete/hole", "error incomplete"},
    {"misuse/incomplete/nv12-luma-only", "error incomplete"},
    {"misuse/invalid_format/modifier-differs", "error invalid_format"},
    {"misuse/invalid_format/unknown-flag", "no-error"},
    {"misuse/invalid_format/unadvertised-format", "error invalid_format"},
    {"misuse/invalid_dimensions/width-0", "error invalid_dimensions"},
    {"misuse/invalid_dimensions/negative-height", "error invalid_dimensions"},
    {"misuse/out_of_bounds/offset-plus-stride-overflows", "error out_of_bounds"},
    {"misuse/out_of_bounds/offset-past-size", "error out_of_bounds"},
    {"misuse/out_of_bounds/stride-times-height-past-size", "error out_of_bounds"},
    {"misuse/invalid_wl_buffer/create-immed-unimportable", "no-error"},
    {"misuse/invalid_dev_t_size/short-device-array", "skipped"},
};

TEST_F(ConformCrash, TheCaseItDiesInIsCrashedAndTheRunGoesOn)
{
    // Clients 1 and 2 check that it listens and probe its globals: client 5 is the third case's.
    const ConformRun run = conform("--abort-at-client 5 --marker " + dir_ + "/marker --then-at-client 0");
    ASSERT_TRUE(run.status);
    // A crash is never what a table expects: the run fails.
    EXPECT_EQ(run.status->describe(), "exited with status 1") << run.output;
    ASSERT_EQ(run.cases.size(), usual.size()) << run.output << run.json;

    const std::string crashed_id = "misuse/plane_idx/index-4";
    for (const Case& c : run.cases) {
        if (c.id == crashed_id) {
            EXPECT_EQ(c.outcome, "crashed") << c.detail;
            EXPECT_NE(c.detail.find("killed by signal 6"), std::string::npos) << c.detail;
            // The tail of the compositor's log, and what the case itself saw.
            EXPECT_NE(c.detail.find("client 5 connected: aborting"), std::string::npos) << c.detail;
            EXPECT_NE(c.detail.find("the case itself saw tool-error: cannot connect"), std::string::npos) << c.detail;
            EXPECT_NE(c.detail.find("started again"), std::string::npos) << c.detail;
        } else {
            EXPECT_EQ(c.outcome, usual.at(c.id)) << c.id << ": " << c.detail;
        }
    }
    EXPECT_NE(run.json.find("\"mismatched\": 1, \"skipped\": 1, \"crashed\": 1}"), std::string::npos) << run.json;
    EXPECT_NE(run.output.find("17 cases: 15 passed, 1 mismatched, 1 skipped, 1 crashed"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("MISMATCH " + crashed_id + ": crashed"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("the compositor died during the run: killed by signal 6"), std::string::npos) << run.output;
    // The log holds both lives of the compositor, the restart marked between them.
    EXPECT_NE(run.log.find("starting it again"), std::string::npos) << run.log;
    EXPECT_NE(run.log.find("not aborting"), std::string::npos) << run.log;
    // The restarted compositor was stopped at the end like the first one would have been.
    EXPECT_EQ(run.output.find("at the end"), std::string::npos) << run.output;
}

TEST_F(ConformCrash, RestartsStopAfterThreeCrashesInARow)
{
    // The first compositor dies in the first case, each one started again in the next.
    const ConformRun run = conform("--abort-at-client 3 --marker " + dir_ + "/marker --then-at-client 2");
    ASSERT_TRUE(run.status);
    EXPECT_EQ(run.status->describe(), "exited with status 1") << run.output;
    ASSERT_EQ(run.cases.size(), usual.size()) << run.output << run.json;
    for (size_t i = 0; i < run.cases.size(); ++i) {
        const Case& c = run.cases[i];
        if (i < 3) {
            EXPECT_EQ(c.outcome, "crashed") << c.id << ": " << c.detail;
        } else if (c.id == "misuse/invalid_dev_t_size/short-device-array") {
            EXPECT_EQ(c.outcome, "skipped") << c.detail;  // it needs no compositor
        } else {
            EXPECT_EQ(c.outcome, "not-run") << c.id << ": " << c.detail;
            EXPECT_NE(c.detail.find("crashed in 3 cases in a row"), std::string::npos) << c.detail;
        }
    }
    EXPECT_NE(run.cases[2].detail.find("not started again"), std::string::npos) << run.cases[2].detail;
    EXPECT_NE(run.json.find("\"crashed\": 3}"), std::string::npos) << run.json;
    EXPECT_NE(run.output.find("3 crashes in a row: not started again"), std::string::npos) << run.output;
}

TEST_F(ConformCrash, ACompositorThatDoesNotStartAgainIsNotTriedTwice)
{
    // Started again, it dies at the check that it listens.
    const ConformRun run = conform("--abort-at-client 3 --marker " + dir_ + "/marker --then-at-client 1");
    ASSERT_TRUE(run.status);
    EXPECT_EQ(run.status->describe(), "exited with status 1") << run.output;
    ASSERT_EQ(run.cases.size(), usual.size()) << run.output << run.json;
    EXPECT_EQ(run.cases[0].outcome, "crashed") << run.cases[0].detail;
    EXPECT_NE(run.cases[0].detail.find("it did not start again"), std::string::npos) << run.cases[0].detail;
    for (size_t i = 1; i + 1 < run.cases.size(); ++i) {
        EXPECT_EQ(run.cases[i].outcome, "not-run") << run.cases[i].id;
        EXPECT_NE(run.cases[i].detail.find("did not start again after it crashed during misuse/already_used/add-after-create"),
                  std::string::npos)
            << run.cases[i].detail;
    }
    EXPECT_NE(run.json.find("\"crashed\": 1}"), std::string::npos) << run.json;
    EXPECT_EQ(run.log.find("not aborting"), std::string::npos) << run.log;
}

}  // namespace
}  // namespace dmafeed::test

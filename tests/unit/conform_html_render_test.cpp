// dmafeed-conform's HTML report in a real browser: headless Chromium loads a report of made-up
// results (passes, a mismatch with captured and expected 97x61 gradients, a skip, a detail with
// markup in it), runs its script without console errors, decodes every thumbnail (the script's
// <body data-images="ok N">), and draws a page that is not blank. A broken thumbnail is reported as
// broken, so the check means something.
//
// Exit status 77 (meson's skip) when chromium is not installed, except under CI=true/1/yes, where a
// skipped check is a failure (as in tests/vm/run_suite.py).
#include "conform/expectations.hpp"
#include "conform/report.hpp"
#include "png_image.hpp"

#include <cerrno>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace dmafeed::conform {
namespace {

namespace fs = std::filesystem;

// Chromium under load (two cores, other tests running) takes 10-20 s; meson's limit is 120 s.
constexpr auto chromium_time_limit = std::chrono::seconds{50};

std::string chromium_path;  // set by main()

bool under_ci()
{
    const char* ci = std::getenv("CI");
    std::string v = ci ? ci : "";
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v == "1" || v == "true" || v == "yes";
}

std::string find_chromium()
{
    const char* path = std::getenv("PATH");
    std::stringstream dirs{path ? path : "/usr/bin:/bin"};
    for (std::string dir; std::getline(dirs, dir, ':');) {
        for (const char* name : {"chromium", "chromium-browser"}) {
            const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
            if (access(candidate.c_str(), X_OK) == 0) return candidate;
        }
    }
    return "";
}

std::string read_file(const fs::path& path)
{
    std::ifstream in{path, std::ios::binary};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A directory of its own under $TMPDIR, removed at the end unless the test failed (then its path is
// printed, with chromium's output in it).
class TempDir {
public:
    TempDir()
    {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string{tmp && *tmp ? tmp : "/tmp"} + "/dmafeed-html-XXXXXX";
        if (mkdtemp(pattern.data())) path_ = pattern;
    }
    ~TempDir()
    {
        if (path_.empty()) return;
        if (testing::Test::HasFailure()) {
            std::fprintf(stderr, "kept %s for a look\n", path_.c_str());
        } else {
            std::error_code ec;
            fs::remove_all(path_, ec);
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

struct Finished {
    int status = -1;  // exit status; -1 when killed or not started
    std::string out, err;
    std::string why;  // why there is no exit status
};

// Runs chromium headless on `page` with `args` added, its stdout and stderr into files in `dir`, in a
// process group of its own that is killed whole past the time limit.
Finished run_chromium(const fs::path& dir, const std::string& name, const std::vector<std::string>& args,
                      const fs::path& page)
{
    std::vector<std::string> argv{chromium_path,
                                  "--headless",
                                  "--no-sandbox",
                                  "--disable-gpu",
                                  "--disable-dev-shm-usage",
                                  "--no-first-run",
                                  "--user-data-dir=" + (dir / ("profile-" + name)).string(),
                                  "--virtual-time-budget=5000",
                                  "--enable-logging=stderr",
                                  "--v=0"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("file://" + page.string());
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    // Its caches go to the temporary directory too, not to the user's home.
    std::vector<std::string> env{"XDG_CACHE_HOME=" + (dir / "cache").string(),
                                 "XDG_CONFIG_HOME=" + (dir / "config").string()};
    for (char** e = environ; *e; ++e) {
        if (!std::string_view{*e}.starts_with("XDG_CACHE_HOME=") &&
            !std::string_view{*e}.starts_with("XDG_CONFIG_HOME=")) {
            env.emplace_back(*e);
        }
    }
    std::vector<char*> cenv;
    for (std::string& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);

    const fs::path out_path = dir / (name + ".stdout"), err_path = dir / (name + ".stderr");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid = -1;
    const int err = posix_spawn(&pid, chromium_path.c_str(), &actions, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    Finished f;
    if (err != 0) {
        f.why = "cannot start " + chromium_path + ": " + std::strerror(err);
        return f;
    }
    const auto deadline = std::chrono::steady_clock::now() + chromium_time_limit;
    int wstatus = 0;
    for (;;) {
        const pid_t done = waitpid(pid, &wstatus, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) {
            f.why = std::string{"waitpid: "} + std::strerror(errno);
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, &wstatus, 0);
            f.why = "chromium took longer than " + std::to_string(chromium_time_limit.count()) + " s";
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    // Its helper processes (zygote, renderer) are in its group: none outlives the run.
    kill(-pid, SIGKILL);
    if (f.why.empty()) {
        if (WIFEXITED(wstatus)) {
            f.status = WEXITSTATUS(wstatus);
        } else {
            f.why = "chromium died of signal " + std::to_string(WTERMSIG(wstatus));
        }
    }
    f.out = read_file(out_path);
    f.err = read_file(err_path);
    return f;
}

// The page's own console messages in chromium's log: "[...:INFO:CONSOLE:12] "Uncaught ...", source:".
// Chromium logs console.error at INFO level too, so every console line counts: the report's script
// writes none. The rest of stderr (D-Bus, GPU, sandbox notes) is the browser's own noise.
std::vector<std::string> console_lines(const std::string& err)
{
    std::vector<std::string> out;
    std::istringstream in{err};
    for (std::string line; std::getline(in, line);) {
        if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) {
            out.push_back(line);
        }
    }
    return out;
}

// A w x h gradient: red across, green down, blue from `tint`.
Picture gradient(uint32_t w, uint32_t h, uint8_t tint)
{
    Picture p{w, h, {}};
    for (uint32_t y = 0; y < h; ++y) {
        for (uint32_t x = 0; x < w; ++x) {
            p.rgb.push_back(static_cast<uint8_t>(x * 255 / (w - 1)));
            p.rgb.push_back(static_cast<uint8_t>(y * 255 / (h - 1)));
            p.rgb.push_back(tint);
        }
    }
    return p;
}

constexpr size_t thumbnails = 5;

std::vector<CaseResult> made_up_results(RunInfo& run)
{
    run.tool_version = "0.1.0";
    run.display = "wayland-1";
    run.compositor = "weston 14.0.2";
    run.main_device = "/dev/dri/renderD128";
    run.main_device_driver = "virtio_gpu";
    run.dmabuf_version = 5;
    run.capture_method = "weston_capture_v1";
    run.allocators = {"vulkan on llvmpipe (LLVM 15.0.6, 256 bits)", "gbm on /dev/dri/card0 (virtio_gpu)"};
    run.started = "2025-01-02T03:04:05Z";
    run.seconds = 42.125;

    std::vector<CaseResult> r(6);
    r[0].id = "matrix/vulkan/XRGB8888/LINEAR/tight/explicit";
    r[0].outcome = "shown";
    r[0].detail = "pixels match";
    r[0].zero_copy = true;
    r[0].captured = r[0].wanted = gradient(97, 61, 40);
    r[1].id = "matrix/vulkan/NV12/LINEAR/tight/explicit";
    r[1].outcome = "wrong-pixels";
    r[1].detail =
        "1200 of 5917 pixels differ by more than 2; first at (3, 0): rgb(250,0,0), expected rgb(0,0,250) <b>&\"'";
    r[1].zero_copy = false;
    r[1].captured = gradient(97, 61, 200);
    r[1].wanted = gradient(97, 61, 0);
    r[2].id = "matrix/gbm/ABGR16161616F/LINEAR/tight/implicit";
    r[2].outcome = "skipped";
    r[2].detail = "gbm cannot allocate ABGR16161616F here";
    r[3].id = "matrix/gbm/XRGB8888/LINEAR/tight/implicit";
    r[3].outcome = "shown";
    r[3].captured = gradient(640, 480, 128);  // scaled down to 171x128
    r[4].id = "misuse/out_of_bounds/offset-past-size";
    r[4].outcome = "error out_of_bounds";
    r[4].detail = "zwp_linux_buffer_params_v1#12: error 6: size overflow for plane 0 <script>alert('x')</script>";
    r[5].id = "leaks/fds-after-misuse";
    r[5].outcome = "no-leak";
    Expectations{}.evaluate(run, r);
    return r;
}

// The report, written to `dir`/report.html.
fs::path write_report(const fs::path& dir, const std::string& html)
{
    const fs::path page = dir / "report.html";
    std::ofstream{page, std::ios::binary} << html;
    return page;
}

TEST(ConformHtmlRender, ChromiumRunsTheScriptAndDecodesEveryThumbnail)
{
    TempDir dir;
    ASSERT_FALSE(dir.path().empty()) << "mkdtemp failed";
    RunInfo run;
    const std::vector<CaseResult> results = made_up_results(run);
    const std::string html = to_html(run, results);
    size_t imgs = 0;
    for (size_t at = html.find("<img "); at != std::string::npos; at = html.find("<img ", at + 1)) ++imgs;
    ASSERT_EQ(imgs, thumbnails);
    const fs::path page = write_report(dir.path(), html);

    const Finished dom = run_chromium(dir.path(), "dump-dom", {"--dump-dom"}, page);
    ASSERT_TRUE(dom.why.empty()) << dom.why << "\n" << dom.err;
    EXPECT_EQ(dom.status, 0) << dom.err;
    EXPECT_NE(dom.out.find("data-images=\"ok " + std::to_string(thumbnails) + "\""), std::string::npos)
        << "the page's script did not find " << thumbnails << " decoded thumbnails:\n"
        << dom.out.substr(0, 2000);
    for (const std::string& line : console_lines(dom.err)) ADD_FAILURE() << "console: " << line;
    // The detail's markup stayed text: no <b> element, no second script.
    EXPECT_NE(dom.out.find("expected rgb(0,0,250) &lt;b&gt;&amp;\"'"), std::string::npos) << dom.out.substr(0, 2000);
    EXPECT_EQ(dom.out.find("<b>"), std::string::npos);
    EXPECT_NE(dom.out.find("<div id=\"image-warning\" class=\"warning\" hidden=\"\"></div>"), std::string::npos);
}

TEST(ConformHtmlRender, TheScreenshotShowsBadgesAndPictures)
{
    TempDir dir;
    ASSERT_FALSE(dir.path().empty()) << "mkdtemp failed";
    RunInfo run;
    const fs::path page = write_report(dir.path(), to_html(run, made_up_results(run)));
    const fs::path shot = dir.path() / "screenshot.png";
    const Finished f =
        run_chromium(dir.path(), "screenshot",
                     {"--screenshot=" + shot.string(), "--window-size=1280,1600", "--hide-scrollbars"}, page);
    ASSERT_TRUE(f.why.empty()) << f.why << "\n" << f.err;
    EXPECT_EQ(f.status, 0) << f.err;
    for (const std::string& line : console_lines(f.err)) ADD_FAILURE() << "console: " << line;
    const Result<test::Image> image = test::read_png(shot.string());
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(image->width, 1280U);
    EXPECT_EQ(image->height, 1600U);
    // Not blank: the badges' colours (pass, mismatch, skip) and many more, from text and thumbnails.
    std::set<uint32_t> colours;
    for (const test::Rgba& p : image->pixels) colours.insert(uint32_t{p.r} << 16 | uint32_t{p.g} << 8 | p.b);
    EXPECT_GT(colours.size(), 1000U) << "a nearly blank page";
    for (const uint32_t badge : {0x1a7f37U, 0xcf222eU, 0x6e7781U}) {
        EXPECT_TRUE(colours.contains(badge)) << "no pixel of the badge colour " << std::hex << badge;
    }
    // The mismatch's captured thumbnail is drawn 1:1: its corner colours are on the page.
    for (const uint32_t corner : {0x0000c8U, 0xff00c8U, 0x00ffc8U, 0xffffc8U}) {
        EXPECT_TRUE(colours.contains(corner)) << "no pixel of the thumbnail corner " << std::hex << corner;
    }
}

TEST(ConformHtmlRender, ABrokenThumbnailIsReportedAndShown)
{
    TempDir dir;
    ASSERT_FALSE(dir.path().empty()) << "mkdtemp failed";
    RunInfo run;
    std::string html = to_html(run, made_up_results(run));
    // Corrupt the first picture: its PNG signature is gone.
    const std::string prefix = "data:image/png;base64,";
    const size_t at = html.find(prefix);
    ASSERT_NE(at, std::string::npos);
    html.replace(at + prefix.size(), 8, "AAAAAAAA");
    const fs::path page = write_report(dir.path(), html);

    const Finished dom = run_chromium(dir.path(), "dump-dom", {"--dump-dom"}, page);
    ASSERT_TRUE(dom.why.empty()) << dom.why << "\n" << dom.err;
    EXPECT_EQ(dom.status, 0) << dom.err;
    EXPECT_NE(dom.out.find("data-images=\"broken 1 of " + std::to_string(thumbnails) + "\""), std::string::npos)
        << dom.out.substr(0, 2000);
    EXPECT_NE(dom.out.find("<div id=\"image-warning\" class=\"warning\">1 of " + std::to_string(thumbnails) +
                           " pictures in this report did not decode.</div>"),
              std::string::npos)
        << dom.out.substr(0, 2000);
}

}  // namespace
}  // namespace dmafeed::conform

int main(int argc, char** argv)
{
    testing::InitGoogleTest(&argc, argv);
    dmafeed::conform::chromium_path = dmafeed::conform::find_chromium();
    if (dmafeed::conform::chromium_path.empty()) {
        if (dmafeed::conform::under_ci()) {
            std::fprintf(
                stderr,
                "FAIL: chromium is not installed (tools/setup installs it); CI does not accept a skipped check\n");
            return 1;
        }
        std::fprintf(stderr, "SKIP: chromium is not installed (tools/setup installs it)\n");
        return 77;
    }
    return RUN_ALL_TESTS();
}

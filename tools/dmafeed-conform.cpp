// dmafeed-conform: tests a compositor's linux-dmabuf implementation from the outside. Protocol
// misuse (every zwp_linux_buffer_params_v1 error, on purpose), a matrix of real buffers (every
// offered pair this machine can make x layout variant x sync mode, read back and compared), and,
// with --spawn, the compositor's open files before and after. Each case runs in a fresh
// connection; the outcomes are compared with the compositor's expectation table; reports in TAP,
// JUnit XML, JSON and HTML.
#include "conform/case_filter.hpp"
#include "conform/capture.hpp"
#include "conform/expectations.hpp"
#include "conform/matrix.hpp"
#include "conform/misuse.hpp"
#include "conform/scanout.hpp"
#include "conform/report.hpp"
#include "conform/spawn.hpp"
#include "conform/watchdog.hpp"
#include "drm/device.hpp"
#include "info/probe.hpp"
#include "producer/backends.hpp"
#include "util/log.hpp"

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace dmafeed {
namespace {

constexpr const char* help = R"(Usage: dmafeed-conform [OPTION]...
Tests the linux-dmabuf implementation of the Wayland compositor in $WAYLAND_DISPLAY (or --display,
or one it starts with --spawn). Every case runs in a fresh connection, so a fatal protocol error
ends only that case:
  misuse   each zwp_linux_buffer_params_v1 error sent on purpose (already_used, plane_idx,
           plane_set, incomplete, invalid_format, invalid_dimensions, out_of_bounds,
           invalid_wl_buffer): which error came back, another one, or none
  matrix   every format x modifier the compositor offers that an allocator here (Vulkan, GBM) can
           make, x layout (tight, padded-stride, plane-offset, odd-size, fd-per-plane) x sync
           (implicit, explicit): created or failed (or a fatal error); shown buffers are read back
           from the compositor's first output with a capture protocol it offers (see --capture)
           and compared with what they should show: exactly for 8-bit RGB, within 1 for
           RGB565 and 10/16-bit RGB, within 3 for YUV
  leaks    with --spawn: the compositor's open files (/proc/PID/fd) are back to where they were
           after the misuse cases, and after the matrix (and scanout)
  scanout  only when --only names it: every pair of the matrix once, fullscreen at the size the
           compositor configures (the output's), 4 frames: whether the last came with
           wp_presentation's ZERO_COPY (`zero-copy`: scanned out, not composited) or not
           (`shown`), the capture compared as in the matrix. Either passes unless the table
           requires `zero-copy`
Each outcome is compared with the compositor's expectation table (--expect; without one, the
protocol's own expectations); the exit status says whether any case differs.

Options:
  --display NAME        the compositor's socket (default $WAYLAND_DISPLAY; with --spawn,
                        dmafeed-conform-PID)
  --spawn 'COMMAND'     start the compositor with `sh -c`, WAYLAND_DISPLAY set to the socket it must
                        listen on, and stop it at the end; enables the leak cases. A case it dies
                        in is `crashed` and it is started again (up to 3 crashes in a row)
  --spawn-log FILE      the spawned compositor's output (default:
                        $TMPDIR/dmafeed-conform-PID-compositor.log)
  --expect FILE         the compositor's expectation table (tools/conform/expect/*.expect)
  --only LIST           run only these groups, comma-separated: misuse, matrix, leaks, scanout
                        (default: misuse, matrix, leaks)
  --filter GLOB[,GLOB]  run only the misuse, matrix and scanout cases whose id matches one of the
                        globs (e.g. 'matrix/*/NV12/*' or 'misuse/*,matrix/*/XRGB8888/*'); the
                        leak checks follow the cases they cover
  --list                print the ids of the cases that would run, and exit
  --size WxH            the matrix's buffer size (default 96x64; odd-size adds a column and takes
                        three rows)
  --allocator KIND      auto (default), vulkan or gbm: the matrix's allocators
  --device PATH         the DRM node to allocate for (default: the compositor's main device)
  --capture METHOD      how the matrix reads the output back: auto (default: the first of these
                        the compositor offers), ext-image-copy (ext-image-copy-capture-v1),
                        wlr-screencopy (zwlr_screencopy_manager_v1), weston (weston_capture_v1:
                        start weston with --debug); one that is named but not offered is an error
  --timeout MS          bound on every wait for the compositor (default 5000)
  --case-limit S        a case still running after S seconds is stuck (a wait without a bound, in
                        the kernel or a driver): the run stops there and says where each thread
                        waits (default 120)
  --tap FILE            TAP report ('-': standard output)
  --junit FILE          JUnit XML report
  --json FILE           JSON report ('-': standard output)
  --html FILE           HTML report, with the captured and the expected pictures of every shown case
  --compositor NAME     how the reports name the compositor (and the table's `compositor` condition)
  -q, --quiet           no progress line
  -v, --verbose         the producer's log lines too
  -h, --help            this text
  --version             the version

Exit status: 0 every case as expected (skips included), 1 a case differs from the table or the
compositor could not be tested, 2 usage error, 3 a case got stuck (see --case-limit).

Examples:
  dmafeed-conform --html report.html
  dmafeed-conform --spawn 'weston --backend=headless --shell=desktop --debug --socket=$WAYLAND_DISPLAY' \
      --expect tools/conform/expect/weston-14.expect --junit conform.xml --html conform.html
  dmafeed-conform --only misuse --tap -
  dmafeed-conform --filter 'matrix/vulkan/NV12/*' --json - | jq '.cases[] | .outcome'
)";

struct Options {
    std::string display;
    std::string spawn;
    std::string spawn_log;  // empty: in $TMPDIR
    std::string expect;
    bool misuse = true, matrix = true, leaks = true, scanout = false;
    std::string filter = "*";
    bool list = false;
    uint32_t width = 96, height = 64;
    producer::AllocatorKind allocator = producer::AllocatorKind::automatic;
    std::string device;
    conform::CaptureMethod capture = conform::CaptureMethod::automatic;
    int timeout_ms = 5000;
    double case_limit_s = 120;
    std::string tap, junit, json, html;
    std::string compositor;
    bool quiet = false;
    bool verbose = false;
};

int usage_error(const std::string& message)
{
    std::fprintf(stderr, "dmafeed-conform: %s (see --help)\n", message.c_str());
    return 2;
}

int fail(const std::string& message)
{
    std::fprintf(stderr, "dmafeed-conform: %s\n", message.c_str());
    return 1;
}

std::string utc_now()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Result<void> write_file(const std::string& path, const std::string& text)
{
    if (path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return {};
    }
    std::ofstream out{path, std::ios::binary};
    out << text;
    if (!out.flush()) return Error{"cannot write " + path};
    return {};
}

// The progress line: rewritten in place on a terminal, one line per case elsewhere (mismatches
// are told after the table is applied, in the summary).
class Progress {
public:
    Progress(size_t total, bool quiet) : total_{total}, quiet_{quiet}, tty_{isatty(STDERR_FILENO) == 1} {}
    void start(std::string_view id)
    {
        ++n_;
        if (quiet_ || !tty_) return;
        std::fprintf(stderr, "\r\033[K[%zu/%zu] %.*s ...", n_, total_, static_cast<int>(id.size()), id.data());
        std::fflush(stderr);
    }
    void done(const conform::CaseResult& r)
    {
        if (quiet_) return;
        if (tty_) {
            std::fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s", n_, total_, r.id.c_str(), r.outcome.c_str());
        } else {
            std::fprintf(stderr, "[%zu/%zu] %s: %s (%.1f s)\n", n_, total_, r.id.c_str(), r.outcome.c_str(), r.seconds);
        }
        std::fflush(stderr);
    }
    void finish()
    {
        if (!quiet_ && tty_ && n_ > 0) std::fputs("\r\033[K", stderr);
    }

private:
    size_t total_, n_ = 0;
    bool quiet_, tty_;
};

int run(const Options& o)
{
    const auto run_start = std::chrono::steady_clock::now();
    const auto timeout = std::chrono::milliseconds{o.timeout_ms};
    conform::RunInfo run_info;
    run_info.tool_version = DMAFEED_VERSION;
    run_info.started = utc_now();
    run_info.compositor = o.compositor;
    run_info.expectations = o.expect;

    // The table first: a typo in it should not cost a whole run.
    conform::Expectations expectations;
    if (!o.expect.empty()) {
        auto loaded = conform::Expectations::load(o.expect);
        if (!loaded) return fail(loaded.error().message());
        expectations = std::move(loaded).value();
    }

    std::string display = o.display;
    if (display.empty() && !o.spawn.empty()) display = "dmafeed-conform-" + std::to_string(getpid());
    if (display.empty()) {
        const char* env = std::getenv("WAYLAND_DISPLAY");
        if (!env || !*env) {
            return fail("WAYLAND_DISPLAY is not set: run inside a Wayland session, or pass --display, or --spawn a compositor");
        }
        display = env;
    }
    run_info.display = display;

    std::unique_ptr<conform::Supervisor> supervisor;
    if (!o.spawn.empty()) {
        std::string log_path = o.spawn_log;
        if (log_path.empty()) {
            const char* tmp = std::getenv("TMPDIR");
            log_path = std::string{tmp && *tmp ? tmp : "/tmp"} + "/dmafeed-conform-" + std::to_string(getpid()) +
                       "-compositor.log";
        }
        // A compositor that dies during a case is started again, up to 3 crashes in a row.
        auto s = conform::Supervisor::start({.command = o.spawn,
                                             .socket = display,
                                             .log_path = log_path,
                                             .start_timeout = std::max(timeout * 12, std::chrono::milliseconds{60000}),
                                             .death_grace = std::min(timeout, std::chrono::milliseconds{1000}),
                                             .max_in_a_row = 3});
        if (!s) return fail(s.error().message());
        supervisor = std::move(s).value();
    }

    auto offer = info::probe(display, timeout);
    if (!offer) return fail("cannot ask the compositor on " + display + ": " + offer.error().message());
    run_info.dmabuf_version = offer->dmabuf_version;
    const dev_t main_device = offer->feedback ? offer->feedback->main_device : 0;
    run_info.main_device = main_device ? drm::describe_device(main_device) : "";
    run_info.main_device_driver = main_device ? drm::driver_name(main_device) : "none";
    if (run_info.main_device_driver.empty()) run_info.main_device_driver = "unknown";
    const FormatSet offered = offer->pairs();

    std::unique_ptr<conform::Capturer> capturer;
    std::vector<std::unique_ptr<producer::Backend>> contexts;
    std::vector<std::string> notes;
    if (o.matrix || o.scanout) {
        auto c = conform::Capturer::create(display, timeout, o.capture);
        if (c) {
            capturer = std::move(c).value();
            run_info.capture_method = capturer->method();
        } else if (o.capture != conform::CaptureMethod::automatic) {
            return fail("cannot capture the output: " + c.error().message());
        } else {
            run_info.capture_method = c.error().message();
        }
        // Staging uploads: a Vulkan buffer's pixels then arrive by GPU copy, with a render fence for
        // explicit sync to carry (direct CPU writes, lavapipe's default, have none).
        const auto factory = producer::system_backends(
            {.kind = o.allocator, .device_path = o.device, .upload = producer::UploadPath::staging});
        auto made = factory(main_device);
        if (made) {
            contexts = std::move(made->backends);
        } else {
            notes.push_back("no allocator here: " + made.error().message());
        }
        for (const auto& ctx : contexts) run_info.allocators.push_back(ctx->describe());
    } else {
        run_info.capture_method = "none (neither the matrix nor the scanout cases run)";
    }

    conform::MisuseOptions misuse{.display = display, .offered = offered, .dmabuf_version = offer->dmabuf_version,
                                  .timeout = timeout, .allow_udmabuf = true};
    conform::MatrixOptions matrix{.display = display, .offered = offered, .allocators = {}, .width = o.width,
                                  .height = o.height,
                                  .explicit_sync_offered = offer->has_global("zwp_linux_explicit_synchronization_v1") ||
                                                           offer->has_global("wp_linux_drm_syncobj_manager_v1"),
                                  .capturer = capturer.get(), .timeout = timeout};
    for (const auto& ctx : contexts) matrix.allocators.push_back(ctx.get());

    // The cases that will run, for --list and the progress line.
    const auto selected = [&](const std::string& id) { return conform::filter_selects(o.filter, id); };
    std::vector<std::string> ids;
    const bool leak_checks = supervisor && o.leaks;
    bool misuse_runs = false, matrix_runs = false, scanout_runs = false;
    if (o.misuse) {
        for (const std::string& id : conform::misuse_case_ids()) {
            if (!selected(id)) continue;
            ids.push_back(id);
            misuse_runs = true;
        }
    }
    if (leak_checks && misuse_runs) ids.emplace_back("leaks/fds-after-misuse");
    if (o.matrix) {
        for (const conform::MatrixCase& c : conform::matrix_cases(matrix)) {
            if (!selected(c.id)) continue;
            ids.push_back(c.id);
            matrix_runs = true;
        }
    }
    if (o.scanout) {
        for (const conform::ScanoutCase& c : conform::scanout_cases(matrix)) {
            if (!selected(c.id)) continue;
            ids.push_back(c.id);
            scanout_runs = true;
        }
    }
    if (leak_checks && (matrix_runs || scanout_runs)) ids.emplace_back("leaks/fds-after-matrix");
    if (o.list) {
        for (const std::string& id : ids) std::printf("%s\n", id.c_str());
        return 0;
    }

    Progress progress{ids.size(), o.quiet};
    const auto case_limit = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>{o.case_limit_s});
    conform::Watchdog watchdog{case_limit, [&supervisor] {
                                   // The compositor of the moment: a restart gives it a new pid.
                                   const pid_t pid = supervisor ? supervisor->pid() : 0;
                                   if (pid > 0) kill(pid, SIGKILL);
                               }};
    std::map<int, std::string> baseline;
    std::string restarted_after;  // the case after which the compositor the leak check counts was started
    // The open files of a compositor that has just started, to count leaks from.
    const auto count_start_files = [&]() -> Result<void> {
        // A compositor opens files of its own for a while after it starts listening.
        auto files = supervisor->compositor().settled_files(std::chrono::milliseconds{1000}, std::chrono::seconds{5});
        if (!files) return std::move(files).error().context("counting the compositor's open files");
        baseline = std::move(files).value();
        return {};
    };
    // After a case: a spawned compositor that died during it is started again; what held a
    // connection to the old one, or counted its files, starts over with the new one.
    const auto after_case = [&](conform::CaseResult& r) {
        if (!supervisor || !supervisor->after_case(r)) return;
        restarted_after = r.id;
        // The capturer's connection first, as at the start: its files are part of the baseline.
        if (capturer) {
            auto c = conform::Capturer::create(display, timeout, o.capture);
            capturer = c ? std::move(c).value() : nullptr;
            matrix.capturer = capturer.get();
            if (!c) notes.push_back("no capture after the compositor's restart (after " + r.id + "): " + c.error().message());
        }
        if (leak_checks) {
            if (auto ok = count_start_files(); !ok) notes.push_back(ok.error().message() + " (after the restart)");
        }
    };
    conform::Hooks hooks{.on_start =
                             [&](std::string_view id) {
                                 progress.start(id);
                                 watchdog.arm(id);
                             },
                         .on_done =
                             [&](conform::CaseResult& r) {
                                 watchdog.disarm();
                                 after_case(r);
                                 progress.done(r);
                             },
                         .stop_reason = [&]() -> std::optional<std::string> {
                             if (supervisor) return supervisor->gone();
                             return std::nullopt;
                         }};
    std::vector<conform::CaseResult> results;
    if (leak_checks) {
        if (auto ok = count_start_files(); !ok) return fail(ok.error().message());
    }
    const auto leak_check = [&](const std::string& id, bool covered_cases_ran) {
        if (!leak_checks || !covered_cases_ran) return;
        const auto start = std::chrono::steady_clock::now();
        hooks.on_start(id);
        if (auto refused = conform::not_run(hooks, id)) {
            results.push_back(*refused);
            hooks.on_done(results.back());
            return;
        }
        const auto shown = conform::show_shm_frame(display, timeout);
        auto files = supervisor->compositor().settled_files(std::chrono::milliseconds{300}, std::chrono::seconds{5},
                                                            baseline.size());
        conform::CaseResult r;
        if (files) {
            r = conform::leak_case(id, baseline, *files, conform::seconds_since(start));
            baseline = *files;  // the next check covers only its own cases
            r.detail += shown ? " (counted after a wl_shm frame replaced the last buffer shown)"
                              : " (the wl_shm frame meant to replace the last buffer shown failed: " + shown.error().message() + ")";
            if (!restarted_after.empty()) {
                r.detail += "; the compositor counted was started again after " + restarted_after +
                            ", so this covers only the cases after that";
            }
        } else {
            r.id = id;
            r.outcome = "tool-error";
            r.detail = "counting the compositor's open files: " + files.error().message() +
                       supervisor->compositor().death_report();
        }
        restarted_after.clear();
        results.push_back(r);
        hooks.on_done(results.back());
    };
    if (o.misuse) {
        auto r = conform::run_misuse(misuse, hooks, o.filter);
        results.insert(results.end(), r.begin(), r.end());
        leak_check("leaks/fds-after-misuse", misuse_runs);
    }
    if (o.matrix) {
        auto r = conform::run_matrix(matrix, hooks, o.filter);
        results.insert(results.end(), r.begin(), r.end());
    }
    if (o.scanout) {
        // Each scanout case captures with a capture of its own, after its frames: the matrix's,
        // open all along, could keep the compositor from scanning out.
        if (capturer) {
            const conform::CaptureMethod method = o.capture;
            matrix.new_capturer = [display, timeout, method] { return conform::Capturer::create(display, timeout, method); };
        }
        capturer.reset();
        matrix.capturer = nullptr;
        auto r = conform::run_scanout(matrix, hooks, o.filter);
        results.insert(results.end(), r.begin(), r.end());
    }
    leak_check("leaks/fds-after-matrix", matrix_runs || scanout_runs);
    progress.finish();
    if (supervisor) {
        for (const std::string& note : supervisor->notes()) notes.push_back(note);
        if (std::string death = supervisor->compositor().death_report(); !death.empty() && !supervisor->gone()) {
            notes.push_back("the compositor died during the run: " + death);
        }
    }

    expectations.evaluate(run_info, results);
    for (const std::string& rule : expectations.unused_rules(run_info, results)) {
        notes.push_back("no case matched the rule " + rule);
    }
    run_info.seconds = conform::seconds_since(run_start);

    for (const auto& [path, text] : {std::pair{o.tap, &conform::to_tap}, std::pair{o.junit, &conform::to_junit},
                                     std::pair{o.json, &conform::to_json}, std::pair{o.html, &conform::to_html}}) {
        if (path.empty()) continue;
        if (auto ok = write_file(path, text(run_info, results)); !ok) return fail(ok.error().message());
    }

    const conform::Totals t = conform::totals(results);
    const size_t crashed = conform::crashed_count(results);
    for (const conform::CaseResult& r : results) {
        if (r.verdict != conform::Verdict::mismatch) continue;
        std::fprintf(stderr, "MISMATCH %s: %s, expected %s (%s)\n  %s\n", r.id.c_str(), r.outcome.c_str(),
                     r.expected.c_str(), r.expected_from.c_str(), r.detail.c_str());
    }
    for (const std::string& note : notes) std::fprintf(stderr, "note: %s\n", note.c_str());
    std::fprintf(stderr, "dmafeed-conform: %s on %s (%s, linux-dmabuf v%u, main device %s, capture: %s) in %.0f s\n",
                 conform::summary_line(t, crashed).c_str(), display.c_str(), run_info.compositor.empty() ? "compositor not named" : run_info.compositor.c_str(),
                 run_info.dmabuf_version, run_info.main_device_driver.c_str(), run_info.capture_method.c_str(), run_info.seconds);
    if (supervisor && !supervisor->gone()) {
        const ExitStatus st = supervisor->compositor().stop();
        if (!st.clean() && std::string{st.describe()}.find("signal 15") == std::string::npos) {
            std::fprintf(stderr, "note: the spawned compositor %s at the end\n", st.describe().c_str());
        }
    }
    return t.mismatched > 0 ? 1 : 0;
}

bool parse_size(std::string_view s, uint32_t& w, uint32_t& h)
{
    const auto x = s.find('x');
    if (x == std::string_view::npos) return false;
    const auto num = [](std::string_view t, uint32_t& v) {
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        return ec == std::errc{} && end == t.data() + t.size();
    };
    return num(s.substr(0, x), w) && num(s.substr(x + 1), h);
}

}  // namespace
}  // namespace dmafeed

int main(int argc, char** argv)
{
    using namespace dmafeed;
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (arg == "-h" || arg == "--help") {
            std::fputs(help, stdout);
            return 0;
        }
        if (arg == "--version") {
            std::printf("dmafeed-conform %s\n", DMAFEED_VERSION);
            return 0;
        }
        if (arg == "--list") {
            o.list = true;
        } else if (arg == "-q" || arg == "--quiet") {
            o.quiet = true;
        } else if (arg == "-v" || arg == "--verbose") {
            o.verbose = true;
        } else if (arg == "--display" || arg == "--spawn" || arg == "--spawn-log" || arg == "--expect" || arg == "--only" ||
                   arg == "--filter" || arg == "--size" || arg == "--allocator" || arg == "--device" || arg == "--capture" ||
                   arg == "--timeout" || arg == "--tap" || arg == "--junit" || arg == "--json" || arg == "--html" ||
                   arg == "--compositor" || arg == "--case-limit") {
            const char* v = value();
            if (!v || !*v) return usage_error(std::string{arg} + " needs a value");
            const std::string_view s = v;
            if (arg == "--display") o.display = s;
            if (arg == "--spawn") o.spawn = s;
            if (arg == "--spawn-log") o.spawn_log = s;
            if (arg == "--expect") o.expect = s;
            if (arg == "--filter") o.filter = s;
            if (arg == "--device") o.device = s;
            if (arg == "--tap") o.tap = s;
            if (arg == "--junit") o.junit = s;
            if (arg == "--json") o.json = s;
            if (arg == "--html") o.html = s;
            if (arg == "--compositor") o.compositor = s;
            if (arg == "--only") {
                o.misuse = o.matrix = o.leaks = o.scanout = false;
                std::string_view rest = s;
                while (!rest.empty()) {
                    const auto comma = rest.find(',');
                    const std::string_view group = rest.substr(0, comma);
                    if (group == "misuse") {
                        o.misuse = true;
                    } else if (group == "matrix") {
                        o.matrix = true;
                    } else if (group == "leaks") {
                        o.leaks = true;
                    } else if (group == "scanout") {
                        o.scanout = true;
                    } else {
                        return usage_error("--only: unknown group '" + std::string{group} +
                                           "' (misuse, matrix, leaks, scanout)");
                    }
                    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
                }
            }
            if (arg == "--size" && (!parse_size(s, o.width, o.height) || o.width < 8 || o.height < 8 || o.width > 4096 ||
                                    o.height > 4096)) {
                return usage_error("--size: '" + std::string{s} + "': WxH, each 8 to 4096 (e.g. 96x64)");
            }
            if (arg == "--allocator") {
                if (s == "auto") {
                    o.allocator = producer::AllocatorKind::automatic;
                } else if (s == "vulkan") {
                    o.allocator = producer::AllocatorKind::vulkan;
                } else if (s == "gbm") {
                    o.allocator = producer::AllocatorKind::gbm;
                } else {
                    return usage_error("--allocator: '" + std::string{s} + "': auto, vulkan or gbm");
                }
            }
            if (arg == "--capture") {
                const auto method = conform::parse_capture_method(s);
                if (!method) {
                    return usage_error("--capture: '" + std::string{s} + "': auto, ext-image-copy, wlr-screencopy or weston");
                }
                o.capture = *method;
            }
            if (arg == "--timeout") {
                const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), o.timeout_ms);
                if (ec != std::errc{} || end != s.data() + s.size() || o.timeout_ms < 100 || o.timeout_ms > 600000) {
                    return usage_error("--timeout: '" + std::string{s} + "': milliseconds, 100 to 600000");
                }
            }
            if (arg == "--case-limit") {
                const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), o.case_limit_s);
                if (ec != std::errc{} || end != s.data() + s.size() || !(o.case_limit_s >= 0.01) || o.case_limit_s > 86400) {
                    return usage_error("--case-limit: '" + std::string{s} + "': seconds, 0.01 to 86400");
                }
            }
        } else {
            return usage_error("unknown option '" + std::string{arg} + "'");
        }
    }
    log::set_level(o.verbose ? log::Level::info : log::Level::error);
    return run(o);
}

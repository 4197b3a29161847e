#include "options.hpp"

#include <drm_fourcc.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace dmafeed::cli {
namespace {

template <class T>
std::optional<T> number(std::string_view s)
{
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

Error usage(const std::string& option, const std::string& what) { return Error{option + ": " + what}; }

// The shortest text that reads back as the same double.
std::string shortest(double v)
{
    char s[64];
    const auto [end, ec] = std::to_chars(s, s + sizeof s, v);
    return ec == std::errc{} ? std::string{s, end} : std::to_string(v);
}

std::string hex(uint64_t v, int digits)
{
    char s[24];
    std::snprintf(s, sizeof s, "0x%0*llx", digits, static_cast<unsigned long long>(v));
    return s;
}

}  // namespace

std::string help_text()
{
    return R"(Usage: dmafeed [OPTION]...
Plays frames into the Wayland compositor of $WAYLAND_DISPLAY through zwp_linux_dmabuf_v1: buffers
exported from Vulkan (or GBM) as dma-bufs, in a (format, modifier) negotiated with the compositor.

Frames:
  --size WxH              buffer size (default: what the compositor configures, else 640x480)
  --format NAME           DRM format: libdrm name or fourcc (XRGB8888, XR24, NV12; default XRGB8888)
  --modifier M            auto (default: negotiated), linear, implicit, a name (INTEL:Y_TILED,
                          I915_FORMAT_MOD_Y_TILED) or a value such as 0x0100000000000002
  --pattern P             smpte (default), ramp, checker, moving-box, solid:RRGGBB, or pq-ramp
                          (ten grey bars from 0 to 10000 cd/m² in exact PQ codes, for 10-bit,
                          16-bit and half-float RGB; XRGB2101010 unless --format says; drawn on
                          the CPU; with --transfer pq on a compositor that takes it)
  --render WHERE          who draws the pattern, redrawing only what changed: gpu (a compute
                          shader writes the exported image), cpu (straight into the buffer's
                          mapping; LINEAR buffers, else whole frames are uploaded) or auto
                          (default: the CPU when the Vulkan device is the CPU itself, as
                          lavapipe is, else the GPU; whichever can when only one can)
  --input FILE            play a Y4M stream (- for standard input); its size and frame rate are
                          used, and YUV420 (else NV12) for 4:2:0, YUV422/NV16, YUV444/NV24, P010
                          for 10-bit 4:2:0, Q410/Q401 for 10-bit 4:4:4
  --loop                  play the --input file again from its first frame at its end, until
                          --frames, --duration or the window's close (a file, not a pipe)
  --yuv-matrix M          bt601 (default), bt709 or bt2020: the YUV encoding of the frames
  --yuv-range R           limited (default) or full; other than BT.601 limited needs a compositor
                          offering wp_color_representation_v1 (dmafeed declares the encoding)
  --transfer TF           what the frames' values mean, declared with wp_color_manager_v1 (an
                          error where the compositor does not offer it or TF): srgb, gamma22,
                          gamma28, bt1886, st240, st2084_pq (pq), hlg, ext_linear (linear) or
                          compound_power_2_4 (default: nothing declared, shown as sRGB)
  --primaries P           srgb (bt709), bt2020, display_p3, dci_p3, adobe_rgb, pal, ntsc, pal_m
                          or generic_film (default with --transfer: bt2020 for pq and hlg, else srgb)
  --mastering-display M   HDR10 mastering display (SMPTE ST 2086), in x265's notation
                          G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min) (units of 0.00002 and 0.0001
                          cd/m²) or as PRIMARIES:MIN-MAX in cd/m², e.g. display_p3:0.005-1000
  --max-cll N             maximum content light level, cd/m² (CTA-861)
  --max-fall N            maximum frame-average light level, cd/m² (at most --max-cll). The
                          metadata is checked before it is sent; what the compositor cannot take
                          is left out (the --json summary's "color" says what), and a description
                          it refuses with metadata is declared again without
  --fps N                 frames per second (default: every frame the compositor asks for; with
                          --input, the stream's rate). Each frame has a time to be shown at,
                          sent as a commit-timing timestamp where the compositor offers
                          wp_commit_timing_manager_v1 (aimed at the nearest refresh); the
                          --json summary says how far from it frames were shown
  --late MODE             a frame whose time has passed (the compositor is slower than the rate):
                          drop (default with --input: the stream keeps its clock, the frames
                          that cannot be shown in time are skipped and counted) or show (default
                          for patterns: it is shown late and the beat starts again from now)
  --frames N              stop after N frames
  --duration S            stop after S seconds (with neither: run until the window is closed)

Buffers and sync:
  --allocator A           auto (default: Vulkan and GBM; Vulkan first, unless the compositor names
                          a DRM device that the Vulkan device is not), vulkan, gbm or udmabuf
                          (system memory made a dma-buf by /dev/udmabuf, LINEAR, drawn on the
                          CPU: what a compositor imports from a camera or a software decoder).
                          With auto and gbm the first frames are drawn on the CPU into dumb
                          buffers of the compositor's DRM device (auto; else GBM's; udmabuf
                          buffers where it names none) or GBM's (gbm) while the Vulkan device
                          starts in the background (seconds on lavapipe); then the buffers are
                          rebuilt only if the first choice changed
  --no-quick-start        set every allocator up before the first frame
  --device PATH           DRM node to allocate on (default: the compositor's target device)
  --buffers N             buffers in the pool, 2 to 4 (default 3)
  --stride-align N        align strides to N bytes (forces LINEAR)
  --sync MODE             auto (default), explicit or implicit
  --pacing MODE           auto (default: fifo where the compositor offers wp_fifo_manager_v1),
                          callbacks (one frame at a time, paced by frame callbacks) or fifo
                          (every commit waits for the refresh after the previous one's; one
                          more frame may wait in the compositor)
  --timeout MS            bound on every wait for the compositor (default 5000): an answer, a
                          buffer release, a frame callback. A window the compositor stops
                          repainting (hidden, minimized) sends no frame callbacks: after half
                          the timeout, if the compositor still answers, frames go on at that
                          pace until it repaints the window again

Window:
  --fullscreen            ask for a fullscreen toplevel
  --title TEXT            window title (default dmafeed)
  --app-id ID             application id (default dmafeed)

Output:
  --json                  print a JSON summary on stdout at the end
  --progress S            every S seconds, a line on stderr: frames, presented, fps, latency
                          (over the whole run and the mean over the last S seconds), drops,
                          refused buffers, and the process's memory (RSS), open files and
                          dma-bufs; with --json, each line is a JSON object {"progress": {...}}
  --measure-upload        also measure the upload of CPU pixels against copies of the same bytes
                          (a memcpy of one frame; for a Y4M read in place, every 8th frame's
                          data copied by memcpy and by the upload's copy, and the CPU-access
                          bracket 10 times in a row): extra work in the frame loop, for
                          benchmarks; the figures go into the --json summary
  --list-formats          list the formats dmafeed knows and exit
  -h, --help              this text
  --version               the version

On a terminal a status line shows fps, latency, drops and the chosen layout; off a terminal nothing
is printed until the summary. Exit status: 0 ok, 1 runtime failure, 2 usage error.

Examples:
  dmafeed --frames 300                               SMPTE bars for 300 frames
  dmafeed --format NV12 --pattern moving-box --fps 30 --duration 10
  dmafeed --pattern solid:ff8000 --modifier linear --json
  dmafeed --format NV12 --render gpu --pattern smpte --frames 100
  dmafeed --allocator gbm --device /dev/dri/card0 --sync implicit
  dmafeed --format XRGB2101010 --transfer pq --mastering-display display_p3:0.005-1000 --max-cll 1000
  ffmpeg -f lavfi -i testsrc2=size=640x360:rate=30 -t 5 -f yuv4mpegpipe - | dmafeed --input -

Patterns are drawn by a compute shader straight into the exported image where the buffer allows it
(a Vulkan buffer whose images can be storage images, 8-bit RGB or YUV), else on the CPU and then
written or uploaded. The CPU draws every format --list-formats marks: 8-bit RGB and YUV, RGB565,
10- and 16-bit RGB, half floats, P010, P012, P016, P210, Q410, Q401. Every pattern but solid
and pq-ramp carries the frame number and time in its top 8 rows (64 black/white cells).
)";
}

Result<Options> parse(std::span<const char* const> args)
{
    Options o;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::string_view value;
        bool has_value = false;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        const std::string opt{arg};
        auto take = [&]() -> Result<std::string_view> {
            if (has_value) return value;
            if (i + 1 >= args.size()) return usage(opt, "needs a value (see --help)");
            return std::string_view{args[++i]};
        };
        auto flag = [&]() -> Result<void> {
            if (has_value) return usage(opt, "takes no value");
            return {};
        };

        if (arg == "-h" || arg == "--help" || arg == "--version" || arg == "--fullscreen" || arg == "--json" ||
            arg == "--list-formats" || arg == "--no-quick-start" || arg == "--measure-upload" || arg == "--loop") {
            if (auto r = flag(); !r) return std::move(r).error();
            if (arg == "-h" || arg == "--help") o.help = true;
            if (arg == "--version") o.version = true;
            if (arg == "--fullscreen") o.fullscreen = true;
            if (arg == "--json") o.json = true;
            if (arg == "--list-formats") o.list_formats = true;
            if (arg == "--no-quick-start") o.quick_start = false;
            if (arg == "--measure-upload") o.measure_upload = true;
            if (arg == "--loop") o.loop = true;
            continue;
        }
        static constexpr std::string_view valued[] = {
            "--size",   "--format", "--modifier", "--allocator",    "--device",  "--fps",   "--frames",
            "--duration", "--pattern", "--title",  "--app-id",     "--sync",    "--pacing", "--late",
            "--stride-align", "--buffers", "--input", "--timeout", "--render",  "--yuv-matrix", "--yuv-range",
            "--transfer", "--primaries", "--mastering-display", "--max-cll", "--max-fall", "--progress"};
        if (std::find(std::begin(valued), std::end(valued), arg) == std::end(valued)) {
            return Error{"unknown option '" + std::string{args[i]} + "' (see --help)"};
        }
        auto v = take();
        if (!v) return std::move(v).error();
        const std::string_view s = *v;
        if (arg == "--size") {
            const auto x = s.find('x');
            auto w = x == std::string_view::npos ? std::nullopt : number<uint32_t>(s.substr(0, x));
            auto h = x == std::string_view::npos ? std::nullopt : number<uint32_t>(s.substr(x + 1));
            if (!w || !h || *w == 0 || *h == 0 || *w > 16384 || *h > 16384) {
                return usage(opt, "'" + std::string{s} + "' is not WIDTHxHEIGHT with both in 1..16384 (e.g. 1280x720)");
            }
            o.width = *w;
            o.height = *h;
            o.size_given = true;
        } else if (arg == "--format") {
            auto f = parse_format(s);
            if (!f) return std::move(f).error().context(opt);
            o.format = *f;
            o.format_given = true;
        } else if (arg == "--modifier") {
            if (s == "auto") {
                o.modifier.reset();
            } else {
                auto m = parse_modifier(s);
                if (!m) return std::move(m).error().context(opt);
                o.modifier = *m;
            }
        } else if (arg == "--allocator") {
            if (s == "auto") o.allocator = producer::AllocatorKind::automatic;
            else if (s == "vulkan") o.allocator = producer::AllocatorKind::vulkan;
            else if (s == "gbm") o.allocator = producer::AllocatorKind::gbm;
            else if (s == "udmabuf") o.allocator = producer::AllocatorKind::udmabuf;
            else return usage(opt, "'" + std::string{s} + "': use auto, vulkan, gbm or udmabuf");
        } else if (arg == "--device") {
            if (s.empty()) return usage(opt, "needs a DRM node path such as /dev/dri/renderD128");
            o.device = s;
        } else if (arg == "--fps") {
            auto f = number<double>(s);
            if (!f || !std::isfinite(*f) || *f <= 0 || *f > 1000) return usage(opt, "'" + std::string{s} + "': a rate in (0, 1000]");
            o.fps = *f;
        } else if (arg == "--frames") {
            auto n = number<uint64_t>(s);
            if (!n || *n == 0) return usage(opt, "'" + std::string{s} + "': a whole number of frames, at least 1");
            o.frames = *n;
        } else if (arg == "--duration") {
            auto d = number<double>(s);
            if (!d || !std::isfinite(*d) || *d <= 0) return usage(opt, "'" + std::string{s} + "': seconds, more than 0");
            o.duration_s = *d;
        } else if (arg == "--progress") {
            auto d = number<double>(s);
            if (!d || !std::isfinite(*d) || *d < 0.1 || *d > 86400) {
                return usage(opt, "'" + std::string{s} + "': seconds between lines, 0.1 to 86400");
            }
            o.progress_s = *d;
        } else if (arg == "--pattern") {
            auto p = sources::PatternSpec::parse(s);
            if (!p) return std::move(p).error().context(opt);
            o.pattern = *p;
            o.pattern_given = true;
        } else if (arg == "--render") {
            if (s == "auto") o.render = producer::PatternDraw::automatic;
            else if (s == "gpu") o.render = producer::PatternDraw::gpu;
            else if (s == "cpu") o.render = producer::PatternDraw::cpu;
            else return usage(opt, "'" + std::string{s} + "': use auto, gpu or cpu");
            o.render_given = true;
        } else if (arg == "--yuv-matrix") {
            auto m = pixels::YuvEncoding::parse_matrix(s);
            if (!m) return std::move(m).error().context(opt);
            o.yuv.matrix = *m;
            o.yuv_given = true;
        } else if (arg == "--yuv-range") {
            auto r = pixels::YuvEncoding::parse_range(s);
            if (!r) return std::move(r).error().context(opt);
            o.yuv.range = *r;
            o.yuv_given = true;
            o.yuv_range_given = true;
        } else if (arg == "--transfer") {
            auto t = pixels::parse_transfer(s);
            if (!t) return std::move(t).error().context(opt);
            o.color.transfer = *t;
        } else if (arg == "--primaries") {
            auto p = pixels::parse_primaries(s);
            if (!p) return std::move(p).error().context(opt);
            o.color.primaries = *p;
        } else if (arg == "--mastering-display") {
            auto m = pixels::MasteringDisplay::parse(s);
            if (!m) return std::move(m).error().context(opt);
            o.color.hdr.mastering = *m;
        } else if (arg == "--max-cll" || arg == "--max-fall") {
            auto n = number<uint32_t>(s);
            if (!n || *n == 0 || *n > 65535) return usage(opt, "'" + std::string{s} + "': cd/m², a whole number in 1..65535");
            (arg == "--max-cll" ? o.color.hdr.max_cll : o.color.hdr.max_fall) = *n;
        } else if (arg == "--input") {
            if (s.empty()) return usage(opt, "needs a Y4M file, or - for standard input");
            o.input = s;
        } else if (arg == "--title") {
            o.title = s;
        } else if (arg == "--app-id") {
            o.app_id = s;
        } else if (arg == "--sync") {
            if (s == "auto") o.sync = producer::SyncMode::automatic;
            else if (s == "explicit") o.sync = producer::SyncMode::explicit_sync;
            else if (s == "implicit") o.sync = producer::SyncMode::implicit_sync;
            else return usage(opt, "'" + std::string{s} + "': use auto, explicit or implicit");
        } else if (arg == "--pacing") {
            if (s == "auto") o.pacing = producer::Pacing::automatic;
            else if (s == "callbacks") o.pacing = producer::Pacing::frame_callbacks;
            else if (s == "fifo") o.pacing = producer::Pacing::fifo;
            else return usage(opt, "'" + std::string{s} + "': use auto, callbacks or fifo");
        } else if (arg == "--late") {
            if (s == "drop") o.drop_late = true;
            else if (s == "show") o.drop_late = false;
            else return usage(opt, "'" + std::string{s} + "': use drop or show");
        } else if (arg == "--stride-align") {
            auto n = number<uint32_t>(s);
            if (!n || *n == 0 || (*n & (*n - 1)) != 0 || *n > 4096) {
                return usage(opt, "'" + std::string{s} + "': a power of two from 1 to 4096");
            }
            o.stride_align = *n;
        } else if (arg == "--timeout") {
            auto n = number<int>(s);
            if (!n || *n < 100 || *n > 600000) return usage(opt, "'" + std::string{s} + "': milliseconds, 100 to 600000");
            o.timeout_ms = *n;
        } else if (arg == "--buffers") {
            auto n = number<size_t>(s);
            if (!n || *n < 2 || *n > 4) return usage(opt, "'" + std::string{s} + "': 2, 3 or 4");
            o.buffers = *n;
        }
    }
    if (!o.input.empty() && o.pattern_given) return Error{"--input and --pattern exclude each other: frames come from one"};
    if (!o.input.empty() && o.render_given) return Error{"--render applies to patterns, not to --input"};
    if (!o.input.empty() && o.size_given) return Error{"--size cannot be used with --input: the stream's size is used"};
    if (o.loop && o.input.empty()) return Error{"--loop plays an --input file again from its start: give --input FILE"};
    if (o.loop && o.input == "-") {
        return Error{"--loop cannot play standard input again (it is read once): give --input a file"};
    }
    if (o.allocator == producer::AllocatorKind::udmabuf && !o.device.empty()) {
        return Error{"--device cannot be used with --allocator udmabuf: udmabuf buffers are system memory, on no DRM device"};
    }
    if (o.allocator == producer::AllocatorKind::udmabuf && o.render == producer::PatternDraw::gpu) {
        return Error{"--render gpu cannot be used with --allocator udmabuf: its buffers are drawn on the CPU"};
    }
    if (auto c = o.color.completed(); !c) return std::move(c).error();
    if (sources::needs_10_bits(o.pattern.kind)) {
        if (!o.format_given) o.format = DrmFormat{DRM_FORMAT_XRGB2101010};  // its codes need 10 bits
        if (auto ok = sources::check_pattern_format(o.pattern.kind, o.format); !ok) return std::move(ok).error().context("--pattern");
    }
    return o;
}

}  // namespace dmafeed::cli

namespace dmafeed::cli {

std::vector<std::string> to_args(const Options& o)
{
    const Options d;
    std::vector<std::string> a;
    auto add = [&a](std::string option, std::string value) {
        a.push_back(std::move(option));
        a.push_back(std::move(value));
    };
    if (o.size_given) add("--size", std::to_string(o.width) + "x" + std::to_string(o.height));
    if (o.format_given) {
        const std::string n = name(o.format);
        auto back = parse_format(n);
        add("--format", back && back.value() == o.format ? n : hex(o.format.fourcc(), 8));
    }
    if (o.modifier) {
        const std::string n = name(*o.modifier);
        auto back = parse_modifier(n);
        add("--modifier", back && back.value() == *o.modifier ? n : hex(o.modifier->value(), 16));
    }
    if (o.pattern_given) add("--pattern", o.pattern.to_string());
    if (o.render_given) {
        add("--render", o.render == producer::PatternDraw::gpu ? "gpu" : o.render == producer::PatternDraw::cpu ? "cpu" : "auto");
    }
    if (!o.input.empty()) add("--input", o.input);
    if (o.loop) a.emplace_back("--loop");
    if (o.yuv_given) {
        add("--yuv-matrix", std::string{pixels::matrix_name(o.yuv.matrix)});
        add("--yuv-range", std::string{pixels::range_name(o.yuv.range)});
    }
    if (o.color.transfer) add("--transfer", std::string{pixels::transfer_name(*o.color.transfer)});
    if (o.color.primaries) add("--primaries", std::string{pixels::primaries_name(*o.color.primaries)});
    if (o.color.hdr.mastering) add("--mastering-display", o.color.hdr.mastering->to_x265());
    if (o.color.hdr.max_cll) add("--max-cll", std::to_string(o.color.hdr.max_cll));
    if (o.color.hdr.max_fall) add("--max-fall", std::to_string(o.color.hdr.max_fall));
    if (o.fps != d.fps) add("--fps", shortest(o.fps));
    if (o.frames) add("--frames", std::to_string(*o.frames));
    if (o.duration_s) add("--duration", shortest(*o.duration_s));
    switch (o.allocator) {
    case producer::AllocatorKind::automatic: break;
    case producer::AllocatorKind::vulkan: add("--allocator", "vulkan"); break;
    case producer::AllocatorKind::gbm: add("--allocator", "gbm"); break;
    case producer::AllocatorKind::udmabuf: add("--allocator", "udmabuf"); break;
    }
    if (!o.quick_start) a.emplace_back("--no-quick-start");
    if (!o.device.empty()) add("--device", o.device);
    if (o.buffers != d.buffers) add("--buffers", std::to_string(o.buffers));
    if (o.stride_align != d.stride_align) add("--stride-align", std::to_string(o.stride_align));
    switch (o.sync) {
    case producer::SyncMode::automatic: break;
    case producer::SyncMode::explicit_sync: add("--sync", "explicit"); break;
    case producer::SyncMode::implicit_sync: add("--sync", "implicit"); break;
    }
    switch (o.pacing) {
    case producer::Pacing::automatic: break;
    case producer::Pacing::frame_callbacks: add("--pacing", "callbacks"); break;
    case producer::Pacing::fifo: add("--pacing", "fifo"); break;
    }
    if (o.drop_late) add("--late", *o.drop_late ? "drop" : "show");
    if (o.timeout_ms != d.timeout_ms) add("--timeout", std::to_string(o.timeout_ms));
    if (o.fullscreen) a.emplace_back("--fullscreen");
    if (o.title != d.title) add("--title", o.title);
    if (o.app_id != d.app_id) add("--app-id", o.app_id);
    if (o.json) a.emplace_back("--json");
    if (o.progress_s != d.progress_s) add("--progress", shortest(o.progress_s));
    if (o.measure_upload) a.emplace_back("--measure-upload");
    if (o.list_formats) a.emplace_back("--list-formats");
    if (o.help) a.emplace_back("--help");
    if (o.version) a.emplace_back("--version");
    return a;
}

}  // namespace dmafeed::cli

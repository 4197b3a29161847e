// dmafeed: plays test patterns into the Wayland compositor of $WAYLAND_DISPLAY through
// zwp_linux_dmabuf_v1 (see --help).
#include "cli/json.hpp"
#include "cli/options.hpp"
#include "cli/pacing.hpp"

#include "drm/format_info.hpp"
#include "producer/producer.hpp"
#include "sources/pattern.hpp"
#include "sources/y4m.hpp"
#include "util/frame_copy.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <cstring>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace dmafeed;
using Clock = std::chrono::steady_clock;

std::atomic<bool> interrupted{false};

void on_signal(int) { interrupted = true; }

int list_formats()
{
    std::printf("%-16s %-6s %-6s %s\n", "FORMAT", "FOURCC", "PLANES", "PATTERNS");
    for (const DrmFormat f : named_formats()) {
        const FormatInfo* info = format_info(f);
        if (!info) continue;
        const uint32_t cc = f.fourcc();
        const char fourcc[5] = {static_cast<char>(cc & 0xff), static_cast<char>((cc >> 8) & 0xff),
                                static_cast<char>((cc >> 16) & 0xff), static_cast<char>((cc >> 24) & 0xff), 0};
        const bool patterns = pixels::packable(f);
        std::printf("%-16s %-6s %-6u %s\n", name(f).c_str(), fourcc, info->plane_count, patterns ? "yes" : "no");
    }
    std::printf("\nFORMAT and FOURCC are what --format takes. Which formats and modifiers a compositor and this\n"
                "machine can exchange depends on both: dmafeed negotiates them at start.\n");
    return 0;
}

using cli::json_escape;

struct Run {
    uint64_t frames = 0;
    double seconds = 0;
    double first_presented_ms = -1;  // from the start of the process to the first presented frame
    double first_commit_ms = -1;     // from the start of the process to the first commit of a buffer
    std::string stop_reason;
    std::string first_allocator;     // of the first committed buffer (the quick start's stand-in)
    double write_seconds = 0;        // time in Producer::write (the upload of CPU pixels)
    double fill_seconds = 0;         // time making and filling frames (drawing, converting, writing)
    uint64_t write_bytes = 0;        // pixel bytes written
    // The same for buffers written before (steady state): a buffer's first write also pays for
    // mapping it and faulting its pages in, which the memcpy figures' buffers paid untimed.
    double steady_write_seconds = 0;
    uint64_t steady_write_bytes = 0;
    // Of steady_write_seconds, the part spent outside the copy, where it is known (Y4M read in
    // place): beginning and ending the CPU access (DMA_BUF_IOCTL_SYNC start and end).
    double steady_sync_seconds = 0;
    uint64_t steady_sync_frames = 0;
    std::vector<uint64_t> written_buffers;  // serials of the buffers written so far
    double memcpy_mb_per_s = 0;      // a memcpy of one frame's bytes, measured in this run: the best of 10 in a row
    // The steady upload's access bracket (begin_cpu_write + end_cpu_write: DMA_BUF_IOCTL_SYNC start
    // and end) done 10 times in a row on one acquired buffer, the best, in microseconds: what the
    // bracket costs with warm caches, beside write_sync_us_per_frame, what it costs in the loop.
    double sync_tight_us = 0;
    // The same memcpy (between two buffers of ours) done in the frame loop, every 8th frame read
    // in place, right after that frame's read: as cold in the caches and TLBs as the frames are.
    double loop_memcpy_seconds = 0;
    uint64_t loop_memcpy_bytes = 0;
    std::vector<uint8_t> memcpy_from, memcpy_to;
    // Copies of the same bytes the upload copies: every 8th frame of a mapped file, that frame's
    // data from the input (prefetched like every frame, as cold in the caches) into memory of ours,
    // before the frame's upload, in turn by glibc's memcpy and by copy_frame_bytes (the upload's
    // copy: faster than glibc's from an unaligned source under TCG); that upload (now from a warm
    // source) is left out of the steady figures.
    double input_memcpy_seconds[2] = {0, 0};  // memcpy, copy_frame_bytes
    uint64_t input_memcpy_bytes[2] = {0, 0};
    std::vector<uint8_t> input_memcpy_to;
    double prefetch_seconds = 0;     // Y4M: faulting the next frame's input pages in (prefetch_next)
    uint64_t prefetch_bytes = 0;
    double cpu_at_first_ms = -1;     // process CPU time when the first frame was presented
    uint64_t presented_at_first = 0;
    uint64_t gpu_frames = 0;         // patterns drawn by the compute shader
    uint64_t cpu_drawn_frames = 0;   // patterns drawn by the CPU straight into the buffer (what changed)
    uint64_t cpu_frames = 0;         // frames filled from whole CPU frames (patterns or --input)

    // Times one copy of `input` (the next frame's data, in place in the input) into memory of ours,
    // by memcpy or copy_frame_bytes in turn; false when there is nothing in place to copy.
    bool time_input_copy(std::span<const uint8_t> input)
    {
        if (input.empty()) return false;
        input_memcpy_to.resize(input.size());
        const size_t how = input_memcpy_bytes[0] > input_memcpy_bytes[1] ? 1 : 0;
        const auto t0 = Clock::now();
        if (how == 0) {
            std::memcpy(input_memcpy_to.data(), input.data(), input.size());
        } else {
            copy_frame_bytes(input_memcpy_to.data(), input.data(), input.size());
        }
        input_memcpy_seconds[how] += std::chrono::duration<double>(Clock::now() - t0).count();
        input_memcpy_bytes[how] += input.size();
        return true;
    }

    // --measure-upload, after a frame of a Y4M read in place into `frame`: the memcpy rate of one
    // frame (once), the CPU-access bracket 10 times in a row (once, after the first steady frame),
    // and every 8th frame a memcpy between two buffers of ours as cold as the frames are.
    void measure_in_loop(producer::Producer& p, const producer::Frame& frame, size_t frame_bytes);

    // `sync`: the part of `took` outside the copy, where it is known (else negative). `steady_sample`:
    // false for a write whose source was made warm on purpose (see input_memcpy_seconds).
    void count_write(uint64_t buffer_serial, double took, uint64_t bytes, double sync = -1, bool steady_sample = true)
    {
        write_seconds += took;
        write_bytes += bytes;
        if (std::find(written_buffers.begin(), written_buffers.end(), buffer_serial) != written_buffers.end()) {
            if (!steady_sample) return;
            steady_write_seconds += took;
            steady_write_bytes += bytes;
            if (sync >= 0) {
                steady_sync_seconds += sync;
                ++steady_sync_frames;
            }
        } else {
            written_buffers.push_back(buffer_serial);
        }
    }
};

// CPU time of the process (all threads, including the Vulkan driver's), in milliseconds.
double cpu_ms()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

// The bytes of a frame's planes, and the best of 10 memcpy runs of that many bytes, in MB/s.
double memcpy_rate(uint64_t bytes)
{
    std::vector<uint8_t> a(bytes, 1), b(bytes);
    double best = 0;
    for (int i = 0; i < 10; ++i) {
        const auto t0 = Clock::now();
        std::memcpy(b.data(), a.data(), bytes);
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (s > 0) best = std::max(best, static_cast<double>(bytes) / s / 1e6);
    }
    return best;
}

// The best of 10 CPU-access brackets in a row (begin_cpu_write, end_cpu_write) on an acquired
// frame, in microseconds; 0 if the frame cannot be mapped.
double sync_pair_us(producer::Producer& p, const producer::Frame& frame)
{
    double best = 0;
    for (int i = 0; i < 10; ++i) {
        const auto t0 = Clock::now();
        const bool mapped = p.begin_cpu_write(frame).ok();
        p.end_cpu_write(frame);
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        if (!mapped) return 0;
        if (i == 0 || us < best) best = us;
    }
    return best;
}

void Run::measure_in_loop(producer::Producer& p, const producer::Frame& frame, size_t frame_bytes)
{
    if (memcpy_mb_per_s == 0) memcpy_mb_per_s = memcpy_rate(frame_bytes);
    if (sync_tight_us == 0 && steady_sync_frames > 0) sync_tight_us = sync_pair_us(p, frame);
    if (frames % 8 != 4) return;
    if (memcpy_from.size() != frame_bytes) {
        memcpy_from.assign(frame_bytes, 1);
        memcpy_to.assign(frame_bytes, 0);
    }
    const auto t0 = Clock::now();
    std::memcpy(memcpy_to.data(), memcpy_from.data(), frame_bytes);
    loop_memcpy_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    loop_memcpy_bytes += frame_bytes;
}

// The bytes a buffer of this format and size needs at least (tight rows).
uint64_t theoretical_bytes(DrmFormat format, uint32_t width, uint32_t height)
{
    const FormatInfo* info = format_info(format);
    uint64_t total = 0;
    for (uint32_t p = 0; info && p < info->plane_count; ++p) total += min_stride(*info, p, width) * plane_height(*info, p, height);
    return total;
}

void print_summary(const producer::Producer& p, const Run& run, bool json)
{
    const auto s = p.stats();
    const auto& choice = p.choice();
    if (json) {
        std::printf("{\n");
        if (choice) {
            std::printf("  \"format\": \"%s\",\n  \"modifier\": \"%s\",\n  \"width\": %u,\n  \"height\": %u,\n"
                        "  \"allocator\": \"%s\",\n  \"first_allocator\": \"%s\",\n",
                        name(choice->candidate.pair.format).c_str(), name(choice->candidate.pair.modifier).c_str(),
                        choice->width, choice->height, json_escape(choice->allocator).c_str(),
                        json_escape(run.first_allocator).c_str());
        }
        if (choice) {
            std::printf("  \"buffer_bytes\": %llu,\n  \"theoretical_bytes\": %llu,\n",
                        static_cast<unsigned long long>(choice->buffer_bytes),
                        static_cast<unsigned long long>(
                            theoretical_bytes(choice->candidate.pair.format, choice->width, choice->height)));
        }
        const double cpu = cpu_ms();
        // Steady state: CPU from the first presented frame on, per frame presented after it.
        const double steady = run.cpu_at_first_ms >= 0 && s.presented > 1
                                  ? (cpu - run.cpu_at_first_ms) / static_cast<double>(s.presented - 1)
                                  : 0.0;
        std::printf("  \"cpu_ms\": %.1f,\n  \"cpu_ms_to_first_frame\": %.1f,\n  \"steady_cpu_ms_per_frame\": %.2f,\n", cpu,
                    run.cpu_at_first_ms, steady);
        std::printf("  \"fill_ms_per_frame\": %.3f,\n",
                    run.frames ? run.fill_seconds * 1e3 / static_cast<double>(run.frames) : 0.0);
        std::printf("  \"write_mb_per_s\": %.1f,\n  \"write_steady_mb_per_s\": %.1f,\n",
                    run.write_seconds > 0 ? static_cast<double>(run.write_bytes) / run.write_seconds / 1e6 : 0.0,
                    run.steady_write_seconds > 0 ? static_cast<double>(run.steady_write_bytes) / run.steady_write_seconds / 1e6
                                                 : 0.0);
        if (run.memcpy_mb_per_s > 0) std::printf("  \"memcpy_mb_per_s\": %.1f,\n", run.memcpy_mb_per_s);
        if (run.steady_sync_frames > 0) {
            // The steady upload split: DMA_BUF_IOCTL_SYNC start and end (with the bookkeeping
            // around them) a frame, and the rate of the copy alone (the FRAME line's parse included).
            std::printf("  \"write_sync_us_per_frame\": %.1f,\n  \"write_copy_steady_mb_per_s\": %.1f,\n",
                        run.steady_sync_seconds * 1e6 / static_cast<double>(run.steady_sync_frames),
                        run.steady_write_seconds > run.steady_sync_seconds
                            ? static_cast<double>(run.steady_write_bytes) / (run.steady_write_seconds - run.steady_sync_seconds) / 1e6
                            : 0.0);
        }
        if (run.sync_tight_us > 0) std::printf("  \"write_sync_tight_us\": %.1f,\n", run.sync_tight_us);
        if (run.loop_memcpy_seconds > 0) {
            std::printf("  \"loop_memcpy_mb_per_s\": %.1f,\n",
                        static_cast<double>(run.loop_memcpy_bytes) / run.loop_memcpy_seconds / 1e6);
        }
        if (run.input_memcpy_seconds[0] > 0 && run.input_memcpy_seconds[1] > 0) {
            std::printf("  \"input_memcpy_mb_per_s\": %.1f,\n  \"input_copy_frame_bytes_mb_per_s\": %.1f,\n",
                        static_cast<double>(run.input_memcpy_bytes[0]) / run.input_memcpy_seconds[0] / 1e6,
                        static_cast<double>(run.input_memcpy_bytes[1]) / run.input_memcpy_seconds[1] / 1e6);
        }
        if (run.prefetch_bytes > 0) {
            std::printf("  \"input_prefetch_ms_per_frame\": %.3f,\n",
                        run.frames ? run.prefetch_seconds * 1e3 / static_cast<double>(run.frames) : 0.0);
        }
        if (!p.yuv_description().empty()) {
            std::printf("  \"yuv_encoding\": \"%s\",\n", json_escape(p.yuv_description()).c_str());
        }
        std::printf("  \"frames_drawn_on_gpu\": %llu,\n  \"frames_drawn_on_cpu\": %llu,\n  \"frames_from_cpu_pixels\": %llu,\n",
                    static_cast<unsigned long long>(run.gpu_frames), static_cast<unsigned long long>(run.cpu_drawn_frames),
                    static_cast<unsigned long long>(run.cpu_frames));
        std::printf("  \"sync\": \"%s\",\n  \"frames_queued\": %llu,\n  \"presented\": %llu,\n  \"zero_copy\": %llu,\n"
                    "  \"discarded\": %llu,\n  \"dropped\": %llu,\n  \"refused_buffers\": %llu,\n"
                    "  \"presented_fps\": %.2f,\n  \"latency_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f},\n"
                    "  \"first_commit_ms\": %.1f,\n  \"first_presented_ms\": %.1f,\n  \"seconds\": %.3f,\n  \"buffers_created\": %llu,\n"
                    "  \"rebuilds\": %llu,\n  \"stop\": \"%s\"\n}\n",
                    p.sync_stats().protocol.c_str(), static_cast<unsigned long long>(s.queued),
                    static_cast<unsigned long long>(s.presented), static_cast<unsigned long long>(s.zero_copy),
                    static_cast<unsigned long long>(s.discarded), static_cast<unsigned long long>(s.dropped),
                    static_cast<unsigned long long>(s.refused), s.presented_fps, s.latency_p50_ms, s.latency_p90_ms,
                    s.latency_p99_ms, s.latency_max_ms, run.first_commit_ms, run.first_presented_ms, run.seconds,
                    static_cast<unsigned long long>(p.buffers_created()), static_cast<unsigned long long>(p.rebuilds()),
                    json_escape(run.stop_reason).c_str());
        std::fflush(stdout);
        return;
    }
    std::fprintf(stderr, "dmafeed: %llu frames in %.1f s (%s): %s\n", static_cast<unsigned long long>(run.frames), run.seconds,
                 run.stop_reason.c_str(), s.to_string().c_str());
    if (choice) std::fprintf(stderr, "dmafeed: buffers %s, sync %s\n", choice->to_string().c_str(), p.sync_stats().protocol.c_str());
    if (!p.yuv_description().empty()) std::fprintf(stderr, "dmafeed: YUV: %s\n", p.yuv_description().c_str());
    if (run.gpu_frames || run.cpu_drawn_frames || run.cpu_frames) {
        std::fprintf(stderr, "dmafeed: %llu frames drawn on the GPU, %llu drawn on the CPU in place, %llu from whole CPU frames\n",
                     static_cast<unsigned long long>(run.gpu_frames), static_cast<unsigned long long>(run.cpu_drawn_frames),
                     static_cast<unsigned long long>(run.cpu_frames));
    }
}

int play(const cli::Options& o, Clock::time_point process_start)
{
    if (!std::getenv("WAYLAND_DISPLAY")) {
        std::fprintf(stderr, "dmafeed: WAYLAND_DISPLAY is not set: run it inside a Wayland session (or use tools/demo, "
                             "which starts weston in a VM)\n");
        return 1;
    }
    // With --input, the stream decides the size, the rate and the formats to try.
    std::optional<sources::Y4mReader> y4m;
    std::vector<DrmFormat> formats{o.format};
    double fps = o.fps;
    if (!o.input.empty()) {
        auto reader = sources::Y4mReader::open_file(o.input);
        if (!reader) {
            std::fprintf(stderr, "dmafeed: %s\n", reader.error().message().c_str());
            return 1;
        }
        y4m.emplace(std::move(*reader));
        const sources::Y4mHeader& h = y4m->header();
        for (const auto& note : h.notes) std::fprintf(stderr, "dmafeed: note: %s\n", note.c_str());
        formats = h.formats();
        if (o.format_given) {
            if (std::find(formats.begin(), formats.end(), o.format) == formats.end()) {
                auto conv = sources::Y4mConverter::create(h, o.format);
                std::fprintf(stderr, "dmafeed: --format: %s\n", conv.error().message().c_str());
                return 2;
            }
            formats = {o.format};
        }
        if (fps == 0) fps = static_cast<double>(h.fps_num) / h.fps_den;
    }

    if (o.yuv_given && !y4m) {
        const FormatInfo* info = format_info(o.format);
        if (info && !info->is_yuv) {
            std::fprintf(stderr, "dmafeed: note: --yuv-matrix and --yuv-range apply to YUV formats; %s is RGB\n",
                         name(o.format).c_str());
        }
    }
    producer::ProducerConfig config;
    config.modifier = o.modifier;
    config.width = y4m ? y4m->header().width : o.width;
    config.height = y4m ? y4m->header().height : o.height;
    config.buffers = o.buffers;
    config.timeout = std::chrono::milliseconds{o.timeout_ms};
    config.sync = o.sync;
    config.stride_align = o.stride_align;
    config.yuv = o.yuv;
    config.window = {.title = o.title, .app_id = o.app_id, .fullscreen = o.fullscreen};
    config.allocators = producer::system_allocators({.kind = o.allocator,
                                                     .device_path = o.device,
                                                     .prepare_patterns = o.input.empty(),
                                                     .draw = o.render,
                                                     .quick_start = o.quick_start});
    Result<std::unique_ptr<producer::Producer>> created = Error{"no format to try"};
    std::string failures;
    for (const DrmFormat f : formats) {  // a stream's formats, best first; else the one asked for
        config.format = f;
        created = producer::Producer::create(config);
        if (created) break;
        failures += (failures.empty() ? "" : "\n") + created.error().message();
    }
    if (!created) {
        // A stream names what it is, the formats that would show it and why each failed.
        const std::string why = y4m && !o.format_given ? sources::no_format_for(y4m->header(), failures).message() : failures;
        std::fprintf(stderr, "dmafeed: %s\n", why.c_str());
        return 1;
    }
    producer::Producer& p = **created;
    std::optional<sources::Y4mConverter> converter;
    std::optional<std::vector<int>> direct_planes;  // the stream plane each format plane is, when all are
    if (y4m) {
        auto conv = sources::Y4mConverter::create(y4m->header(), config.format);
        if (!conv) {
            std::fprintf(stderr, "dmafeed: %s\n", conv.error().message().c_str());
            return 1;
        }
        converter.emplace(std::move(*conv));
        direct_planes = converter->stream_planes();
    }

    const auto start = Clock::now();
    Run run;
    p.on_presented([&](const wl::PresentationResult& r) {
        if (r.presented && run.first_presented_ms < 0) {
            run.first_presented_ms = std::chrono::duration<double, std::milli>(Clock::now() - process_start).count();
            run.cpu_at_first_ms = cpu_ms();
        }
    });
    std::optional<sources::PatternSource> pattern;
    bool told_cpu_render = false;
    bool told_bounce = false;
    const bool tty = isatty(STDERR_FILENO) != 0 && !o.json;
    auto next_status = start;
    auto next_frame = start;
    const auto period = fps > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps))
                                : Clock::duration::zero();
    int status = 0;
    while (true) {
        const auto now = Clock::now();
        const double elapsed = std::chrono::duration<double>(now - start).count();
        if (interrupted) { run.stop_reason = "interrupted"; break; }
        if (o.frames && run.frames >= *o.frames) { run.stop_reason = "frame count reached"; break; }
        if (o.duration_s && elapsed >= *o.duration_s) { run.stop_reason = "duration reached"; break; }
        if (p.window().closed()) { run.stop_reason = "window closed"; break; }

        if (period.count() > 0 && now < next_frame) {
            const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_frame - now);
            if (auto r = p.dispatch(wait); !r) { std::fprintf(stderr, "\ndmafeed: %s\n", r.error().message().c_str()); status = 1; break; }
            continue;
        }
        next_frame = cli::next_due<Clock>(next_frame, now, period);

        // A stream whose planes the buffer's are (YUV420, YUV422, YUV444) is read straight into the
        // buffer's mappings where its allocator writes in place: one copy a frame. Other frames are
        // read before a buffer is taken (so that the end of the input leaves no buffer acquired),
        // then converted and written.
        if (y4m && !direct_planes) {
            auto more = y4m->next();
            if (!more) { std::fprintf(stderr, "\ndmafeed: %s\n", more.error().message().c_str()); status = 1; break; }
            if (!*more) { run.stop_reason = "end of input"; break; }
        }
        auto frame = p.acquire();
        if (!frame) { std::fprintf(stderr, "\ndmafeed: %s\n", frame.error().message().c_str()); status = 1; break; }
        if (!*frame) continue;  // dropped: every buffer is held
        const Buffer& buffer = *(*frame)->buffer;
        const uint64_t frame_serial = (*frame)->buffer_serial;
        bool read_in_place = false;
        if (y4m && direct_planes) {
            read_in_place = p.writes_in_place(**frame);
            Result<bool> more = false;
            const bool reference_frame =
                o.measure_upload && read_in_place && run.frames % 8 == 4 && run.time_input_copy(y4m->upcoming_frame());
            double sync_seconds = 0;
            const auto read_start = Clock::now();
            if (read_in_place) {
                auto mapped = p.begin_cpu_write(**frame);
                const auto copy_start = Clock::now();
                if (!mapped) { std::fprintf(stderr, "\ndmafeed: %s\n", mapped.error().message().c_str()); status = 1; break; }
                std::array<sources::Y4mReader::PlaneDestination, 3> to{};
                for (size_t i = 0; i < direct_planes->size(); ++i) to[(*direct_planes)[i]] = {(*mapped)[i].data, (*mapped)[i].stride};
                more = y4m->next_into(to);
                const auto copy_end = Clock::now();
                p.end_cpu_write(**frame);
                sync_seconds = std::chrono::duration<double>(copy_start - read_start).count() +
                               std::chrono::duration<double>(Clock::now() - copy_end).count();
                if (y4m->bounced() && !told_bounce) {
                    std::fprintf(stderr, "dmafeed: note: the input cannot be read straight into the buffer (its file system "
                                         "pins the pages it reads into, which a dma-buf's mapping does not allow): each "
                                         "frame is read, then copied\n");
                    told_bounce = true;
                }
            } else {
                more = y4m->next();
            }
            if (!more || !*more) {
                (void)p.abandon(**frame);
                if (!more) { std::fprintf(stderr, "\ndmafeed: %s\n", more.error().message().c_str()); status = 1; }
                else run.stop_reason = "end of input";
                break;
            }
            if (read_in_place) {
                const double seconds = std::chrono::duration<double>(Clock::now() - read_start).count();
                run.count_write(frame_serial, seconds, y4m->header().frame_bytes(), sync_seconds, !reference_frame);
                run.fill_seconds += seconds;
                if (o.measure_upload) run.measure_in_loop(p, **frame, y4m->header().frame_bytes());
                ++run.cpu_frames;
            }
        }
        const auto time_ms = static_cast<uint64_t>(elapsed * 1000);
        // Patterns: drawn in place (what changed only) by the GPU or the CPU, as --render says and
        // the buffer allows; else whole frames drawn on the CPU, then written or uploaded.
        bool in_place = false;
        if (!converter) {
            const std::string why = p.cannot_draw(**frame);
            in_place = why.empty();
            if (!in_place && o.render == producer::PatternDraw::gpu) {
                std::fprintf(stderr, "\ndmafeed: --render gpu: this buffer cannot be drawn by the GPU: %s (try --render cpu)\n",
                             why.c_str());
                status = 1;
                break;
            }
            // auto: while the GPU pipeline is being built, the first frames are whole CPU frames.
            if (in_place && o.render == producer::PatternDraw::automatic && p.draws_on_gpu(**frame) && !p.draw_ready(**frame)) {
                in_place = false;
            }
            if (!in_place && !why.empty() && !told_cpu_render) {
                std::fprintf(stderr, "dmafeed: note: the pattern is drawn on the CPU in whole frames: %s\n", why.c_str());
                told_cpu_render = true;
            }
        }
        const auto fill_start = Clock::now();
        Result<void> written;
        if (read_in_place) {
            // Read into the buffer above.
        } else if (in_place) {
            const bool on_gpu = p.draws_on_gpu(**frame);
            written = p.draw(**frame, sources::pattern_frame(o.pattern, buffer.width(), buffer.height(), run.frames, time_ms), o.yuv);
            ++(on_gpu ? run.gpu_frames : run.cpu_drawn_frames);
        } else {
            std::vector<PlanePixels> planes;
            if (converter) {
                planes = converter->convert(*y4m);
            } else {
                if (!pattern || pattern->image().width != buffer.width() || pattern->image().height != buffer.height()) {
                    auto made = sources::PatternSource::create(o.pattern, buffer.format(), buffer.width(), buffer.height(), o.yuv);
                    if (!made) { std::fprintf(stderr, "\ndmafeed: %s\n", made.error().message().c_str()); status = 1; break; }
                    pattern.emplace(std::move(*made));
                }
                planes = pattern->render(run.frames, time_ms);
            }
            uint64_t bytes = 0;
            for (const auto& pl : planes) bytes += pl.data.size();
            if (o.measure_upload && run.memcpy_mb_per_s == 0) run.memcpy_mb_per_s = memcpy_rate(bytes);
            const auto write_start = Clock::now();
            written = p.write(**frame, planes);
            run.count_write(frame_serial, std::chrono::duration<double>(Clock::now() - write_start).count(), bytes);
            ++run.cpu_frames;
        }
        run.fill_seconds += std::chrono::duration<double>(Clock::now() - fill_start).count();
        if (auto r = std::move(written); !r) { std::fprintf(stderr, "\ndmafeed: %s\n", r.error().message().c_str()); status = 1; break; }
        if (auto r = p.queue(**frame); !r) { std::fprintf(stderr, "\ndmafeed: %s\n", r.error().message().c_str()); status = 1; break; }
        if (run.first_commit_ms < 0) {
            run.first_commit_ms = std::chrono::duration<double, std::milli>(Clock::now() - process_start).count();
            if (p.choice()) run.first_allocator = p.choice()->allocator;
        }
        ++run.frames;
        if (y4m) {
            // While the compositor shows this frame: the next one's input pages into the page tables.
            const auto t0 = Clock::now();
            run.prefetch_bytes += y4m->prefetch_next();
            run.prefetch_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        }
        if (auto r = p.wait_for_frame(); !r) { std::fprintf(stderr, "\ndmafeed: %s\n", r.error().message().c_str()); status = 1; break; }

        if (tty && Clock::now() >= next_status) {
            next_status = Clock::now() + std::chrono::milliseconds{500};
            const auto s = p.stats();
            std::fprintf(stderr, "\r\033[K%llu frames | %.1f fps | latency p50 %.1f ms p99 %.1f ms | %llu dropped | %s",
                         static_cast<unsigned long long>(run.frames), s.presented_fps, s.latency_p50_ms, s.latency_p99_ms,
                         static_cast<unsigned long long>(s.dropped),
                         p.choice() ? p.choice()->to_string().c_str() : "negotiating");
        }
    }
    if (tty) std::fprintf(stderr, "\n");
    if (status == 0) (void)p.drain(std::chrono::milliseconds{2000});
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (run.stop_reason.empty()) run.stop_reason = "error";
    print_summary(p, run, o.json);
    return status;
}

}  // namespace

int main(int argc, char** argv)
{
    const auto process_start = Clock::now();
    auto options = dmafeed::cli::parse({argv + 1, static_cast<size_t>(argc > 0 ? argc - 1 : 0)});
    if (!options) {
        std::fprintf(stderr, "dmafeed: %s\n", options.error().message().c_str());
        return 2;
    }
    if (options->help) {
        std::fputs(dmafeed::cli::help_text().c_str(), stdout);
        return 0;
    }
    if (options->version) {
        std::printf("dmafeed %s\n", DMAFEED_VERSION);
        return 0;
    }
    if (options->list_formats) return list_formats();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    return play(*options, process_start);
}

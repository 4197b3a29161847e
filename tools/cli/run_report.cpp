#include "cli/run_report.hpp"

#include "cli/json.hpp"
#include "drm/format_info.hpp"
#include "util/frame_copy.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>

namespace dmafeed::cli {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

double cpu_ms()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

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

namespace {

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

}  // namespace

bool Run::time_input_copy(std::span<const uint8_t> input)
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

namespace {

// The bytes a buffer of this format and size needs at least (tight rows).
uint64_t theoretical_bytes(DrmFormat format, uint32_t width, uint32_t height)
{
    const FormatInfo* info = format_info(format);
    uint64_t total = 0;
    for (uint32_t p = 0; info && p < info->plane_count; ++p) total += min_stride(*info, p, width) * plane_height(*info, p, height);
    return total;
}

}  // namespace

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
        if (run.input_loops > 0) std::printf("  \"input_loops\": %llu,\n", static_cast<unsigned long long>(run.input_loops));
        if (run.prefetch_bytes > 0) {
            std::printf("  \"input_prefetch_ms_per_frame\": %.3f,\n",
                        run.frames ? run.prefetch_seconds * 1e3 / static_cast<double>(run.frames) : 0.0);
        }
        if (!p.yuv_description().empty()) {
            std::printf("  \"yuv_encoding\": \"%s\",\n", json_escape(p.yuv_description()).c_str());
        }
        if (!p.color_description().empty()) {
            std::printf("  \"color\": \"%s\",\n", json_escape(p.color_description()).c_str());
        }
        std::printf("  \"frames_drawn_on_gpu\": %llu,\n  \"frames_drawn_on_cpu\": %llu,\n  \"frames_from_cpu_pixels\": %llu,\n",
                    static_cast<unsigned long long>(run.gpu_frames), static_cast<unsigned long long>(run.cpu_drawn_frames),
                    static_cast<unsigned long long>(run.cpu_frames));
        std::printf("  \"pacing\": \"%s\",\n  \"commit_timing\": %s,\n  \"late\": %llu,\n  \"unpaced_waits\": %llu,\n",
                    p.pacing() == producer::Pacing::fifo ? "fifo" : "frame callbacks", p.commit_timing() ? "true" : "false",
                    static_cast<unsigned long long>(s.late), static_cast<unsigned long long>(s.unpaced));
        if (s.timed > 0) {
            // Frames with a time to be shown at (--fps, --input): |presentation time - that time|,
            // and its signed mean (> 0: late).
            std::printf("  \"timed\": %llu,\n  \"show_error_ms\": {\"p50\": %.2f, \"p99\": %.2f, \"max\": %.2f, "
                        "\"mean\": %.2f},\n",
                        static_cast<unsigned long long>(s.timed), s.show_error_p50_ms, s.show_error_p99_ms,
                        s.show_error_max_ms, s.show_error_mean_ms);
        }
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
    std::fprintf(stderr, "dmafeed: paced by %s%s\n", p.pacing() == producer::Pacing::fifo ? "fifo barriers" : "frame callbacks",
                 p.commit_timing() ? ", frames timed with commit-timing" : "");
    if (!p.yuv_description().empty()) std::fprintf(stderr, "dmafeed: YUV: %s\n", p.yuv_description().c_str());
    if (!p.color_description().empty()) std::fprintf(stderr, "dmafeed: colour: %s\n", p.color_description().c_str());
    if (run.gpu_frames || run.cpu_drawn_frames || run.cpu_frames) {
        std::fprintf(stderr, "dmafeed: %llu frames drawn on the GPU, %llu drawn on the CPU in place, %llu from whole CPU frames\n",
                     static_cast<unsigned long long>(run.gpu_frames), static_cast<unsigned long long>(run.cpu_drawn_frames),
                     static_cast<unsigned long long>(run.cpu_frames));
    }
}

}  // namespace dmafeed::cli

#include "cli/player.hpp"

#include "cli/pacing.hpp"
#include "drm/format_info.hpp"
#include "util/process_usage.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace dmafeed::cli {

int Player::run()
{
    if (!std::getenv("WAYLAND_DISPLAY")) {
        std::fprintf(stderr, "dmafeed: WAYLAND_DISPLAY is not set: run it inside a Wayland session (or use tools/demo, "
                             "which starts weston in a VM)\n");
        return 1;
    }
    if (const int s = open_input(); s >= 0) return s;
    if (const int s = create_producer(); s >= 0) return s;
    producer::Producer& p = *producer_;

    start_ = next_status_ = next_frame_ = Clock::now();
    next_progress_ = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.progress_s));
    drop_late_ = o_.drop_late.value_or(y4m_.has_value());
    p.on_presented([this](const wl::PresentationResult& r) {
        if (r.presented && run_.first_presented_ms < 0) {
            run_.first_presented_ms = std::chrono::duration<double, std::milli>(Clock::now() - process_start_).count();
            run_.cpu_at_first_ms = cpu_ms();
        }
    });
    tty_ = isatty(STDERR_FILENO) != 0 && !o_.json;
    period_ = fps_ > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps_))
                       : Clock::duration::zero();
    while (true) {
        elapsed_s_ = std::chrono::duration<double>(Clock::now() - start_).count();
        if (auto reason = stop_reason()) {
            run_.stop_reason = *reason;
            break;
        }
        bool due = false;
        if (wait_until_due(&due) == Step::stop) break;
        if (!due) continue;
        if (read_ahead() == Step::stop) break;
        auto frame = p.acquire();
        if (!frame) {
            fail(frame.error().message());
            break;
        }
        if (!*frame) continue;  // dropped: every buffer is held
        if (fill(**frame) == Step::stop) break;
        if (present(**frame) == Step::stop) break;
        show_status();
        show_progress();
    }
    if (tty_) std::fprintf(stderr, "\n");
    if (status_ == 0) (void)p.drain(std::chrono::milliseconds{2000});
    run_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    if (run_.stop_reason.empty()) run_.stop_reason = "error";
    print_summary(p, run_, o_.json);
    return status_;
}

// With --input, the stream decides the size, the rate and the formats to try.
int Player::open_input()
{
    formats_ = {o_.format};
    fps_ = o_.fps;
    yuv_ = o_.yuv;
    if (o_.yuv_given && o_.input.empty()) {
        const FormatInfo* info = format_info(o_.format);
        if (info && !info->is_yuv) {
            std::fprintf(stderr, "dmafeed: note: --yuv-matrix and --yuv-range apply to YUV formats; %s is RGB\n",
                         name(o_.format).c_str());
        }
    }
    if (o_.input.empty()) return -1;
    auto reader = sources::Y4mReader::open_file(o_.input);
    if (!reader) {
        std::fprintf(stderr, "dmafeed: %s\n", reader.error().message().c_str());
        return 1;
    }
    y4m_.emplace(std::move(*reader));
    const sources::Y4mHeader& h = y4m_->header();
    for (const auto& note : h.notes) std::fprintf(stderr, "dmafeed: note: %s\n", note.c_str());
    if (h.range && !o_.yuv_range_given) {
        yuv_.range = *h.range;  // the stream says how it was encoded
        if (yuv_.range != pixels::YuvRange::limited) {
            std::fprintf(stderr, "dmafeed: note: the stream says XCOLORRANGE=FULL: its frames are %s range "
                                 "(--yuv-range limited shows them decoded as limited range)\n",
                         std::string{pixels::range_name(yuv_.range)}.c_str());
        }
    } else if (h.range && *h.range != o_.yuv.range) {
        std::fprintf(stderr, "dmafeed: note: --yuv-range %s overrides the stream's XCOLORRANGE (%s range)\n",
                     std::string{pixels::range_name(o_.yuv.range)}.c_str(), std::string{pixels::range_name(*h.range)}.c_str());
    }
    formats_ = h.formats();
    if (o_.format_given) {
        if (std::find(formats_.begin(), formats_.end(), o_.format) == formats_.end()) {
            auto conv = sources::Y4mConverter::create(h, o_.format);
            std::fprintf(stderr, "dmafeed: --format: %s\n", conv.error().message().c_str());
            return 2;
        }
        formats_ = {o_.format};
    }
    if (fps_ == 0) fps_ = static_cast<double>(h.fps_num) / h.fps_den;
    return -1;
}

int Player::create_producer()
{
    producer::ProducerConfig config;
    config.modifier = o_.modifier;
    config.width = y4m_ ? y4m_->header().width : o_.width;
    config.height = y4m_ ? y4m_->header().height : o_.height;
    config.buffers = o_.buffers;
    config.timeout = std::chrono::milliseconds{o_.timeout_ms};
    config.sync = o_.sync;
    config.pacing = o_.pacing;
    config.interrupt = &interrupted_;  // SIGINT/SIGTERM end any wait within 100 ms
    config.stride_align = o_.stride_align;
    config.yuv = yuv_;
    config.color = o_.color;
    config.window = {.title = o_.title, .app_id = o_.app_id, .fullscreen = o_.fullscreen};
    config.backends = producer::system_backends({.kind = o_.allocator,
                                                     .device_path = o_.device,
                                                     .prepare_patterns = o_.input.empty(),
                                                     .draw = o_.render,
                                                     .quick_start = o_.quick_start});
    Result<std::unique_ptr<producer::Producer>> created = Error{"no format to try"};
    std::string failures;
    for (const DrmFormat f : formats_) {  // a stream's formats, best first; else the one asked for
        config.format = f;
        created = producer::Producer::create(config);
        if (created) break;
        failures += (failures.empty() ? "" : "\n") + created.error().message();
    }
    if (!created) {
        // A stream names what it is, the formats that would show it and why each failed.
        const std::string why = y4m_ && !o_.format_given ? sources::no_format_for(y4m_->header(), failures).message() : failures;
        std::fprintf(stderr, "dmafeed: %s\n", why.c_str());
        return 1;
    }
    producer_ = std::move(*created);
    if (y4m_) {
        auto conv = sources::Y4mConverter::create(y4m_->header(), config.format);
        if (!conv) {
            std::fprintf(stderr, "dmafeed: %s\n", conv.error().message().c_str());
            return 1;
        }
        converter_.emplace(std::move(*conv));
        direct_planes_ = converter_->stream_planes();
    }
    return -1;
}

std::optional<std::string> Player::stop_reason() const
{
    if (interrupted_) return "interrupted";
    if (o_.frames && run_.frames >= *o_.frames) return "frame count reached";
    if (o_.duration_s && elapsed_s_ >= *o_.duration_s) return "duration reached";
    if (producer_->window().closed()) return "window closed";
    return std::nullopt;
}

// At --fps (or the stream's rate): dispatches events until the next frame is due (with
// commit-timing, half a period before: the compositor holds the frame until its time). The frame
// is then to be shown at its due time (show_at_). Late by a period or more: with --late drop the
// frames whose successor is due already are skipped and counted, so the stream keeps its clock;
// with --late show the beat starts again from now.
Player::Step Player::wait_until_due(bool* due)
{
    *due = false;
    const auto now = Clock::now();
    if (period_.count() == 0) {
        *due = true;
        show_at_.reset();
        return Step::go_on;
    }
    const auto lead = producer_->commit_timing() ? period_ / 2 : Clock::duration::zero();
    if (now < next_frame_ - lead) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_frame_ - lead - now);
        if (auto r = producer_->dispatch(wait); !r) return fail(r.error().message());
        return Step::go_on;
    }
    if (drop_late_) {
        while (now >= next_frame_ + period_) {
            if (skip_frame() == Step::stop) return Step::stop;
            next_frame_ += period_;
        }
        show_at_ = next_frame_;
        next_frame_ += period_;
    } else {
        show_at_ = std::max(next_frame_, now);
        next_frame_ = next_due<Clock>(next_frame_, now, period_);
    }
    *due = true;
    return Step::go_on;
}

// A frame whose time passed while the compositor was busy: read past (a stream) or left out (a
// pattern), and counted.
Player::Step Player::skip_frame()
{
    if (y4m_) {
        auto more = read_looping([&] { return y4m_->next(); });
        if (!more) return fail(more.error().message());
        if (!*more) {
            run_.stop_reason = "end of input";
            return Step::stop;
        }
    }
    ++skipped_;
    producer_->count_late_drop();
    return Step::go_on;
}

// A stream frame that is converted is read before a buffer is taken, so that the end of the input
// leaves no buffer acquired.
Player::Step Player::read_ahead()
{
    if (!y4m_ || direct_planes_) return Step::go_on;
    auto more = read_looping([&] { return y4m_->next(); });
    if (!more) return fail(more.error().message());
    if (!*more) {
        run_.stop_reason = "end of input";
        return Step::stop;
    }
    return Step::go_on;
}

Player::Step Player::fill(const producer::Frame& frame)
{
    producer::Producer& p = *producer_;
    bool read_in_place = false;
    if (read_into_buffer(frame, &read_in_place) == Step::stop) return Step::stop;
    bool in_place = false;
    if (!converter_ && choose_pattern_drawer(frame, &in_place) == Step::stop) return Step::stop;

    const Buffer& buffer = *frame.buffer;
    const auto time_ms = static_cast<uint64_t>(elapsed_s_ * 1000);
    const auto fill_start = Clock::now();
    Result<void> written;
    if (read_in_place) {
        // Read into the buffer by read_into_buffer().
    } else if (in_place) {
        const bool on_gpu = p.draws_on_gpu(frame);
        written = p.draw(frame, sources::pattern_frame(o_.pattern, buffer.width(), buffer.height(), run_.frames + skipped_, time_ms),
                         o_.yuv);
        ++(on_gpu ? run_.gpu_frames : run_.cpu_drawn_frames);
    } else {
        std::vector<PlanePixels> planes;
        if (converter_) {
            planes = converter_->convert(*y4m_);
        } else {
            if (!pattern_ || pattern_->image().width != buffer.width() || pattern_->image().height != buffer.height()) {
                auto made = sources::PatternSource::create(o_.pattern, buffer.format(), buffer.width(), buffer.height(), o_.yuv);
                if (!made) return fail(made.error().message());
                pattern_.emplace(std::move(*made));
            }
            planes = pattern_->render(run_.frames + skipped_, time_ms);
        }
        uint64_t bytes = 0;
        for (const auto& pl : planes) bytes += pl.data.size();
        if (o_.measure_upload && run_.memcpy_mb_per_s == 0) run_.memcpy_mb_per_s = memcpy_rate(bytes);
        const auto write_start = Clock::now();
        written = p.write(frame, planes);
        run_.count_write(frame.buffer_serial, std::chrono::duration<double>(Clock::now() - write_start).count(), bytes);
        ++run_.cpu_frames;
    }
    run_.fill_seconds += std::chrono::duration<double>(Clock::now() - fill_start).count();
    if (!written) return fail(written.error().message());
    return Step::go_on;
}

// A stream whose planes the buffer's are (YUV420, YUV422, YUV444) is read straight into the
// buffer's mappings where its allocator writes in place: one copy a frame. Elsewhere the frame is
// read here and converted by fill().
Player::Step Player::read_into_buffer(const producer::Frame& frame, bool* read_in_place)
{
    if (!y4m_ || !direct_planes_) return Step::go_on;
    producer::Producer& p = *producer_;
    *read_in_place = p.writes_in_place(frame);
    Result<bool> more = false;
    const bool reference_frame =
        o_.measure_upload && *read_in_place && run_.frames % 8 == 4 && run_.time_input_copy(y4m_->upcoming_frame());
    double sync_seconds = 0;
    const auto read_start = Clock::now();
    if (*read_in_place) {
        auto mapped = p.begin_cpu_write(frame);
        const auto copy_start = Clock::now();
        if (!mapped) return fail(mapped.error().message());
        std::array<sources::Y4mReader::PlaneDestination, 3> to{};
        for (size_t i = 0; i < direct_planes_->size(); ++i) to[(*direct_planes_)[i]] = {(*mapped)[i].data, (*mapped)[i].stride};
        more = read_looping([&] { return y4m_->next_into(to); });
        const auto copy_end = Clock::now();
        p.end_cpu_write(frame);
        sync_seconds = std::chrono::duration<double>(copy_start - read_start).count() +
                       std::chrono::duration<double>(Clock::now() - copy_end).count();
        if (y4m_->bounced() && !told_bounce_) {
            std::fprintf(stderr, "dmafeed: note: the input cannot be read straight into the buffer (its file system "
                                 "pins the pages it reads into, which a dma-buf's mapping does not allow): each "
                                 "frame is read, then copied\n");
            told_bounce_ = true;
        }
    } else {
        more = read_looping([&] { return y4m_->next(); });
    }
    if (!more || !*more) {
        (void)p.abandon(frame);
        if (!more) return fail(more.error().message());
        run_.stop_reason = "end of input";
        return Step::stop;
    }
    if (*read_in_place) {
        const double seconds = std::chrono::duration<double>(Clock::now() - read_start).count();
        run_.count_write(frame.buffer_serial, seconds, y4m_->header().frame_bytes(), sync_seconds, !reference_frame);
        run_.fill_seconds += seconds;
        if (o_.measure_upload) run_.measure_in_loop(p, frame, y4m_->header().frame_bytes());
        ++run_.cpu_frames;
    }
    return Step::go_on;
}

// Patterns are drawn in place (what changed only) by the GPU or the CPU, as --render says and the
// buffer allows; else whole frames are drawn on the CPU, then written or uploaded.
Player::Step Player::choose_pattern_drawer(const producer::Frame& frame, bool* in_place)
{
    producer::Producer& p = *producer_;
    const std::string why = p.cannot_draw(frame);
    *in_place = why.empty();
    if (!*in_place && o_.render == producer::PatternDraw::gpu) {
        return fail("--render gpu: this buffer cannot be drawn by the GPU: " + why + " (try --render cpu)");
    }
    // auto: while the GPU pipeline is being built, the first frames are whole CPU frames.
    if (*in_place && o_.render == producer::PatternDraw::automatic && p.draws_on_gpu(frame) && !p.draw_ready(frame)) {
        *in_place = false;
    }
    if (!*in_place && !why.empty() && !told_cpu_render_) {
        std::fprintf(stderr, "dmafeed: note: the pattern is drawn on the CPU in whole frames: %s\n", why.c_str());
        told_cpu_render_ = true;
    }
    return Step::go_on;
}

Player::Step Player::present(const producer::Frame& frame)
{
    producer::Producer& p = *producer_;
    uint64_t show_at_ns = 0;
    if (show_at_) {
        // The due time in the presentation clock (steady_clock is CLOCK_MONOTONIC, as it usually is).
        const auto ahead = std::chrono::duration_cast<std::chrono::nanoseconds>(*show_at_ - Clock::now()).count();
        show_at_ns = static_cast<uint64_t>(std::max<int64_t>(1, static_cast<int64_t>(p.now_ns()) + ahead));
    }
    if (auto r = p.queue(frame, show_at_ns); !r) return fail(r.error().message());
    if (run_.first_commit_ms < 0) {
        run_.first_commit_ms = std::chrono::duration<double, std::milli>(Clock::now() - process_start_).count();
        if (p.choice()) run_.first_allocator = p.choice()->allocator;
    }
    ++run_.frames;
    if (y4m_) {
        // While the compositor shows this frame: the next one's input pages into the page tables.
        const auto t0 = Clock::now();
        run_.prefetch_bytes += y4m_->prefetch_next();
        run_.prefetch_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    if (auto r = p.wait_for_frame(); !r) return fail(r.error().message());
    return Step::go_on;
}

void Player::show_status()
{
    if (!tty_ || Clock::now() < next_status_) return;
    next_status_ = Clock::now() + std::chrono::milliseconds{500};
    const producer::Producer& p = *producer_;
    const auto s = p.stats();
    std::fprintf(stderr, "\r\033[K%llu frames | %.1f fps | latency p50 %.1f ms p99 %.1f ms | %llu dropped | %s",
                 static_cast<unsigned long long>(run_.frames), s.presented_fps, s.latency_p50_ms, s.latency_p99_ms,
                 static_cast<unsigned long long>(s.dropped), p.choice() ? p.choice()->to_string().c_str() : "negotiating");
}

template <class Read>
Result<bool> Player::read_looping(Read&& read)
{
    Result<bool> more = read();
    if (!o_.loop || !more || *more || y4m_->frames() == 0) return more;
    if (auto back = y4m_->rewind(); !back) return std::move(back).error();
    ++run_.input_loops;
    return read();
}

void Player::show_progress()
{
    if (o_.progress_s <= 0 || Clock::now() < next_progress_) return;
    const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.progress_s));
    while (next_progress_ <= Clock::now()) next_progress_ += period;
    const producer::StatsSnapshot s = producer_->stats();
    const ProcessUsage u = process_usage();
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    // The mean latency of the frames presented since the last line (0: none were).
    const uint64_t n = s.presented - progress_presented_;
    const double recent_ms = n ? static_cast<double>(s.latency_total_ns - progress_latency_ns_) / static_cast<double>(n) / 1e6 : 0;
    progress_presented_ = s.presented;
    progress_latency_ns_ = s.latency_total_ns;
    const auto ull = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    if (o_.json) {
        std::fprintf(stderr,
                     "{\"progress\": {\"seconds\": %.3f, \"frames\": %llu, \"presented\": %llu, \"presented_fps\": %.2f, "
                     "\"latency_ms\": {\"p50\": %.2f, \"p99\": %.2f, \"max\": %.2f, \"recent_mean\": %.2f}, "
                     "\"dropped\": %llu, \"discarded\": %llu, \"refused_buffers\": %llu, \"input_loops\": %llu, "
                     "\"rss_bytes\": %llu, \"heap_bytes\": %llu, \"open_fds\": %d, \"dmabufs\": %d}}\n",
                     seconds, ull(run_.frames), ull(s.presented), s.presented_fps, s.latency_p50_ms, s.latency_p99_ms,
                     s.latency_max_ms, recent_ms, ull(s.dropped), ull(s.discarded), ull(s.refused), ull(run_.input_loops),
                     ull(u.resident_bytes), ull(u.heap_bytes), u.open_fds, u.dmabufs);
    } else {
        std::fprintf(stderr,
                     "%sdmafeed: %.0f s: %llu frames, %llu presented (%.1f fps), latency p50 %.1f ms p99 %.1f ms (last "
                     "%g s: mean %.1f ms), %llu dropped, %llu refused, RSS %.1f MiB, %d open files (%d dma-bufs)\n",
                     tty_ ? "\r\033[K" : "", seconds, ull(run_.frames), ull(s.presented), s.presented_fps,
                     s.latency_p50_ms, s.latency_p99_ms, o_.progress_s, recent_ms, ull(s.dropped), ull(s.refused),
                     static_cast<double>(u.resident_bytes) / (1024.0 * 1024.0), u.open_fds, u.dmabufs);
    }
}

Player::Step Player::fail(const std::string& message)
{
    std::fprintf(stderr, "\ndmafeed: %s\n", message.c_str());
    status_ = 1;
    return Step::stop;
}

}  // namespace dmafeed::cli

// The dmafeed player: one run from the options to the summary. A producer for the format (a Y4M
// stream's formats in turn, best first), then per frame, in named steps: stop?, pace (--fps or
// the stream's rate; a frame late by a period is skipped with --late drop), read the stream frame
// ahead where it is converted, acquire a buffer, fill it (the stream read straight into its
// mapping; a pattern drawn in place by the GPU or the CPU; or whole CPU pixels written or
// uploaded), present it (commit with its show-at time, then wait until the compositor takes the
// next: Producer::wait_for_frame), and a status line on a terminal. --measure-upload adds the reference copies of the upload benchmark;
// nothing else is measured beyond the counters the summary prints.
#pragma once

#include "cli/options.hpp"
#include "cli/run_report.hpp"
#include "producer/producer.hpp"
#include "sources/pattern.hpp"
#include "sources/y4m.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dmafeed::cli {

class Player {
public:
    using Clock = std::chrono::steady_clock;

    // `interrupted` turns true on SIGINT/SIGTERM: the run stops after the frame in progress.
    Player(const Options& options, Clock::time_point process_start, const std::atomic<bool>& interrupted)
        : o_{options}, process_start_{process_start}, interrupted_{interrupted}
    {
    }
    // The exit status: 0, 1 (an error, printed), 2 (options that do not fit the input).
    int run();

private:
    enum class Step { go_on, stop };

    int open_input();       // -1: done; else the exit status
    int create_producer();  // the same
    std::optional<std::string> stop_reason() const;
    Step wait_until_due(bool* due);
    Step skip_frame();
    Step read_ahead();
    Step fill(const producer::Frame& frame);
    Step read_into_buffer(const producer::Frame& frame, bool* read_in_place);
    Step choose_pattern_drawer(const producer::Frame& frame, bool* in_place);
    Step present(const producer::Frame& frame);
    void show_status();
    void show_progress();  // --progress
    // Reads the next Y4M frame with `read`; at the end of a --loop input, from the start again.
    template <class Read>
    Result<bool> read_looping(Read&& read);
    Step fail(const std::string& message);

    const Options& o_;
    // The frames' YUV encoding: --yuv-matrix and --yuv-range, else a Y4M stream's XCOLORRANGE.
    pixels::YuvEncoding yuv_;
    Clock::time_point process_start_;
    const std::atomic<bool>& interrupted_;
    std::optional<sources::Y4mReader> y4m_;
    std::optional<sources::Y4mConverter> converter_;
    std::optional<std::vector<int>> direct_planes_;  // the stream plane each format plane is, when all are
    std::vector<DrmFormat> formats_;
    double fps_ = 0;
    std::unique_ptr<producer::Producer> producer_;
    std::optional<sources::PatternSource> pattern_;
    Run run_;
    int status_ = 0;
    bool told_cpu_render_ = false;
    bool told_bounce_ = false;
    bool tty_ = false;
    Clock::time_point start_, next_status_, next_frame_, next_progress_;
    // The last progress line's presented frames and latency total: the mean over the span since.
    uint64_t progress_presented_ = 0, progress_latency_ns_ = 0;
    Clock::duration period_{};
    std::optional<Clock::time_point> show_at_;  // the frame in progress's time to be shown at (--fps)
    bool drop_late_ = false;                    // --late drop
    uint64_t skipped_ = 0;                      // frames left out because their time had passed
    double elapsed_s_ = 0;  // from the start to the frame in progress
};

}  // namespace dmafeed::cli

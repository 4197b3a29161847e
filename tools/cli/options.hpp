// The dmafeed command line: parsing (pure, unit-tested) and --help.
#pragma once

#include "drm/format.hpp"
#include "producer/backends.hpp"
#include "producer/producer.hpp"
#include "sources/pattern.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dmafeed::cli {

struct Options {
    uint32_t width = 0;  // 0 x 0: the compositor's configure, else 640 x 480
    uint32_t height = 0;
    DrmFormat format{DrmFormat{0x34325258}};  // XRGB8888
    std::optional<DrmModifier> modifier;      // unset: auto
    producer::AllocatorKind allocator = producer::AllocatorKind::automatic;
    std::string device;
    bool quick_start = true;  // AllocatorOptions::quick_start (--no-quick-start)
    double fps = 0;  // 0: as fast as the compositor asks (frame callbacks)
    std::optional<uint64_t> frames;
    std::optional<double> duration_s;
    sources::PatternSpec pattern;
    bool pattern_given = false;
    producer::PatternDraw render = producer::PatternDraw::automatic;  // who draws patterns
    bool render_given = false;
    pixels::YuvEncoding yuv;  // how YUV frames are encoded (patterns) or were (--input)
    bool yuv_given = false;
    bool yuv_range_given = false;  // --yuv-range: over a Y4M stream's XCOLORRANGE
    // What the frames' colours mean (--transfer, --primaries, HDR metadata); checked (completed())
    // after parsing: a transfer function once anything is given, legal metadata.
    pixels::ColorSpace color;
    std::string input;  // a Y4M file, or "-" for standard input
    bool loop = false;  // --input read again from its first frame at its end
    bool size_given = false, format_given = false;
    bool fullscreen = false;
    std::string title = "dmafeed";
    std::string app_id = "dmafeed";
    producer::SyncMode sync = producer::SyncMode::automatic;
    producer::Pacing pacing = producer::Pacing::automatic;
    // A frame whose time has passed: dropped (true) or shown late (false); unset: dropped with
    // --input (the stream keeps its clock), shown for patterns.
    std::optional<bool> drop_late;
    uint32_t stride_align = 0;
    size_t buffers = 3;
    int timeout_ms = 5000;  // bound on every wait for the compositor
    bool json = false;
    double progress_s = 0;  // > 0: a progress line on stderr every progress_s seconds
    // Benchmark work in the frame loop (tools/bench-present asks for it): the upload measured
    // against copies of the same bytes, and the CPU-access bracket in a row.
    bool measure_upload = false;
    bool list_formats = false;
    bool help = false;
    bool version = false;
};

// Parses argv[1..]. Errors name the option and what it takes (exit status 2).
Result<Options> parse(std::span<const char* const> args);
// The arguments that parse() reads back as `o` (for Options that parse() gave): the options given
// or not at their defaults, in --help's order, each value its own argument; formats and
// modifiers by name where the name reads back as the same value, else in hex.
std::vector<std::string> to_args(const Options& o);
std::string help_text();

}  // namespace dmafeed::cli

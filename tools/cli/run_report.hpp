// What one run of the player measured, and its summary: frames, the fill and upload figures
// (with --measure-upload, the reference copies beside the Y4M upload), CPU time, and the
// producer's stats, printed as text or JSON at the end.
#pragma once

#include "producer/producer.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dmafeed::cli {

struct Run {
    uint64_t frames = 0;
    double seconds = 0;
    double first_presented_ms = -1;  // from the start of the process to the first presented frame
    double first_commit_ms = -1;     // from the start of the process to the first commit of a buffer
    std::string stop_reason;
    uint64_t input_loops = 0;        // --loop: times the input was started again from its first frame
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
    bool time_input_copy(std::span<const uint8_t> input);

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
double cpu_ms();
// The best of 10 memcpy runs of `bytes`, in MB/s.
double memcpy_rate(uint64_t bytes);
// The summary at the end of a run: text on stderr, or JSON on stdout.
void print_summary(const producer::Producer& p, const Run& run, bool json);

}  // namespace dmafeed::cli

// YUV4MPEG2 (Y4M) input, the format ffmpeg writes with `-f yuv4mpegpipe`.
//
// Header: "YUV4MPEG2" then space-separated parameters, '\n'-terminated: W<width> H<height> (both
// required), F<num>:<den> (frame rate; 25:1 when absent), C<chroma> (420jpeg when absent), and
// I (interlacing), A (pixel aspect) and X (comments): a note for interlaced frames, pixels that are
// not square and unknown comments, which are shown as progressive, square and nothing; no note for
// 'Ip', 'A1:1' or 'A0:0'. Two X tags are read: XCOLORRANGE=LIMITED or XCOLORRANGE=FULL, the range
// ffmpeg's yuv4mpegpipe muxer writes when it knows it (from the stream's color_range: LIMITED for
// "tv"/MPEG range, FULL for "pc"/JPEG range and the yuvj pixel formats; nothing when unknown), and
// XYSCSS=, ffmpeg's repetition of the C tag's chroma (XYSCSS=420JPEG after C420jpeg), noted only
// where it disagrees with it. Current ffmpeg writes no other X tag.
// Chroma: 420jpeg, 420mpeg2, 420paldv, 420 (8-bit 4:2:0), 422, 444, 420p10 and 444p10 (10-bit
// 4:2:0 and 4:4:4, little-endian 16-bit samples in the low bits, as ffmpeg's yuv420p10le and
// yuv444p10le). Frames: "FRAME" with optional parameters, '\n', then the planes Y, Cb, Cr, each
// tightly packed.
//
// Everything in a stream is untrusted: sizes are bounded (16384 x 16384), a 4:2:0 stream must have
// an even size, header and FRAME lines are bounded (4096 bytes), and every error names the byte
// offset and, inside the frames, the frame number. A frame cut short at the end is an error for
// that frame only: the frames before it have been returned already.
//
// A regular file is read through a mapping of it. A file that shrinks while it is read (truncated,
// or rewritten by another program) is an error from then on, never a SIGBUS: see y4m.cpp for how
// (the first mapped file installs a SIGBUS handler that passes every fault but its own on to the
// handler it replaced).
#pragma once

#include "drm/format.hpp"
#include "pixels/plane_pixels.hpp"
#include "pixels/texel.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dmafeed::sources {

enum class Y4mChroma { c420, c422, c444, c420p10, c444p10 };

struct Y4mHeader {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t fps_num = 25;
    uint32_t fps_den = 1;
    Y4mChroma chroma = Y4mChroma::c420;
    std::string chroma_tag = "420jpeg";
    // XCOLORRANGE: the range the samples were encoded in (LIMITED: Y' 16..235 and CbCr 16..240 in
    // 8 bits, shifted up for 10; FULL: 0..255, 0..1023); unset when the stream does not say.
    std::optional<pixels::YuvRange> range;
    std::vector<std::string> notes;  // ignored parameters, one sentence each
    bool ten_bit() const noexcept { return chroma == Y4mChroma::c420p10 || chroma == Y4mChroma::c444p10; }
    uint32_t bytes_per_sample() const noexcept { return ten_bit() ? 2 : 1; }
    uint32_t chroma_width() const noexcept;
    uint32_t chroma_height() const noexcept;
    uint64_t frame_bytes() const noexcept;
    // The DRM formats that show this stream, best first (YUV420 before NV12: no interleaving;
    // 444p10: Q410, then Q401, both three planes of 10 bits in the high bits of 16).
    std::vector<DrmFormat> formats() const;
    // "96x64 444p10 (10-bit 4:4:4) at 25:1 fps", "4x2 420jpeg (8-bit 4:2:0, full range) at 25:1
    // fps" (with an XCOLORRANGE), for messages.
    std::string describe() const;
};

// The error for a stream that no format of formats() can show here: what the stream is, which
// formats would show it, and why each failed (`failures`: the producer's errors, one a format,
// which say what the compositor and the allocators offer).
Error no_format_for(const Y4mHeader& header, const std::string& failures);

// Reads up to `size` bytes into `dst`; returns the count (0 at the end), or -1 with errno.
using ReadFn = std::function<long(uint8_t* dst, size_t size)>;

class Y4mReader {
public:
    // Parses the header. `source` names the input in errors ("stdin", a path).
    static Result<Y4mReader> open(ReadFn read, std::string source);
    static Result<Y4mReader> open_file(const std::string& path);  // "-": standard input

    const Y4mHeader& header() const noexcept { return header_; }
    // Reads the next frame into the reused frame buffer: true with a frame, false at a clean end.
    Result<bool> next();
    // Reads the next frame straight into `planes` instead (Y, Cb, Cr: where each plane's first
    // row goes and how far apart its rows are, at least the stream's row bytes): one copy from
    // the input into, say, a mapped buffer. plane() then has nothing. On an error the planes
    // hold part of a frame.
    struct PlaneDestination {
        uint8_t* data = nullptr;
        uint32_t stride = 0;
    };
    Result<bool> next_into(std::span<const PlaneDestination> planes);
    uint64_t frames() const noexcept { return frames_; }  // frames read so far (every pass of a loop)
    // Goes back to the first frame (to play a file in a loop); frames() goes on counting. Errors:
    // standard input or a pipe, which cannot be read again.
    Result<void> rewind();
    // Whether reads go through a buffer of the reader's own, then a copy: after a read answered
    // EFAULT (a file system that pins the destination's pages, as 9p and direct I/O do, cannot
    // read into a dma-buf's mapping).
    bool bounced() const noexcept { return bounce_; }
    // The planes of the last frame read: 0 = Y, 1 = Cb, 2 = Cr.
    std::span<const uint8_t> plane(size_t index) const;
    // Read-ahead for a mapped file (open_file of a regular file): puts the next frame's pages in
    // the page tables (MADV_POPULATE_READ; MADV_WILLNEED where the kernel lacks it, which only
    // reads them into the page cache), so that reading that frame is one memcpy without a page
    // fault every few pages. For a caller to do while the current frame is shown. Returns the
    // bytes asked for: 0 for other inputs and at the end of the mapping.
    uint64_t prefetch_next();
    // A mapped file's next frame data, in place (after its FRAME line, frame_bytes() long), for
    // a caller that measures a copy of exactly the bytes the next read will copy; empty for other
    // inputs, at the end, where the FRAME line or the frame is not whole in the mapping, or where
    // the file has shrunk since it was mapped. The span is the mapping itself: a caller's read of
    // it is not guarded as the reader's own are, and faults if the file shrinks meanwhile.
    std::span<const uint8_t> upcoming_frame() const;

private:
    Y4mReader(ReadFn read, std::string source) : read_{std::move(read)}, source_{std::move(source)} {}
    static Result<Y4mReader> parse_header(Y4mReader r);
    Result<size_t> fill(uint8_t* dst, size_t size);  // reads until `size` or the end
    long read_input(uint8_t* dst, size_t size);      // one read at offset_: read_, or pread of fd_
    // A mapped file, before each frame: an error when the file is smaller than its mapping; and
    // whether the mapping may be read (the SIGBUS guard is in place) or pread is to be used.
    Result<void> check_mapping();
    Error mapping_shrank();  // the error, from then on, of a mapped file that shrank
    // Up to '\n', bounded; read a byte at a time, so that no frame data is read ahead.
    Result<std::string> line(const char* what);
    // The FRAME line: true when one was read, false at a clean end.
    Result<bool> frame_line();
    // A frame cut short by the end of the input; a mapped file's shrink, if it shrank meanwhile.
    Error cut_short(uint64_t data_start, uint64_t have);

    ReadFn read_;
    std::string source_;
    UniqueFd fd_;  // open_file's
    // open_file's mapping of a regular file (offset_ is the position in it; past its end, the file
    // is read with pread: it grew since).
    std::shared_ptr<const uint8_t> mapped_;
    size_t mapped_size_ = 0;
    bool mapping_guarded_ = false;       // this frame's reads of the mapping run under the guard
    std::string mapping_lost_;           // non-empty: the file shrank, this is the error
    bool populate_unsupported_ = false;  // MADV_POPULATE_READ failed with EINVAL: WILLNEED instead
    Y4mHeader header_;
    std::vector<uint8_t> frame_;
    bool bounce_ = false;
    std::vector<uint8_t> bounce_buffer_;
    uint64_t offset_ = 0;
    uint64_t data_start_ = 0;  // where the first FRAME line starts: after the header
    uint64_t frames_ = 0;
};

// Lays a Y4M frame out as the planes of `format`, as the format's texel layout (pixels/texel.hpp)
// places the samples: a plane that holds the stream's samples as they are is passed through
// (YUV420/YUV422/YUV444, NV12's Y); the others are written into reused buffers (NV12/NV16/NV24: Cb
// and Cr interleaved; P010: 10-bit samples in the high bits of 16, interleaved; Q410/Q401: the same
// in three planes, Q401 with Cr before Cb). A 10-bit sample above 1023 (the stream's high 6 bits
// set) is clamped to 1023. Errors: a format that does not fit the stream's chroma.
class Y4mConverter {
public:
    static Result<Y4mConverter> create(const Y4mHeader& header, DrmFormat format);
    // Whether every plane of the format is a stream plane as it is (YUV420, YVU420, YUV422,
    // YUV444), and which: then Y4mReader::next_into can read a frame straight into the buffer.
    std::optional<std::vector<int>> stream_planes() const;
    // Valid until the next convert() (or the reader's next()). Empty when the reader's last frame
    // was read with next_into().
    std::vector<PlanePixels> convert(const Y4mReader& reader);

private:
    struct Plane {
        const pixels::TexelLayout* layout = nullptr;
        uint32_t width = 0, height = 0;  // texels
        int stream_plane = -1;           // passed through: the stream's plane (0 Y, 1 Cb, 2 Cr)
        std::vector<uint8_t> bytes;      // otherwise: written here
    };
    Y4mHeader header_;
    std::vector<Plane> planes_;
};

}  // namespace dmafeed::sources

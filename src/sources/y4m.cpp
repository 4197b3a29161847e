#include "sources/y4m.hpp"

#include "util/frame_copy.hpp"
#include "util/sigbus_guard.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dmafeed::sources {
namespace {

constexpr uint32_t max_dimension = 16384;
constexpr size_t max_line = 4096;

std::optional<uint32_t> to_u32(std::string_view s)
{
    uint32_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

uint32_t Y4mHeader::chroma_width() const noexcept
{
    return chroma == Y4mChroma::c444 || chroma == Y4mChroma::c444p10 ? width : (width + 1) / 2;
}

uint32_t Y4mHeader::chroma_height() const noexcept
{
    return chroma == Y4mChroma::c420 || chroma == Y4mChroma::c420p10 ? (height + 1) / 2 : height;
}

uint64_t Y4mHeader::frame_bytes() const noexcept
{
    return (uint64_t{width} * height + 2 * uint64_t{chroma_width()} * chroma_height()) * bytes_per_sample();
}

std::vector<DrmFormat> Y4mHeader::formats() const
{
    switch (chroma) {
    case Y4mChroma::c420: return {DrmFormat{DRM_FORMAT_YUV420}, DrmFormat{DRM_FORMAT_NV12}};
    case Y4mChroma::c422: return {DrmFormat{DRM_FORMAT_YUV422}, DrmFormat{DRM_FORMAT_NV16}};
    case Y4mChroma::c444: return {DrmFormat{DRM_FORMAT_YUV444}, DrmFormat{DRM_FORMAT_NV24}};
    case Y4mChroma::c420p10: return {DrmFormat{DRM_FORMAT_P010}};
    case Y4mChroma::c444p10: return {DrmFormat{DRM_FORMAT_Q410}, DrmFormat{DRM_FORMAT_Q401}};
    }
    return {};
}

std::string Y4mHeader::describe() const
{
    const char* kind = "";
    switch (chroma) {
    case Y4mChroma::c420: kind = "8-bit 4:2:0"; break;
    case Y4mChroma::c422: kind = "8-bit 4:2:2"; break;
    case Y4mChroma::c444: kind = "8-bit 4:4:4"; break;
    case Y4mChroma::c420p10: kind = "10-bit 4:2:0"; break;
    case Y4mChroma::c444p10: kind = "10-bit 4:4:4"; break;
    }
    // Spelt here rather than by pixels::range_name: the fuzz targets build this file with texel.cpp alone.
    const char* said_range = !range ? "" : *range == pixels::YuvRange::full ? ", full range" : ", limited range";
    return std::to_string(width) + "x" + std::to_string(height) + " " + chroma_tag + " (" + kind + said_range + ") at " +
           std::to_string(fps_num) + ":" + std::to_string(fps_den) + " fps";
}

Error no_format_for(const Y4mHeader& header, const std::string& failures)
{
    std::string list;
    const auto formats = header.formats();
    for (size_t i = 0; i < formats.size(); ++i) {
        list += (i == 0 ? "" : i + 1 == formats.size() ? " or " : ", ") + name(formats[i]);
    }
    std::string why;
    if (header.chroma == Y4mChroma::c444p10) {
        why = " (three planes of 10-bit samples in 16 bits; an 8-bit or RGB format would lose bits or change the colours)";
    }
    return Error{"cannot show the Y4M stream, " + header.describe() + ": it is shown as " + list + why +
                 ", and none of them works here:\n" + failures};
}

Result<Y4mReader> Y4mReader::open_file(const std::string& path)
{
    if (path == "-") {
        return open([](uint8_t* dst, size_t size) { return static_cast<long>(::read(STDIN_FILENO, dst, size)); }, "stdin");
    }
    UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) return Error::from_errno("open " + path, errno);
    const int raw = fd.get();
    // A regular file is mapped: a frame is then one copy from the page cache into its
    // destination (a buffer's mapping), not a read() into it, which costs the kernel a copy loop
    // per page. Past the mapped size (a file that grew since) it is read.
    struct stat st {};
    if (fstat(raw, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        const auto size = static_cast<size_t>(st.st_size);
        void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, raw, 0);
        if (map != MAP_FAILED) {
            madvise(map, size, MADV_SEQUENTIAL);
            Y4mReader r{nullptr, path};
            r.fd_ = std::move(fd);
            r.mapped_ = std::shared_ptr<const uint8_t>{static_cast<const uint8_t*>(map), [size](const uint8_t* m) {
                                                           munmap(const_cast<uint8_t*>(m), size);
                                                       }};
            r.mapped_size_ = size;
            if (auto ok = r.check_mapping(); !ok) return std::move(ok).error();
            return parse_header(std::move(r));
        }
    }
    Y4mReader r{[raw](uint8_t* dst, size_t size) { return static_cast<long>(::read(raw, dst, size)); }, path};
    r.fd_ = std::move(fd);
    return parse_header(std::move(r));
}

Result<void> Y4mReader::rewind()
{
    if (!fd_) {
        return Error{"cannot play " + source_ +
                     " in a loop: it is read as a stream (standard input), which cannot be read again; give a file"};
    }
    if (!mapped_ && ::lseek(fd_.get(), static_cast<off_t>(data_start_), SEEK_SET) < 0) {
        const int e = errno;
        if (e == ESPIPE) return Error{"cannot play " + source_ + " in a loop: a pipe cannot be read again; give a file"};
        return Error::from_errno("cannot play " + source_ + " in a loop: lseek", e);
    }
    offset_ = data_start_;
    return {};
}

Result<void> Y4mReader::check_mapping()
{
    if (!mapped_) return {};
    if (!mapping_lost_.empty()) return Error{mapping_lost_};
    struct stat st {};
    if (fstat(fd_.get(), &st) != 0) return Error::from_errno("fstat " + source_, errno);
    if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) < mapped_size_) return mapping_shrank();
    mapping_guarded_ = sigbus_guard_in_place();
    return {};
}

Error Y4mReader::mapping_shrank()
{
    if (mapping_lost_.empty()) {
        struct stat st {};
        const std::string now = fstat(fd_.get(), &st) == 0 ? "to " + std::to_string(st.st_size) + " bytes " : "";
        mapping_lost_ = source_ + ": byte " + std::to_string(offset_) + ": the file shrank " + now + "while it was read (" +
                        std::to_string(mapped_size_) + " bytes when opened): truncated or rewritten by another program?";
    }
    return Error{mapping_lost_};
}

uint64_t Y4mReader::prefetch_next()
{
    if (!mapped_ || offset_ >= mapped_size_) return 0;
    // The FRAME line (a few bytes, or up to max_line with parameters) and the frame's data.
    const uint64_t want = std::min<uint64_t>(mapped_size_ - offset_, header_.frame_bytes() + 64);
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t begin = reinterpret_cast<uintptr_t>(mapped_.get() + offset_) & ~(page - 1);
    const uintptr_t end = reinterpret_cast<uintptr_t>(mapped_.get() + offset_ + want);
    void* start = reinterpret_cast<void*>(begin);
    if (!populate_unsupported_ && madvise(start, end - begin, MADV_POPULATE_READ) != 0 && errno == EINVAL) {
        populate_unsupported_ = true;  // before Linux 5.14
    }
    if (populate_unsupported_) madvise(start, end - begin, MADV_WILLNEED);
    return want;
}

std::span<const uint8_t> Y4mReader::upcoming_frame() const
{
    if (!mapped_ || offset_ >= mapped_size_ || !mapping_lost_.empty() || !mapping_guarded_) return {};
    struct stat st {};
    if (fstat(fd_.get(), &st) != 0 || st.st_size < 0 || static_cast<uint64_t>(st.st_size) < mapped_size_) return {};
    const uint8_t* at = mapped_.get() + offset_;
    const size_t left = mapped_size_ - offset_;
    const size_t span = std::min<size_t>(max_line + 1, left);
    const void* newline = nullptr;
    if (!sigbus_guarded(at, span, [&] { newline = std::memchr(at, '\n', span); }) || !newline) return {};
    const size_t data = static_cast<size_t>(static_cast<const uint8_t*>(newline) - at) + 1;
    if (left - data < header_.frame_bytes()) return {};
    return {at + data, static_cast<size_t>(header_.frame_bytes())};
}

long Y4mReader::read_input(uint8_t* dst, size_t size)
{
    if (mapped_) return static_cast<long>(::pread(fd_.get(), dst, size, static_cast<off_t>(offset_)));
    return read_(dst, size);
}

Result<size_t> Y4mReader::fill(uint8_t* dst, size_t size)
{
    size_t got = 0;
    while (got < size) {
        const bool in_mapping = mapped_ && offset_ < mapped_size_;
        if (!mapping_lost_.empty()) return Error{mapping_lost_};
        if (in_mapping && mapping_guarded_) {
            const size_t n = std::min<uint64_t>(size - got, mapped_size_ - offset_);
            const uint8_t* src = mapped_.get() + offset_;
            uint8_t* to = dst + got;
            if (!sigbus_guarded(src, n, [&] { copy_frame_bytes(to, src, n); })) return mapping_shrank();
            got += n;
            offset_ += n;
            continue;
        }
        long n = 0;
        if (!bounce_) {
            n = read_input(dst + got, size - got);
            if (n < 0 && errno == EFAULT) {
                // The input's file system pins the destination's pages (9p, direct I/O), which a
                // dma-buf's mapping does not allow; nothing was read: read through memory of ours.
                bounce_ = true;
                continue;
            }
        } else {
            if (bounce_buffer_.empty()) bounce_buffer_.resize(size_t{1} << 20U);
            n = read_input(bounce_buffer_.data(), std::min(size - got, bounce_buffer_.size()));
            if (n > 0) copy_frame_bytes(dst + got, bounce_buffer_.data(), static_cast<size_t>(n));
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::from_errno("read " + source_, errno);
        }
        if (n == 0) {
            if (in_mapping) return mapping_shrank();  // pread found the end inside the mapped size
            break;
        }
        got += static_cast<size_t>(n);
        offset_ += static_cast<size_t>(n);
    }
    return got;
}

Result<std::string> Y4mReader::line(const char* what)
{
    std::string out;
    const uint64_t start = offset_;
    if (mapped_ && mapping_guarded_ && offset_ < mapped_size_ && mapping_lost_.empty()) {
        // A mapped file: the line's end is found in the mapping, and the line taken in one read
        // rather than a read a byte (a FRAME line per frame). Anything unusual (no newline within
        // the longest line, the mapping's end) goes the byte-by-byte way below, which says what.
        const uint8_t* at = mapped_.get() + offset_;
        const size_t span = std::min<size_t>(max_line + 1, mapped_size_ - offset_);
        const void* newline = nullptr;
        if (!sigbus_guarded(at, span, [&] { newline = std::memchr(at, '\n', span); })) return mapping_shrank();
        if (newline) {
            out.resize(static_cast<size_t>(static_cast<const uint8_t*>(newline) - at) + 1);
            auto got = fill(reinterpret_cast<uint8_t*>(out.data()), out.size());
            if (!got) return std::move(got).error();
            if (*got == out.size()) {
                out.pop_back();
                return out;
            }
            return Error{source_ + ": byte " + std::to_string(start) + ": the " + what + " line ends without a newline"};
        }
    }
    uint8_t c = 0;
    while (true) {
        auto got = fill(&c, 1);
        if (!got) return std::move(got).error();
        if (*got == 0) {
            if (out.empty()) return std::string{};
            return Error{source_ + ": byte " + std::to_string(start) + ": the " + what + " line ends without a newline"};
        }
        if (c == '\n') return out;
        if (out.size() >= max_line) {
            return Error{source_ + ": byte " + std::to_string(start) + ": the " + what + " line is longer than " +
                         std::to_string(max_line) + " bytes"};
        }
        out += static_cast<char>(c);
    }
}

Result<Y4mReader> Y4mReader::open(ReadFn read, std::string source)
{
    return parse_header(Y4mReader{std::move(read), std::move(source)});
}

Result<Y4mReader> Y4mReader::parse_header(Y4mReader r)
{
    auto header_line = r.line("header");
    if (!header_line) return std::move(header_line).error();
    const std::string& h = *header_line;
    auto bad = [&](const std::string& why) { return Error{r.source_ + ": byte 0: not a Y4M stream: " + why}; };
    if (h.rfind("YUV4MPEG2", 0) != 0) return bad("it does not start with \"YUV4MPEG2\"");
    Y4mHeader& hd = r.header_;
    bool have_w = false, have_h = false;
    size_t pos = 9;
    while (pos < h.size()) {
        if (h[pos] == ' ') {
            ++pos;
            continue;
        }
        const size_t end = std::min(h.find(' ', pos), h.size());
        const std::string_view tok{h.data() + pos, end - pos};
        const std::string at = "byte " + std::to_string(pos);
        const std::string_view val = tok.substr(1);
        switch (tok[0]) {
        case 'W':
        case 'H': {
            const auto v = to_u32(val);
            if (!v || *v == 0 || *v > max_dimension) {
                return Error{r.source_ + ": " + at + ": '" + std::string{tok} + "': the " +
                             (tok[0] == 'W' ? "width" : "height") + " must be 1.." + std::to_string(max_dimension)};
            }
            (tok[0] == 'W' ? hd.width : hd.height) = *v;
            (tok[0] == 'W' ? have_w : have_h) = true;
            break;
        }
        case 'F': {
            const size_t colon = val.find(':');
            const auto num = colon == std::string_view::npos ? std::nullopt : to_u32(val.substr(0, colon));
            const auto den = colon == std::string_view::npos ? std::nullopt : to_u32(val.substr(colon + 1));
            if (!num || !den || *num == 0 || *den == 0) {
                return Error{r.source_ + ": " + at + ": '" + std::string{tok} + "': the frame rate must be F<num>:<den>, both > 0"};
            }
            hd.fps_num = *num;
            hd.fps_den = *den;
            break;
        }
        case 'C': {
            if (val == "420jpeg" || val == "420mpeg2" || val == "420paldv" || val == "420") {
                hd.chroma = Y4mChroma::c420;
            } else if (val == "422") {
                hd.chroma = Y4mChroma::c422;
            } else if (val == "444") {
                hd.chroma = Y4mChroma::c444;
            } else if (val == "420p10") {
                hd.chroma = Y4mChroma::c420p10;
            } else if (val == "444p10") {
                hd.chroma = Y4mChroma::c444p10;
            } else {
                return Error{r.source_ + ": " + at + ": unknown chroma '" + std::string{val} +
                             "': dmafeed reads 420jpeg, 420mpeg2, 420paldv, 420, 422, 444, 420p10 and 444p10"};
            }
            hd.chroma_tag = val;
            break;
        }
        // Notes only for what is not shown as the stream says: progressive frames ('p') and square
        // pixels (1:1) are, and '?' and 0:0 say nothing.
        case 'I':
            if (val != "p" && val != "?") hd.notes.push_back("interlacing '" + std::string{val} + "' ignored: frames are shown whole");
            break;
        case 'A':
            if (val != "1:1" && val != "0:0") hd.notes.push_back("pixel aspect '" + std::string{val} + "' ignored: pixels are shown square");
            break;
        case 'X': {
            if (val.starts_with("YSCSS=")) {
                // ffmpeg's repetition of the C tag (C420jpeg: XYSCSS=420JPEG); noted only where they disagree.
                std::string c = hd.chroma_tag;
                for (char& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                if (val.substr(6) != c) {
                    hd.notes.push_back("'" + std::string{tok} + "' disagrees with the chroma " + hd.chroma_tag +
                                       " before it: the C tag is what is read");
                }
                break;
            }
            if (!val.starts_with("COLORRANGE=")) {
                hd.notes.push_back("comment '" + std::string{val} + "' ignored");
                break;
            }
            const std::string_view range = val.substr(11);
            std::optional<pixels::YuvRange> read;
            if (range == "LIMITED") read = pixels::YuvRange::limited;
            if (range == "FULL") read = pixels::YuvRange::full;
            if (!read) {
                return Error{r.source_ + ": " + at + ": '" + std::string{tok} +
                             "': the colour range must be XCOLORRANGE=LIMITED or XCOLORRANGE=FULL"};
            }
            if (hd.range && *hd.range != *read) {
                return Error{r.source_ + ": " + at + ": '" + std::string{tok} + "' contradicts the XCOLORRANGE before it"};
            }
            hd.range = read;
            break;
        }
        default:
            return Error{r.source_ + ": " + at + ": unknown header parameter '" + std::string{tok} + "'"};
        }
        pos = end;
    }
    if (!have_w || !have_h) return bad("the header has no " + std::string{!have_w ? "W (width)" : "H (height)"});
    r.data_start_ = r.offset_;
    if ((hd.chroma == Y4mChroma::c420 || hd.chroma == Y4mChroma::c420p10) && (hd.width % 2 || hd.height % 2)) {
        return Error{r.source_ + ": " + std::to_string(hd.width) + "x" + std::to_string(hd.height) +
                     " is an odd size for 4:2:0 (chroma " + hd.chroma_tag + "); the width and height must be even"};
    }
    return r;
}

Result<bool> Y4mReader::frame_line()
{
    if (auto ok = check_mapping(); !ok) return std::move(ok).error();
    const uint64_t start = offset_;
    auto l = line("FRAME");
    if (!l) return std::move(l).error().context("frame " + std::to_string(frames_));
    if (l->empty()) {
        if (offset_ == start) return false;  // a clean end of the stream
        return Error{source_ + ": byte " + std::to_string(start) + ": frame " + std::to_string(frames_) +
                     ": an empty line where \"FRAME\" should be"};
    }
    if (l->rfind("FRAME", 0) != 0 || (l->size() > 5 && (*l)[5] != ' ')) {
        return Error{source_ + ": byte " + std::to_string(start) + ": frame " + std::to_string(frames_) +
                     ": expected \"FRAME\", found \"" + l->substr(0, 16) + "\""};
    }
    return true;
}

Error Y4mReader::cut_short(uint64_t data_start, uint64_t have)
{
    if (auto ok = check_mapping(); !ok) return std::move(ok).error();
    return Error{source_ + ": byte " + std::to_string(data_start) + ": frame " + std::to_string(frames_) +
                 " is cut short: " + std::to_string(have) + " of " + std::to_string(header_.frame_bytes()) +
                 " bytes (the frames before it were shown)"};
}

Result<bool> Y4mReader::next_into(std::span<const PlaneDestination> planes)
{
    if (planes.size() != 3) return Error{"Y4M: next_into needs the Y, Cb and Cr planes"};
    auto more = frame_line();
    if (!more || !*more) return more;
    frame_.clear();  // plane() has nothing now
    const uint64_t data_start = offset_;
    uint64_t have = 0;
    for (size_t p = 0; p < 3; ++p) {
        const uint64_t row = uint64_t{p == 0 ? header_.width : header_.chroma_width()} * header_.bytes_per_sample();
        const uint32_t rows = p == 0 ? header_.height : header_.chroma_height();
        if (planes[p].stride < row) return Error{"Y4M: plane " + std::to_string(p) + "'s rows are closer than its row bytes"};
        // Rows back to back: one read for the plane; else one a row.
        const bool tight = planes[p].stride == row;
        for (uint32_t y = 0; y < (tight ? 1U : rows); ++y) {
            const uint64_t want = tight ? row * rows : row;
            auto got = fill(planes[p].data + size_t{y} * planes[p].stride, want);
            if (!got) return std::move(got).error();
            have += *got;
            if (*got < want) return cut_short(data_start, have);
        }
    }
    // A file that shrank during the copy without a fault (the copy read the zeros past the new end
    // of its last page) is found here.
    if (auto ok = check_mapping(); !ok) return std::move(ok).error();
    ++frames_;
    return true;
}

Result<bool> Y4mReader::next()
{
    auto more = frame_line();
    if (!more || !*more) return more;
    const uint64_t data_start = offset_;
    // The frame buffer grows with the data that arrives (then stays): a header that declares a
    // huge size costs memory only if the stream really carries it.
    const uint64_t want = header_.frame_bytes();
    uint64_t have = 0;
    while (have < want) {
        const uint64_t chunk = std::min<uint64_t>(want - have, uint64_t{4} << 20U);
        if (frame_.size() < have + chunk) frame_.resize(have + chunk);
        auto got = fill(frame_.data() + have, chunk);
        if (!got) return std::move(got).error();
        have += *got;
        if (*got < chunk) break;
    }
    if (have < want) return cut_short(data_start, have);
    if (auto ok = check_mapping(); !ok) return std::move(ok).error();  // as in next_into
    ++frames_;
    return true;
}

std::span<const uint8_t> Y4mReader::plane(size_t index) const
{
    const uint64_t luma = uint64_t{header_.width} * header_.height * header_.bytes_per_sample();
    const uint64_t chroma = uint64_t{header_.chroma_width()} * header_.chroma_height() * header_.bytes_per_sample();
    const uint64_t offset = index == 0 ? 0 : luma + (index - 1) * chroma;
    const uint64_t size = index == 0 ? luma : chroma;
    if (frame_.size() < offset + size) return {};  // next_into() read the last frame
    return {frame_.data() + offset, static_cast<size_t>(size)};
}

Result<Y4mConverter> Y4mConverter::create(const Y4mHeader& header, DrmFormat format)
{
    const auto ok = header.formats();
    if (std::find(ok.begin(), ok.end(), format) == ok.end()) {
        std::string list;
        for (const DrmFormat f : ok) list += (list.empty() ? "" : ", ") + name(f);
        return Error{"a Y4M stream with chroma " + header.chroma_tag + " is shown as " + list + ", not " + name(format)};
    }
    // Every format of formats() has them.
    const std::span<const pixels::TexelLayout> layouts = pixels::texel_layouts(format);
    const uint32_t bytes = header.bytes_per_sample();
    const unsigned bits = header.ten_bit() ? 10 : 8;
    Y4mConverter c;
    c.header_ = header;
    for (size_t p = 0; p < layouts.size(); ++p) {
        const pixels::TexelLayout& layout = layouts[p];
        Plane plane{.layout = &layout,
                    .width = p == 0 ? header.width : header.chroma_width(),
                    .height = p == 0 ? header.height : header.chroma_height()};
        const pixels::Field& first = layout.used().front();
        if (layout.field_count == 1 && layout.bytes == bytes && first.offset == 0 && first.bits == bits) {
            plane.stream_plane = static_cast<int>(first.channel) - static_cast<int>(pixels::Channel::y);
        } else {
            plane.bytes.resize(size_t{plane.width} * plane.height * layout.bytes);
        }
        c.planes_.push_back(std::move(plane));
    }
    return c;
}

std::optional<std::vector<int>> Y4mConverter::stream_planes() const
{
    std::vector<int> out;
    for (const Plane& plane : planes_) {
        if (plane.stream_plane < 0) return std::nullopt;
        out.push_back(plane.stream_plane);
    }
    return out;
}

std::vector<PlanePixels> Y4mConverter::convert(const Y4mReader& reader)
{
    const uint32_t bytes = header_.bytes_per_sample();
    const unsigned bits = header_.ten_bit() ? 10 : 8;
    const std::span<const uint8_t> streams[3] = {reader.plane(0), reader.plane(1), reader.plane(2)};
    if (streams[0].empty()) return {};  // the last frame went straight into a buffer (next_into)
    // Sample i of a stream plane: 8-bit, or 10-bit little-endian clamped to 1023.
    const auto sample = [bytes](std::span<const uint8_t> s, size_t i) -> uint32_t {
        return bytes == 1 ? s[i] : std::min(s[2 * i] | (s[2 * i + 1] << 8), 1023);
    };
    std::vector<PlanePixels> out;
    for (Plane& plane : planes_) {
        if (plane.stream_plane >= 0) {
            out.push_back({streams[plane.stream_plane], plane.width * bytes});
            continue;
        }
        const pixels::TexelLayout& layout = *plane.layout;
        const size_t texels = size_t{plane.width} * plane.height;
        for (size_t i = 0; i < texels; ++i) {
            uint64_t word = 0;
            for (const pixels::Field& f : layout.used()) {
                const auto stream = static_cast<size_t>(f.channel) - static_cast<size_t>(pixels::Channel::y);
                word |= uint64_t{pixels::widen_code(sample(streams[stream], i), bits, f.bits)} << f.offset;
            }
            pixels::store_le(plane.bytes.data() + i * layout.bytes, word, layout.bytes);
        }
        out.push_back({plane.bytes, plane.width * layout.bytes});
    }
    return out;
}

}  // namespace dmafeed::sources

// The Y4M reader on valid and broken streams, and the conversion into buffer planes.
#include "sources/y4m.hpp"

#include "../fuzz/shrink_trap.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <functional>
#include <gtest/gtest.h>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

namespace dmafeed::sources {
namespace {

// A reader over bytes in memory, handing them out in chunks of `chunk` (short reads included).
Result<Y4mReader> open_bytes(const std::string& bytes, size_t chunk = 7)
{
    auto pos = std::make_shared<size_t>(0);
    return Y4mReader::open(
        [bytes, pos, chunk](uint8_t* dst, size_t size) {
            const size_t n = std::min({size, chunk, bytes.size() - *pos});
            std::memcpy(dst, bytes.data() + *pos, n);
            *pos += n;
            return static_cast<long>(n);
        },
        "test.y4m");
}

// `bytes` in a new file under /tmp (for open_file, which maps it); its path, or "" on failure.
std::string write_temp_file(const std::string& bytes)
{
    char path[] = "/tmp/dmafeed-y4m-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return {};
    const bool written = write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    close(fd);
    if (!written) unlink(path);
    return written ? path : "";
}

std::string frame_420(uint32_t w, uint32_t h, uint8_t y, uint8_t u, uint8_t v)
{
    return "FRAME\n" + std::string(size_t{w} * h, static_cast<char>(y)) + std::string(size_t{w / 2} * (h / 2), static_cast<char>(u)) +
           std::string(size_t{w / 2} * (h / 2), static_cast<char>(v));
}

TEST(Y4m, ReadsWhatFfmpegWrites)
{
    const std::string s = "YUV4MPEG2 W4 H2 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG\n" + frame_420(4, 2, 10, 20, 30) +
                          frame_420(4, 2, 11, 21, 31);
    auto r = open_bytes(s);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->header().width, 4u);
    EXPECT_EQ(r->header().fps_num, 30000u);
    EXPECT_EQ(r->header().fps_den, 1001u);
    EXPECT_EQ(r->header().chroma, Y4mChroma::c420);
    EXPECT_TRUE(r->header().notes.empty()) << "progressive, square pixels, XYSCSS agreeing with C: nothing ignored";
    EXPECT_EQ(r->header().formats().front(), DrmFormat{DRM_FORMAT_YUV420});
    auto f = r->next();
    ASSERT_TRUE(f.ok() && *f);
    EXPECT_EQ(r->plane(0)[7], 10);
    EXPECT_EQ(r->plane(1)[1], 20);
    EXPECT_EQ(r->plane(2)[0], 30);
    f = r->next();
    ASSERT_TRUE(f.ok() && *f);
    EXPECT_EQ(r->plane(2)[1], 31);
    f = r->next();
    ASSERT_TRUE(f.ok());
    EXPECT_FALSE(*f);  // a clean end
    EXPECT_EQ(r->frames(), 2u);
}

TEST(Y4m, RewindPlaysAFileAgainFromItsFirstFrameAndFramesGoesOnCounting)
{
    const std::string s = "YUV4MPEG2 W4 H2 F30:1 C420jpeg\n" + frame_420(4, 2, 10, 20, 30) + frame_420(4, 2, 11, 21, 31);
    const std::string path = write_temp_file(s);
    ASSERT_FALSE(path.empty());
    // open_file maps a regular file: a rewind is a new position in the mapping.
    auto mapped = Y4mReader::open_file(path);
    ASSERT_TRUE(mapped.ok()) << mapped.error().message();
    for (int pass = 0; pass < 3; ++pass) {
        auto f = mapped->next();
        ASSERT_TRUE(f.ok() && *f) << "pass " << pass;
        EXPECT_EQ(mapped->plane(0)[0], 10) << "pass " << pass << " starts at the first frame";
        f = mapped->next();
        ASSERT_TRUE(f.ok() && *f);
        EXPECT_EQ(mapped->plane(0)[0], 11);
        f = mapped->next();
        ASSERT_TRUE(f.ok());
        EXPECT_FALSE(*f);
        ASSERT_TRUE(mapped->rewind().ok());
    }
    EXPECT_EQ(mapped->frames(), 6u);
    unlink(path.c_str());
}

TEST(Y4m, RewindOfAStreamThatCannotBeReadAgainIsAnError)
{
    const std::string s = "YUV4MPEG2 W4 H2 F30:1 C420jpeg\n" + frame_420(4, 2, 10, 20, 30);
    auto r = open_bytes(s);
    ASSERT_TRUE(r.ok()) << r.error().message();
    auto back = r->rewind();
    ASSERT_FALSE(back.ok());
    EXPECT_EQ(back.error().message(), "cannot play test.y4m in a loop: it is read as a stream (standard input), which cannot be read again; give a file");
    // A pipe opened by its path: lseek says ESPIPE.
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(write(fds[1], s.data(), s.size()), static_cast<ssize_t>(s.size()));
    close(fds[1]);
    const std::string path = "/proc/self/fd/" + std::to_string(fds[0]);
    auto piped = Y4mReader::open_file(path);
    ASSERT_TRUE(piped.ok()) << piped.error().message();
    auto f = piped->next();
    ASSERT_TRUE(f.ok() && *f);
    back = piped->rewind();
    ASSERT_FALSE(back.ok());
    EXPECT_EQ(back.error().message(), "cannot play " + path + " in a loop: a pipe cannot be read again; give a file");
    close(fds[0]);
}

TEST(Y4m, DefaultsAndOtherChromas)
{
    auto r = open_bytes("YUV4MPEG2 W3 H3 C444\n");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->header().fps_num, 25u);
    EXPECT_EQ(r->header().frame_bytes(), 27u);
    auto p10 = open_bytes("YUV4MPEG2 W2 H2 C420p10\n");
    ASSERT_TRUE(p10.ok());
    EXPECT_EQ(p10->header().frame_bytes(), 12u);  // (4 + 1 + 1) samples of 2 bytes
    EXPECT_EQ(p10->header().formats().front(), DrmFormat{DRM_FORMAT_P010});
    auto c422 = open_bytes("YUV4MPEG2 W3 H1 C422\n");
    ASSERT_TRUE(c422.ok());
    EXPECT_EQ(c422->header().chroma_width(), 2u);
}

TEST(Y4m, BrokenStreamsNameTheProblemAndWhere)
{
    auto err = [](const std::string& s) {
        auto r = open_bytes(s);
        return r.ok() ? std::string{"(opened)"} : r.error().message();
    };
    EXPECT_NE(err("RIFF....\n").find("does not start with \"YUV4MPEG2\""), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W4 H4").find("without a newline"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 H4\n").find("no W (width)"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W0 H4\n").find("byte 10: 'W0': the width must be 1..16384"), std::string::npos)
        << err("YUV4MPEG2 W0 H4\n");
    EXPECT_NE(err("YUV4MPEG2 W4 H4 Cfoo\n").find("unknown chroma 'foo'"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W4 H4 F30\n").find("F<num>:<den>"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W5 H4 C420\n").find("odd size for 4:2:0"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W4 H4 Q1\n").find("unknown header parameter 'Q1'"), std::string::npos);
    EXPECT_NE(err("YUV4MPEG2 W4 H4 " + std::string(5000, 'X') + "\n").find("longer than 4096"), std::string::npos);
}

TEST(Y4m, ATruncatedLastFrameIsAnErrorAfterTheGoodOnes)
{
    std::string s = "YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 1, 2, 3) + frame_420(4, 2, 4, 5, 6);
    s.resize(s.size() - 3);
    auto r = open_bytes(s);
    ASSERT_TRUE(r.ok());
    auto f = r->next();
    ASSERT_TRUE(f.ok() && *f);
    f = r->next();
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().message().find("frame 1 is cut short: 9 of 12 bytes"), std::string::npos) << f.error().message();
    // The header (16 bytes), frame 0 (6 + 12), frame 1's FRAME line (6): its data starts at byte 40.
    EXPECT_NE(f.error().message().find("byte 40"), std::string::npos) << f.error().message();
}

TEST(Y4m, AFrameReadStraightIntoPaddedAndTightPlanesHasTheSameBytes)
{
    // 6x4 4:2:0, every byte distinct, two frames; the first read into padded rows (each row then
    // 0xEE up to the stride), the second into tight ones.
    std::string s = "YUV4MPEG2 W6 H4 C420\n";
    std::string data[2];
    for (int f = 0; f < 2; ++f) {
        for (int i = 0; i < 24 + 6 + 6; ++i) data[f] += static_cast<char>(f * 64 + i);
        s += "FRAME\n" + data[f];
    }
    auto r = open_bytes(s, 5);
    ASSERT_TRUE(r.ok());
    std::vector<uint8_t> y(8 * 4, 0xEE), cb(5 * 2, 0xEE), cr(5 * 2, 0xEE);
    const Y4mReader::PlaneDestination padded[3] = {{y.data(), 8}, {cb.data(), 5}, {cr.data(), 5}};
    auto more = r->next_into(padded);
    ASSERT_TRUE(more.ok() && *more) << (more.ok() ? "" : more.error().message());
    for (uint32_t row = 0; row < 4; ++row) {
        EXPECT_EQ(std::string(y.begin() + row * 8, y.begin() + row * 8 + 6), data[0].substr(row * 6, 6)) << "Y row " << row;
        EXPECT_EQ(y[row * 8 + 6], 0xEE) << "the padding after Y row " << row;
    }
    EXPECT_EQ(std::string(cb.begin() + 5, cb.begin() + 8), data[0].substr(27, 3));
    EXPECT_EQ(std::string(cr.begin(), cr.begin() + 3), data[0].substr(30, 3));
    EXPECT_EQ(cr[3], 0xEE);
    EXPECT_TRUE(r->plane(0).empty()) << "nothing in the reader's own buffer";

    std::vector<uint8_t> tight(36);
    const Y4mReader::PlaneDestination tight_planes[3] = {{tight.data(), 6}, {tight.data() + 24, 3}, {tight.data() + 30, 3}};
    more = r->next_into(tight_planes);
    ASSERT_TRUE(more.ok() && *more);
    EXPECT_EQ(std::string(tight.begin(), tight.end()), data[1]);
    EXPECT_EQ(r->frames(), 2u);
    more = r->next_into(tight_planes);
    ASSERT_TRUE(more.ok());
    EXPECT_FALSE(*more) << "a clean end";
}

TEST(Y4m, AFrameCutShortWhileReadingStraightIntoPlanesNamesItLikeNext)
{
    std::string s = "YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 1, 2, 3) + frame_420(4, 2, 4, 5, 6);
    s.resize(s.size() - 3);
    auto r = open_bytes(s);
    ASSERT_TRUE(r.ok());
    std::vector<uint8_t> y(8), cb(2), cr(2);
    const Y4mReader::PlaneDestination to[3] = {{y.data(), 4}, {cb.data(), 2}, {cr.data(), 2}};
    ASSERT_TRUE(r->next_into(to).ok());
    auto f = r->next_into(to);
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().message().find("byte 40: frame 1 is cut short: 9 of 12 bytes"), std::string::npos)
        << f.error().message();
    const Y4mReader::PlaneDestination too_close[3] = {{y.data(), 3}, {cb.data(), 2}, {cr.data(), 2}};
    auto again = open_bytes(s);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->next_into(too_close).ok());
}

TEST(Y4m, AnInputThatCannotReadIntoTheDestinationIsReadThroughTheReadersOwnMemory)
{
    // A file system that pins the destination's pages (9p) answers EFAULT for a dma-buf's mapping:
    // this input does so for any destination outside memory it knows, without consuming anything.
    const std::string s = "YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 1, 2, 3) + frame_420(4, 2, 4, 5, 6);
    std::vector<uint8_t> y(8), cb(2), cr(2);
    auto pos = std::make_shared<size_t>(0);
    auto r = Y4mReader::open(
        [&, pos](uint8_t* dst, size_t size) -> long {
            const bool foreign = (dst >= y.data() && dst < y.data() + y.size()) || (dst >= cb.data() && dst < cb.data() + 2) ||
                                 (dst >= cr.data() && dst < cr.data() + 2);
            if (foreign) {
                errno = EFAULT;
                return -1;
            }
            const size_t n = std::min(size, s.size() - *pos);
            std::memcpy(dst, s.data() + *pos, n);
            *pos += n;
            return static_cast<long>(n);
        },
        "pinned.y4m");
    ASSERT_TRUE(r.ok());
    const Y4mReader::PlaneDestination to[3] = {{y.data(), 4}, {cb.data(), 2}, {cr.data(), 2}};
    for (uint8_t f = 0; f < 2; ++f) {
        auto more = r->next_into(to);
        ASSERT_TRUE(more.ok() && *more) << (more.ok() ? "" : more.error().message());
        EXPECT_EQ(y, std::vector<uint8_t>(8, static_cast<uint8_t>(1 + 3 * f))) << "frame " << int{f};
        EXPECT_EQ(cb, std::vector<uint8_t>(2, static_cast<uint8_t>(2 + 3 * f)));
        EXPECT_EQ(cr, std::vector<uint8_t>(2, static_cast<uint8_t>(3 + 3 * f)));
    }
    EXPECT_TRUE(r->bounced());
    auto end = r->next_into(to);
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(*end);
}

TEST(Y4m, AFileIsReadThroughItsMappingAndWhatItGainsAfterwardsToo)
{
    char path[] = "/tmp/dmafeed-y4m-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    const std::string first = "YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 1, 2, 3);
    ASSERT_EQ(write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
    auto r = Y4mReader::open_file(path);
    ASSERT_TRUE(r.ok()) << r.error().message();
    // Written after the file was opened (and mapped): read as well.
    const std::string second = frame_420(4, 2, 4, 5, 6);
    ASSERT_EQ(write(fd, second.data(), second.size()), static_cast<ssize_t>(second.size()));
    close(fd);
    std::vector<uint8_t> y(8), cb(2), cr(2);
    const Y4mReader::PlaneDestination to[3] = {{y.data(), 4}, {cb.data(), 2}, {cr.data(), 2}};
    auto more = r->next_into(to);
    ASSERT_TRUE(more.ok() && *more);
    EXPECT_EQ(y, std::vector<uint8_t>(8, 1));
    EXPECT_EQ(cr, std::vector<uint8_t>(2, 3));
    more = r->next();
    ASSERT_TRUE(more.ok() && *more) << (more.ok() ? "" : more.error().message());
    EXPECT_EQ(r->plane(1)[0], 5);
    more = r->next();
    ASSERT_TRUE(more.ok());
    EXPECT_FALSE(*more);
    unlink(path);
}

// A stream read from a file (mapped): its FRAME lines are found in the mapping; the answers are
// those of a stream read a byte at a time.
TEST(Y4m, FrameLinesOfAMappedFileReadAsThoseOfAStream)
{
    const std::string header = "YUV4MPEG2 W4 H2\n";
    const std::string with_params = "FRAME Ip XCOLORRANGE=FULL" + frame_420(4, 2, 7, 8, 9).substr(5);
    const std::string cases[] = {
        header + frame_420(4, 2, 1, 2, 3) + with_params,     // two frames, the second with parameters
        header + frame_420(4, 2, 1, 2, 3) + "FRAMEX\n",       // a malformed second FRAME line
        header + frame_420(4, 2, 1, 2, 3) + "FRAME",           // the file ends in the FRAME line
        header + frame_420(4, 2, 1, 2, 3) + "FRAME " + std::string(5000, 'X') + "\n",  // too long
        header + frame_420(4, 2, 1, 2, 3) + "\n",              // an empty line
    };
    for (const std::string& bytes : cases) {
        const std::string path = write_temp_file(bytes);
        ASSERT_FALSE(path.empty());
        auto mapped = Y4mReader::open_file(path);
        unlink(path.c_str());
        auto streamed = open_bytes(bytes);
        ASSERT_TRUE(mapped.ok() && streamed.ok());
        for (int frame = 0; frame < 3; ++frame) {
            auto a = mapped->next();
            auto b = streamed->next();
            ASSERT_EQ(a.ok(), b.ok()) << "frame " << frame << ": " << (a.ok() ? b.error().message() : a.error().message());
            if (!a.ok()) {
                std::string streamed_error = b.error().message();
                streamed_error.replace(streamed_error.find("test.y4m"), std::strlen("test.y4m"), path);
                EXPECT_EQ(a.error().message(), streamed_error);
                break;
            }
            ASSERT_EQ(*a, *b) << "frame " << frame;
            if (!*a) break;
            for (size_t p = 0; p < 3; ++p) {
                EXPECT_TRUE(std::ranges::equal(mapped->plane(p), streamed->plane(p))) << "frame " << frame << " plane " << p;
            }
        }
    }
}

// Page faults of this thread so far.
long minor_faults()
{
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_minflt;
}

TEST(Y4m, PrefetchPutsTheNextFramesPagesInPlaceSoReadingItTakesNoPageFault)
{
    // MADV_POPULATE_READ is Linux 5.14; before it the reader can only ask for read-ahead.
    {
        void* probe = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(probe, MAP_FAILED);
        const bool populates = madvise(probe, 4096, MADV_POPULATE_READ) == 0;
        munmap(probe, 4096);
        if (!populates) GTEST_SKIP() << "this kernel has no MADV_POPULATE_READ";
    }
    // A memfd: shmem's pages are small, where a disk file system may map a large folio at once.
    const int fd = memfd_create("dmafeed-y4m", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    // 512x256 4:2:0: 192 KiB a frame, 48 pages, more than the kernel maps around one fault.
    constexpr uint32_t w = 512, h = 256;
    std::string bytes = "YUV4MPEG2 W512 H256\n";
    for (uint8_t i = 0; i < 5; ++i) bytes += frame_420(w, h, static_cast<uint8_t>(16 + i), 128, 128);
    ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    auto r = Y4mReader::open_file(path);
    close(fd);
    ASSERT_TRUE(r.ok()) << r.error().message();
    std::vector<uint8_t> y(size_t{w} * h, 0), cb(size_t{w / 2} * (h / 2), 0), cr(cb.size(), 0);
    const Y4mReader::PlaneDestination to[3] = {{y.data(), w}, {cb.data(), w / 2}, {cr.data(), w / 2}};
    // Frame 0 warms the destination up. Faults are the thread's (a sanitizer's shadow memory
    // faults too, the same for every frame): frame 1, read without a prefetch, against frames 2
    // and 3, read after one.
    ASSERT_TRUE(*r->next_into(to));
    EXPECT_EQ(y[0], 16);
    long before = minor_faults();
    ASSERT_TRUE(*r->next_into(to));
    const long without = minor_faults() - before;
    ASSERT_GE(without, 3) << "reading a frame without a prefetch should fault its pages in";
    EXPECT_EQ(y[0], 17);
    for (uint8_t i = 2; i <= 3; ++i) {
        EXPECT_EQ(r->prefetch_next(), r->header().frame_bytes() + 64);
        before = minor_faults();
        ASSERT_TRUE(*r->next_into(to));
        const long with = minor_faults() - before;
        EXPECT_LE(with + 3, without) << "frame " << int{i} << ": " << with << " page faults after a prefetch, " << without
                                     << " without";
#if !defined(__SANITIZE_ADDRESS__)
        EXPECT_EQ(with, 0) << "frame " << int{i};
#endif
        EXPECT_EQ(y[0], 16 + i);
        EXPECT_EQ(y.back(), 16 + i);
    }
    // The last frame: what is left of the file; then nothing.
    EXPECT_EQ(r->prefetch_next(), 6 + r->header().frame_bytes());
    ASSERT_TRUE(*r->next_into(to));
    EXPECT_EQ(r->prefetch_next(), 0U);
    EXPECT_FALSE(*r->next_into(to));
}

TEST(Y4m, PrefetchOfAStreamThatIsNotAMappedFileDoesNothing)
{
    std::string bytes = "YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 1, 2, 3);
    auto r = open_bytes(bytes);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->prefetch_next(), 0U);
    ASSERT_TRUE(*r->next());
    EXPECT_EQ(r->plane(0)[0], 1);
}

TEST(Y4m, TheUpcomingFrameOfAMappedFileIsTheBytesTheNextReadCopies)
{
    // The second FRAME line has parameters; the third frame is cut short.
    const std::string bytes = "YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 1, 2, 3) + "FRAME Ixyz" +
                              frame_420(4, 2, 4, 5, 6).substr(5) + frame_420(4, 2, 7, 8, 9).substr(0, 10);
    const std::string path = write_temp_file(bytes);
    ASSERT_FALSE(path.empty());
    auto r = Y4mReader::open_file(path);
    unlink(path.c_str());
    ASSERT_TRUE(r.ok()) << r.error().message();
    for (uint8_t first : {1, 4}) {
        const std::span<const uint8_t> upcoming = r->upcoming_frame();
        ASSERT_EQ(upcoming.size(), 12U) << "frame starting " << int{first};
        ASSERT_TRUE(*r->next());
        std::vector<uint8_t> read;
        for (size_t p = 0; p < 3; ++p) read.insert(read.end(), r->plane(p).begin(), r->plane(p).end());
        EXPECT_TRUE(std::ranges::equal(upcoming, read)) << "frame starting " << int{first};
        EXPECT_EQ(upcoming.front(), first);
    }
    EXPECT_TRUE(r->upcoming_frame().empty()) << "the third frame is not whole";
    EXPECT_FALSE(r->next().ok());
    EXPECT_TRUE(r->upcoming_frame().empty());
    // Not a mapped file: nothing in place to show.
    auto streamed = open_bytes(bytes);
    ASSERT_TRUE(streamed.ok());
    EXPECT_TRUE(streamed->upcoming_frame().empty());
}

// A file shrinking under its mapping: an access past its new end would raise SIGBUS. The reader
// answers an error instead, from then on.
TEST(Y4m, AMappedFileTruncatedBetweenFramesIsAnErrorNotASignal)
{
    const std::string header = "YUV4MPEG2 W4 H2\n";
    const std::string bytes = header + frame_420(4, 2, 1, 2, 3) + frame_420(4, 2, 4, 5, 6) + frame_420(4, 2, 7, 8, 9);
    // Cut inside frame 1, at frame 1's start (a whole number of frames left), and to nothing.
    for (const size_t cut : {header.size() + 18 + 9, header.size() + 18, size_t{0}}) {
        const std::string path = write_temp_file(bytes);
        ASSERT_FALSE(path.empty());
        auto r = Y4mReader::open_file(path);
        ASSERT_TRUE(r.ok()) << r.error().message();
        ASSERT_TRUE(*r->next());
        ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(cut)), 0);
        unlink(path.c_str());
        EXPECT_TRUE(r->upcoming_frame().empty()) << "cut at " << cut;
        (void)r->prefetch_next();  // madvise: no fault either
        auto more = r->next();
        ASSERT_FALSE(more.ok()) << "cut at " << cut;
        EXPECT_NE(more.error().message().find(path + ": byte 34: the file shrank to " + std::to_string(cut) +
                                              " bytes while it was read (70 bytes when opened)"),
                  std::string::npos)
            << more.error().message();
        // And so on: the reader does not go on as if the file were another.
        std::vector<uint8_t> y(8), cb(2), cr(2);
        const Y4mReader::PlaneDestination to[3] = {{y.data(), 4}, {cb.data(), 2}, {cr.data(), 2}};
        auto again = r->next_into(to);
        ASSERT_FALSE(again.ok());
        EXPECT_EQ(again.error().message(), more.error().message());
    }
}

TEST(Y4m, AMappedFileTruncatedWhileAFrameIsCopiedIsAnErrorNotASignal)
{
    // 256x64 4:4:4: planes of 16 KiB, 4 pages. The Y plane's destination is a ShrinkTrap: the copy's
    // first write to it truncates the file 100 bytes into the frame's data, after the reader's
    // checks, so that the copy then reads pages of the mapping past the file's end.
    constexpr uint32_t w = 256, h = 64;
    const std::string header = "YUV4MPEG2 W256 H64 C444\n";
    const std::string frame = "FRAME\n" + std::string(size_t{w} * h, '\x10') + std::string(2 * size_t{w} * h, '\x80');
    const std::string path = write_temp_file(header + frame + frame);
    ASSERT_FALSE(path.empty());
    auto r = Y4mReader::open_file(path);
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    unlink(path.c_str());
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_GE(fd, 0);
    const size_t plane = size_t{w} * h;
    void* y = mmap(nullptr, plane, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(y, MAP_FAILED);
    std::vector<uint8_t> cb(plane), cr(plane);
    const Y4mReader::PlaneDestination to[3] = {{static_cast<uint8_t*>(y), w}, {cb.data(), w}, {cr.data(), w}};
    ASSERT_TRUE(*r->next_into(to));  // frame 0, whole
    Result<bool> more = false;
    {
        const off_t cut = static_cast<off_t>(header.size() + frame.size() + 6 + 100);
        const fuzz::ShrinkTrap trap{y, plane, fd, cut};
        ASSERT_TRUE(trap.armed());
        more = r->next_into(to);
        EXPECT_TRUE(fuzz::ShrinkTrap::fired());
    }
    ASSERT_FALSE(more.ok());
    EXPECT_NE(more.error().message().find(": the file shrank to " + std::to_string(header.size() + frame.size() + 106) + " bytes"),
              std::string::npos)
        << more.error().message();
    EXPECT_FALSE(r->next().ok());
    munmap(y, plane);
    close(fd);
}

TEST(Y4m, AMappedFileShrunkWithinItsLastPageIsAnErrorToo)
{
    // The bytes past the new end of the last page read as zeros, without a fault: the reader's check
    // after the copy finds the shrink.
    const std::string header = "YUV4MPEG2 W64 H8 C444\n";
    const std::string frame = "FRAME\n" + std::string(64 * 8 * 3, '\x40');
    const std::string path = write_temp_file(header + frame);
    ASSERT_FALSE(path.empty());
    auto r = Y4mReader::open_file(path);
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    unlink(path.c_str());
    ASSERT_TRUE(r.ok());
    ASSERT_GE(fd, 0);
    void* y = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(y, MAP_FAILED);
    std::vector<uint8_t> cb(512), cr(512);
    const Y4mReader::PlaneDestination to[3] = {{static_cast<uint8_t*>(y), 64}, {cb.data(), 64}, {cr.data(), 64}};
    Result<bool> more = false;
    {
        const fuzz::ShrinkTrap trap{y, 4096, fd, static_cast<off_t>(header.size() + 6 + 10)};
        more = r->next_into(to);
        EXPECT_TRUE(fuzz::ShrinkTrap::fired());
    }
    ASSERT_FALSE(more.ok());
    EXPECT_NE(more.error().message().find("shrank"), std::string::npos) << more.error().message();
    munmap(y, 4096);
    close(fd);
}

// A handler of a host program that replaced the reader's: the mapping is not read at all then,
// pread is (which answers a short count, not a signal, past a file's end).
TEST(Y4m, WhereAnotherSigbusHandlerReplacedTheReadersTheFileIsRead)
{
    const std::string header = "YUV4MPEG2 W4 H2\n";
    const std::string path = write_temp_file(header + frame_420(4, 2, 1, 2, 3) + frame_420(4, 2, 4, 5, 6));
    ASSERT_FALSE(path.empty());
    auto r = Y4mReader::open_file(path);
    ASSERT_TRUE(r.ok()) << r.error().message();
    struct sigaction host {}, readers {};
    host.sa_handler = [](int) {};
    sigemptyset(&host.sa_mask);
    ASSERT_EQ(sigaction(SIGBUS, &host, &readers), 0);
    ASSERT_TRUE(*r->next());
    EXPECT_EQ(r->plane(2)[1], 3);
    EXPECT_TRUE(r->upcoming_frame().empty()) << "not in place: the mapping is not to be read";
    ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(header.size() + 20)), 0);
    unlink(path.c_str());
    auto more = r->next();
    ASSERT_FALSE(more.ok());
    EXPECT_NE(more.error().message().find("shrank"), std::string::npos) << more.error().message();
    ASSERT_EQ(sigaction(SIGBUS, &readers, nullptr), 0);
}

// The reader's handler passes on every SIGBUS but its own: a fault of anyone else's access to a
// mapping still ends the process as it would have.
TEST(Y4mDeathTest, ASigbusThatIsNotTheReadersIsNotSwallowed)
{
    const std::string path = write_temp_file("YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 1, 2, 3));
    ASSERT_FALSE(path.empty());
    auto r = Y4mReader::open_file(path);  // installs the reader's handler
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(*r->next());
    const auto fault = [&] {
        const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
        void* page = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
        (void)!ftruncate(fd, 0);
        std::printf("%d\n", static_cast<volatile const uint8_t*>(page)[0]);
    };
#if defined(__SANITIZE_ADDRESS__)
    // Under ASan its own SIGBUS handler is the one before the reader's: the process dies by its report.
    EXPECT_DEATH(fault(), "BUS");
    EXPECT_DEATH(raise(SIGBUS), "BUS");
#else
    EXPECT_EXIT(fault(), ::testing::KilledBySignal(SIGBUS), "");
    EXPECT_EXIT(raise(SIGBUS), ::testing::KilledBySignal(SIGBUS), "");
#endif
    unlink(path.c_str());
}

TEST(Y4m, OnlyPlanarFormatsCanBeReadStraightIntoTheBuffer)
{
    Y4mHeader h;
    h.width = 4;
    h.height = 2;
    auto yuv420 = Y4mConverter::create(h, DrmFormat{DRM_FORMAT_YUV420});
    ASSERT_TRUE(yuv420.ok());
    EXPECT_EQ(yuv420->stream_planes(), (std::vector<int>{0, 1, 2}));
    auto nv12 = Y4mConverter::create(h, DrmFormat{DRM_FORMAT_NV12});
    ASSERT_TRUE(nv12.ok());
    EXPECT_FALSE(nv12->stream_planes().has_value()) << "NV12 interleaves Cb and Cr";
}

TEST(Y4m, AMalformedFrameHeaderIsAnError)
{
    auto r = open_bytes("YUV4MPEG2 W2 H2\nFRAMEX\n");
    ASSERT_TRUE(r.ok());
    auto f = r->next();
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().message().find("frame 0: expected \"FRAME\""), std::string::npos) << f.error().message();
}

TEST(Y4m, ConvertsToPlanarSemiPlanarAndP010)
{
    auto r = open_bytes("YUV4MPEG2 W4 H2\n" + frame_420(4, 2, 10, 20, 30));
    ASSERT_TRUE(r.ok() && r->next().ok());
    auto planar = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_YUV420});
    ASSERT_TRUE(planar.ok());
    auto p = planar->convert(*r);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[1].row_bytes, 2u);
    auto nv12 = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_NV12});
    ASSERT_TRUE(nv12.ok());
    auto n = nv12->convert(*r);
    ASSERT_EQ(n.size(), 2u);
    EXPECT_EQ(n[1].row_bytes, 4u);
    EXPECT_EQ(n[1].data[0], 20);
    EXPECT_EQ(n[1].data[1], 30);
    auto wrong = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_XRGB8888});
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message().find("shown as YUV420, NV12, not XRGB8888"), std::string::npos) << wrong.error().message();

    // 10-bit: sample 0x3ff -> 0xffc0 in P010.
    std::string s10 = "YUV4MPEG2 W2 H2 C420p10\nFRAME\n";
    for (int i = 0; i < 6; ++i) s10 += std::string{"\xff\x03", 2};
    auto r10 = open_bytes(s10);
    ASSERT_TRUE(r10.ok() && r10->next().ok());
    auto p010 = Y4mConverter::create(r10->header(), DrmFormat{DRM_FORMAT_P010});
    ASSERT_TRUE(p010.ok());
    auto q = p010->convert(*r10);
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].data[0], 0xc0);
    EXPECT_EQ(q[0].data[1], 0xff);
    EXPECT_EQ(q[1].row_bytes, 4u);
    EXPECT_EQ(q[1].data[3], 0xff);
}

// A 444p10 frame of w x h whose sample i of plane p (0 Y, 1 Cb, 2 Cr) is sample(p, i), written as
// ffmpeg's yuv444p10le does: little-endian 16-bit words, the value in the low 10 bits.
std::string frame_444p10(uint32_t w, uint32_t h, const std::function<uint16_t(int, size_t)>& sample)
{
    std::string s = "FRAME\n";
    for (int p = 0; p < 3; ++p) {
        for (size_t i = 0; i < size_t{w} * h; ++i) {
            const uint16_t v = sample(p, i);
            s += static_cast<char>(v & 0xff);
            s += static_cast<char>(v >> 8);
        }
    }
    return s;
}

uint16_t word(const PlanePixels& plane, size_t i) { return static_cast<uint16_t>(plane.data[2 * i] | (plane.data[2 * i + 1] << 8)); }

// A distinct 10-bit value for every plane and sample.
uint16_t distinct(int p, size_t i) { return static_cast<uint16_t>(p * 300 + i * 7 + 1); }

TEST(Y4m, Reads444p10AsFfmpegWritesIt)
{
    // What `ffmpeg ... -pix_fmt yuv444p10le -strict -1 -f yuv4mpegpipe` writes; 4:4:4 allows odd sizes.
    const std::string header = "YUV4MPEG2 W3 H2 F25:1 Ip A1:1 C444p10 XYSCSS=444P10 XCOLORRANGE=LIMITED\n";
    auto r = open_bytes(header + frame_444p10(3, 2, distinct) + frame_444p10(3, 2, distinct));
    ASSERT_TRUE(r.ok()) << r.error().message();
    const Y4mHeader& h = r->header();
    EXPECT_EQ(h.chroma, Y4mChroma::c444p10);
    EXPECT_TRUE(h.ten_bit());
    EXPECT_EQ(h.chroma_width(), 3u);
    EXPECT_EQ(h.chroma_height(), 2u);
    EXPECT_EQ(h.frame_bytes(), 36u);  // 3 planes x 6 samples x 2 bytes
    EXPECT_EQ(h.formats(), (std::vector<DrmFormat>{DrmFormat{DRM_FORMAT_Q410}, DrmFormat{DRM_FORMAT_Q401}}));
    EXPECT_EQ(h.range, pixels::YuvRange::limited);
    EXPECT_EQ(h.describe(), "3x2 444p10 (10-bit 4:4:4, limited range) at 25:1 fps");
    EXPECT_TRUE(h.notes.empty());  // Ip, A1:1, XYSCSS agreeing with C444p10; XCOLORRANGE is read
    for (int n = 0; n < 2; ++n) {
        auto f = r->next();
        ASSERT_TRUE(f.ok() && *f) << (f.ok() ? "end" : f.error().message());
        ASSERT_EQ(r->plane(2).size(), 12u);
        EXPECT_EQ(r->plane(2)[2], distinct(2, 1) & 0xff);
    }
    auto end = r->next();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(*end);
}

TEST(Y4m, Converts444p10ToQ410AndQ401WithTheSamplesInTheHighBits)
{
    auto r = open_bytes("YUV4MPEG2 W3 H2 C444p10\n" + frame_444p10(3, 2, distinct));
    ASSERT_TRUE(r.ok() && r->next().ok());
    auto q410 = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_Q410});
    ASSERT_TRUE(q410.ok()) << q410.error().message();
    const auto planes = q410->convert(*r);
    ASSERT_EQ(planes.size(), 3u);
    for (int p = 0; p < 3; ++p) {
        ASSERT_EQ(planes[p].row_bytes, 6u) << "plane " << p;
        ASSERT_EQ(planes[p].data.size(), 12u) << "plane " << p;
        for (size_t i = 0; i < 6; ++i) {
            // Q410: [15:0] Y:x 10:6 little endian, planes Y, Cb, Cr.
            EXPECT_EQ(word(planes[p], i), distinct(p, i) << 6) << "plane " << p << " sample " << i;
            EXPECT_EQ(word(planes[p], i) & 0x3f, 0) << "the low 6 bits are padding";
        }
    }
    auto q401 = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_Q401});
    ASSERT_TRUE(q401.ok()) << q401.error().message();
    const auto swapped = q401->convert(*r);
    ASSERT_EQ(swapped.size(), 3u);
    for (size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(word(swapped[0], i), distinct(0, i) << 6);
        EXPECT_EQ(word(swapped[1], i), distinct(2, i) << 6) << "Q401's plane 1 is Cr";
        EXPECT_EQ(word(swapped[2], i), distinct(1, i) << 6) << "Q401's plane 2 is Cb";
    }
    // The extremes of 10 bits, and one frame after another through the same buffers.
    auto edges = open_bytes("YUV4MPEG2 W1 H1 C444p10\n" + frame_444p10(1, 1, [](int p, size_t) { return p == 0 ? 0x3ff : p == 1 ? 0 : 0x200; }) +
                            frame_444p10(1, 1, [](int, size_t) { return 0x040; }));
    ASSERT_TRUE(edges.ok() && edges->next().ok());
    auto conv = Y4mConverter::create(edges->header(), DrmFormat{DRM_FORMAT_Q410});
    ASSERT_TRUE(conv.ok());
    auto e = conv->convert(*edges);
    EXPECT_EQ(word(e[0], 0), 0xffc0);
    EXPECT_EQ(word(e[1], 0), 0x0000);
    EXPECT_EQ(word(e[2], 0), 0x8000);
    ASSERT_TRUE(edges->next().ok());
    e = conv->convert(*edges);
    EXPECT_EQ(word(e[0], 0), 0x1000);
    EXPECT_EQ(word(e[2], 0), 0x1000);
}

TEST(Y4m, Broken444p10Streams)
{
    // Not 10-bit: samples with any of the high 6 bits set are clamped to 1023 (P010 too).
    auto r = open_bytes("YUV4MPEG2 W2 H1 C444p10\n" +
                        frame_444p10(2, 1, [](int p, size_t i) { return static_cast<uint16_t>(p == 0 ? (i ? 0xffff : 0x0400) : 0x3ff); }));
    ASSERT_TRUE(r.ok() && r->next().ok());
    auto q410 = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_Q410});
    ASSERT_TRUE(q410.ok());
    auto planes = q410->convert(*r);
    EXPECT_EQ(word(planes[0], 0), 0xffc0);
    EXPECT_EQ(word(planes[0], 1), 0xffc0);
    std::string p10 = "YUV4MPEG2 W2 H2 C420p10\nFRAME\n";
    for (int i = 0; i < 6; ++i) p10 += std::string{"\x00\x04", 2};  // 1024
    auto r10 = open_bytes(p10);
    ASSERT_TRUE(r10.ok() && r10->next().ok());
    auto p010 = Y4mConverter::create(r10->header(), DrmFormat{DRM_FORMAT_P010});
    ASSERT_TRUE(p010.ok());
    EXPECT_EQ(word(p010->convert(*r10)[0], 0), 0xffc0);

    // A frame cut short: 2 of its 3 planes, then the stream ends. 4:4:4 at 10 bits is 36 bytes a
    // frame at 3x2; the data of frame 1 starts after the header (24), frame 0 (6 + 36) and "FRAME\n".
    std::string cut = "YUV4MPEG2 W3 H2 C444p10\n" + frame_444p10(3, 2, distinct) + frame_444p10(3, 2, distinct);
    cut.resize(cut.size() - 12);
    auto rc = open_bytes(cut);
    ASSERT_TRUE(rc.ok());
    ASSERT_TRUE(rc->next().ok());
    auto f = rc->next();
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().message().find("byte 72: frame 1 is cut short: 24 of 36 bytes"), std::string::npos)
        << f.error().message();

    // 8-bit and 4:2:0 formats do not show it; a 4:4:4 8-bit stream is not shown as Q410.
    auto wrong = Y4mConverter::create(r->header(), DrmFormat{DRM_FORMAT_YUV444});
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message().find("chroma 444p10 is shown as Q410, Q401, not YUV444"), std::string::npos)
        << wrong.error().message();
    auto c444 = open_bytes("YUV4MPEG2 W2 H2 C444\n");
    ASSERT_TRUE(c444.ok());
    EXPECT_FALSE(Y4mConverter::create(c444->header(), DrmFormat{DRM_FORMAT_Q410}).ok());
    // A misspelt tag names the tags dmafeed reads.
    auto bad = open_bytes("YUV4MPEG2 W2 H2 C444p12\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("unknown chroma '444p12': dmafeed reads 420jpeg, 420mpeg2, 420paldv, 420, 422, 444, "
                                         "420p10 and 444p10"),
              std::string::npos)
        << bad.error().message();
}

TEST(Y4m, NoFormatErrorSaysWhatTheStreamIsAndWhatWouldShowIt)
{
    auto r = open_bytes("YUV4MPEG2 W96 H64 F30:1 C444p10\n");
    ASSERT_TRUE(r.ok());
    const std::string m = no_format_for(r->header(), "no buffer layout ... for Q410.\n  the compositor offers for Q410: nothing").message();
    EXPECT_NE(m.find("cannot show the Y4M stream, 96x64 444p10 (10-bit 4:4:4) at 30:1 fps: it is shown as Q410 or Q401"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("\nno buffer layout ... for Q410.\n  the compositor offers for Q410: nothing"), std::string::npos) << m;
    auto r420 = open_bytes("YUV4MPEG2 W4 H2\n");
    ASSERT_TRUE(r420.ok());
    EXPECT_NE(no_format_for(r420->header(), "x").message().find("4x2 420jpeg (8-bit 4:2:0) at 25:1 fps: it is shown as YUV420 or NV12"),
              std::string::npos);
}

}  // namespace
}  // namespace dmafeed::sources

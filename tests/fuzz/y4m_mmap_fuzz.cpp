// libFuzzer target for the Y4M reader's mapped-file path (Y4mReader::open_file of a regular file):
// the input is u8 mode, u16 cut, u8 when, then the file. The file is written to a memfd and opened
// by its /proc/self/fd path, which maps it; up to 8 frames are read, odd ones with next_into.
// At frame `when % 8`, as (mode & 3) says:
//   0 nothing;
//   1 the file shrinks to cut % (size + 1) bytes before the frame;
//   2 the file grows by what follows it (a copy of itself, up to cut % 512 bytes): read past the
//     mapping;
//   3 the file shrinks to cut % (size + 1) bytes in the middle of the frame's copy (a ShrinkTrap on
//     the Y plane's destination).
// mode & 4: prefetch_next() before each frame; mode & 8: the upcoming_frame() before each frame
// read with next() (while the file is whole) must be the bytes that next() then reads.
// Invariants, beside no crash, no SIGBUS and no sanitizer report: once the file is smaller than
// when it was opened, the next read is an error that says it shrank, and so is every read after it.
#include "fuzz_input.hpp"
#include "shrink_trap.hpp"
#include "sources/y4m.hpp"

#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

using dmafeed::fuzz::FuzzInput;
using dmafeed::fuzz::ShrinkTrap;
using dmafeed::sources::Y4mReader;

// Page-aligned memory of its own, for a trap.
class Pages {
public:
    explicit Pages(size_t bytes) : bytes_{(bytes + 4095) & ~size_t{4095}}
    {
        void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        FUZZ_CHECK(p != MAP_FAILED, "mmap of %zu bytes", bytes_);
        data_ = static_cast<uint8_t*>(p);
    }
    ~Pages() { munmap(data_, bytes_); }
    Pages(const Pages&) = delete;
    Pages& operator=(const Pages&) = delete;
    uint8_t* data() const noexcept { return data_; }
    size_t size() const noexcept { return bytes_; }

private:
    size_t bytes_;
    uint8_t* data_ = nullptr;
};

bool says_shrank(const dmafeed::Result<bool>& r) { return !r.ok() && r.error().message().find("shrank") != std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    FuzzInput in{data, size};
    const uint8_t mode = in.u8();
    const uint16_t cut = in.u16();
    const uint8_t when = in.u8() % 8;
    const std::span<const uint8_t> file = in.rest();
    if (file.empty()) return 0;  // an empty file is not mapped

    const dmafeed::UniqueFd fd{memfd_create("fuzz-y4m", MFD_CLOEXEC)};
    FUZZ_CHECK(fd.get() >= 0, "memfd_create");
    FUZZ_CHECK(write(fd.get(), file.data(), file.size()) == static_cast<ssize_t>(file.size()), "write");
    auto reader = Y4mReader::open_file("/proc/self/fd/" + std::to_string(fd.get()));
    if (!reader) return 0;

    const auto& h = reader->header();
    const uint64_t luma_row = uint64_t{h.width} * h.bytes_per_sample(), chroma_row = uint64_t{h.chroma_width()} * h.bytes_per_sample();
    const bool small = (luma_row + 3) * h.height + 2 * (chroma_row + 3) * h.chroma_height() <= (uint64_t{1} << 22U);
    const off_t shrink_to = static_cast<off_t>(cut % (file.size() + 1));
    bool shrunk = false;  // smaller than it was opened
    for (int frame = 0; frame < 8; ++frame) {
        const bool now = frame == when;
        if (now && (mode & 3) == 1) {
            FUZZ_CHECK(ftruncate(fd.get(), shrink_to) == 0, "ftruncate");
            shrunk = shrunk || static_cast<size_t>(shrink_to) < file.size();
        }
        if (now && (mode & 3) == 2) {
            const size_t more = std::min<size_t>(file.size(), cut % 512);
            FUZZ_CHECK(pwrite(fd.get(), file.data(), more, static_cast<off_t>(file.size())) == static_cast<ssize_t>(more), "pwrite");
        }
        if (mode & 4) (void)reader->prefetch_next();
        const bool direct = frame % 2 == 1 || (now && (mode & 3) == 3);
        dmafeed::Result<bool> more = false;
        if (direct && small) {
            Pages y{(luma_row + 3) * h.height};
            std::vector<uint8_t> cb((chroma_row + 3) * h.chroma_height()), cr(cb.size());
            const Y4mReader::PlaneDestination to[3] = {{y.data(), static_cast<uint32_t>(luma_row + 3)},
                                                       {cb.data(), static_cast<uint32_t>(chroma_row + 3)},
                                                       {cr.data(), static_cast<uint32_t>(chroma_row + 3)}};
            if (now && (mode & 3) == 3) {
                const ShrinkTrap trap{y.data(), y.size(), fd.get(), shrink_to};
                FUZZ_CHECK(trap.armed(), "sigaction");
                more = reader->next_into(to);
                if (ShrinkTrap::fired() && static_cast<size_t>(shrink_to) < file.size()) {
                    shrunk = true;
                    FUZZ_CHECK(says_shrank(more), "a frame read while the file shrank: %s",
                               more.ok() ? "no error" : more.error().message().c_str());
                }
            } else {
                more = reader->next_into(to);
            }
        } else if (!direct) {
            std::vector<uint8_t> upcoming;
            if ((mode & 8) && !shrunk) {
                const std::span<const uint8_t> span = reader->upcoming_frame();
                upcoming.assign(span.begin(), span.end());
            }
            more = reader->next();
            if (!upcoming.empty() && more.ok() && *more) {
                std::vector<uint8_t> got;
                for (size_t p = 0; p < 3; ++p) got.insert(got.end(), reader->plane(p).begin(), reader->plane(p).end());
                FUZZ_CHECK(got == upcoming, "upcoming_frame() is not the frame that next() read");
            }
        } else {
            break;
        }
        if (shrunk) FUZZ_CHECK(says_shrank(more), "a read after the file shrank: %s", more.ok() ? "no error" : more.error().message().c_str());
        if (!more) {
            if (shrunk) {
                auto again = reader->next();
                FUZZ_CHECK(says_shrank(again), "the error of a shrunk file is not kept");
            }
            break;
        }
        if (!*more) break;
    }
    return 0;
}

// libFuzzer target for the Y4M reader: any bytes, read to the end or to the first error, never a
// crash, a hang or an out-of-bounds access (built with ASan/UBSan). The converter runs on every
// frame read, for each format the stream can be shown as; every other frame is read straight into
// planes instead (Y4mReader::next_into).
#include "sources/y4m.hpp"

#include <cstring>
#include <memory>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace dmafeed::sources;
    auto pos = std::make_shared<size_t>(0);
    auto reader = Y4mReader::open(
        [data, size, pos](uint8_t* dst, size_t want) {
            const size_t n = std::min(want, size - *pos);
            if (n) std::memcpy(dst, data + *pos, n);
            *pos += n;
            return static_cast<long>(n);
        },
        "fuzz");
    if (!reader) return 0;
    // Large declared sizes with little data are fine (they end as a cut-short frame), but keep the
    // frame buffer bounded so that the fuzzer explores rather than allocates.
    // Odd frames are read straight into planes of their exact size (rows 3 bytes apart more than
    // the stream's), where ASan sees any write past them.
    const Y4mHeader& h = reader->header();
    const uint64_t luma_row = uint64_t{h.width} * h.bytes_per_sample(), chroma_row = uint64_t{h.chroma_width()} * h.bytes_per_sample();
    const bool small = (luma_row + 3) * h.height + 2 * (chroma_row + 3) * h.chroma_height() <= (uint64_t{1} << 22U);
    for (int frames = 0; frames < 8; ++frames) {
        if (frames % 2 && small) {
            std::vector<uint8_t> y((luma_row + 3) * h.height), cb((chroma_row + 3) * h.chroma_height()), cr(cb.size());
            const Y4mReader::PlaneDestination to[3] = {{y.data(), static_cast<uint32_t>(luma_row + 3)},
                                                       {cb.data(), static_cast<uint32_t>(chroma_row + 3)},
                                                       {cr.data(), static_cast<uint32_t>(chroma_row + 3)}};
            auto more = reader->next_into(to);
            if (!more || !*more) break;
            continue;
        }
        auto more = reader->next();
        if (!more || !*more) break;
        for (const auto format : reader->header().formats()) {
            auto converter = Y4mConverter::create(reader->header(), format);
            if (converter) (void)converter->convert(*reader);
        }
    }
    return 0;
}

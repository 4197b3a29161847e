// libFuzzer target for the Y4M reader: any bytes, read to the end or to the first error, never a
// crash, a hang or an out-of-bounds access (built with ASan/UBSan). The converter runs on every
// frame read, for each format the stream can be shown as.
#include "sources/y4m.hpp"

#include <cstring>
#include <memory>

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
    for (int frames = 0; frames < 8; ++frames) {
        auto more = reader->next();
        if (!more || !*more) break;
        for (const auto format : reader->header().formats()) {
            auto converter = Y4mConverter::create(reader->header(), format);
            if (converter) (void)converter->convert(*reader);
        }
    }
    return 0;
}

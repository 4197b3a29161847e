#include "util/frame_copy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace dmafeed {
namespace {

// Every size across the short-copy cut-over and a few 64-byte steps, from and to every offset in a
// 16-byte line: the bytes land exactly, and not one byte around the destination changes.
TEST(FrameCopy, CopiesEveryByteAndNothingElseAtEveryAlignment)
{
    constexpr size_t guard = 32;
    std::vector<uint8_t> source(1024 + 64);
    for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<uint8_t>(i * 7 + 3);
    std::vector<uint8_t> target(1024 + 64 + 2 * guard);
    for (size_t size : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{127}, size_t{128}, size_t{129}, size_t{191},
                        size_t{192}, size_t{193}, size_t{255}, size_t{1000}, size_t{1024}}) {
        for (size_t from = 0; from < 16; ++from) {
            for (size_t to = 0; to < 16; ++to) {
                std::fill(target.begin(), target.end(), uint8_t{0xA5});
                copy_frame_bytes(target.data() + guard + to, source.data() + from, size);
                for (size_t i = 0; i < target.size(); ++i) {
                    const bool inside = i >= guard + to && i < guard + to + size;
                    const uint8_t want = inside ? source[from + (i - guard - to)] : uint8_t{0xA5};
                    ASSERT_EQ(target[i], want) << "size " << size << ", source offset " << from << ", destination offset "
                                               << to << ": byte " << i;
                }
            }
        }
    }
}

// A whole frame's worth (a 1920x1080 4:2:0 frame) from an odd offset, as a Y4M frame sits in its file.
TEST(FrameCopy, CopiesAFrameFromAnOddOffset)
{
    const size_t size = 1920 * 1080 * 3 / 2;
    std::vector<uint8_t> source(size + 7);
    for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<uint8_t>((i >> 8) ^ i);
    std::vector<uint8_t> target(size);
    copy_frame_bytes(target.data(), source.data() + 7, size);
    EXPECT_TRUE(std::equal(target.begin(), target.end(), source.begin() + 7));
}

}  // namespace
}  // namespace dmafeed

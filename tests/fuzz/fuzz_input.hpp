// What the fuzz targets share: typed values taken off the front of the input (zeros once it is used
// up, so that every input decodes), and FUZZ_CHECK, which ends the run with a message when an
// invariant does not hold (libFuzzer saves the input as a crash; the replay test fails).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

namespace dmafeed::fuzz {

class FuzzInput {
public:
    FuzzInput(const uint8_t* data, size_t size) : data_{data}, size_{size} {}

    bool empty() const noexcept { return pos_ >= size_; }
    size_t left() const noexcept { return size_ - pos_; }
    uint8_t u8() { return static_cast<uint8_t>(take(1)); }
    uint16_t u16() { return static_cast<uint16_t>(take(2)); }
    uint32_t u32() { return static_cast<uint32_t>(take(4)); }
    // `n` bytes: what is left of the input, then zeros.
    std::vector<uint8_t> bytes(size_t n)
    {
        std::vector<uint8_t> out(n, 0);
        const size_t have = std::min(n, left());
        if (have) std::memcpy(out.data(), data_ + pos_, have);
        pos_ += have;
        return out;
    }
    // The rest of the input.
    std::span<const uint8_t> rest()
    {
        const std::span<const uint8_t> out{data_ + pos_, left()};
        pos_ = size_;
        return out;
    }

private:
    uint64_t take(size_t n)  // little-endian
    {
        uint64_t v = 0;
        for (size_t i = 0; i < n && pos_ < size_; ++i) v |= uint64_t{data_[pos_++]} << (8 * i);
        return v;
    }
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

}  // namespace dmafeed::fuzz

#define FUZZ_CHECK(cond, ...)                                                          \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            std::fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond); \
            std::fprintf(stderr, __VA_ARGS__);                                         \
            std::fputc('\n', stderr);                                                  \
            std::abort();                                                              \
        }                                                                              \
    } while (false)

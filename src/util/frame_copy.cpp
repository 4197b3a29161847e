#include "util/frame_copy.hpp"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dmafeed {

void copy_frame_bytes(void* dst, const void* src, size_t size) noexcept
{
#if defined(__SSE2__)
    auto* d = static_cast<uint8_t*>(dst);
    const auto* s = static_cast<const uint8_t*>(src);
    if (size < 128) {
        std::memcpy(d, s, size);
        return;
    }
    // Up to the destination's next 16-byte boundary, then 64 bytes a step with aligned stores.
    const size_t head = (16 - (reinterpret_cast<uintptr_t>(d) & 15U)) & 15U;
    std::memcpy(d, s, head);
    d += head;
    s += head;
    size -= head;
    for (; size >= 64; size -= 64, d += 64, s += 64) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16));
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 32));
        const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 48));
        _mm_store_si128(reinterpret_cast<__m128i*>(d), a);
        _mm_store_si128(reinterpret_cast<__m128i*>(d + 16), b);
        _mm_store_si128(reinterpret_cast<__m128i*>(d + 32), c);
        _mm_store_si128(reinterpret_cast<__m128i*>(d + 48), e);
    }
    std::memcpy(d, s, size);
#else
    std::memcpy(dst, src, size);
#endif
}

}  // namespace dmafeed

// The structs that a caller allocates and the library fills (dmafeed_frame, dmafeed_dmabuf, dmafeed_stats) start
// with struct_size, the size the caller was compiled with. The library writes only what fits in it,
// so that a caller built against an older header keeps its layout, and zeroes what lies beyond the
// fields it knows, so that a caller built against a newer header reads zeros there.
#pragma once

#include "dmafeed/dmafeed.h"

#include "lib/errors.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

namespace dmafeed::lib {

// The size of a struct up to and including `field`: a struct's first version (DMAFEED_1) ends there.
#define DMAFEED_SIZE_THROUGH(type, field) (offsetof(type, field) + sizeof(type::field))

// DMAFEED_OK where `out` is not NULL and its struct_size holds at least the first version.
template <class T>
dmafeed_result check_size(const T* out, size_t first_size, const char* what)
{
    if (out && out->struct_size >= first_size) return DMAFEED_OK;
    if (!out) return fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": NULL");
    return fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": struct_size " + std::to_string(out->struct_size) +
                                                    " is less than " + std::to_string(first_size) + " (set it with the _init function)");
}

// Copies `full` (the library's struct) into `out` as far as out->struct_size goes, after check_size.
template <class T>
dmafeed_result copy_sized(T* out, const T& full, size_t first_size, const char* what)
{
    if (const dmafeed_result r = check_size(out, first_size, what); r != DMAFEED_OK) return r;
    const size_t size = out->struct_size;
    auto* bytes = reinterpret_cast<unsigned char*>(out);
    std::memcpy(bytes, &full, std::min(size, sizeof(T)));
    if (size > sizeof(T)) std::memset(bytes + sizeof(T), 0, size - sizeof(T));
    out->struct_size = size;
    return DMAFEED_OK;
}

// The first versions' sizes.
inline constexpr size_t frame_size_1 = DMAFEED_SIZE_THROUGH(dmafeed_frame, image_plane_count);
inline constexpr size_t stats_size_1 = DMAFEED_SIZE_THROUGH(dmafeed_stats, latency_p99_ms);
inline constexpr size_t dmabuf_size_1 = DMAFEED_SIZE_THROUGH(dmafeed_dmabuf, fd_size);

}  // namespace dmafeed::lib

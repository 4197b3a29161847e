// This process's memory, for checks that a long run stays flat: the heap bytes in use (glibc's
// mallinfo2, every arena: exact to the byte, blind to what is not malloc's) and the resident set
// (/proc/self/statm: page-grained, and it also moves when the allocator keeps or returns pages).
#pragma once

#include <cstdint>
#include <cstdio>
#include <malloc.h>
#include <string>
#include <unistd.h>

// DMAFEED_TEST_MEASURES_MEMORY: 0 in an ASan or TSan build. Both replace malloc (mallinfo2 then
// sees glibc's idle arenas) and keep memory of their own that grows with the addresses a run
// touches (ASan's quarantine of freed chunks, TSan's shadow and history: under TSan a run with the
// heap flat grew its resident set by 0.9 MB over 600 repaints); those builds check fds and counts.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DMAFEED_TEST_MEASURES_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DMAFEED_TEST_MEASURES_MEMORY 0
#endif
#endif
#ifndef DMAFEED_TEST_MEASURES_MEMORY
#define DMAFEED_TEST_MEASURES_MEMORY 1
#endif

namespace dmafeed::test {

// Bytes handed out by malloc and not freed: chunks in every arena plus mmap()ed ones.
inline uint64_t heap_bytes_in_use()
{
    const struct mallinfo2 info = mallinfo2();
    return uint64_t{info.uordblks} + uint64_t{info.hblkhd};
}

// The resident set in bytes; 0 when /proc/self/statm cannot be read. With `trim`, free heap pages
// are given back first (malloc_trim), so that what the allocator keeps in reserve does not count.
inline uint64_t resident_bytes(bool trim = true)
{
    if (trim) {
        malloc_trim(0);
    }
    std::FILE* f = std::fopen("/proc/self/statm", "re");
    if (!f) {
        return 0;
    }
    unsigned long long size = 0;
    unsigned long long resident = 0;
    const int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    if (n != 2) {
        return 0;
    }
    return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

struct MemoryUsage {
    uint64_t heap = 0;      // heap_bytes_in_use()
    uint64_t resident = 0;  // resident_bytes()
};

inline MemoryUsage memory_usage()
{
    return MemoryUsage{heap_bytes_in_use(), resident_bytes()};
}

// "heap 1234567 B, resident 8912896 B", for failure messages.
inline std::string to_string(const MemoryUsage& m)
{
    return "heap " + std::to_string(m.heap) + " B, resident " + std::to_string(m.resident) + " B";
}

}  // namespace dmafeed::test

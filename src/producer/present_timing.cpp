#include "producer/present_timing.hpp"

namespace dmafeed::producer {

uint64_t commit_timestamp(uint64_t show_at_ns, const RefreshGrid& grid) noexcept
{
    const uint64_t refresh = grid.refresh_ns;
    if (refresh == 0 || grid.presented_ns == 0 || show_at_ns <= grid.presented_ns + refresh / 2) return show_at_ns;
    // Cycles after the grid's presentation, rounded to the nearest.
    const uint64_t cycles = (show_at_ns - grid.presented_ns + refresh / 2) / refresh;
    return grid.presented_ns + cycles * refresh - refresh / 2;
}

}  // namespace dmafeed::producer

// When a frame meant for a given time is committed to be shown: the wp_commit_timer_v1 timestamp,
// phase-locked to the compositor's refresh cycle as its presentation feedback reports it.
//
// A compositor presents a content update with a timestamp at the first refresh cycle whose
// presentation time is not before the timestamp. Sent as is, a show-at time just after a cycle
// would wait almost a whole refresh for the next one. Instead the frame is aimed at the cycle
// nearest to its show-at time on the grid of the last presentation (time, refresh), and the
// timestamp lies half a refresh before that cycle: the compositor picks that cycle whatever drift
// below half a refresh the grid has since gathered. A frame is then shown within half a refresh
// of its time, early or late, where the compositor keeps up.
#pragma once

#include <cstdint>

namespace dmafeed::producer {

// The compositor's refresh grid, from its latest `presented` feedback.
struct RefreshGrid {
    uint64_t presented_ns = 0;  // a presentation time (0: none yet)
    uint32_t refresh_ns = 0;    // the refresh period (0: unknown or variable)
};

// The timestamp for a frame to be shown at `show_at_ns` (same clock as the grid). Without a grid,
// show_at_ns itself; where the nearest cycle is not after the grid's presentation (a late frame),
// show_at_ns as well, which the compositor treats as "now".
uint64_t commit_timestamp(uint64_t show_at_ns, const RefreshGrid& grid) noexcept;

}  // namespace dmafeed::producer

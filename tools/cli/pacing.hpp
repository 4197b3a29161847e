// dmafeed's frame pacing at --fps (or a Y4M stream's rate): when the next frame is due, given when
// the one being sent now was due. On time, the schedule keeps its beat (due + period); late by
// more than a period (a slow first frame, a compositor that held the frame callback), it starts
// again from now: the frames that missed their time are not sent back to back to catch up.
#pragma once

#include <chrono>

namespace dmafeed::cli {

template <typename Clock>
typename Clock::time_point next_due(typename Clock::time_point due, typename Clock::time_point now,
                                    typename Clock::duration period)
{
    const auto next = due + period;
    return next > now ? next : now + period;
}

}  // namespace dmafeed::cli

// Enum values from C callers: any int may arrive, so they are compared as ints.
#pragma once

namespace dmafeed::lib {

template <class Enum>
bool in_range(Enum value, Enum first, Enum last) noexcept
{
    return static_cast<int>(value) >= static_cast<int>(first) && static_cast<int>(value) <= static_cast<int>(last);
}

}  // namespace dmafeed::lib

// Enum values from C callers: any int may arrive, so they are compared as ints.
#pragma once

#include <cstring>
#include <type_traits>

namespace dmafeed::lib {

template <class Enum>
bool in_range(const Enum& value, Enum first, Enum last) noexcept
{
    // A C caller may pass any int: its bytes are read as one, since loading a value outside an
    // enum's range is undefined in C++ (UBSan's -fsanitize=enum reports it).
    std::underlying_type_t<Enum> raw;
    static_assert(sizeof raw == sizeof value);
    std::memcpy(&raw, &value, sizeof raw);
    return raw >= static_cast<std::underlying_type_t<Enum>>(first) && raw <= static_cast<std::underlying_type_t<Enum>>(last);
}

}  // namespace dmafeed::lib

#include "alloc/cpu_buffers.hpp"

#include "pixels/packer.hpp"

#include <algorithm>

namespace dmafeed {

FormatSet cpu_fillable_linear_formats()
{
    FormatSet out;
    for (const FormatInfo& info : known_formats()) {
        if (pixels::packable(info.format)) out.add(info.format, modifier_linear);
    }
    return out;
}

Result<const FormatInfo*> check_cpu_linear_request(const AllocationRequest& request, const FormatSet& supported,
                                                   const std::string& what, std::string_view kind)
{
    const FormatInfo* info = format_info(request.format);
    if (!info || !supported.contains(request.format, modifier_linear)) {
        return Error{what + ": not a format the CPU can fill"};
    }
    if (std::find(request.modifiers.begin(), request.modifiers.end(), modifier_linear) == request.modifiers.end()) {
        return Error{what + ": " + std::string{kind} + " are LINEAR only"};
    }
    if (request.width == 0 || request.height == 0) return Error{what + ": an empty size"};
    return info;
}

}  // namespace dmafeed

// What the allocators of CPU-filled LINEAR buffers (DumbAllocator, UdmabufAllocator) share: the
// formats they offer and the check of a request against them.
#pragma once

#include "alloc/allocator.hpp"
#include "drm/format_info.hpp"

#include <string>
#include <string_view>

namespace dmafeed {

// Every format the CPU packer fills, with the LINEAR modifier only.
FormatSet cpu_fillable_linear_formats();

// The request's format table entry, or why `kind` ("dumb buffers") cannot serve it, after `what`:
// a format not in `supported`, no LINEAR among the acceptable modifiers, an empty size.
Result<const FormatInfo*> check_cpu_linear_request(const AllocationRequest& request, const FormatSet& supported,
                                                   const std::string& what, std::string_view kind);

}  // namespace dmafeed

#include "alloc/buffer.hpp"

namespace dmafeed {

std::string_view fill_path_name(FillPath path) noexcept
{
    switch (path) {
    case FillPath::vulkan: return "vulkan";
    case FillPath::cpu_mapping: return "cpu-mapping";
    }
    return "?";
}

}  // namespace dmafeed

// VkResult names and Errors made from them.
#pragma once

#include "util/result.hpp"

#include <string_view>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

// "VK_ERROR_OUT_OF_DEVICE_MEMORY"; "VkResult(-12345)" for codes this table does not know.
std::string vk_result_name(VkResult result);

// Error{"<what>: <VkResult name>"}.
Error vk_error(std::string_view what, VkResult result);

}  // namespace dmafeed::vk

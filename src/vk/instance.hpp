// The Vulkan instance dmafeed uses: API 1.2 or newer, optional validation.
//
// With validation, VK_LAYER_KHRONOS_validation is enabled together with VK_EXT_debug_utils and a
// messenger that
//  - routes every message into dmafeed's log (util/log.hpp), prefixed "vulkan validation: [<id>]":
//    ERROR -> error, WARNING -> warning, INFO -> debug (VERBOSE, the loader's trace, is not asked for);
//  - also enables the layer's synchronization validation (InstanceOptions::synchronization_validation);
//  - counts errors and warnings (validation_error_count(), validation_warning_count());
//  - drops messages that match a Suppression: the small built-in list of messages shown to be the
//    layer's (or the driver's) mistake, known_layer_mistakes(), plus the caller's own. A suppressed
//    message is logged at debug level and counted apart, never as an error or a warning;
//  - hands every message (suppressed ones flagged) to InstanceOptions::on_validation_message.
// The messenger is also chained into VkInstanceCreateInfo, so that vkCreateInstance and
// vkDestroyInstance are covered.
#pragma once

#include "util/log.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

// One message of the validation layer (or the loader) through VK_EXT_debug_utils.
struct ValidationMessage {
    log::Level level = log::Level::debug;   // ERROR -> error, WARNING -> warning, INFO -> debug
    VkDebugUtilsMessageTypeFlagsEXT types = 0;
    std::string id_name;  // pMessageIdName: "VUID-vkCmdCopyBufferToImage-dstImage-01997", "UNASSIGNED-..."; may be empty
    std::string text;     // pMessage
    bool suppressed = false;  // matched a Suppression: not counted, logged at debug level
};

// A message that is not the application's fault. It matches when the message id name equals
// `id_name` and the text contains every string of `text_contains` (which narrows the entry to the
// case that was demonstrated). `reason` says why the message is wrong, in one line.
struct Suppression {
    std::string id_name;
    std::vector<std::string> text_contains;
    std::string reason;

    bool matches(std::string_view id, std::string_view text) const noexcept;
};

struct InstanceOptions {
    // Enable VK_LAYER_KHRONOS_validation when installed (also: DMAFEED_VK_VALIDATION=1).
    bool validation = false;
    // With validation: also the layer's synchronization validation (hazards between commands,
    // missing barriers), through VkValidationFeaturesEXT.
    bool synchronization_validation = true;
    const char* application_name = "dmafeed";
    // Suppressions in addition to known_layer_mistakes(). Keep them as narrow as the evidence.
    std::vector<Suppression> suppressions;
    // Called for every message after it was logged and counted, from the thread that made the
    // Vulkan call (so it must be thread-safe if Vulkan is used from several threads). Nothing may
    // unwind through the layer: an exception it throws is swallowed.
    std::function<void(const ValidationMessage&)> on_validation_message;
};

class Instance {
public:
    static constexpr uint32_t min_api_version = VK_API_VERSION_1_2;
    // VkApplicationInfo::apiVersion: the highest version dmafeed (and a host sharing its device)
    // may use; a device is used at the lower of this and its own version.
    static constexpr uint32_t api_version = VK_API_VERSION_1_3;

    static Result<Instance> create(const InstanceOptions& options = {});

    // Messages of the validation layer that are its own (or the driver's) mistake with the
    // drivers dmafeed is tested on; each entry's comment in instance.cpp gives the evidence.
    static std::span<const Suppression> known_layer_mistakes();

    Instance(Instance&& o) noexcept;
    Instance& operator=(Instance&&) = delete;
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;
    // Destroys the messenger, then the instance. Not a vk::Unique: these are instance-level objects
    // (their destroy functions take the instance, not a device), the messenger's destroy function is
    // loaded at run time, and its state must outlive vkDestroyInstance.
    ~Instance();

    VkInstance handle() const noexcept { return instance_; }
    // The layer and the messenger are both active.
    bool validation_enabled() const noexcept { return validation_ != nullptr; }
    Result<std::vector<VkPhysicalDevice>> physical_devices() const;

    // Messages of ERROR / WARNING severity so far (not counting suppressed ones); 0 without validation.
    uint64_t validation_error_count() const noexcept;
    uint64_t validation_warning_count() const noexcept;
    uint64_t validation_suppressed_count() const noexcept;

private:
    // The messenger and what it counts; its address is the messenger's user data, so it never moves.
    struct Validation;
    static VKAPI_ATTR VkBool32 VKAPI_CALL handle_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                         VkDebugUtilsMessageTypeFlagsEXT types,
                                                         const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                         void* user_data);

    Instance(std::unique_ptr<Validation> validation, VkInstance instance) noexcept;
    // Creation order: the messenger's state exists before vkCreateInstance (it receives that call's
    // messages) and outlives vkDestroyInstance.
    std::unique_ptr<Validation> validation_;
    VkInstance instance_ = VK_NULL_HANDLE;
};

}  // namespace dmafeed::vk

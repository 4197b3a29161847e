#include "vk/instance.hpp"

#include "vk/vk_error.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace dmafeed::vk {
namespace {

constexpr const char* validation_layer = "VK_LAYER_KHRONOS_validation";

bool layer_available(const char* name)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, nullptr) != VK_SUCCESS) {
        return false;
    }
    std::vector<VkLayerProperties> layers(n);
    if (vkEnumerateInstanceLayerProperties(&n, layers.data()) != VK_SUCCESS) {
        return false;
    }
    return std::any_of(layers.begin(), layers.end(),
                       [&](const VkLayerProperties& l) { return std::strcmp(l.layerName, name) == 0; });
}

// Whether the loader itself (layer == nullptr) or `layer` offers the instance extension `name`.
bool instance_extension_available(const char* layer, const char* name)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, nullptr) != VK_SUCCESS) {
        return false;
    }
    std::vector<VkExtensionProperties> exts(n);
    if (vkEnumerateInstanceExtensionProperties(layer, &n, exts.data()) != VK_SUCCESS) {
        return false;
    }
    return std::any_of(exts.begin(), exts.end(),
                       [&](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, name) == 0; });
}

std::string version_string(uint32_t v)
{
    return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
           std::to_string(VK_API_VERSION_PATCH(v));
}

log::Level level_of(VkDebugUtilsMessageSeverityFlagBitsEXT severity) noexcept
{
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) return log::Level::error;
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) return log::Level::warning;
    return log::Level::debug;  // INFO: the layer's status lines, the loader's notes
}

// Messages of the validation layer that are wrong with the drivers dmafeed is tested on. Only
// messages shown to be the layer's (or the driver's) mistake belong here, each with its evidence
// and narrowed to the demonstrated case. Nothing that could be dmafeed's fault.
const std::vector<Suppression>& known_mistakes()
{
    static const std::vector<Suppression> list{
        // Copy into a DRM-format-modifier image "does not support TRANSFER_DST": the layer read the
        // image's format features as 0x0. Measured in the nodrm VM (Mesa 25.0.7 lavapipe, Khronos
        // layer 1.3.239), for every format dmafeed uploads to:
        //  - lavapipe lists the image's modifier (LINEAR) in VkDrmFormatModifierPropertiesListEXT
        //    with tiling features 0xdd83 for B8G8R8A8_UNORM (TRANSFER_DST = 0x8000 included; R8:
        //    0x1dd83, R8G8: 0xdd83), and vkCreateImage with usage TRANSFER_DST succeeded (lavapipe's
        //    vkGetPhysicalDeviceImageFormatProperties2 refuses a usage without its feature);
        //  - lavapipe advertises VK_KHR_format_feature_flags2 (API 1.4) but leaves
        //    VkDrmFormatModifierPropertiesList2EXT empty: drmFormatModifierCount stays 0 for every
        //    format, whether the struct is chained directly or behind VkFormatProperties3, because
        //    lvp_GetPhysicalDeviceFormatProperties2 fills only the List (1) variant. The spec wants
        //    List2's features to include List's, so this is a driver omission;
        //  - the layer's state tracker (GetImageFormatFeatures), whenever the physical device
        //    offers VK_KHR_format_feature_flags2, looks the image's modifier up in List2 only and,
        //    finding no entry, records the image's format features as 0. Every later transfer to
        //    the image is then reported. dmafeed cannot steer around it: the layer takes that path
        //    when the physical device merely offers the extension (with API >= 1.1, which dmafeed
        //    needs), whatever the device enables.
        // Narrowed to features "(0x0)" on a DRM-modifier image: with a driver that fills List2 the
        // layer finds the image's modifier (the image exists, so the driver listed it) and a real
        // lack of TRANSFER_DST shows non-zero features. The same cause gives the other
        // format-feature VUIDs of transfers; dmafeed itself makes no other such call, but hosts of
        // the library record their own commands on dmafeed's device and instance, and clearing a
        // frame's image is the first thing they do: VUID-vkCmdClearColorImage-image-01993, measured
        // with tests/vm/vulkan_host.c ("VkFormatFeatureFlags (0x0) does not support required
        // feature VK_FORMAT_FEATURE_2_TRANSFER_DST_BIT for format 44 ... with tiling
        // VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT", for B8G8R8A8_UNORM, whose LINEAR modifier lists
        // 0xdd83 as above), is narrowed the same way. The vm test
        // NodrmValidation.TheSuppressedCopyMessageIsStillTheDriversEmptyList2 re-checks the
        // driver's side of this evidence for every exportable format and fails once the entries
        // are stale.
        {"VUID-vkCmdCopyBufferToImage-dstImage-01997",
         {"VkFormatFeatureFlags (0x0)", "VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT"},
         "layer 1.3.239 reads DRM-modifier format features from VkDrmFormatModifierPropertiesList2EXT only, which "
         "lavapipe 25 leaves empty (its List variant has TRANSFER_DST)"},
        {"VUID-vkCmdClearColorImage-image-01993",
         {"VkFormatFeatureFlags (0x0)", "VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT"},
         "layer 1.3.239 reads DRM-modifier format features from VkDrmFormatModifierPropertiesList2EXT only, which "
         "lavapipe 25 leaves empty (its List variant has TRANSFER_DST)"},
        // The same empty list, read for the source of a copy (the gpu tier's read-back of an image
        // imported with an explicit LINEAR modifier, whose List features include TRANSFER_SRC).
        {"VUID-vkCmdCopyImageToBuffer-srcImage-01998",
         {"VkFormatFeatureFlags (0x0)", "VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT"},
         "layer 1.3.239 reads DRM-modifier format features from VkDrmFormatModifierPropertiesList2EXT only, which "
         "lavapipe 25 leaves empty (its List variant has TRANSFER_SRC)"},
        // And for the pattern shader's storage views of DRM-modifier images: features read as 0
        // ("Unhandled"), although the view was made with STORAGE usage, which needs STORAGE_IMAGE,
        // and shaderStorageImageWriteWithoutFormat is enabled, which implies writes without format.
        {"VUID-vkCmdDispatch-OpTypeImage-07027",
         {"feature flags (Unhandled VkFormatFeatureFlagBits2)", "STORAGE_WRITE_WITHOUT_FORMAT"},
         "layer 1.3.239 reads DRM-modifier format features from VkDrmFormatModifierPropertiesList2EXT only, which "
         "lavapipe 25 leaves empty; the List variant has STORAGE_IMAGE, and the device enables "
         "shaderStorageImageWriteWithoutFormat"},
        // Binding the planes of a disjoint image with DRM-modifier tiling: the spec asks for
        // VK_IMAGE_ASPECT_MEMORY_PLANE_i_BIT_EXT (VUID-VkBindImagePlaneMemoryInfo-planeAspect-02284);
        // layer 1.3.239 applies the LINEAR/OPTIMAL rule (02283) instead, then takes every
        // MEMORY_PLANE aspect for plane 0 (04006: bound twice; 02858: plane 1 not bound). Fixed in
        // the layer after 1.3.239 (Vulkan-ValidationLayers issue 6467, pull request 6511). Seen with
        // NVIDIA 580 on an H100 (the gpu tier, whose disjoint buffers read back exact).
        {"VUID-VkBindImagePlaneMemoryInfo-planeAspect-02283",
         {"VkBindImagePlaneMemoryInfo::planeAspect is VK_IMAGE_ASPECT_MEMORY_PLANE_"},
         "layer 1.3.239 checks DRM-modifier disjoint binds against the LINEAR/OPTIMAL rule"},
        {"VUID-vkBindImageMemory2-pBindInfos-04006",
         {"The same disjoint image sub-resource for plane 0 is being bound twice"},
         "layer 1.3.239 takes VK_IMAGE_ASPECT_MEMORY_PLANE_i_BIT_EXT for plane 0"},
        {"VUID-vkBindImageMemory2-pBindInfos-02858",
         {"of the disjoint image was not bound"},
         "layer 1.3.239 takes VK_IMAGE_ASPECT_MEMORY_PLANE_i_BIT_EXT for plane 0"},
    };
    return list;
}

}  // namespace

bool Suppression::matches(std::string_view id, std::string_view text) const noexcept
{
    if (id != id_name) return false;
    return std::all_of(text_contains.begin(), text_contains.end(),
                       [&](const std::string& s) { return text.find(s) != std::string_view::npos; });
}

struct Instance::Validation {
    std::vector<Suppression> suppressions;
    std::function<void(const ValidationMessage&)> observer;
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> warnings{0};
    std::atomic<uint64_t> suppressed{0};
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger = nullptr;
};

VKAPI_ATTR VkBool32 VKAPI_CALL Instance::handle_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                        VkDebugUtilsMessageTypeFlagsEXT types,
                                                        const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                        void* user_data)
{
    // Called by the layer from inside a Vulkan call: nothing may throw through it.
    try {
        auto& v = *static_cast<Validation*>(user_data);
        ValidationMessage m{.level = level_of(severity),
                            .types = types,
                            .id_name = data && data->pMessageIdName ? data->pMessageIdName : "",
                            .text = data && data->pMessage ? data->pMessage : "",
                            .suppressed = false};
        const auto hit = std::find_if(v.suppressions.begin(), v.suppressions.end(),
                                      [&](const Suppression& s) { return s.matches(m.id_name, m.text); });
        if (hit != v.suppressions.end()) {
            m.suppressed = true;
            v.suppressed.fetch_add(1, std::memory_order_relaxed);
            log::debug("vulkan validation: suppressed [%s] (%s): %s", m.id_name.c_str(), hit->reason.c_str(),
                       m.text.c_str());
        } else {
            if (m.level == log::Level::error) v.errors.fetch_add(1, std::memory_order_relaxed);
            if (m.level == log::Level::warning) v.warnings.fetch_add(1, std::memory_order_relaxed);
            if (m.level >= log::level()) {
                log::write(m.level, "vulkan validation: [" + (m.id_name.empty() ? std::string{"-"} : m.id_name) +
                                        "] " + m.text);
            }
        }
        if (v.observer) v.observer(m);
    } catch (...) {
        // Out of memory while formatting a message: drop the message, keep the application going.
    }
    return VK_FALSE;  // never abort the Vulkan call
}

std::span<const Suppression> Instance::known_layer_mistakes() { return known_mistakes(); }

Result<Instance> Instance::create(const InstanceOptions& options)
{
    uint32_t loader_version = VK_API_VERSION_1_0;
    if (vkEnumerateInstanceVersion(&loader_version) != VK_SUCCESS || loader_version < min_api_version) {
        return Error{"the Vulkan loader supports API " + version_string(loader_version) + ", dmafeed needs " +
                     version_string(min_api_version) + " or newer"};
    }
    const char* env = std::getenv("DMAFEED_VK_VALIDATION");
    bool validation = options.validation || (env && std::strcmp(env, "1") == 0);
    if (validation && !layer_available(validation_layer)) {
        log::warning("%s is not installed (Debian: vulkan-validationlayers); running without validation",
                     validation_layer);
        validation = false;
    }
    if (validation && !instance_extension_available(nullptr, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) &&
        !instance_extension_available(validation_layer, VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) {
        log::warning("%s is installed but %s is not available; running without validation", validation_layer,
                     VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        validation = false;
    }

    // Synchronization validation is switched on through VkValidationFeaturesEXT, which belongs to
    // VK_EXT_validation_features (offered by the layer).
    const bool sync_validation = validation && options.synchronization_validation &&
                                 instance_extension_available(validation_layer, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    if (validation && options.synchronization_validation && !sync_validation) {
        log::warning("%s lacks %s; running without synchronization validation", validation_layer,
                     VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    }
    std::unique_ptr<Validation> state;
    if (validation) {
        state = std::make_unique<Validation>();
        const auto& known = known_mistakes();
        state->suppressions.assign(known.begin(), known.end());
        state->suppressions.insert(state->suppressions.end(), options.suppressions.begin(), options.suppressions.end());
        state->observer = options.on_validation_message;
    }
    const VkDebugUtilsMessengerCreateInfoEXT messenger_info{
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        // Not VERBOSE: that is the loader's file-search trace, hundreds of lines per instance.
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_INFO_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = &Instance::handle_message,
        .pUserData = state.get()};
    const VkValidationFeatureEnableEXT sync_enable = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
    const VkValidationFeaturesEXT features{.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
                                          .pNext = &messenger_info,
                                          .enabledValidationFeatureCount = 1,
                                          .pEnabledValidationFeatures = &sync_enable};
    const void* chain = nullptr;
    std::vector<const char*> extensions;
    if (validation) {
        chain = sync_validation ? static_cast<const void*>(&features) : static_cast<const void*>(&messenger_info);
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        if (sync_validation) extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    }
    VkApplicationInfo app{.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                          .pApplicationName = options.application_name,
                          .applicationVersion = 1,
                          .pEngineName = "dmafeed",
                          .engineVersion = 1,
                          .apiVersion = api_version};
    VkInstanceCreateInfo ci{.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                            .pNext = chain,
                            .pApplicationInfo = &app,
                            .enabledLayerCount = validation ? 1U : 0U,
                            .ppEnabledLayerNames = validation ? &validation_layer : nullptr,
                            .enabledExtensionCount = static_cast<uint32_t>(extensions.size()),
                            .ppEnabledExtensionNames = extensions.empty() ? nullptr : extensions.data()};
    VkInstance instance = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateInstance(&ci, nullptr, &instance); r != VK_SUCCESS) {
        return vk_error(validation ? "vkCreateInstance (with validation)" : "vkCreateInstance", r);
    }
    // From here the Instance owns the handle (and destroys it on the error path below).
    Instance out{std::move(state), instance};
    if (out.validation_) {
        auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
        out.validation_->destroy_messenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"));
        if (!create || !out.validation_->destroy_messenger) {
            return Error{"vkCreateInstance: VK_EXT_debug_utils is enabled but its entry points are missing"};
        }
        if (const VkResult r = create(instance, &messenger_info, nullptr, &out.validation_->messenger); r != VK_SUCCESS) {
            return vk_error("vkCreateDebugUtilsMessengerEXT", r);
        }
        log::debug("Vulkan validation on (%s%s, %zu known layer mistake(s) suppressed by id)", validation_layer,
                   sync_validation ? " + synchronization" : "", out.validation_->suppressions.size());
    }
    return out;
}

Instance::Instance(std::unique_ptr<Validation> validation, VkInstance instance) noexcept
    : validation_{std::move(validation)}, instance_{instance}
{
}

Instance::Instance(Instance&& o) noexcept
    : validation_{std::move(o.validation_)}, instance_{std::exchange(o.instance_, VK_NULL_HANDLE)}
{
}

Instance::~Instance()
{
    if (validation_ && validation_->messenger) {
        validation_->destroy_messenger(instance_, validation_->messenger, nullptr);
    }
    if (instance_) {
        vkDestroyInstance(instance_, nullptr);  // reports through the chained messenger info
    }
}

uint64_t Instance::validation_error_count() const noexcept
{
    return validation_ ? validation_->errors.load(std::memory_order_relaxed) : 0;
}

uint64_t Instance::validation_warning_count() const noexcept
{
    return validation_ ? validation_->warnings.load(std::memory_order_relaxed) : 0;
}

uint64_t Instance::validation_suppressed_count() const noexcept
{
    return validation_ ? validation_->suppressed.load(std::memory_order_relaxed) : 0;
}

Result<std::vector<VkPhysicalDevice>> Instance::physical_devices() const
{
    uint32_t n = 0;
    if (const VkResult r = vkEnumeratePhysicalDevices(instance_, &n, nullptr); r != VK_SUCCESS) {
        return vk_error("vkEnumeratePhysicalDevices", r);
    }
    std::vector<VkPhysicalDevice> devices(n);
    if (const VkResult r = vkEnumeratePhysicalDevices(instance_, &n, devices.data()); r != VK_SUCCESS && r != VK_INCOMPLETE) {
        return vk_error("vkEnumeratePhysicalDevices", r);
    }
    devices.resize(n);
    return devices;
}

}  // namespace dmafeed::vk

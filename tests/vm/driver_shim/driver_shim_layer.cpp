// A Vulkan layer for the vm suite that makes lavapipe behave, where asked, like the real drivers
// dmafeed meets elsewhere, so that the code only they reach runs in the guest.
//
// DRM node (DMAFEED_FAKE_DRM_PRIMARY, DMAFEED_FAKE_DRM_RENDER: paths of character devices): a
// driver without VK_EXT_physical_device_drm looks like one that reports its DRM node, so that the
// matching of a Vulkan device to the compositor's DRM device (vk::select_device with
// drm::same_device) runs on real nodes. For every physical device whose driver lacks the extension:
//  - vkEnumerateDeviceExtensionProperties lists VK_EXT_physical_device_drm after the driver's
//    extensions (count/array protocol: VK_INCOMPLETE when the array is too short);
//  - vkGetPhysicalDeviceProperties2 (and its KHR alias) fills a VkPhysicalDeviceDrmPropertiesEXT in
//    the pNext chain (taken out of the chain while the driver fills the rest) with the numbers of
//    the character devices named by the two variables (stat()ed when the instance is created;
//    unset, empty or not a character device: hasPrimary or hasRender is false);
//  - vkCreateDevice takes VK_EXT_physical_device_drm out of the enabled extensions.
//
// Dedicated allocations (DMAFEED_FAKE_DEDICATED=1): the driver wants a dedicated allocation for
// every image and every export, as NVIDIA's and some AMD drivers do for exportable images:
//  - vkGetPhysicalDeviceImageFormatProperties2 (and KHR) adds DEDICATED_ONLY to the external
//    memory features it reports as exportable or importable;
//  - vkGetImageMemoryRequirements2 (and KHR) says requiresDedicatedAllocation and
//    prefersDedicatedAllocation for a whole image (not for one plane of a disjoint image, which
//    cannot have a dedicated allocation).
// The validation layer, listed before this one, then holds dmafeed to those requirements.
//
// Everything else passes through.
//
// Enabled with VK_LAYER_PATH=<the manifest's folder> VK_INSTANCE_LAYERS=<its name>; the manifest is
// made by meson next to the library. Interface version 2 (vkNegotiateLoaderLayerInterfaceVersion);
// handles are not wrapped: instance, physical device and device data are found by the loader's
// dispatch table pointer, the first word of every dispatchable handle. The entry points are called
// from the loader's C code: they are noexcept, and what could throw inside (an allocation, a mutex)
// ends as VK_ERROR_OUT_OF_HOST_MEMORY.
#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unordered_map>
#include <vector>

namespace {

constexpr const char* layer_name = DMAFEED_DRIVER_SHIM_NAME;

// A DRM node as VkPhysicalDeviceDrmPropertiesEXT carries it.
struct Node {
    bool present = false;
    int64_t major = 0;
    int64_t minor = 0;
};

// The node named by the environment variable `var`: its path's st_rdev.
Node node_from_env(const char* var)
{
    const char* path = std::getenv(var);
    if (!path || !*path) return {};
    struct stat st {};
    if (::stat(path, &st) != 0 || !S_ISCHR(st.st_mode)) {
        std::fprintf(stderr, "%s: %s=%s is not a character device: the device reports no such node\n", layer_name, var, path);
        return {};
    }
    return {true, static_cast<int64_t>(major(st.st_rdev)), static_cast<int64_t>(minor(st.st_rdev))};
}

// The next entity's entry points for one instance, and the nodes its devices report.
struct InstanceData {
    VkInstance instance = VK_NULL_HANDLE;
    PFN_vkGetInstanceProcAddr get_proc_addr = nullptr;
    PFN_vkDestroyInstance destroy = nullptr;
    PFN_vkEnumerateDeviceExtensionProperties enumerate_device_extensions = nullptr;
    PFN_vkGetPhysicalDeviceProperties2 properties2 = nullptr;
    PFN_vkGetPhysicalDeviceProperties2 properties2_khr = nullptr;
    PFN_vkGetPhysicalDeviceImageFormatProperties2 image_format_properties2 = nullptr;
    PFN_vkGetPhysicalDeviceImageFormatProperties2 image_format_properties2_khr = nullptr;
    Node primary;
    Node render;
    bool dedicated = false;  // DMAFEED_FAKE_DEDICATED=1
};

// The next entity's entry points for one device.
struct DeviceData {
    PFN_vkGetDeviceProcAddr get_proc_addr = nullptr;
    PFN_vkDestroyDevice destroy = nullptr;
    PFN_vkGetImageMemoryRequirements2 image_memory_requirements2 = nullptr;
    PFN_vkGetImageMemoryRequirements2 image_memory_requirements2_khr = nullptr;
    bool dedicated = false;
};

bool env_flag(const char* var)
{
    const char* v = std::getenv(var);
    return v && std::strcmp(v, "1") == 0;
}

// The struct of type `type` in an output chain, or nullptr.
template <typename T>
T* find_out(void* chain, VkStructureType type)
{
    for (auto* s = static_cast<VkBaseOutStructure*>(chain); s; s = s->pNext) {
        if (s->sType == type) return reinterpret_cast<T*>(s);
    }
    return nullptr;
}

bool chain_has(const void* chain, VkStructureType type)
{
    for (auto* s = static_cast<const VkBaseInStructure*>(chain); s; s = s->pNext) {
        if (s->sType == type) return true;
    }
    return false;
}

struct Registry {
    std::mutex mutex;
    std::unordered_map<void*, InstanceData> instances;  // by dispatch key (physical devices share their instance's)
    std::unordered_map<void*, DeviceData> devices;
};

Registry& registry()
{
    static Registry r;
    return r;
}

template <typename Handle>
void* dispatch_key(Handle handle)
{
    return *reinterpret_cast<void**>(handle);
}

template <typename Handle>
std::optional<InstanceData> instance_data(Handle handle)
{
    Registry& r = registry();
    const std::lock_guard lock{r.mutex};
    const auto it = r.instances.find(dispatch_key(handle));
    if (it == r.instances.end()) return std::nullopt;
    return it->second;
}

std::optional<DeviceData> device_data(VkDevice device)
{
    Registry& r = registry();
    const std::lock_guard lock{r.mutex};
    const auto it = r.devices.find(dispatch_key(device));
    if (it == r.devices.end()) return std::nullopt;
    return it->second;
}

// The loader's link in a create info's pNext chain: the next entity's entry points.
template <typename LinkInfo, VkStructureType link_type>
LinkInfo* chain_link(const void* next)
{
    for (auto* s = static_cast<const VkBaseInStructure*>(next); s; s = s->pNext) {
        if (s->sType != link_type) continue;
        auto* info = reinterpret_cast<LinkInfo*>(const_cast<VkBaseInStructure*>(s));
        if (info->function == VK_LAYER_LINK_INFO) return info;
    }
    return nullptr;
}

VkExtensionProperties drm_extension()
{
    VkExtensionProperties e{};
    std::snprintf(e.extensionName, sizeof e.extensionName, "%s", VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME);
    e.specVersion = VK_EXT_PHYSICAL_DEVICE_DRM_SPEC_VERSION;
    return e;
}

// The count/array protocol of every vkEnumerate*: the count alone, or as many as fit and
// VK_INCOMPLETE when that is not all.
VkResult copy_out(std::span<const VkExtensionProperties> list, uint32_t* count, VkExtensionProperties* properties)
{
    const auto size = static_cast<uint32_t>(list.size());
    if (!properties) {
        *count = size;
        return VK_SUCCESS;
    }
    const uint32_t n = std::min(*count, size);
    std::copy_n(list.begin(), n, properties);
    *count = n;
    return n < size ? VK_INCOMPLETE : VK_SUCCESS;
}

// The driver's own device extensions (the next entity's, without a layer name).
VkResult driver_extensions(const InstanceData& d, VkPhysicalDevice device, std::vector<VkExtensionProperties>* out) noexcept
try {
    for (;;) {
        uint32_t n = 0;
        VkResult r = d.enumerate_device_extensions(device, nullptr, &n, nullptr);
        if (r != VK_SUCCESS) return r;
        out->resize(n);
        r = d.enumerate_device_extensions(device, nullptr, &n, out->data());
        if (r == VK_INCOMPLETE) continue;  // the list grew in between
        out->resize(n);
        return r;
    }
} catch (...) {
    return VK_ERROR_OUT_OF_HOST_MEMORY;
}

bool lists_drm(std::span<const VkExtensionProperties> list)
{
    return std::any_of(list.begin(), list.end(), [](const VkExtensionProperties& e) {
        return std::strcmp(e.extensionName, VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME) == 0;
    });
}

// Whether the layer stands in for the extension on `device` (its driver lacks it). A device
// whose list cannot be read is left alone.
bool fakes_drm(const InstanceData& d, VkPhysicalDevice device) noexcept
{
    std::vector<VkExtensionProperties> list;
    return driver_extensions(d, device, &list) == VK_SUCCESS && !lists_drm(list);
}

VKAPI_ATTR VkResult VKAPI_CALL enumerate_device_extension_properties(VkPhysicalDevice device, const char* layer,
                                                                      uint32_t* count, VkExtensionProperties* properties) noexcept
try {
    const VkExtensionProperties drm = drm_extension();
    if (layer && std::strcmp(layer, layer_name) == 0) return copy_out({&drm, 1}, count, properties);
    const auto d = instance_data(device);
    if (!d) return VK_ERROR_INITIALIZATION_FAILED;
    if (layer) return d->enumerate_device_extensions(device, layer, count, properties);
    std::vector<VkExtensionProperties> list;
    if (const VkResult r = driver_extensions(*d, device, &list); r != VK_SUCCESS) return r;
    if (!lists_drm(list)) list.push_back(drm);
    return copy_out(list, count, properties);
} catch (...) {
    return VK_ERROR_OUT_OF_HOST_MEMORY;
}

void fill_drm(const InstanceData& d, VkPhysicalDeviceDrmPropertiesEXT* drm)
{
    drm->hasPrimary = d.primary.present ? VK_TRUE : VK_FALSE;
    drm->hasRender = d.render.present ? VK_TRUE : VK_FALSE;
    drm->primaryMajor = d.primary.major;
    drm->primaryMinor = d.primary.minor;
    drm->renderMajor = d.render.major;
    drm->renderMinor = d.render.minor;
}

void properties2(VkPhysicalDevice device, VkPhysicalDeviceProperties2* properties, bool khr) noexcept
{
    std::optional<InstanceData> d;
    try {
        d = instance_data(device);
    } catch (...) {
    }
    if (!d) return;  // not a device of an instance this layer saw (or no lock): nothing to call
    const PFN_vkGetPhysicalDeviceProperties2 next = khr ? d->properties2_khr : d->properties2;
    if (!fakes_drm(*d, device)) {
        next(device, properties);
        return;
    }
    // The driver does not know the DRM struct: it leaves the chain while the driver fills the rest.
    auto* before = reinterpret_cast<VkBaseOutStructure*>(properties);
    VkPhysicalDeviceDrmPropertiesEXT* drm = nullptr;
    for (; before->pNext; before = before->pNext) {
        if (before->pNext->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT) {
            drm = reinterpret_cast<VkPhysicalDeviceDrmPropertiesEXT*>(before->pNext);
            before->pNext = static_cast<VkBaseOutStructure*>(drm->pNext);
            break;
        }
    }
    next(device, properties);
    if (drm) {
        before->pNext = reinterpret_cast<VkBaseOutStructure*>(drm);
        fill_drm(*d, drm);
    }
}

VKAPI_ATTR void VKAPI_CALL get_physical_device_properties2(VkPhysicalDevice device, VkPhysicalDeviceProperties2* properties) noexcept
{
    properties2(device, properties, false);
}

VKAPI_ATTR void VKAPI_CALL get_physical_device_properties2_khr(VkPhysicalDevice device,
                                                              VkPhysicalDeviceProperties2* properties) noexcept
{
    properties2(device, properties, true);
}

VkResult image_format_properties2(VkPhysicalDevice device, const VkPhysicalDeviceImageFormatInfo2* info,
                                  VkImageFormatProperties2* properties, bool khr) noexcept
try {
    const auto d = instance_data(device);
    if (!d) return VK_ERROR_INITIALIZATION_FAILED;
    const VkResult r = (khr ? d->image_format_properties2_khr : d->image_format_properties2)(device, info, properties);
    if (r != VK_SUCCESS || !d->dedicated) return r;
    if (auto* ext = find_out<VkExternalImageFormatProperties>(properties->pNext, VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES)) {
        VkExternalMemoryFeatureFlags& f = ext->externalMemoryProperties.externalMemoryFeatures;
        if (f & (VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT | VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)) {
            f |= VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT;
        }
    }
    return r;
} catch (...) {
    return VK_ERROR_OUT_OF_HOST_MEMORY;
}

VKAPI_ATTR VkResult VKAPI_CALL get_image_format_properties2(VkPhysicalDevice device, const VkPhysicalDeviceImageFormatInfo2* info,
                                                            VkImageFormatProperties2* properties) noexcept
{
    return image_format_properties2(device, info, properties, false);
}

VKAPI_ATTR VkResult VKAPI_CALL get_image_format_properties2_khr(VkPhysicalDevice device,
                                                                const VkPhysicalDeviceImageFormatInfo2* info,
                                                                VkImageFormatProperties2* properties) noexcept
{
    return image_format_properties2(device, info, properties, true);
}

void image_memory_requirements2(VkDevice device, const VkImageMemoryRequirementsInfo2* info, VkMemoryRequirements2* req,
                                bool khr) noexcept
{
    std::optional<DeviceData> d;
    try {
        d = device_data(device);
    } catch (...) {
    }
    if (!d) return;
    (khr ? d->image_memory_requirements2_khr : d->image_memory_requirements2)(device, info, req);
    if (!d->dedicated || chain_has(info->pNext, VK_STRUCTURE_TYPE_IMAGE_PLANE_MEMORY_REQUIREMENTS_INFO)) return;
    if (auto* ded = find_out<VkMemoryDedicatedRequirements>(req->pNext, VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS)) {
        ded->requiresDedicatedAllocation = VK_TRUE;
        ded->prefersDedicatedAllocation = VK_TRUE;
    }
}

VKAPI_ATTR void VKAPI_CALL get_image_memory_requirements2(VkDevice device, const VkImageMemoryRequirementsInfo2* info,
                                                          VkMemoryRequirements2* req) noexcept
{
    image_memory_requirements2(device, info, req, false);
}

VKAPI_ATTR void VKAPI_CALL get_image_memory_requirements2_khr(VkDevice device, const VkImageMemoryRequirementsInfo2* info,
                                                              VkMemoryRequirements2* req) noexcept
{
    image_memory_requirements2(device, info, req, true);
}

VKAPI_ATTR VkResult VKAPI_CALL create_instance(const VkInstanceCreateInfo* info, const VkAllocationCallbacks* allocator,
                                               VkInstance* instance) noexcept
{
    auto* link = chain_link<VkLayerInstanceCreateInfo, VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO>(info->pNext);
    if (!link || !link->u.pLayerInfo) return VK_ERROR_INITIALIZATION_FAILED;
    const PFN_vkGetInstanceProcAddr next_gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    const auto next_create = reinterpret_cast<PFN_vkCreateInstance>(next_gipa(VK_NULL_HANDLE, "vkCreateInstance"));
    if (!next_create) return VK_ERROR_INITIALIZATION_FAILED;
    link->u.pLayerInfo = link->u.pLayerInfo->pNext;  // the next entity reads its own link
    if (const VkResult r = next_create(info, allocator, instance); r != VK_SUCCESS) return r;

    InstanceData d;
    d.instance = *instance;
    d.get_proc_addr = next_gipa;
    d.destroy = reinterpret_cast<PFN_vkDestroyInstance>(next_gipa(*instance, "vkDestroyInstance"));
    d.enumerate_device_extensions =
        reinterpret_cast<PFN_vkEnumerateDeviceExtensionProperties>(next_gipa(*instance, "vkEnumerateDeviceExtensionProperties"));
    d.properties2 = reinterpret_cast<PFN_vkGetPhysicalDeviceProperties2>(next_gipa(*instance, "vkGetPhysicalDeviceProperties2"));
    d.properties2_khr =
        reinterpret_cast<PFN_vkGetPhysicalDeviceProperties2>(next_gipa(*instance, "vkGetPhysicalDeviceProperties2KHR"));
    d.image_format_properties2 = reinterpret_cast<PFN_vkGetPhysicalDeviceImageFormatProperties2>(
        next_gipa(*instance, "vkGetPhysicalDeviceImageFormatProperties2"));
    d.image_format_properties2_khr = reinterpret_cast<PFN_vkGetPhysicalDeviceImageFormatProperties2>(
        next_gipa(*instance, "vkGetPhysicalDeviceImageFormatProperties2KHR"));
    d.dedicated = env_flag("DMAFEED_FAKE_DEDICATED");
    d.primary = node_from_env("DMAFEED_FAKE_DRM_PRIMARY");
    d.render = node_from_env("DMAFEED_FAKE_DRM_RENDER");
    try {
        Registry& r = registry();
        const std::lock_guard lock{r.mutex};
        r.instances[dispatch_key(*instance)] = d;
    } catch (...) {
        if (d.destroy) d.destroy(*instance, allocator);
        *instance = VK_NULL_HANDLE;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL destroy_instance(VkInstance instance, const VkAllocationCallbacks* allocator) noexcept
{
    if (!instance) return;
    PFN_vkDestroyInstance next = nullptr;
    try {
        Registry& r = registry();
        const std::lock_guard lock{r.mutex};
        const auto it = r.instances.find(dispatch_key(instance));
        if (it == r.instances.end()) return;
        next = it->second.destroy;
        r.instances.erase(it);
    } catch (...) {
        return;
    }
    if (next) next(instance, allocator);
}

VKAPI_ATTR VkResult VKAPI_CALL create_device(VkPhysicalDevice physical, const VkDeviceCreateInfo* info,
                                             const VkAllocationCallbacks* allocator, VkDevice* device) noexcept
try {
    auto* link = chain_link<VkLayerDeviceCreateInfo, VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO>(info->pNext);
    const auto d = instance_data(physical);
    if (!link || !link->u.pLayerInfo || !d) return VK_ERROR_INITIALIZATION_FAILED;
    const PFN_vkGetInstanceProcAddr next_gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    const PFN_vkGetDeviceProcAddr next_gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
    const auto next_create = reinterpret_cast<PFN_vkCreateDevice>(next_gipa(d->instance, "vkCreateDevice"));
    if (!next_create) return VK_ERROR_INITIALIZATION_FAILED;
    link->u.pLayerInfo = link->u.pLayerInfo->pNext;

    // The driver would refuse an extension it does not have.
    const bool strip = fakes_drm(*d, physical);
    std::vector<const char*> extensions;
    for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
        const char* name = info->ppEnabledExtensionNames[i];
        if (strip && std::strcmp(name, VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME) == 0) continue;
        extensions.push_back(name);
    }
    VkDeviceCreateInfo passed = *info;
    passed.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    passed.ppEnabledExtensionNames = extensions.empty() ? nullptr : extensions.data();
    if (const VkResult r = next_create(physical, &passed, allocator, device); r != VK_SUCCESS) return r;

    const DeviceData dd{
        next_gdpa, reinterpret_cast<PFN_vkDestroyDevice>(next_gdpa(*device, "vkDestroyDevice")),
        reinterpret_cast<PFN_vkGetImageMemoryRequirements2>(next_gdpa(*device, "vkGetImageMemoryRequirements2")),
        reinterpret_cast<PFN_vkGetImageMemoryRequirements2>(next_gdpa(*device, "vkGetImageMemoryRequirements2KHR")),
        d->dedicated};
    try {
        Registry& r = registry();
        const std::lock_guard lock{r.mutex};
        r.devices[dispatch_key(*device)] = dd;
    } catch (...) {
        if (dd.destroy) dd.destroy(*device, allocator);
        *device = VK_NULL_HANDLE;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return VK_SUCCESS;
} catch (...) {
    return VK_ERROR_OUT_OF_HOST_MEMORY;  // before the next entity was called
}

VKAPI_ATTR void VKAPI_CALL destroy_device(VkDevice device, const VkAllocationCallbacks* allocator) noexcept
{
    if (!device) return;
    PFN_vkDestroyDevice next = nullptr;
    try {
        Registry& r = registry();
        const std::lock_guard lock{r.mutex};
        const auto it = r.devices.find(dispatch_key(device));
        if (it == r.devices.end()) return;
        next = it->second.destroy;
        r.devices.erase(it);
    } catch (...) {
        return;
    }
    if (next) next(device, allocator);
}

template <typename Fn>
PFN_vkVoidFunction as_void(Fn fn)
{
    return reinterpret_cast<PFN_vkVoidFunction>(fn);
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL get_device_proc_addr(VkDevice device, const char* name) noexcept
try {
    if (std::strcmp(name, "vkGetDeviceProcAddr") == 0) return as_void(&get_device_proc_addr);
    if (std::strcmp(name, "vkDestroyDevice") == 0) return as_void(&destroy_device);
    const auto d = device ? device_data(device) : std::nullopt;
    if (!d) return nullptr;
    if (d->dedicated && std::strcmp(name, "vkGetImageMemoryRequirements2") == 0 && d->image_memory_requirements2) {
        return as_void(&get_image_memory_requirements2);
    }
    if (d->dedicated && std::strcmp(name, "vkGetImageMemoryRequirements2KHR") == 0 && d->image_memory_requirements2_khr) {
        return as_void(&get_image_memory_requirements2_khr);
    }
    return d->get_proc_addr(device, name);
} catch (...) {
    return nullptr;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL get_instance_proc_addr(VkInstance instance, const char* name) noexcept
try {
    if (std::strcmp(name, "vkGetInstanceProcAddr") == 0) return as_void(&get_instance_proc_addr);
    if (std::strcmp(name, "vkCreateInstance") == 0) return as_void(&create_instance);
    if (std::strcmp(name, "vkGetDeviceProcAddr") == 0) return as_void(&get_device_proc_addr);
    if (!instance) return nullptr;
    const auto d = instance_data(instance);
    if (!d) return nullptr;
    if (std::strcmp(name, "vkDestroyInstance") == 0) return as_void(&destroy_instance);
    if (std::strcmp(name, "vkCreateDevice") == 0) return as_void(&create_device);
    if (std::strcmp(name, "vkDestroyDevice") == 0) return as_void(&destroy_device);
    // The rest only where the next entity has them (the KHR alias needs its instance extension).
    if (std::strcmp(name, "vkEnumerateDeviceExtensionProperties") == 0 && d->enumerate_device_extensions) {
        return as_void(&enumerate_device_extension_properties);
    }
    if (std::strcmp(name, "vkGetPhysicalDeviceProperties2") == 0 && d->properties2) {
        return as_void(&get_physical_device_properties2);
    }
    if (std::strcmp(name, "vkGetPhysicalDeviceProperties2KHR") == 0 && d->properties2_khr) {
        return as_void(&get_physical_device_properties2_khr);
    }
    if (d->dedicated && std::strcmp(name, "vkGetPhysicalDeviceImageFormatProperties2") == 0 && d->image_format_properties2) {
        return as_void(&get_image_format_properties2);
    }
    if (d->dedicated && std::strcmp(name, "vkGetPhysicalDeviceImageFormatProperties2KHR") == 0 &&
        d->image_format_properties2_khr) {
        return as_void(&get_image_format_properties2_khr);
    }
    return d->get_proc_addr(instance, name);
} catch (...) {
    return nullptr;
}

}  // namespace

extern "C" VK_LAYER_EXPORT VKAPI_ATTR VkResult VKAPI_CALL vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface* version) noexcept
{
    if (!version || version->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT) return VK_ERROR_INITIALIZATION_FAILED;
    if (version->loaderLayerInterfaceVersion < 2) return VK_ERROR_INITIALIZATION_FAILED;
    version->loaderLayerInterfaceVersion = 2;
    version->pfnGetInstanceProcAddr = &get_instance_proc_addr;
    version->pfnGetDeviceProcAddr = &get_device_proc_addr;
    version->pfnGetPhysicalDeviceProcAddr = nullptr;  // no physical device functions unknown to the loader
    return VK_SUCCESS;
}

// The rig's facts, asserted inside the VM (see ../../tests/vm/README.md):
//  nodrm:  lavapipe exports LINEAR DRM-modifier images as real dma-bufs; weston offers
//          zwp_linux_dmabuf_v1 v3 with XRGB8888/LINEAR; a capture of the empty output has its size.
//  virtio: weston offers zwp_linux_dmabuf_v1 v5 whose main device is virtio-gpu's render node;
//          GBM on card0 allocates LINEAR buffers.
#include "fd_count.hpp"
#include "vm_session.hpp"
#include "wayland_probe.hpp"

#include <array>
#include <cstring>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <gbm.h>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>
#include <vulkan/vulkan.h>
#include <xf86drm.h>

namespace dmafeed::test {
namespace {

#define ASSERT_VK(expr) ASSERT_EQ((expr), VK_SUCCESS) << #expr

class NodrmWeston : public WestonTest {
    const char* required_setup() const override { return "nodrm"; }
};
class VirtioWeston : public WestonTest {
    const char* required_setup() const override { return "virtio"; }
};

// ---------------------------------------------------------------------------------------------
// nodrm: lavapipe

struct VulkanInstance {
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice lavapipe = VK_NULL_HANDLE;
    ~VulkanInstance()
    {
        if (instance) vkDestroyInstance(instance, nullptr);
    }
};

void create_lavapipe_instance(VulkanInstance& vk)
{
    VkApplicationInfo app{.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .pApplicationName = "dmafeed-vm-tests",
                          .apiVersion = VK_API_VERSION_1_2};
    VkInstanceCreateInfo ci{.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
    ASSERT_VK(vkCreateInstance(&ci, nullptr, &vk.instance));
    uint32_t n = 0;
    ASSERT_VK(vkEnumeratePhysicalDevices(vk.instance, &n, nullptr));
    std::vector<VkPhysicalDevice> devices(n);
    ASSERT_VK(vkEnumeratePhysicalDevices(vk.instance, &n, devices.data()));
    for (VkPhysicalDevice d : devices) {
        VkPhysicalDeviceDriverProperties driver{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
        VkPhysicalDeviceProperties2 props{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &driver};
        vkGetPhysicalDeviceProperties2(d, &props);
        if (driver.driverID == VK_DRIVER_ID_MESA_LLVMPIPE) {
            vk.lavapipe = d;
        }
    }
    ASSERT_NE(vk.lavapipe, VK_NULL_HANDLE) << "no lavapipe among " << n << " Vulkan devices";
}

std::vector<std::string> device_extensions(VkPhysicalDevice d)
{
    uint32_t n = 0;
    vkEnumerateDeviceExtensionProperties(d, nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> exts(n);
    vkEnumerateDeviceExtensionProperties(d, nullptr, &n, exts.data());
    std::vector<std::string> names;
    for (const auto& e : exts) names.emplace_back(e.extensionName);
    return names;
}

bool contains(const std::vector<std::string>& v, const char* s)
{
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(NodrmLavapipe, AdvertisesDrmModifiersAndDmabufExportForLinear)
{
    if (vm_setup() != "nodrm") GTEST_SKIP() << "nodrm set-up only";
    VulkanInstance vk;
    ASSERT_NO_FATAL_FAILURE(create_lavapipe_instance(vk));
    const auto exts = device_extensions(vk.lavapipe);
    EXPECT_TRUE(contains(exts, VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME));
    EXPECT_TRUE(contains(exts, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME));
    EXPECT_TRUE(contains(exts, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME));

    // B8G8R8A8 lists the LINEAR modifier...
    VkDrmFormatModifierPropertiesListEXT list{.sType = VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_EXT};
    VkFormatProperties2 fp{.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2, .pNext = &list};
    vkGetPhysicalDeviceFormatProperties2(vk.lavapipe, VK_FORMAT_B8G8R8A8_UNORM, &fp);
    std::vector<VkDrmFormatModifierPropertiesEXT> mods(list.drmFormatModifierCount);
    list.pDrmFormatModifierProperties = mods.data();
    vkGetPhysicalDeviceFormatProperties2(vk.lavapipe, VK_FORMAT_B8G8R8A8_UNORM, &fp);
    bool linear = false;
    for (const auto& m : mods) linear = linear || m.drmFormatModifier == DRM_FORMAT_MOD_LINEAR;
    ASSERT_TRUE(linear) << "B8G8R8A8 has " << mods.size() << " modifiers, none LINEAR";

    // ...and a LINEAR-modifier image is EXPORTABLE as a dma-buf.
    VkPhysicalDeviceImageDrmFormatModifierInfoEXT mod_info{
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT,
        .drmFormatModifier = DRM_FORMAT_MOD_LINEAR,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkPhysicalDeviceExternalImageFormatInfo ext_info{
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO, .pNext = &mod_info,
        .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT};
    VkPhysicalDeviceImageFormatInfo2 info{
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2, .pNext = &ext_info,
        .format = VK_FORMAT_B8G8R8A8_UNORM, .type = VK_IMAGE_TYPE_2D,
        .tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
        .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT};
    VkExternalImageFormatProperties ext_props{.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES};
    VkImageFormatProperties2 props{.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2, .pNext = &ext_props};
    ASSERT_VK(vkGetPhysicalDeviceImageFormatProperties2(vk.lavapipe, &info, &props));
    EXPECT_TRUE(ext_props.externalMemoryProperties.externalMemoryFeatures &
                VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT);
}

TEST(NodrmLavapipe, ExportsARealDmabufFromALinearModifierImage)
{
    if (vm_setup() != "nodrm") GTEST_SKIP() << "nodrm set-up only";
    VulkanInstance vk;
    ASSERT_NO_FATAL_FAILURE(create_lavapipe_instance(vk));
    const int fds_before = open_fd_count();

    const std::array<const char*, 3> exts{VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME,
                                          VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
                                          VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME};
    const float prio = 1.0F;
    VkDeviceQueueCreateInfo q{.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueFamilyIndex = 0,
                              .queueCount = 1, .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci{.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1,
                           .pQueueCreateInfos = &q, .enabledExtensionCount = exts.size(),
                           .ppEnabledExtensionNames = exts.data()};
    VkDevice dev = VK_NULL_HANDLE;
    ASSERT_VK(vkCreateDevice(vk.lavapipe, &dci, nullptr, &dev));

    const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
    VkImageDrmFormatModifierListCreateInfoEXT mod_list{
        .sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT,
        .drmFormatModifierCount = 1, .pDrmFormatModifiers = &linear};
    VkExternalMemoryImageCreateInfo ext_ci{.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
                                           .pNext = &mod_list,
                                           .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT};
    VkImageCreateInfo ici{.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, .pNext = &ext_ci,
                          .imageType = VK_IMAGE_TYPE_2D, .format = VK_FORMAT_B8G8R8A8_UNORM,
                          .extent = {64, 64, 1}, .mipLevels = 1, .arrayLayers = 1,
                          .samples = VK_SAMPLE_COUNT_1_BIT, .tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
                          .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT, .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                          .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    VkImage image = VK_NULL_HANDLE;
    ASSERT_VK(vkCreateImage(dev, &ici, nullptr, &image));

    VkMemoryRequirements req{};
    vkGetImageMemoryRequirements(dev, image, &req);
    VkPhysicalDeviceMemoryProperties mem_props{};
    vkGetPhysicalDeviceMemoryProperties(vk.lavapipe, &mem_props);
    uint32_t type = 0;
    while (type < mem_props.memoryTypeCount && !(req.memoryTypeBits & (1U << type))) ++type;
    ASSERT_LT(type, mem_props.memoryTypeCount);
    VkMemoryDedicatedAllocateInfo dedicated{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
                                            .image = image};
    VkExportMemoryAllocateInfo export_info{.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
                                           .pNext = &dedicated,
                                           .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT};
    VkMemoryAllocateInfo mai{.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &export_info,
                             .allocationSize = req.size, .memoryTypeIndex = type};
    VkDeviceMemory memory = VK_NULL_HANDLE;
    ASSERT_VK(vkAllocateMemory(dev, &mai, nullptr, &memory));
    ASSERT_VK(vkBindImageMemory(dev, image, memory, 0));

    auto get_mod_props = reinterpret_cast<PFN_vkGetImageDrmFormatModifierPropertiesEXT>(
        vkGetDeviceProcAddr(dev, "vkGetImageDrmFormatModifierPropertiesEXT"));
    auto get_fd = reinterpret_cast<PFN_vkGetMemoryFdKHR>(vkGetDeviceProcAddr(dev, "vkGetMemoryFdKHR"));
    ASSERT_NE(get_mod_props, nullptr);
    ASSERT_NE(get_fd, nullptr);
    VkImageDrmFormatModifierPropertiesEXT chosen{.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT};
    ASSERT_VK(get_mod_props(dev, image, &chosen));
    EXPECT_EQ(chosen.drmFormatModifier, DRM_FORMAT_MOD_LINEAR);

    VkImageSubresource sub{.aspectMask = VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT};
    VkSubresourceLayout layout{};
    vkGetImageSubresourceLayout(dev, image, &sub, &layout);
    EXPECT_GE(layout.rowPitch, 64U * 4U);
    EXPECT_GE(layout.size, layout.rowPitch * 64U);

    VkMemoryGetFdInfoKHR gfi{.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR, .memory = memory,
                             .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT};
    int fd = -1;
    ASSERT_VK(get_fd(dev, &gfi, &fd));
    ASSERT_GE(fd, 0);
    char link[256] = {};
    const ssize_t len = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), link, sizeof link - 1);
    ASSERT_GT(len, 0);
    EXPECT_EQ(std::string(link, 8), "/dmabuf:") << "the exported fd is " << link << ", not a dma-buf";
    EXPECT_GE(lseek(fd, 0, SEEK_END), static_cast<off_t>(layout.rowPitch * 64));
    close(fd);

    vkDestroyImage(dev, image, nullptr);
    vkFreeMemory(dev, memory, nullptr);
    vkDestroyDevice(dev, nullptr);
    EXPECT_EQ(open_fd_count(), fds_before) << "fds leaked by export";
}

// ---------------------------------------------------------------------------------------------
// nodrm: weston

TEST_F(NodrmWeston, OffersLinuxDmabufV3WithXrgb8888Linear)
{
    auto probe = probe_compositor(weston_->socket());
    ASSERT_TRUE(probe.ok()) << probe.error().message();
    ASSERT_TRUE(probe->global_version("zwp_linux_dmabuf_v1").has_value()) << "no zwp_linux_dmabuf_v1";
    EXPECT_EQ(*probe->global_version("zwp_linux_dmabuf_v1"), 3U) << "without a DRM device weston has no feedback";
    EXPECT_TRUE(probe->has_pair(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
    EXPECT_TRUE(probe->has_pair(DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR));
    EXPECT_TRUE(probe->has_pair(DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR));
}

TEST_F(NodrmWeston, CaptureOfTheEmptyOutputHasTheConfiguredSize)
{
    auto image = weston_->capture("nodrm-empty-output");
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(image->width, weston_->options().width);
    EXPECT_EQ(image->height, weston_->options().height);
}

// ---------------------------------------------------------------------------------------------
// virtio: weston with a DRM device

TEST_F(VirtioWeston, OffersLinuxDmabufV5WithTheVirtioRenderNodeAsMainDevice)
{
    auto probe = probe_compositor(weston_->socket());
    ASSERT_TRUE(probe.ok()) << probe.error().message();
    ASSERT_TRUE(probe->global_version("zwp_linux_dmabuf_v1").has_value());
    EXPECT_EQ(*probe->global_version("zwp_linux_dmabuf_v1"), 5U);
    ASSERT_TRUE(probe->feedback.has_value()) << "no default feedback";
    const dev_t main_device = probe->feedback->main_device;
    EXPECT_FALSE(probe->feedback->tranches.empty());
    std::printf("%s", probe->feedback->to_string().c_str());
    EXPECT_TRUE(probe->has_pair(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));

    drmDevicePtr dev = nullptr;
    ASSERT_EQ(drmGetDeviceFromDevId(main_device, 0, &dev), 0)
        << "main device " << major(main_device) << ":" << minor(main_device) << " is not a DRM device";
    ASSERT_TRUE(dev->available_nodes & (1 << DRM_NODE_RENDER));
    const std::string render_node = dev->nodes[DRM_NODE_RENDER];
    drmFreeDevice(&dev);
    struct stat st{};
    ASSERT_EQ(stat(render_node.c_str(), &st), 0) << render_node;
    EXPECT_EQ(st.st_rdev, main_device) << "main device is not the render node " << render_node;

    const int fd = open(render_node.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0) << render_node;
    drmVersionPtr version = drmGetVersion(fd);
    ASSERT_NE(version, nullptr);
    EXPECT_EQ(std::string(version->name), "virtio_gpu");
    drmFreeVersion(version);
    close(fd);
}

TEST(VirtioGbm, AllocatesALinearBufferOnCard0)
{
    if (vm_setup() != "virtio") GTEST_SKIP() << "virtio set-up only";
    const int fds_before = open_fd_count();
    const int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0) << "open /dev/dri/card0: " << strerror(errno);
    gbm_device* gbm = gbm_create_device(fd);
    ASSERT_NE(gbm, nullptr);
    const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
    gbm_bo* bo = gbm_bo_create_with_modifiers2(gbm, 64, 64, DRM_FORMAT_XRGB8888, &linear, 1, GBM_BO_USE_RENDERING);
    ASSERT_NE(bo, nullptr) << strerror(errno);
    EXPECT_EQ(gbm_bo_get_plane_count(bo), 1);
    EXPECT_GE(gbm_bo_get_stride(bo), 256U);
    const int bo_fd = gbm_bo_get_fd(bo);
    EXPECT_GE(bo_fd, 0);
    if (bo_fd >= 0) close(bo_fd);
    gbm_bo_destroy(bo);
    gbm_device_destroy(gbm);
    close(fd);
    EXPECT_EQ(open_fd_count(), fds_before);
}

}  // namespace
}  // namespace dmafeed::test

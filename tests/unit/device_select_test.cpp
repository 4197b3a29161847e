#include "vk/physical_device.hpp"

#include "drm/device.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

using dmafeed::vk::PhysicalDeviceInfo;
using dmafeed::vk::select_device;

namespace {

PhysicalDeviceInfo device(const char* name, VkPhysicalDeviceType type, std::optional<dev_t> render = {},
                          std::optional<dev_t> primary = {})
{
    PhysicalDeviceInfo d;
    d.name = name;
    d.driver = "test";
    d.type = type;
    d.api_version = VK_API_VERSION_1_3;
    for (const char* ext : dmafeed::vk::required_device_extensions) d.extensions.emplace_back(ext);
    d.render_node = render;
    d.primary_node = primary;
    return d;
}

// Fake DRM topology: card N (226:N) and renderD(128+N) (226:128+N) are one device.
bool same(dev_t a, dev_t b) { return major(a) == 226 && major(b) == 226 && minor(a) % 128 == minor(b) % 128; }

const dev_t card0 = makedev(226, 0);
const dev_t render0 = makedev(226, 128);
const dev_t render1 = makedev(226, 129);

}  // namespace

TEST(DeviceSelect, FollowsTheWantedDrmDeviceThroughEitherNode)
{
    const std::vector<PhysicalDeviceInfo> devs{
        device("discrete", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, render0),
        device("integrated", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, render1),
    };
    auto choice = select_device(devs, render1, same);
    ASSERT_TRUE(choice.ok()) << choice.error().message();
    EXPECT_EQ(choice->index, 1U);
    EXPECT_TRUE(choice->matched);
    // The compositor names the primary node; the device reports only its render node.
    auto by_primary = select_device(devs, card0, same);
    ASSERT_TRUE(by_primary.ok());
    EXPECT_EQ(by_primary->index, 0U);
    EXPECT_TRUE(by_primary->matched);
}

TEST(DeviceSelect, WithoutAMatchPicksByTypeAndSaysWhy)
{
    const std::vector<PhysicalDeviceInfo> devs{
        device("cpu", VK_PHYSICAL_DEVICE_TYPE_CPU),
        device("integrated", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU),
    };
    auto choice = select_device(devs, render0, same);
    ASSERT_TRUE(choice.ok());
    EXPECT_EQ(choice->index, 1U);
    EXPECT_FALSE(choice->matched);
    EXPECT_NE(choice->reason.find("VK_EXT_physical_device_drm"), std::string::npos) << choice->reason;
}

TEST(DeviceSelect, NoWantedDevicePrefersDiscreteThenEnumerationOrder)
{
    const std::vector<PhysicalDeviceInfo> devs{
        device("cpu", VK_PHYSICAL_DEVICE_TYPE_CPU),
        device("virtual-a", VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU),
        device("virtual-b", VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU),
    };
    auto choice = select_device(devs, std::nullopt, same);
    ASSERT_TRUE(choice.ok());
    EXPECT_EQ(choice->index, 1U);
}

TEST(DeviceSelect, SkipsDevicesThatLackAnExtensionEvenIfTheyMatch)
{
    auto lacking = device("matching-but-old", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, render0);
    std::erase(lacking.extensions, VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME);
    const std::vector<PhysicalDeviceInfo> devs{lacking, device("cpu", VK_PHYSICAL_DEVICE_TYPE_CPU)};
    auto choice = select_device(devs, render0, same);
    ASSERT_TRUE(choice.ok());
    EXPECT_EQ(choice->index, 1U);
    EXPECT_FALSE(choice->matched);
}

TEST(DeviceSelect, NoQualifyingDeviceListsEachDeviceAndWhatItLacks)
{
    auto a = device("gpu-a", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU);
    std::erase(a.extensions, VK_EXT_QUEUE_FAMILY_FOREIGN_EXTENSION_NAME);
    auto b = device("gpu-b", VK_PHYSICAL_DEVICE_TYPE_CPU);
    b.api_version = VK_API_VERSION_1_1;
    std::erase(b.extensions, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
    auto choice = select_device({a, b}, std::nullopt, same);
    ASSERT_FALSE(choice.ok());
    const std::string& msg = choice.error().message();
    EXPECT_NE(msg.find("gpu-a (test): lacks VK_EXT_queue_family_foreign"), std::string::npos) << msg;
    EXPECT_NE(msg.find("gpu-b (test): lacks API 1.1 < 1.2, VK_EXT_external_memory_dma_buf"), std::string::npos) << msg;
}

TEST(DeviceSelect, NoDevicesAtAll)
{
    auto choice = select_device({}, std::nullopt, same);
    ASSERT_FALSE(choice.ok());
    EXPECT_NE(choice.error().message().find("no Vulkan device found"), std::string::npos);
}

// The real matcher (drm::same_device, libdrm), as open_device uses it: a device that reports its
// DRM node and a compositor that names one. Here neither is a DRM device (the host has no DRM):
// no match, a reason that names the wanted device, and no exception. (The vm suite's virtio
// set-up runs the same matcher on real nodes.)
TEST(DeviceSelect, TheDefaultMatcherIsLibdrmsAndNeverThrows)
{
    struct stat null_st{};
    ASSERT_EQ(stat("/dev/null", &null_st), 0);
    const dev_t not_drm = null_st.st_rdev;
    const std::vector<PhysicalDeviceInfo> devs{
        device("reports-render-node", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, render0, card0),
        device("cpu", VK_PHYSICAL_DEVICE_TYPE_CPU),
    };
    auto choice = select_device(devs, not_drm);
    ASSERT_TRUE(choice.ok()) << choice.error().message();
    EXPECT_FALSE(choice->matched);
    EXPECT_EQ(choice->index, 0U);  // by type
    EXPECT_NE(choice->reason.find("not a DRM device"), std::string::npos) << choice->reason;
    EXPECT_FALSE(dmafeed::drm::same_device(not_drm, not_drm));  // libdrm, not the numbers
}

TEST(DeviceSelect, ANullMatcherIsAnErrorNotACrash)
{
    const std::vector<PhysicalDeviceInfo> devs{device("gpu", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, render0)};
    auto choice = select_device(devs, render0, nullptr);
    ASSERT_FALSE(choice.ok());
    EXPECT_NE(choice.error().message().find("matcher"), std::string::npos);
}

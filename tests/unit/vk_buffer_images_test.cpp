// vk::BufferImages, the owner of one buffer's images, storage views and memories: each object is
// destroyed once, views before images before memories; moved-from sets destroy nothing; assigning
// over a set destroys what it held first.
//
// No Vulkan device is needed: this program defines vkDestroyImageView, vkDestroyImage and
// vkFreeMemory itself, so every call (from the test and from dmafeed-core alike) reaches these
// recording fakes instead of the loader's entry points.
#include "vk/buffer_images.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

using namespace dmafeed;

namespace {

// Every destroy call, in order: "view 7", "image 1", "memory 4".
std::vector<std::string> destroyed;

template <typename Handle>
Handle handle(std::uintptr_t value)
{
    return reinterpret_cast<Handle>(value);
}

std::string describe(const char* kind, const void* object)
{
    return std::string{kind} + " " + std::to_string(reinterpret_cast<std::uintptr_t>(object));
}

const VkDevice device = handle<VkDevice>(16);

vk::UniqueImage image(std::uintptr_t value) { return vk::UniqueImage{device, handle<VkImage>(value)}; }
vk::UniqueImageView view(std::uintptr_t value) { return vk::UniqueImageView{device, handle<VkImageView>(value)}; }
vk::UniqueDeviceMemory memory(std::uintptr_t value) { return vk::UniqueDeviceMemory{device, handle<VkDeviceMemory>(value)}; }

// Images 1..3 (a storage view on the first and the last: 7 and 9), memories 4 and 5.
vk::BufferImages three_images(std::uintptr_t offset = 0)
{
    vk::BufferImages images;
    for (std::uintptr_t i = 1; i <= 3; ++i) images.add_image(image(offset + i), VK_FORMAT_R8_UNORM, {64, 32}, 0, 1);
    images.add_memory(memory(offset + 4));
    images.add_memory(memory(offset + 5));
    images.set_storage_view(0, view(offset + 7));
    images.set_storage_view(2, view(offset + 9));
    return images;
}

const std::vector<std::string> three_images_destroyed{"view 7",  "view 9",   "image 1", "image 2",
                                                      "image 3", "memory 4", "memory 5"};

class BufferImagesTest : public testing::Test {
protected:
    void SetUp() override { destroyed.clear(); }
};

}  // namespace

void vkDestroyImageView(VkDevice dev, VkImageView object, const VkAllocationCallbacks*)
{
    EXPECT_EQ(dev, device);
    destroyed.push_back(describe("view", object));
}
void vkDestroyImage(VkDevice dev, VkImage object, const VkAllocationCallbacks*)
{
    EXPECT_EQ(dev, device);
    destroyed.push_back(describe("image", object));
}
void vkFreeMemory(VkDevice dev, VkDeviceMemory object, const VkAllocationCallbacks*)
{
    EXPECT_EQ(dev, device);
    destroyed.push_back(describe("memory", object));
}

TEST_F(BufferImagesTest, PartsDescribeTheOwnedHandles)
{
    vk::BufferImages images;
    EXPECT_TRUE(images.empty());
    EXPECT_EQ(images.add_image(image(1), VK_FORMAT_R8_UNORM, {64, 32}, 0, 1), 0U);
    EXPECT_EQ(images.add_image(image(2), VK_FORMAT_R8G8_UNORM, {32, 16}, 0, 1), 1U);
    EXPECT_EQ(images.add_memory(memory(4)), handle<VkDeviceMemory>(4));
    images.set_first_plane(1, 1);
    images.set_storage_view(1, view(8));

    ASSERT_EQ(images.parts().size(), 2U);
    const vk::ImagePart& luma = images.parts()[0];
    EXPECT_EQ(luma.image, handle<VkImage>(1));
    EXPECT_EQ(luma.format, VK_FORMAT_R8_UNORM);
    EXPECT_EQ(luma.extent.width, 64U);
    EXPECT_EQ(luma.first_plane, 0U);
    EXPECT_EQ(luma.storage_view, VK_NULL_HANDLE);
    const vk::ImagePart& chroma = images.parts()[1];
    EXPECT_EQ(chroma.image, handle<VkImage>(2));
    EXPECT_EQ(chroma.first_plane, 1U);
    EXPECT_EQ(chroma.plane_count, 1U);
    EXPECT_EQ(chroma.storage_view, handle<VkImageView>(8));
    ASSERT_EQ(images.memories().size(), 1U);
    EXPECT_EQ(images.memories()[0].get(), handle<VkDeviceMemory>(4));
    EXPECT_FALSE(images.empty());
    EXPECT_TRUE(destroyed.empty());
}

TEST_F(BufferImagesTest, DestroysViewsThenImagesThenMemoriesOnce)
{
    { const vk::BufferImages images = three_images(); }
    EXPECT_EQ(destroyed, three_images_destroyed);
}

TEST_F(BufferImagesTest, ClearDestroysOnceAndEmpties)
{
    vk::BufferImages images = three_images();
    images.clear();
    EXPECT_EQ(destroyed, three_images_destroyed);
    EXPECT_TRUE(images.empty());
    EXPECT_TRUE(images.parts().empty());
    EXPECT_TRUE(images.memories().empty());
    images.clear();
    EXPECT_EQ(destroyed.size(), three_images_destroyed.size()) << "a second clear destroys nothing";
}

TEST_F(BufferImagesTest, MovedFromDestroysNothing)
{
    {
        vk::BufferImages owner;
        {
            vk::BufferImages built = three_images();
            owner = std::move(built);
            EXPECT_TRUE(built.empty());  // NOLINT(bugprone-use-after-move): what a moved-from set holds
        }
        EXPECT_TRUE(destroyed.empty()) << "the moved-from set went without destroying";
        ASSERT_EQ(owner.parts().size(), 3U);
        EXPECT_EQ(owner.parts()[2].storage_view, handle<VkImageView>(9));
        const vk::BufferImages constructed{std::move(owner)};
        EXPECT_TRUE(owner.empty());  // NOLINT(bugprone-use-after-move)
    }
    EXPECT_EQ(destroyed, three_images_destroyed);
}

TEST_F(BufferImagesTest, AssignmentDestroysTheOldSetFirstInOrder)
{
    vk::BufferImages images = three_images();
    images = three_images(100);
    EXPECT_EQ(destroyed, three_images_destroyed);
    destroyed.clear();
    images.clear();
    EXPECT_EQ(destroyed, (std::vector<std::string>{"view 107", "view 109", "image 101", "image 102", "image 103",
                                                   "memory 104", "memory 105"}));
}

TEST_F(BufferImagesTest, AHalfBuiltSetLeavesNothingBehind)
{
    // What a builder holds when it fails between creating an image and binding its memory.
    {
        vk::BufferImages images;
        images.add_image(image(1), VK_FORMAT_B8G8R8A8_UNORM, {16, 16}, 0, 1);
        images.add_memory(memory(4));
    }
    EXPECT_EQ(destroyed, (std::vector<std::string>{"image 1", "memory 4"}));
}

// vk::Unique, the owning wrapper of one Vulkan handle, with fake destroy functions that record each
// call: an object is destroyed exactly once, with its own device, by the wrapper that owns it last;
// moved-from and released wrappers destroy nothing; members die in reverse order of declaration.
#include "vk/unique_handle.hpp"

#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

using namespace dmafeed;

namespace {

// Every destroy call of the fakes below, in order: "image 1 on device 16".
std::vector<std::string> destroyed;

template <typename Handle>
Handle handle(std::uintptr_t value)
{
    return reinterpret_cast<Handle>(value);
}

std::string describe(const char* kind, const void* object, VkDevice device)
{
    return std::string{kind} + " " + std::to_string(reinterpret_cast<std::uintptr_t>(object)) + " on device " +
           std::to_string(reinterpret_cast<std::uintptr_t>(device));
}

void destroy_image(VkDevice device, VkImage image, const VkAllocationCallbacks* allocator)
{
    EXPECT_EQ(allocator, nullptr);
    destroyed.push_back(describe("image", image, device));
}
void destroy_view(VkDevice device, VkImageView view, const VkAllocationCallbacks*)
{
    destroyed.push_back(describe("view", view, device));
}
void free_memory(VkDevice device, VkDeviceMemory memory, const VkAllocationCallbacks*)
{
    destroyed.push_back(describe("memory", memory, device));
}

using FakeImage = vk::Unique<VkImage, destroy_image>;
using FakeView = vk::Unique<VkImageView, destroy_view>;
using FakeMemory = vk::Unique<VkDeviceMemory, free_memory>;

const VkDevice device_a = handle<VkDevice>(16);
const VkDevice device_b = handle<VkDevice>(32);

class UniqueHandle : public testing::Test {
protected:
    void SetUp() override { destroyed.clear(); }
};

}  // namespace

TEST_F(UniqueHandle, EmptyDestroysNothing)
{
    {
        FakeImage empty;
        EXPECT_FALSE(empty);
        EXPECT_EQ(empty.get(), VK_NULL_HANDLE);
        empty.reset();
        FakeImage adopted_null{device_a, VK_NULL_HANDLE};
        EXPECT_FALSE(adopted_null);
    }
    EXPECT_TRUE(destroyed.empty());
}

TEST_F(UniqueHandle, DestroysOnceWithItsDevice)
{
    {
        FakeImage image{device_a, handle<VkImage>(1)};
        EXPECT_TRUE(image);
        EXPECT_EQ(image.get(), handle<VkImage>(1));
        EXPECT_EQ(image.device(), device_a);
        EXPECT_TRUE(destroyed.empty());
    }
    EXPECT_EQ(destroyed, (std::vector<std::string>{"image 1 on device 16"}));
}

TEST_F(UniqueHandle, ResetDestroysOnceAndEmpties)
{
    {
        FakeImage image{device_a, handle<VkImage>(1)};
        image.reset();
        EXPECT_EQ(destroyed, (std::vector<std::string>{"image 1 on device 16"}));
        EXPECT_FALSE(image);
        image.reset();
    }
    EXPECT_EQ(destroyed.size(), 1U) << "reset twice, then destroyed: still one call";
}

TEST_F(UniqueHandle, MovedFromDestroysNothing)
{
    {
        FakeImage owner;
        {
            FakeImage first{device_a, handle<VkImage>(1)};
            owner = FakeImage{std::move(first)};
            EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): what a moved-from wrapper holds
            EXPECT_EQ(first.get(), VK_NULL_HANDLE);
        }
        EXPECT_TRUE(destroyed.empty()) << "the moved-from wrapper went without destroying";
        EXPECT_EQ(owner.get(), handle<VkImage>(1));
        EXPECT_EQ(owner.device(), device_a);
    }
    EXPECT_EQ(destroyed, (std::vector<std::string>{"image 1 on device 16"}));
}

TEST_F(UniqueHandle, MoveAssignmentDestroysTheOldObjectFirst)
{
    {
        FakeImage target{device_a, handle<VkImage>(1)};
        FakeImage source{device_b, handle<VkImage>(2)};
        target = std::move(source);
        EXPECT_EQ(destroyed, (std::vector<std::string>{"image 1 on device 16"}));
        EXPECT_EQ(target.get(), handle<VkImage>(2));
        EXPECT_EQ(target.device(), device_b) << "the device comes with the handle";
        EXPECT_FALSE(source);  // NOLINT(bugprone-use-after-move)
    }
    EXPECT_EQ(destroyed, (std::vector<std::string>{"image 1 on device 16", "image 2 on device 32"}));
}

TEST_F(UniqueHandle, ReleaseGivesTheHandleUpWithoutDestroying)
{
    VkImage leaked = VK_NULL_HANDLE;
    {
        FakeImage image{device_a, handle<VkImage>(1)};
        leaked = image.release();
        EXPECT_FALSE(image);
    }
    EXPECT_EQ(leaked, handle<VkImage>(1));
    EXPECT_TRUE(destroyed.empty());
}

TEST_F(UniqueHandle, MembersDieInReverseOrderOfDeclaration)
{
    struct ImageWithMemory {
        FakeMemory memory;
        FakeImage image;
        FakeView view;
    };
    {
        ImageWithMemory owner{FakeMemory{device_a, handle<VkDeviceMemory>(3)}, FakeImage{device_a, handle<VkImage>(2)},
                              FakeView{device_a, handle<VkImageView>(1)}};
    }
    EXPECT_EQ(destroyed, (std::vector<std::string>{"view 1 on device 16", "image 2 on device 16", "memory 3 on device 16"}));
}

TEST_F(UniqueHandle, VectorGrowthMovesWithoutDestroying)
{
    {
        std::vector<FakeImage> images;
        for (std::uintptr_t i = 1; i <= 100; ++i) images.emplace_back(device_a, handle<VkImage>(i));
        EXPECT_TRUE(destroyed.empty()) << "reallocation moved the wrappers: nothing destroyed";
    }
    ASSERT_EQ(destroyed.size(), 100U);
    for (std::uintptr_t i = 1; i <= 100; ++i) {
        EXPECT_EQ(std::count(destroyed.begin(), destroyed.end(), "image " + std::to_string(i) + " on device 16"), 1);
    }
}

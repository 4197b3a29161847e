// nodrm: a driver that wants dedicated allocations (NVIDIA's and some AMD drivers do for exportable
// images), played by lavapipe under the driver shim layer (tests/vm/driver_shim,
// DMAFEED_FAKE_DEDICATED=1), below the validation layer:
//  - the capability query marks every pair dedicated-only and offers no disjoint planes (a
//    dedicated allocation cannot back a disjoint image);
//  - every memory the Vulkan allocator makes is dedicated to its image: one per plane image for YUV
//    (which otherwise share one memory), also on a disjoint request;
//  - what is uploaded reads back byte for byte through mmap of the dma-bufs;
//  - a plane offset, which needs memory the image does not own, is refused with the reason;
//  - zero validation errors.
// Without the shim (the control), lavapipe's NV12 planes share one memory, not dedicated.
#include "alloc/vulkan_allocator.hpp"
#include "scoped_env.hpp"
#include "vm_session.hpp"
#include "vulkan_fixture.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>

namespace dmafeed::test {
namespace {

constexpr VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
const DrmFormat nv12{DRM_FORMAT_NV12};

class NodrmDedicated : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (vm_setup() != "nodrm") GTEST_SKIP() << "nodrm set-up only";
    }
};

TEST_F(NodrmDedicated, WithoutTheShimLavapipesYuvPlanesShareOneMemory)
{
    auto stack = VulkanStack::create({}, usage);
    ASSERT_TRUE(stack.ok()) << stack.error().message();
    auto b = stack->allocator->allocate({.format = nv12, .width = 64, .height = 48, .modifiers = {modifier_linear}});
    ASSERT_TRUE(b.ok()) << b.error().message();
    const auto& buffer = static_cast<const VulkanBuffer&>(**b);
    ASSERT_EQ(buffer.memory_records().size(), 1U);
    EXPECT_FALSE(buffer.memory_records()[0].dedicated);
}

TEST_F(NodrmDedicated, EveryMemoryIsDedicatedAndReadsBackExactly)
{
    // The validation layer first (nearest the application), so that it sees the shim's answers.
    const ScopedEnv env{{{"VK_ADD_LAYER_PATH", DMAFEED_DRIVER_SHIM_DIR},
                         {"VK_INSTANCE_LAYERS", std::string{"VK_LAYER_KHRONOS_validation:"} + DMAFEED_DRIVER_SHIM_NAME},
                         {"DMAFEED_FAKE_DEDICATED", "1"}}};
    auto stack = VulkanStack::create({.validation = true}, usage);
    ASSERT_TRUE(stack.ok()) << stack.error().message();
    ASSERT_TRUE(stack->instance->validation_enabled());

    const auto& caps = stack->allocator->capabilities();
    ASSERT_FALSE(caps.pairs.empty());
    for (const vk::PairCapability& cap : caps.pairs) {
        EXPECT_TRUE(cap.dedicated_only) << name(cap.pair.format) << " " << name(cap.pair.modifier);
        EXPECT_FALSE(cap.disjoint) << name(cap.pair.format) << " " << name(cap.pair.modifier);
    }

    for (const uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12, DRM_FORMAT_YUV420}) {
        for (const bool disjoint : {false, true}) {
            const AllocationRequest req{.format = DrmFormat{fourcc}, .width = 64, .height = 48,
                                        .modifiers = {modifier_linear}, .disjoint = disjoint};
            auto b = stack->allocator->allocate(req);
            ASSERT_TRUE(b.ok()) << b.error().message();
            const auto& buffer = static_cast<const VulkanBuffer&>(**b);
            const std::string what = name(req.format) + (disjoint ? " disjoint" : "");
            EXPECT_EQ(buffer.memory_records().size(), buffer.parts().size()) << what << ": one memory per image";
            for (const auto& rec : buffer.memory_records()) EXPECT_TRUE(rec.dedicated) << what;
            ASSERT_NO_FATAL_FAILURE(check_round_trip(*stack->allocator, *stack->uploader, req)) << what;
        }
    }

    auto offset = stack->allocator->allocate(
        {.format = DrmFormat{DRM_FORMAT_XRGB8888}, .width = 64, .height = 48, .modifiers = {modifier_linear}, .plane_offset = 4096});
    ASSERT_FALSE(offset.ok());
    EXPECT_NE(offset.error().message().find("dedicated"), std::string::npos) << offset.error().message();
    EXPECT_NE(offset.error().message().find("4096"), std::string::npos) << offset.error().message();

    EXPECT_EQ(stack->instance->validation_error_count(), 0U);
}

}  // namespace
}  // namespace dmafeed::test

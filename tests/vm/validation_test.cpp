// nodrm: dmafeed's Vulkan code under the Khronos validation layer (with synchronization
// validation), on lavapipe with real dma-bufs.
//  - the layer and the debug-utils messenger are active (the layer is a set-up package:
//    vulkan-validationlayers, installed by tools/setup); a missing layer fails, it does not skip;
//  - the pipe works: a deliberately invalid call reaches dmafeed's log at level error (captured
//    by a test sink), is counted as an error and handed to the observer; with a Suppression for
//    it, it is counted as suppressed instead; a Suppression whose text or id does not match leaves
//    it an error;
//  - every exportable (format, modifier) allocates, exports, uploads through vk::Uploader and reads
//    back exactly (the export suite's round trip), plus odd-sized YUV and 256-aligned explicit
//    layouts; then everything is destroyed;
//  - the layer reported no error and no warning over all of it, from vkCreateInstance to
//    vkDestroyInstance; every message is printed on failure. Only the documented
//    vk::Instance::known_layer_mistakes() are suppressed; their count and one example are printed;
//  - the evidence behind that suppression still holds for every VkFormat dmafeed uploads to: the
//    driver lists the image's modifier with TRANSFER_DST in VkDrmFormatModifierPropertiesListEXT
//    and leaves VkDrmFormatModifierPropertiesList2EXT (what the layer reads) without it. When a
//    driver fills List2, this fails: the suppression is then stale and must go.
#include "alloc/vulkan_allocator.hpp"
#include "drm/format_info.hpp"
#include "vk/instance.hpp"
#include "vm_session.hpp"
#include "vulkan_fixture.hpp"

#include <algorithm>
#include <cstdio>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dmafeed::test {
namespace {

constexpr VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;

// The layer stays loaded from the program's start: the loader unloads it at each
// vkDestroyInstance, and what the layer leaves unreachable then would show in LeakSanitizer's
// report at exit (the ASan/UBSan build's run) as "<unknown module>", out of reach of
// tests/lsan.supp's entry for it, which matches the module's name.
[[maybe_unused]] void* const validation_layer_held = dlopen("libVkLayer_khronos_validation.so", RTLD_NOW | RTLD_NODELETE);

// Every message the messenger delivered, in order.
class MessageLog {
public:
    void add(const vk::ValidationMessage& m)
    {
        const std::lock_guard lock{mutex_};
        messages_.push_back(m);
    }
    // The messages of `level` or above (suppressed ones included, marked), one per line.
    std::string dump(log::Level level) const
    {
        const std::lock_guard lock{mutex_};
        std::ostringstream out;
        for (const auto& m : messages_) {
            if (m.level < level) continue;
            out << "  " << (m.suppressed ? "(suppressed) " : "") << log::level_name(m.level) << " ["
                << (m.id_name.empty() ? "-" : m.id_name) << "] " << m.text << "\n";
        }
        return out.str();
    }
    // Messages of exactly `level` that were not suppressed.
    uint64_t count(log::Level level) const
    {
        const std::lock_guard lock{mutex_};
        uint64_t n = 0;
        for (const auto& m : messages_) n += !m.suppressed && m.level == level;
        return n;
    }
    // The first suppressed message, one line; empty when none.
    std::string first_suppressed() const
    {
        const std::lock_guard lock{mutex_};
        for (const auto& m : messages_) {
            if (m.suppressed) return "[" + m.id_name + "] " + m.text;
        }
        return {};
    }

private:
    mutable std::mutex mutex_;
    std::vector<vk::ValidationMessage> messages_;
};

class NodrmValidation : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (vm_setup() != "nodrm") GTEST_SKIP() << "nodrm set-up only";
    }

    // Builds the whole stack with validation on; the log gets every message.
    std::unique_ptr<VulkanStack> make_stack()
    {
        vk::InstanceOptions options;
        options.validation = true;
        options.application_name = "dmafeed-vm-tests (validation)";
        options.on_validation_message = [this](const vk::ValidationMessage& m) { messages_.add(m); };
        auto stack = VulkanStack::create(options, usage);
        EXPECT_TRUE(stack.ok()) << stack.error().message() << "\nmessages:\n" << messages_.dump(log::Level::debug);
        if (!stack.ok()) return nullptr;
        return std::make_unique<VulkanStack>(std::move(stack).value());
    }

    MessageLog messages_;
};

TEST_F(NodrmValidation, TheLayerAndTheMessengerAreActive)
{
    auto stack = make_stack();
    ASSERT_NE(stack, nullptr);
    EXPECT_TRUE(stack->instance->validation_enabled())
        << "VK_LAYER_KHRONOS_validation or VK_EXT_debug_utils is missing: install vulkan-validationlayers (tools/setup)";
}

// vkGetPhysicalDeviceFormatProperties2 with a structure that does not extend VkFormatProperties2 in
// its pNext chain: stateless validation reports VUID-VkFormatProperties2-pNext-pNext; drivers skip
// structures they do not know, so the call itself is harmless.
void invalid_call(const vk::Instance& instance)
{
    auto devices = instance.physical_devices();
    ASSERT_TRUE(devices.ok() && !devices->empty());
    VkImageFormatListCreateInfo stray{.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_LIST_CREATE_INFO};
    VkFormatProperties2 props{.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2, .pNext = &stray};
    vkGetPhysicalDeviceFormatProperties2(devices->front(), VK_FORMAT_B8G8R8A8_UNORM, &props);
}

constexpr const char* invalid_call_id = "VUID-VkFormatProperties2-pNext-pNext";

TEST_F(NodrmValidation, AnInvalidCallIsCountedAndOnlyAMatchingSuppressionDropsIt)
{
    struct Case {
        const char* what;
        std::vector<vk::Suppression> suppressions;
        bool suppressed;
    };
    const std::vector<Case> cases{
        {"no suppression", {}, false},
        {"suppressed by id and text", {{invalid_call_id, {"VkFormatProperties2"}, "test"}}, true},
        {"id matches, text does not", {{invalid_call_id, {"no such text"}, "test"}}, false},
        {"another id", {{"VUID-vkCmdCopyBufferToImage-dstImage-01997", {}, "test"}}, false},
    };
    // Capture dmafeed's log: the deliberate errors belong to this test, not to the console.
    std::vector<std::pair<log::Level, std::string>> logged;
    std::mutex logged_mutex;
    struct RestoreSink {
        log::Sink previous;
        ~RestoreSink() { log::set_sink(std::move(previous)); }
    } restore{log::set_sink([&](log::Level level, std::string_view text) {
        const std::lock_guard lock{logged_mutex};
        logged.emplace_back(level, std::string{text});
    })};
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        {
            const std::lock_guard lock{logged_mutex};
            logged.clear();
        }
        MessageLog log;
        vk::InstanceOptions options;
        options.validation = true;
        options.suppressions = c.suppressions;
        options.on_validation_message = [&log](const vk::ValidationMessage& m) { log.add(m); };
        auto instance = vk::Instance::create(options);
        ASSERT_TRUE(instance.ok()) << instance.error().message();
        ASSERT_TRUE(instance->validation_enabled());
        ASSERT_EQ(instance->validation_error_count(), 0U) << log.dump(log::Level::warning);
        ASSERT_NO_FATAL_FAILURE(invalid_call(*instance));
        const std::string messages = log.dump(log::Level::warning);
        EXPECT_NE(messages.find(invalid_call_id), std::string::npos) << "the observer did not get it:\n" << messages;
        EXPECT_EQ(instance->validation_error_count(), c.suppressed ? 0U : 1U) << messages;
        EXPECT_EQ(instance->validation_suppressed_count(), c.suppressed ? 1U : 0U) << messages;
        EXPECT_EQ(log.count(log::Level::error), c.suppressed ? 0U : 1U) << messages;
        const std::lock_guard lock{logged_mutex};
        const auto in_log = std::count_if(logged.begin(), logged.end(), [](const auto& l) {
            return l.first == log::Level::error && l.second.find(invalid_call_id) != std::string::npos;
        });
        EXPECT_EQ(in_log, c.suppressed ? 0 : 1) << "dmafeed's log at level error";
    }
}

TEST_F(NodrmValidation, AllocateExportUploadEveryPairWithoutErrorsOrWarnings)
{
    uint64_t errors = 0;
    uint64_t warnings = 0;
    uint64_t suppressed = 0;
    size_t pairs = 0;
    {
        auto stack = make_stack();
        ASSERT_NE(stack, nullptr);
        ASSERT_TRUE(stack->instance->validation_enabled()) << "no validation layer: install vulkan-validationlayers";
        VulkanAllocator& allocator = *stack->allocator;
        vk::Uploader& uploader = *stack->uploader;
        for (const FormatModifier& pair : allocator.supported()) {
            SCOPED_TRACE(name(pair.format) + " / " + name(pair.modifier));
            ASSERT_NO_FATAL_FAILURE(check_round_trip(
                allocator, uploader, {.format = pair.format, .width = 64, .height = 48, .modifiers = {pair.modifier}}));
            ++pairs;
        }
        for (uint32_t fourcc : {DRM_FORMAT_NV12, DRM_FORMAT_P010, DRM_FORMAT_YUV420}) {
            SCOPED_TRACE(name(DrmFormat{fourcc}) + " 63x35");
            ASSERT_NO_FATAL_FAILURE(check_round_trip(
                allocator, uploader, {.format = DrmFormat{fourcc}, .width = 63, .height = 35, .modifiers = {modifier_linear}}));
        }
        for (uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}) {
            SCOPED_TRACE(name(DrmFormat{fourcc}) + " aligned 256");
            ASSERT_NO_FATAL_FAILURE(check_round_trip(allocator, uploader,
                                                     {.format = DrmFormat{fourcc}, .width = 65, .height = 33,
                                                      .modifiers = {modifier_linear}, .stride_align = 256}));
        }
        // Destroy everything but the instance, then read its counts: leaks and destruction-time
        // errors of the device are reported by then.
        std::unique_ptr<vk::Instance> instance = std::move(stack->instance);
        stack.reset();
        errors = instance->validation_error_count();
        warnings = instance->validation_warning_count();
        suppressed = instance->validation_suppressed_count();
        EXPECT_EQ(errors, messages_.count(log::Level::error)) << "the instance counts what its messenger delivers";
        EXPECT_EQ(warnings, messages_.count(log::Level::warning)) << "the instance counts what its messenger delivers";
    }
    std::printf("validated %zu (format, modifier) pairs: %llu error(s), %llu warning(s), %llu suppressed\n", pairs,
                static_cast<unsigned long long>(errors), static_cast<unsigned long long>(warnings),
                static_cast<unsigned long long>(suppressed));
    if (suppressed > 0) {
        std::printf("suppressed as a known layer mistake (vk::Instance::known_layer_mistakes()), e.g.:\n  %s\n",
                    messages_.first_suppressed().c_str());
    }
    EXPECT_GE(pairs, 10U);
    EXPECT_EQ(errors, 0U) << "validation errors and warnings:\n" << messages_.dump(log::Level::warning);
    EXPECT_EQ(warnings, 0U) << "validation errors and warnings:\n" << messages_.dump(log::Level::warning);
    // vkDestroyInstance reports through the messenger chained into VkInstanceCreateInfo, after the
    // counts above were read: the message log covers it.
    EXPECT_EQ(messages_.count(log::Level::error) + messages_.count(log::Level::warning), errors + warnings)
        << "messages while the instance was destroyed:\n" << messages_.dump(log::Level::warning);
}

// The modifier's tiling features in the driver's List (1) and List2 variants; nullopt where absent.
struct ListedFeatures {
    std::optional<VkFormatFeatureFlags2> list1;
    std::optional<VkFormatFeatureFlags2> list2;
};

ListedFeatures listed_features(VkPhysicalDevice physical, VkFormat format, DrmModifier modifier)
{
    ListedFeatures out;
    VkDrmFormatModifierPropertiesListEXT list1{.sType = VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_EXT};
    VkFormatProperties2 props1{.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2, .pNext = &list1};
    vkGetPhysicalDeviceFormatProperties2(physical, format, &props1);
    std::vector<VkDrmFormatModifierPropertiesEXT> mods1(list1.drmFormatModifierCount);
    list1.pDrmFormatModifierProperties = mods1.data();
    vkGetPhysicalDeviceFormatProperties2(physical, format, &props1);
    for (uint32_t i = 0; i < list1.drmFormatModifierCount; ++i) {
        if (mods1[i].drmFormatModifier == modifier.value()) out.list1 = mods1[i].drmFormatModifierTilingFeatures;
    }
    // Chained as the layer chains it: VkFormatProperties2 -> VkFormatProperties3 -> List2.
    VkDrmFormatModifierPropertiesList2EXT list2{.sType = VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_2_EXT};
    VkFormatProperties3 props3{.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_3, .pNext = &list2};
    VkFormatProperties2 props2{.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2, .pNext = &props3};
    vkGetPhysicalDeviceFormatProperties2(physical, format, &props2);
    std::vector<VkDrmFormatModifierProperties2EXT> mods2(list2.drmFormatModifierCount);
    list2.pDrmFormatModifierProperties = mods2.data();
    vkGetPhysicalDeviceFormatProperties2(physical, format, &props2);
    for (uint32_t i = 0; i < list2.drmFormatModifierCount; ++i) {
        if (mods2[i].drmFormatModifier == modifier.value()) out.list2 = mods2[i].drmFormatModifierTilingFeatures;
    }
    return out;
}

TEST_F(NodrmValidation, TheSuppressedCopyMessageIsStillTheDriversEmptyList2)
{
    auto stack = make_stack();
    ASSERT_NE(stack, nullptr);
    const VkPhysicalDevice physical = stack->device->physical_handle();
    size_t checked = 0;
    for (const vk::PairCapability& cap : stack->allocator->capabilities().pairs) {
        const FormatInfo* info = format_info(cap.pair.format);
        ASSERT_NE(info, nullptr);
        std::vector<VkFormat> formats;
        if (cap.per_plane_images) {
            for (const PlaneInfo& plane : info->plane_infos()) formats.push_back(plane.vk_format);
        } else {
            formats.push_back(info->vk_format);
        }
        for (VkFormat format : formats) {
            SCOPED_TRACE(name(cap.pair.format) + " / " + name(cap.pair.modifier) + ", VkFormat " + std::to_string(format));
            const ListedFeatures f = listed_features(physical, format, cap.pair.modifier);
            ASSERT_TRUE(f.list1.has_value()) << "the driver does not list the modifier the image was made with";
            EXPECT_TRUE(*f.list1 & VK_FORMAT_FEATURE_2_TRANSFER_DST_BIT) << "features 0x" << std::hex << *f.list1;
            EXPECT_FALSE(f.list2.has_value() && (*f.list2 & VK_FORMAT_FEATURE_2_TRANSFER_DST_BIT))
                << "the driver now lists TRANSFER_DST in VkDrmFormatModifierPropertiesList2EXT: the layer reads the "
                   "right features, so VUID-vkCmdCopyBufferToImage-dstImage-01997 and "
                   "VUID-vkCmdClearColorImage-image-01993 must no longer be suppressed (src/vk/instance.cpp)";
            ++checked;
        }
    }
    EXPECT_GT(checked, 0U);
}

}  // namespace
}  // namespace dmafeed::test

// Matching a Vulkan device to the compositor's DRM device, end to end in the virtio guest.
//   - drm::same_device (libdrm's drmDevicesEqual) on virtio-gpu's real nodes: card0 and renderD128
//     are one device, in either order; a DRM minor without a node, /dev/udmabuf and /dev/null are
//     not that device (nor the same as themselves: they are no DRM devices).
//   - The driver shim layer (tests/vm/driver_shim) makes lavapipe report card0 and
//     renderD128 through VK_EXT_physical_device_drm: the extension list keeps the count/array
//     protocol, the properties come through a pNext chain unharmed, vkCreateDevice accepts the
//     extension; vk::select_device with the default matcher picks lavapipe as `matched` for either
//     node, with only one of the two nodes reported too; nodes of another device do not match.
//   - With the layer in their environment, lavapipe is the compositor's device for the player
//     (dmafeed), dmafeed-info and the library: Vulkan goes first (the order rule), weston 14
//     refuses its buffers (`failed`), and GBM on card0 takes over with every pixel exact.
// The in-process checks set the layer's variables for the instances they create (no other thread
// runs meanwhile) and put the old environment back.
#include "vm_session.hpp"

#include "scoped_env.hpp"

#include "child_process.hpp"
#include "dmafeed/dmafeed.hpp"
#include "drm/device.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"
#include "vk/physical_device.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <drm_fourcc.h>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <thread>
#include <vulkan/vulkan.h>

namespace dmafeed::test {
namespace {

constexpr const char* card0_path = "/dev/dri/card0";
constexpr const char* render_path = "/dev/dri/renderD128";

dev_t rdev(const char* path)
{
    struct stat st {};
    EXPECT_EQ(::stat(path, &st), 0) << path;
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << path;
    return st.st_rdev;
}

// The environment that enables the layer, its nodes given as paths ("": the device reports none).
std::map<std::string, std::string> layer_env(const std::string& primary, const std::string& render)
{
    return {{"VK_LAYER_PATH", DMAFEED_DRIVER_SHIM_DIR},
            {"VK_INSTANCE_LAYERS", DMAFEED_DRIVER_SHIM_NAME},
            {"DMAFEED_FAKE_DRM_PRIMARY", primary},
            {"DMAFEED_FAKE_DRM_RENDER", render}};
}

class VirtioDrmNode : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (vm_setup() != "virtio") GTEST_SKIP() << "virtio set-up only";
        card0_ = rdev(card0_path);
        render_ = rdev(render_path);
    }
    dev_t card0_ = 0;
    dev_t render_ = 0;
};

// A Vulkan instance (created under the current environment) and what each device reports.
struct Devices {
    std::optional<vk::Instance> instance;
    std::vector<vk::PhysicalDeviceInfo> infos;
    std::optional<size_t> lavapipe;  // index into infos
};

Devices query_devices()
{
    Devices out;
    auto instance = vk::Instance::create();
    EXPECT_TRUE(instance.ok()) << instance.error().message();
    if (!instance) return out;
    out.instance.emplace(std::move(*instance));
    auto handles = out.instance->physical_devices();
    EXPECT_TRUE(handles.ok()) << handles.error().message();
    if (!handles) return out;
    for (VkPhysicalDevice h : *handles) {
        out.infos.push_back(vk::query_physical_device(h));
        if (out.infos.back().driver == "llvmpipe" && !out.lavapipe) out.lavapipe = out.infos.size() - 1;
    }
    EXPECT_TRUE(out.lavapipe.has_value()) << "no lavapipe among " << out.infos.size() << " Vulkan devices";
    return out;
}

size_t count_drm_extension(const VkExtensionProperties* list, uint32_t n)
{
    return static_cast<size_t>(std::count_if(list, list + n, [](const VkExtensionProperties& e) {
        return std::strcmp(e.extensionName, VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME) == 0;
    }));
}

TEST_F(VirtioDrmNode, SameDeviceIsTrueForCard0AndRenderD128EitherWayAndFalseForAnythingElse)
{
    EXPECT_TRUE(drm::same_device(card0_, render_));
    EXPECT_TRUE(drm::same_device(render_, card0_));
    EXPECT_TRUE(drm::same_device(card0_, card0_));
    EXPECT_TRUE(drm::same_device(render_, render_));
    EXPECT_EQ(drm::describe_device(render_), std::string{render_path} + " (" + std::to_string(major(render_)) + ":" +
                                                 std::to_string(minor(render_)) + ")");
    EXPECT_EQ(drm::describe_device(card0_), std::string{card0_path} + " (" + std::to_string(major(card0_)) + ":" +
                                                std::to_string(minor(card0_)) + ")");

    // A DRM minor without a node (virtio-gpu is the only DRM device here: no card1).
    struct stat st {};
    ASSERT_NE(::stat("/dev/dri/card1", &st), 0) << "this check needs a guest with one DRM device";
    const dev_t no_node = makedev(major(card0_), minor(card0_) + 1);
    const dev_t udmabuf = rdev("/dev/udmabuf");
    const dev_t null = rdev("/dev/null");
    for (const dev_t other : {no_node, udmabuf, null}) {
        const std::string what = std::to_string(major(other)) + ":" + std::to_string(minor(other));
        EXPECT_FALSE(drm::same_device(render_, other)) << what;
        EXPECT_FALSE(drm::same_device(other, render_)) << what;
        EXPECT_FALSE(drm::same_device(card0_, other)) << what;
        EXPECT_FALSE(drm::same_device(other, card0_)) << what;
        EXPECT_FALSE(drm::same_device(other, other)) << what << ": compared through libdrm, not as numbers";
        EXPECT_NE(drm::describe_device(other).find("(not a DRM device)"), std::string::npos) << drm::describe_device(other);
    }
}

TEST_F(VirtioDrmNode, TheLayerAddsTheExtensionKeepingTheCountArrayProtocolAndTheChain)
{
    const ScopedEnv env{layer_env(card0_path, render_path)};
    Devices d = query_devices();
    ASSERT_TRUE(d.lavapipe.has_value());
    const VkPhysicalDevice pd = d.infos[*d.lavapipe].handle;

    uint32_t n = 0;
    ASSERT_EQ(vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr), VK_SUCCESS);
    ASSERT_GE(n, 2u);
    std::vector<VkExtensionProperties> all(n + 3);
    uint32_t got = n + 3;
    ASSERT_EQ(vkEnumerateDeviceExtensionProperties(pd, nullptr, &got, all.data()), VK_SUCCESS);
    EXPECT_EQ(got, n) << "a longer array: the count is set to what was written";
    EXPECT_EQ(count_drm_extension(all.data(), got), 1u);
    EXPECT_STREQ(all[got - 1].extensionName, VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME) << "after the driver's own";
    EXPECT_EQ(all[got - 1].specVersion, uint32_t{VK_EXT_PHYSICAL_DEVICE_DRM_SPEC_VERSION});

    std::vector<VkExtensionProperties> shorter(n - 1);
    uint32_t k = n - 1;
    EXPECT_EQ(vkEnumerateDeviceExtensionProperties(pd, nullptr, &k, shorter.data()), VK_INCOMPLETE);
    EXPECT_EQ(k, n - 1);
    for (uint32_t i = 0; i < k; ++i) EXPECT_STREQ(shorter[i].extensionName, all[i].extensionName) << i;
    uint32_t zero = 0;
    VkExtensionProperties one{};
    EXPECT_EQ(vkEnumerateDeviceExtensionProperties(pd, nullptr, &zero, &one), VK_INCOMPLETE);
    EXPECT_EQ(zero, 0u);
    uint32_t layer_n = 0;
    ASSERT_EQ(vkEnumerateDeviceExtensionProperties(pd, DMAFEED_DRIVER_SHIM_NAME, &layer_n, nullptr), VK_SUCCESS);
    ASSERT_EQ(layer_n, 1u) << "the layer's own list";
    EXPECT_EQ(vkEnumerateDeviceExtensionProperties(pd, DMAFEED_DRIVER_SHIM_NAME, &layer_n, &one), VK_SUCCESS);
    EXPECT_STREQ(one.extensionName, VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME);

    // The DRM struct between two the driver fills: both filled, the chain as it was.
    VkPhysicalDeviceDriverProperties driver{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceDrmPropertiesEXT drm{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT, .pNext = &driver};
    VkPhysicalDeviceIDProperties id{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES, .pNext = &drm};
    VkPhysicalDeviceProperties2 props{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &id};
    vkGetPhysicalDeviceProperties2(pd, &props);
    EXPECT_EQ(props.pNext, &id);
    EXPECT_EQ(id.pNext, &drm);
    EXPECT_EQ(drm.pNext, &driver);
    EXPECT_EQ(driver.pNext, nullptr);
    EXPECT_EQ(driver.driverID, VK_DRIVER_ID_MESA_LLVMPIPE) << "the struct after the DRM one reached the driver";
    EXPECT_EQ(drm.hasPrimary, VK_TRUE);
    EXPECT_EQ(drm.hasRender, VK_TRUE);
    EXPECT_EQ(makedev(static_cast<unsigned>(drm.primaryMajor), static_cast<unsigned>(drm.primaryMinor)), card0_);
    EXPECT_EQ(makedev(static_cast<unsigned>(drm.renderMajor), static_cast<unsigned>(drm.renderMinor)), render_);
    const vk::PhysicalDeviceInfo& info = d.infos[*d.lavapipe];
    EXPECT_EQ(info.primary_node, std::optional<dev_t>{card0_});
    EXPECT_EQ(info.render_node, std::optional<dev_t>{render_});

    // The driver does not have the extension: enabled anyway, vkCreateDevice still succeeds, and
    // the device's functions come through the chain.
    const float priority = 1.0F;
    const VkDeviceQueueCreateInfo queue{.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                        .queueFamilyIndex = 0,
                                        .queueCount = 1,
                                        .pQueuePriorities = &priority};
    const char* extension = VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME;
    const VkDeviceCreateInfo ci{.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                .queueCreateInfoCount = 1,
                                .pQueueCreateInfos = &queue,
                                .enabledExtensionCount = 1,
                                .ppEnabledExtensionNames = &extension};
    VkDevice device = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateDevice(pd, &ci, nullptr, &device), VK_SUCCESS);
    EXPECT_NE(vkGetDeviceProcAddr(device, "vkQueueSubmit"), nullptr);
    VkQueue q = VK_NULL_HANDLE;
    vkGetDeviceQueue(device, 0, 0, &q);
    EXPECT_NE(q, VK_NULL_HANDLE);
    EXPECT_EQ(vkQueueWaitIdle(q), VK_SUCCESS);
    vkDestroyDevice(device, nullptr);
}

TEST_F(VirtioDrmNode, TheKhrAliasFillsTheStructToo)
{
    // An API 1.0 instance with VK_KHR_get_physical_device_properties2: the KHR entry point.
    const ScopedEnv env{layer_env("", render_path)};
    const char* extension = VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME;
    const VkApplicationInfo app{.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = VK_API_VERSION_1_0};
    const VkInstanceCreateInfo ci{.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                  .pApplicationInfo = &app,
                                  .enabledExtensionCount = 1,
                                  .ppEnabledExtensionNames = &extension};
    VkInstance instance = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateInstance(&ci, nullptr, &instance), VK_SUCCESS);
    const auto properties2_khr =
        reinterpret_cast<PFN_vkGetPhysicalDeviceProperties2KHR>(vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceProperties2KHR"));
    uint32_t n = 0;
    EXPECT_EQ(vkEnumeratePhysicalDevices(instance, &n, nullptr), VK_SUCCESS);
    std::vector<VkPhysicalDevice> handles(n);
    EXPECT_EQ(vkEnumeratePhysicalDevices(instance, &n, handles.data()), VK_SUCCESS);
    bool seen = false;
    for (VkPhysicalDevice h : handles) {
        ASSERT_NE(properties2_khr, nullptr);
        VkPhysicalDeviceDrmPropertiesEXT drm{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT,
                                             .hasPrimary = VK_TRUE,  // the layer must clear it
                                             .primaryMajor = 7};
        VkPhysicalDeviceProperties2 props{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &drm};
        properties2_khr(h, &props);
        if (std::strncmp(props.properties.deviceName, "llvmpipe", 8) != 0) continue;
        seen = true;
        EXPECT_EQ(props.pNext, &drm);
        EXPECT_EQ(drm.pNext, nullptr);
        EXPECT_EQ(drm.hasPrimary, VK_FALSE) << "DMAFEED_FAKE_DRM_PRIMARY is empty";
        EXPECT_EQ(drm.hasRender, VK_TRUE);
        EXPECT_EQ(makedev(static_cast<unsigned>(drm.renderMajor), static_cast<unsigned>(drm.renderMinor)), render_);
    }
    EXPECT_TRUE(seen) << "no lavapipe among " << n << " devices";
    vkDestroyInstance(instance, nullptr);
}

TEST_F(VirtioDrmNode, SelectDevicePicksLavapipeAsTheCompositorsDeviceForEitherNode)
{
    struct Case {
        const char* primary;
        const char* render;
    };
    // Both nodes reported, then each alone: a device is matched through either of its nodes.
    for (const Case c : {Case{card0_path, render_path}, Case{"", render_path}, Case{card0_path, ""}}) {
        SCOPED_TRACE(std::string{"reported: primary '"} + c.primary + "', render '" + c.render + "'");
        const ScopedEnv env{layer_env(c.primary, c.render)};
        Devices d = query_devices();
        ASSERT_TRUE(d.lavapipe.has_value());
        const vk::PhysicalDeviceInfo& lavapipe = d.infos[*d.lavapipe];
        EXPECT_EQ(lavapipe.primary_node.has_value(), *c.primary != '\0');
        EXPECT_EQ(lavapipe.render_node.has_value(), *c.render != '\0');
        for (const dev_t wanted : {render_, card0_}) {
            auto choice = vk::select_device(d.infos, wanted);
            ASSERT_TRUE(choice.ok()) << choice.error().message();
            EXPECT_TRUE(choice->matched) << choice->reason;
            EXPECT_EQ(choice->index, *d.lavapipe) << choice->reason;
            EXPECT_NE(choice->reason.find("it is the DRM device " + drm::describe_device(wanted)), std::string::npos)
                << choice->reason;
        }
    }
}

TEST_F(VirtioDrmNode, NodesOfAnotherDeviceOrNoNodesDoNotMatch)
{
    {
        // lavapipe "is" /dev/udmabuf: a character device, no DRM device.
        const ScopedEnv env{layer_env("", "/dev/udmabuf")};
        Devices d = query_devices();
        ASSERT_TRUE(d.lavapipe.has_value());
        EXPECT_EQ(d.infos[*d.lavapipe].render_node, std::optional<dev_t>{rdev("/dev/udmabuf")});
        auto choice = vk::select_device(d.infos, render_);
        ASSERT_TRUE(choice.ok()) << choice.error().message();
        EXPECT_FALSE(choice->matched) << choice->reason;
        EXPECT_NE(choice->reason.find("no Vulkan device is the DRM device " + drm::describe_device(render_)), std::string::npos)
            << choice->reason;
    }
    {
        // The extension without nodes (hasPrimary and hasRender false).
        const ScopedEnv env{layer_env("", "")};
        Devices d = query_devices();
        ASSERT_TRUE(d.lavapipe.has_value());
        EXPECT_TRUE(d.infos[*d.lavapipe].has_extension(VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME));
        EXPECT_FALSE(d.infos[*d.lavapipe].primary_node.has_value());
        EXPECT_FALSE(d.infos[*d.lavapipe].render_node.has_value());
        auto choice = vk::select_device(d.infos, card0_);
        ASSERT_TRUE(choice.ok()) << choice.error().message();
        EXPECT_FALSE(choice->matched) << choice->reason;
        EXPECT_NE(choice->reason.find("no Vulkan device reports its DRM node"), std::string::npos) << choice->reason;
    }
}

TEST_F(VirtioDrmNode, OpenDeviceOpensLavapipeAsTheMatchedDevice)
{
    // What the producer's and the library's allocators call: the default matcher, then the device.
    const ScopedEnv env{layer_env(card0_path, render_path)};
    auto opened = vk::open_device(render_, {});
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    EXPECT_TRUE(opened->matched);
    EXPECT_EQ(opened->device->info().driver, "llvmpipe");
    EXPECT_EQ(opened->device->info().render_node, std::optional<dev_t>{render_});
}

// ---- The programs and the library against weston 14, lavapipe matched through the layer ----

int exit_code(const ExitStatus& st) { return WIFEXITED(st.raw) ? WEXITSTATUS(st.raw) : -1; }

std::string read_file(const std::string& path)
{
    std::ifstream in{path};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The number after `"key": ` in a JSON summary; nullopt when the key is missing.
std::optional<double> json_number(const std::string& json, const std::string& key)
{
    const std::string tag = "\"" + key + "\": ";
    const size_t at = json.find(tag);
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(json.c_str() + at + tag.size(), nullptr);
}

size_t differing(const Image& image, uint8_t r, uint8_t g, uint8_t b)
{
    size_t bad = 0;
    for (const Rgba& px : image.pixels) bad += (px.r != r || px.g != g || px.b != b) ? 1 : 0;
    return bad;
}

class VirtioMatchedLavapipe : public WestonTest {
    const char* required_setup() const override { return "virtio"; }

protected:
    std::string log_path(const std::string& name) { return artifacts_dir() + "/" + name + ".log"; }

    // `program` with the layer (lavapipe reports card0 and renderD128) and debug logs.
    Result<ChildProcess> spawn(const std::string& name, const std::string& program, const std::vector<std::string>& options,
                               bool layer = true)
    {
        std::vector<std::string> args{program};
        args.insert(args.end(), options.begin(), options.end());
        auto env = layer ? layer_env(card0_path, render_path) : std::map<std::string, std::string>{};
        env["WAYLAND_DISPLAY"] = weston_->socket();
        env["DMAFEED_DEBUG"] = "1";
        return ChildProcess::spawn({.argv = args, .env = env, .output_path = log_path(name)});
    }

    // Captures (the client must still run) until `done` accepts one, for up to 60 s; the last
    // capture either way.
    Result<Image> capture_until(const std::string& name, const std::function<bool(const Image&)>& done)
    {
        Result<Image> image = Error{"no capture"};
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
        while (std::chrono::steady_clock::now() < deadline) {
            image = weston_->capture(name);
            if (!image || done(*image)) break;
            std::this_thread::sleep_for(std::chrono::seconds{1});  // the next capture, not a wait for an event
        }
        return image;
    }

    // Reads the log of `name` until `done` accepts it, for up to 90 s.
    bool wait_for_log(const std::string& name, const std::function<bool(const std::string&)>& done)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{90};
        while (std::chrono::steady_clock::now() < deadline) {
            if (done(read_file(log_path(name)))) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds{200});  // the next read of the log
        }
        return false;
    }

    // The player shows solid `rgb` (lavapipe matched), is stopped by SIGTERM, and its JSON summary
    // says GBM on card0 showed it after weston refused lavapipe's buffers.
    void play_and_check(const std::string& name, uint32_t rgb, const std::vector<std::string>& extra,
                        const std::string& first_allocator)
    {
        char colour[16];
        std::snprintf(colour, sizeof colour, "solid:%06x", rgb);
        const auto r = static_cast<uint8_t>(rgb >> 16), g = static_cast<uint8_t>(rgb >> 8), b = static_cast<uint8_t>(rgb);
        std::vector<std::string> options{"--pattern", colour, "--fps", "10", "--fullscreen", "--json"};
        options.insert(options.end(), extra.begin(), extra.end());
        auto child = spawn(name, DMAFEED_TOOL_PATH, options);
        ASSERT_TRUE(child.ok()) << child.error().message();
        // Frames are drawn, committed and drawn again in turn: a second frame drawn after GBM's
        // buffers were chosen means that one of them was committed, and every capture from then on
        // shows a GBM buffer (the solid colour would look the same from the dumb stand-ins).
        const bool on_gbm = wait_for_log(name, [](const std::string& log) {
            std::istringstream lines{log};
            bool chosen = false;
            int drawn = 0;
            for (std::string line; std::getline(lines, line);) {
                if (line.find("info: buffers: ") != std::string::npos) {
                    chosen = line.find(" from gbm on /dev/dri/card0") != std::string::npos;
                    drawn = 0;
                } else if (chosen && line.find(": drawn on the ") != std::string::npos) {
                    ++drawn;
                }
            }
            return chosen && drawn >= 2;
        });
        EXPECT_TRUE(on_gbm) << "no GBM frame within 90 s\n" << read_file(log_path(name));
        auto image = capture_until("virtio-" + name, [&](const Image& im) { return differing(im, r, g, b) == 0; });
        const ExitStatus st = child->terminate(std::chrono::seconds{10});  // SIGTERM: a clean stop with the summary
        const std::string out = read_file(log_path(name));
        ASSERT_TRUE(image.ok()) << image.error().message() << "\n" << out;
        EXPECT_EQ(differing(*image, r, g, b), 0u) << "pixels differing from " << colour << "\n" << out;
        ASSERT_TRUE(st.clean()) << st.describe() << "\n" << out;
        EXPECT_NE(out.find("vulkan: picked llvmpipe"), std::string::npos) << out;
        EXPECT_NE(out.find(": it is the DRM device " + drm::describe_device(rdev(render_path))), std::string::npos) << out;
        EXPECT_NE(out.find("buffer from vulkan on llvmpipe"), std::string::npos) << "no refusal of a lavapipe buffer logged\n" << out;
        const auto refused = json_number(out, "refused_buffers");
        ASSERT_TRUE(refused.has_value()) << out;
        EXPECT_GE(*refused, 1.0) << "weston imported a lavapipe buffer in the virtio set-up\n" << out;
        EXPECT_NE(out.find("\"allocator\": \"gbm on /dev/dri/card0 (virtio_gpu)\""), std::string::npos) << out;
        EXPECT_NE(out.find("\"first_allocator\": \"" + first_allocator + "\""), std::string::npos) << out;
        EXPECT_EQ(out.find("\"presented\": 0,"), std::string::npos) << out;
        EXPECT_EQ(out.find("bad_function_call"), std::string::npos) << out;
    }
};

TEST_F(VirtioMatchedLavapipe, ThePlayerTriesLavapipeAfterTheQuickStartThenShowsGbmBuffersExactly)
{
    // Dumb buffers first (quick start); then the Vulkan set-up finds lavapipe to be weston's
    // device: Vulkan before GBM; weston refuses lavapipe's buffers; GBM's are shown.
    play_and_check("matched-quick", 0x2d9c4b, {}, "dumb buffers on /dev/dri/card0 (virtio_gpu)");
}

TEST_F(VirtioMatchedLavapipe, ThePlayerWithoutQuickStartTriesLavapipeFirstThenShowsGbmBuffersExactly)
{
    // Every allocator set up before the first frame: lavapipe's buffer is the first one made, and
    // refused before anything is committed.
    play_and_check("matched-no-quick", 0xc8155a, {"--no-quick-start"}, "gbm on /dev/dri/card0 (virtio_gpu)");
}

TEST_F(VirtioMatchedLavapipe, InfoListsLavapipeAsTheCompositorsDeviceBeforeGbm)
{
    // Without the layer GBM is listed first (lavapipe is not weston's device); with it, Vulkan.
    auto order = [&](const std::string& name, bool layer, std::string* out) {
        auto child = spawn(name, DMAFEED_INFO_PATH, {}, layer);
        EXPECT_TRUE(child.ok()) << child.error().message();
        if (!child) return std::string{};
        auto st = child->wait_for(std::chrono::seconds{120});
        *out = read_file(log_path(name));
        EXPECT_TRUE(st.has_value()) << "dmafeed-info did not finish within 120 s\n" << *out;
        EXPECT_EQ(st ? exit_code(*st) : -1, 0) << *out;
        const size_t list = out->find("\nlocal allocators for " + drm::describe_device(rdev(render_path)) + ":\n");
        EXPECT_NE(list, std::string::npos) << *out;
        if (list == std::string::npos) return std::string{};
        const size_t vulkan = out->find("\n  vulkan on llvmpipe", list);
        const size_t gbm = out->find("\n  gbm on /dev/dri/card0 (virtio_gpu)", list);
        EXPECT_NE(vulkan, std::string::npos) << *out;
        EXPECT_NE(gbm, std::string::npos) << *out;
        return std::string{vulkan < gbm ? "vulkan" : "gbm"};
    };
    std::string with, without;
    EXPECT_EQ(order("info-matched", true, &with), "vulkan") << with;
    EXPECT_NE(with.find("vulkan: picked llvmpipe"), std::string::npos) << with;
    EXPECT_NE(with.find(": it is the DRM device " + drm::describe_device(rdev(render_path))), std::string::npos) << with;
    EXPECT_EQ(with.find("bad_function_call"), std::string::npos) << with;
    EXPECT_EQ(order("info-unmatched", false, &without), "gbm") << without;
    EXPECT_NE(without.find("no Vulkan device reports its DRM node"), std::string::npos) << without;

    // --json says the same: the first allocator is lavapipe's.
    const std::string json = artifacts_dir() + "/info-matched.json";
    std::string run;
    for (const auto& [name, value] : layer_env(card0_path, render_path)) run += name + "='" + value + "' ";
    run += "WAYLAND_DISPLAY=" + weston_->socket() + " " + DMAFEED_INFO_PATH + " --json >" + json + " 2>" +
           log_path("info-matched-json");
    int rc = std::system(run.c_str());
    ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "dmafeed-info --json failed\n" << read_file(log_path("info-matched-json"));
    const std::string check = "python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); "
                              "sys.exit(0 if r[\"allocators\"][0][\"name\"].startswith(\"vulkan on llvmpipe\") and "
                              "r[\"allocators\"][1][\"name\"].startswith(\"gbm on /dev/dri/card0\") else 3)' " + json;
    rc = std::system(check.c_str());
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "the JSON report does not list lavapipe, then GBM\n" << read_file(json);
}

TEST_F(VirtioMatchedLavapipe, TheLibraryTriesLavapipeFirstThenShowsGbmFramesExactly)
{
    // In this process: the layer's variables are set while the producer lives (the library makes
    // its allocators in the calling thread).
    const ScopedEnv env{layer_env(card0_path, render_path)};
    dmafeed::Config config;
    config.display = weston_->socket();
    config.format = DRM_FORMAT_XRGB8888;
    config.allocator = dmafeed::AllocatorKind::automatic;
    config.timeout_ms = 20000;  // llvmpipe under TCG
    config.title = "dmafeed matched lavapipe";
    config.fullscreen = true;
    std::string error;
    auto p = dmafeed::Producer::create(config, &error);
    ASSERT_TRUE(p) << error;
    constexpr uint32_t colour = 0x7a31e4;
    for (int i = 0; i < 3; ++i) {
        dmafeed::Frame* frame = p->acquire(20000, &error);
        ASSERT_NE(frame, nullptr) << (error.empty() ? "no frame within 20 s" : error);
        ASSERT_EQ(frame->format, uint32_t{DRM_FORMAT_XRGB8888});
        ASSERT_NE(frame->data[0], nullptr) << "the GBM buffer has no CPU mapping";
        for (uint32_t y = 0; y < frame->height; ++y) {
            auto* row = frame->data[0] + size_t{y} * frame->stride[0];
            for (uint32_t x = 0; x < frame->width; ++x) {
                const uint32_t px = 0xff000000U | colour;
                std::memcpy(row + size_t{x} * 4, &px, 4);
            }
        }
        ASSERT_TRUE(p->queue(*frame, static_cast<uint64_t>(i) * 16'666'667, &error)) << error;
        ASSERT_TRUE(p->wait_for_frame(&error)) << error;
    }
    std::printf("library: %s; %llu refused\n", p->describe().c_str(), static_cast<unsigned long long>(p->stats().refused));
    EXPECT_GE(p->stats().refused, 1u) << "lavapipe is weston's device here: its buffers go first and are refused";
    EXPECT_NE(p->describe().find("from gbm on /dev/dri/card0"), std::string::npos) << p->describe();
    auto image = weston_->capture("virtio-library-matched");
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(differing(*image, 0x7a, 0x31, 0xe4), 0u);
}

}  // namespace
}  // namespace dmafeed::test

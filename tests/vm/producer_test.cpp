// The producer against real weston 14: real dma-bufs presented, the capture checked pixel by pixel.
//   nodrm:  lavapipe-exported XRGB8888 buffers show the exact colour written; NV12 (one image per
//           plane) shows the BT.601 limited-range decode of the colour.
//   virtio: weston's v5 feedback names the virtio render node. `automatic` allocates there with GBM
//           first (lavapipe is not that device); with lavapipe first, weston refuses its buffers
//           (`failed`, for real) and the producer falls back to GBM buffers, which are presented.
#include "vm_session.hpp"

#include "fd_count.hpp"
#include "producer/producer.hpp"
#include "sources/solid.hpp"

#include <cstdlib>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using producer::Producer;
using producer::ProducerConfig;

class NodrmProducer : public WestonTest {
    const char* required_setup() const override { return "nodrm"; }
};
class VirtioProducer : public WestonTest {
    const char* required_setup() const override { return "virtio"; }
};

ProducerConfig config_for(const Weston& weston, producer::AllocatorKind kind, DrmFormat format)
{
    ProducerConfig config;
    config.display = weston.socket();
    config.format = format;
    // Staging uploads: the path that hands a render fence over (automatic would write lavapipe's
    // LINEAR buffers directly, without one).
    config.backends = producer::system_backends({.kind = kind, .upload = producer::UploadPath::staging});
    config.timeout = 20'000ms;  // llvmpipe under TCG
    config.window.title = "dmafeed vm test";
    config.window.fullscreen = true;  // the capture is the whole output (weston's desktop shell)
    return config;
}

// Presents `frames` frames of `colour`, each after the compositor asked for it, and waits for their
// presentation feedback.
void present(Producer& p, pixels::Rgb colour, int frames)
{
    for (int i = 0; i < frames; ++i) {
        auto frame = p.acquire();
        ASSERT_TRUE(frame.ok()) << frame.error().message();
        ASSERT_TRUE(frame->has_value());
        const Buffer& b = *(*frame)->buffer;
        auto solid = sources::SolidFrame::make(b.format(), b.width(), b.height(), colour);
        ASSERT_TRUE(solid.ok()) << solid.error().message();
        const auto planes = solid->planes();
        auto written = p.write(**frame, planes);
        ASSERT_TRUE(written.ok()) << written.error().message();
        ASSERT_TRUE(p.queue(**frame).ok());
        auto waited = p.wait_for_frame();
        ASSERT_TRUE(waited.ok()) << waited.error().message();
    }
    ASSERT_TRUE(p.drain(10s).ok());
}

// How many pixels of the capture differ from `want` by more than `tolerance` in a channel.
size_t mismatches(const Image& image, pixels::Rgb want, int tolerance, std::string* first)
{
    size_t bad = 0;
    for (uint32_t y = 0; y < image.height; ++y) {
        for (uint32_t x = 0; x < image.width; ++x) {
            const Rgba& px = image.at(x, y);
            const bool ok = std::abs(px.r - want.r) <= tolerance && std::abs(px.g - want.g) <= tolerance &&
                            std::abs(px.b - want.b) <= tolerance;
            if (!ok && bad++ == 0) {
                *first = "(" + std::to_string(x) + "," + std::to_string(y) + ") = " + std::to_string(px.r) + "," +
                         std::to_string(px.g) + "," + std::to_string(px.b);
            }
        }
    }
    return bad;
}

// The quick start: the first frame from `stand_in`'s buffers (not waiting for Vulkan, which takes
// seconds on lavapipe here), exact in the capture; then, once Vulkan is up in the background, the
// allocator whose description starts with `successor` takes over (a new generation: another
// allocator), exact too, nothing refused, no fd left.
void expect_quick_start(Weston& weston, const std::string& stand_in, const std::string& successor,
                        const std::string& capture_prefix)
{
    const int fds_before = open_fd_count();
    {
        auto config = config_for(weston, producer::AllocatorKind::automatic, DrmFormat{DRM_FORMAT_XRGB8888});
        config.backends = producer::system_backends({.quick_start = true});
        auto p = Producer::create(config);
        ASSERT_TRUE(p.ok()) << p.error().message();
        present(**p, {250, 20, 90}, 1);
        if (::testing::Test::HasFatalFailure()) return;
        ASSERT_TRUE((*p)->choice());
        EXPECT_EQ((*p)->choice()->allocator, stand_in) << "the first frame should not wait for Vulkan";
        EXPECT_EQ((*p)->choice()->candidate.pair.modifier, modifier_linear);
        auto image = weston.capture(capture_prefix + "-first");
        ASSERT_TRUE(image.ok()) << image.error().message();
        std::string first;
        EXPECT_EQ(mismatches(*image, {250, 20, 90}, 0, &first), 0u) << "first mismatch at " << first;
        for (int i = 0; i < 400 && (*p)->rebuilds() == 0; ++i) {
            present(**p, {20, 200, 90}, 1);
            if (::testing::Test::HasFatalFailure()) return;
        }
        ASSERT_EQ((*p)->rebuilds(), 1u) << "Vulkan was not up after 400 frames";
        present(**p, {20, 200, 90}, 3);
        if (::testing::Test::HasFatalFailure()) return;
        EXPECT_EQ((*p)->choice()->allocator.rfind(successor, 0), 0u) << (*p)->choice()->allocator;
        EXPECT_EQ((*p)->stats().refused, 0u);
        image = weston.capture(capture_prefix + "-after");
        ASSERT_TRUE(image.ok()) << image.error().message();
        EXPECT_EQ(mismatches(*image, {20, 200, 90}, 0, &first), 0u) << "first mismatch at " << first;
    }
    EXPECT_EQ(open_fd_count(), fds_before) << open_fd_list();
}

TEST_F(NodrmProducer, PresentsTheExactXrgb8888ColourFromLavapipeBuffers)
{
    const int fds_before = open_fd_count();
    {
        auto p = Producer::create(config_for(*weston_, producer::AllocatorKind::vulkan, DrmFormat{DRM_FORMAT_XRGB8888}));
        ASSERT_TRUE(p.ok()) << p.error().message();
        present(**p, {12, 200, 99}, 3);
        if (HasFatalFailure()) return;
        const auto& choice = (*p)->choice();
        ASSERT_TRUE(choice);
        std::printf("producer: %s; %s\n", choice->to_string().c_str(), (*p)->stats().to_string().c_str());
        EXPECT_EQ(choice->allocator.rfind("vulkan", 0), 0u) << choice->allocator;
        EXPECT_EQ(choice->candidate.pair.modifier, modifier_linear);
        EXPECT_EQ(choice->width, weston_->options().width) << "a fullscreen window is configured at the output's size";
        EXPECT_GE((*p)->stats().presented, 1u);
        // weston 14 offers zwp_linux_explicit_synchronization_v1 and lavapipe exports sync_files:
        // every commit carries the upload's fence.
        EXPECT_EQ((*p)->sync_mode(), producer::SyncMode::explicit_sync);
        EXPECT_EQ((*p)->sync_stats().acquire_fences, 3u);
        EXPECT_EQ((*p)->sync_stats().cpu_waits, 0u);

        auto image = weston_->capture("nodrm-producer-xrgb8888");
        ASSERT_TRUE(image.ok()) << image.error().message();
        std::string first;
        EXPECT_EQ(mismatches(*image, {12, 200, 99}, 0, &first), 0u) << "first mismatch at " << first;
    }
    EXPECT_EQ(open_fd_count(), fds_before) << open_fd_list();
}

TEST_F(NodrmProducer, ImplicitSyncAttachesTheUploadFenceToTheDmabufs)
{
    auto config = config_for(*weston_, producer::AllocatorKind::vulkan, DrmFormat{DRM_FORMAT_XRGB8888});
    config.sync = producer::SyncMode::implicit_sync;
    auto p = Producer::create(config);
    ASSERT_TRUE(p.ok()) << p.error().message();
    present(**p, {77, 1, 250}, 4);
    if (HasFatalFailure()) return;
    const auto& sync = (*p)->sync_stats();
    std::printf("implicit sync: %llu fences attached, %llu dma-buf fence waits, %llu CPU waits\n",
                static_cast<unsigned long long>(sync.implicit_attached),
                static_cast<unsigned long long>(sync.release_fence_waits), static_cast<unsigned long long>(sync.cpu_waits));
    EXPECT_EQ(sync.implicit_attached, 4u) << "DMA_BUF_IOCTL_IMPORT_SYNC_FILE on a udmabuf (Linux 6.12)";
    EXPECT_EQ(sync.cpu_waits, 0u);
    auto image = weston_->capture("nodrm-producer-implicit");
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::string first;
    EXPECT_EQ(mismatches(*image, {77, 1, 250}, 0, &first), 0u) << "first mismatch at " << first;
}

TEST_F(NodrmProducer, ImplicitSyncWaitsAndAttachesOncePerDmabufNotPerPlane)
{
    // lavapipe's NV12 and YUV420 are one dma-buf for all planes: a reused buffer's fences are
    // waited for once (not once per plane), and each upload fence attached once.
    for (const uint32_t fourcc : {DRM_FORMAT_NV12, DRM_FORMAT_YUV420}) {
        SCOPED_TRACE(name(DrmFormat{fourcc}));
        auto config = config_for(*weston_, producer::AllocatorKind::vulkan, DrmFormat{fourcc});
        config.sync = producer::SyncMode::implicit_sync;
        config.buffers = 2;
        auto p = Producer::create(config);
        ASSERT_TRUE(p.ok()) << p.error().message();
        constexpr int frames = 10;
        present(**p, {30, 160, 90}, frames);
        if (HasFatalFailure()) return;
        const auto& sync = (*p)->sync_stats();
        std::printf("%s implicit sync: %llu fences attached, %llu dma-buf fence waits\n", name(DrmFormat{fourcc}).c_str(),
                    static_cast<unsigned long long>(sync.implicit_attached),
                    static_cast<unsigned long long>(sync.release_fence_waits));
        EXPECT_EQ(sync.implicit_attached, uint64_t{frames});
        // At least 6 of the 10 frames reuse one of the 2 buffers (after a resize, 4 are new).
        EXPECT_GE(sync.release_fence_waits, 6u);
        EXPECT_LE(sync.release_fence_waits, uint64_t{frames}) << "fences waited for once per plane";
        EXPECT_EQ(sync.cpu_waits, 0u);
    }
}

TEST_F(NodrmProducer, PresentsNv12AsTheBt601LimitedRangeDecode)
{
    auto p = Producer::create(config_for(*weston_, producer::AllocatorKind::vulkan, DrmFormat{DRM_FORMAT_NV12}));
    ASSERT_TRUE(p.ok()) << p.error().message();
    // Y=128 Cb=96 Cr=192: weston 14 shows 233,91,66.
    present(**p, {233, 91, 66}, 2);
    if (HasFatalFailure()) return;
    auto image = weston_->capture("nodrm-producer-nv12");
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::string first;
    EXPECT_EQ(mismatches(*image, {233, 91, 66}, 1, &first), 0u) << "first mismatch at " << first;
}

// Vulkan (lavapipe) first, then GBM: as `automatic` ordered them before it knew better.
producer::BackendFactory vulkan_then_gbm()
{
    auto vulkan = producer::system_backends({.kind = producer::AllocatorKind::vulkan, .upload = producer::UploadPath::staging});
    auto gbm = producer::system_backends({.kind = producer::AllocatorKind::gbm, .upload = producer::UploadPath::staging});
    return [vulkan, gbm](dev_t target) -> Result<producer::DeviceBackends> {
        auto out = vulkan(target);
        if (!out) return out;
        auto more = gbm(target);
        if (!more) return more;
        for (auto& c : more->backends) out->backends.push_back(std::move(c));
        return out;
    };
}

void check_gbm_choice(Producer& p, pixels::Rgb colour, const char* capture)
{
    const auto& choice = p.choice();
    ASSERT_TRUE(choice);
    std::printf("producer: %s; %s\n", choice->to_string().c_str(), p.stats().to_string().c_str());
    EXPECT_EQ(choice->allocator.rfind("gbm", 0), 0u) << choice->allocator;
    struct stat st {};
    ASSERT_EQ(stat("/dev/dri/renderD128", &st), 0);
    EXPECT_EQ(choice->candidate.target_device, st.st_rdev) << "the tranche's target device is the virtio render node";
    auto image = shared_weston()->capture(capture);
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::string first;
    EXPECT_EQ(mismatches(*image, colour, 0, &first), 0u) << "first mismatch at " << first;
}

TEST_F(NodrmProducer, QuickStartShowsUdmabufBuffersFirstThenLavapipeBuffersOnceVulkanIsUp)
{
    // weston here names no DRM device: udmabuf buffers stand in.
    expect_quick_start(*weston_, "udmabuf buffers (/dev/udmabuf)", "vulkan on ", "nodrm-quick-start");
}

TEST_F(VirtioProducer, AutomaticAllocatesOnTheTargetDeviceWithGbmFirst)
{
    // lavapipe is not the virtio device weston names: GBM on that device goes first, and nothing is refused.
    auto p = Producer::create(config_for(*weston_, producer::AllocatorKind::automatic, DrmFormat{DRM_FORMAT_XRGB8888}));
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ((*p)->globals().dmabuf().version(), 5u);
    present(**p, {250, 128, 3}, 3);
    if (HasFatalFailure()) return;
    EXPECT_EQ((*p)->stats().refused, 0u);
    check_gbm_choice(**p, {250, 128, 3}, "virtio-producer-auto");
}

TEST_F(VirtioProducer, FallsBackToGbmWhenWestonRefusesLavapipeBuffers)
{
    auto config = config_for(*weston_, producer::AllocatorKind::automatic, DrmFormat{DRM_FORMAT_XRGB8888});
    config.backends = vulkan_then_gbm();
    auto p = Producer::create(config);
    ASSERT_TRUE(p.ok()) << p.error().message();
    present(**p, {3, 128, 250}, 3);
    if (HasFatalFailure()) return;
    EXPECT_GE((*p)->stats().refused, 1u) << "weston imported a lavapipe buffer in the virtio set-up";
    check_gbm_choice(**p, {3, 128, 250}, "virtio-producer-gbm");
}

TEST_F(VirtioProducer, QuickStartShowsDumbBuffersFirstThenGbmBuffersOnceVulkanIsUp)
{
    // GBM comes first after the stand-ins: lavapipe is not the virtio device.
    expect_quick_start(*weston_, "dumb buffers on /dev/dri/card0 (virtio_gpu)", "gbm on /dev/dri/card0", "virtio-quick-start");
}

}  // namespace
}  // namespace dmafeed::test

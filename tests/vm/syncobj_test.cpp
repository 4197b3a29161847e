// wp_linux_drm_syncobj_v1 for real: weston 14 does not offer it, so the test compositor runs in the
// virtio guest with its syncobj manager on the virtio-gpu render node (timeline syncobjs), and the
// producer uses lavapipe buffers with the upload's sync_file placed at each acquire point.
#include "vm_session.hpp"

#include "producer/producer.hpp"
#include "sources/solid.hpp"
#include "test_compositor.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;

TEST(VirtioSyncobj, AcquirePointsCarryTheUploadFenceAndReleasePointsGateReuse)
{
    if (vm_setup() != "virtio") GTEST_SKIP() << "virtio set-up only (a DRM device with timeline syncobjs)";
    struct stat st {};
    ASSERT_EQ(stat("/dev/dri/renderD128", &st), 0);
    Config config;
    config.dmabuf_version = 4;
    config.main_device = st.st_rdev;
    config.syncobj_node = "/dev/dri/renderD128";
    config.auto_tick = 5ms;
    auto comp = TestCompositor::create(config);
    ASSERT_TRUE(comp.ok()) << comp.error().message();

    producer::ProducerConfig pc;
    pc.display = (*comp)->socket_name();
    pc.width = 64;
    pc.height = 32;
    pc.buffers = 2;
    pc.timeout = 10s;
    pc.backends = producer::system_backends(
        {.kind = producer::AllocatorKind::vulkan, .upload = producer::UploadPath::staging});  // render fences
    auto p = producer::Producer::create(pc);
    ASSERT_TRUE(p.ok()) << p.error().message();
    ASSERT_EQ((*p)->sync_stats().protocol, "wp_linux_drm_syncobj_v1");

    const int frames = 20;
    for (int i = 0; i < frames; ++i) {
        auto frame = (*p)->acquire();
        ASSERT_TRUE(frame.ok()) << "frame " << i << ": " << frame.error().message();
        ASSERT_TRUE(frame->has_value());
        auto solid = sources::SolidFrame::make(DrmFormat{DRM_FORMAT_XRGB8888}, 64, 32,
                                               {static_cast<uint8_t>(i * 10), 100, 200});
        const auto planes = solid->planes();
        ASSERT_TRUE((*p)->write(**frame, planes).ok());
        auto queued = (*p)->queue(**frame);
        ASSERT_TRUE(queued.ok()) << queued.error().message();
        auto waited = (*p)->wait_for_frame();
        ASSERT_TRUE(waited.ok()) << waited.error().message();
    }
    const auto& sync = (*p)->sync_stats();
    std::printf("syncobj: %llu fences at acquire points, %llu CPU-signalled points, %llu buffers for %d frames\n",
                static_cast<unsigned long long>(sync.timeline_fences),
                static_cast<unsigned long long>(sync.timeline_signals),
                static_cast<unsigned long long>((*p)->buffers_created()), frames);
    EXPECT_EQ(sync.timeline_fences, static_cast<uint64_t>(frames)) << "lavapipe exports each upload's sync_file";
    // No wl_buffer.release was sent (the test compositor signals release points only): two buffers
    // carried 20 frames, so reuse followed the release points.
    EXPECT_EQ((*p)->buffers_created(), 2u);

    const auto r = (*comp)->records();
    EXPECT_TRUE(r.errors.empty());
    size_t with_points = 0;
    for (const auto& c : r.commits) {
        if (!c.attached || !c.buffer) continue;
        ++with_points;
        EXPECT_GT(c.release_point, c.acquire_point) << "commit " << c.serial;
        EXPECT_TRUE(c.acquire_signalled) << "commit " << c.serial << ": acquire point " << c.acquire_point;
    }
    EXPECT_EQ(with_points, static_cast<size_t>(frames));

    // The last frame's pixels, read by the compositor through its dma-buf.
    auto contents = (*comp)->read_last_committed_buffer();
    ASSERT_TRUE(contents.ok()) << contents.error().message();
    EXPECT_EQ(contents->bytes.at(0), 200);  // B, G, R
    EXPECT_EQ(contents->bytes.at(1), 100);
    EXPECT_EQ(contents->bytes.at(2), (frames - 1) * 10);
}

}  // namespace
}  // namespace dmafeed::test

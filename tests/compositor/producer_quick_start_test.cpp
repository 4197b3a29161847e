// The producer with allocators that stand in while others are set up in the background
// (DeviceBackends::pending, what AllocatorOptions::quick_start gives): the first frames come from
// the stand-ins, the producer switches when the others are ready, keeps its buffers where the new
// first choice is the same allocator and layout, waits for the others where the stand-ins cannot
// make the format or the compositor refuses theirs, and keeps the stand-ins when the set-up fails.
#include "memfd_allocator.hpp"
#include "test_compositor.hpp"

#include "fd_count.hpp"
#include "producer/producer.hpp"
#include "sources/solid.hpp"

#include <atomic>
#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using producer::Producer;
using producer::ProducerConfig;

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888};
constexpr DrmFormat nv12{DRM_FORMAT_NV12};

// What the test controls of the set-up "in the background".
struct Later {
    bool ready = false;   // ready() says so
    bool fails = false;   // take() gives an error
    bool waited = false;  // take() was called before `ready` (the producer waited for it)
    int taken = 0;
};

class TestPending final : public producer::PendingBackends {
public:
    TestPending(std::shared_ptr<Later> later, MemfdFactory contexts, dev_t device)
        : later_{std::move(later)}, contexts_{std::move(contexts)}, device_{device}
    {
    }
    bool ready() const override { return later_->ready; }
    Result<producer::Backends> take() override
    {
        ++later_->taken;
        if (!later_->ready) later_->waited = true;
        if (later_->fails) return Error{"no Vulkan device here"};
        auto made = contexts_.factory()(device_);
        if (!made) return std::move(made).error();
        return std::move(made->backends);
    }
    std::string describe() const override { return "the test's later allocators"; }

private:
    std::shared_ptr<Later> later_;
    MemfdFactory contexts_;
    dev_t device_;
};

// `first` to begin with, `then` once `later` is ready.
producer::BackendFactory stand_in(const MemfdFactory& first, const MemfdFactory& then, std::shared_ptr<Later> later)
{
    return [first, then, later](dev_t device) -> Result<producer::DeviceBackends> {
        auto out = first.factory()(device);
        if (!out) return out;
        out->pending = std::make_unique<TestPending>(later, then, device);
        return out;
    };
}

MemfdFactory named(const char* name, FormatSet formats)
{
    MemfdFactory f{FormatSet{}};
    f.allocator = std::make_shared<MemfdAllocator>(std::move(formats), name);
    return f;
}

ProducerConfig config_for(const TestCompositor& c, producer::BackendFactory factory)
{
    ProducerConfig config;
    config.display = c.socket_name();
    config.width = 32;
    config.height = 16;
    config.backends = std::move(factory);
    config.timeout = 2000ms;
    return config;
}

// One solid frame; returns the describe() of the backend that filled it ("" on a failure), and
// the backend in `backend`.
std::string present(Producer& p, TestCompositor& comp, pixels::Rgb colour, DrmFormat format = xrgb,
                    const producer::Backend** context = nullptr)
{
    auto frame = p.acquire();
    EXPECT_TRUE(frame.ok() && frame->has_value()) << (frame.ok() ? "dropped" : frame.error().message());
    if (!frame.ok() || !*frame) return {};
    auto solid = sources::SolidFrame::make(format, 32, 16, colour);
    EXPECT_TRUE(solid.ok());
    const auto planes = solid->planes();
    EXPECT_TRUE(p.write(**frame, planes).ok());
    EXPECT_TRUE(p.queue(**frame).ok());
    comp.tick();
    if (context) *context = (*frame)->backend;
    return (*frame)->backend->describe();
}

void expect_shown(TestCompositor& comp, uint8_t b, uint8_t g, uint8_t r)
{
    ASSERT_TRUE(comp.wait_until([](const Records& rec) { return !rec.commits.empty() && rec.commits.back().buffer != 0; }));
    auto shown = comp.read_last_committed_buffer();
    ASSERT_TRUE(shown.ok()) << shown.error().message();
    EXPECT_EQ(shown->bytes.at(0), b);
    EXPECT_EQ(shown->bytes.at(1), g);
    EXPECT_EQ(shown->bytes.at(2), r);
}

TEST(ProducerQuickStart, TheStandInsMakeTheFirstFramesThenTheOthersTakeOverAndTheOldBuffersGo)
{
    Config config;
    config.keep_plane_fds = false;  // only the producer's fds count
    auto comp = TestCompositor::create(config);
    ASSERT_TRUE(comp.ok());
    const int fds_before = open_fd_count();
    {
        auto later = std::make_shared<Later>();
        auto first = named("gbm-stand-in", FormatSet{{xrgb, modifier_linear}});
        auto then = named("vulkan-later", FormatSet{{xrgb, modifier_linear}});
        auto p = Producer::create(config_for(**comp, stand_in(first, then, later)));
        ASSERT_TRUE(p.ok()) << p.error().message();
        uint64_t destroyed = 0;
        (*p)->on_buffer_destroyed([&](const Buffer&, uint64_t) { ++destroyed; });
        for (int i = 0; i < 4; ++i) EXPECT_EQ(present(**p, **comp, {10, 20, 30}), "gbm-stand-in");
        expect_shown(**comp, 30, 20, 10);
        EXPECT_EQ(later->taken, 0) << "nothing waited for the background set-up";
        EXPECT_EQ((*p)->choice()->allocator, "gbm-stand-in");

        later->ready = true;
        for (int i = 0; i < 6; ++i) EXPECT_EQ(present(**p, **comp, {40, 50, 60}), "vulkan-later") << "frame " << i;
        expect_shown(**comp, 60, 50, 40);
        EXPECT_EQ(later->taken, 1);
        EXPECT_FALSE(later->waited);
        EXPECT_EQ((*p)->choice()->allocator, "vulkan-later");
        EXPECT_EQ((*p)->rebuilds(), 1u);
        EXPECT_EQ(destroyed, first.allocator->allocations) << "the stand-ins' buffers are destroyed once released";
        EXPECT_EQ(then.allocator->allocations, (*p)->buffer_count());
        EXPECT_EQ(first.allocator->allocations + then.allocator->allocations, (*p)->buffers_created());
    }
    (*comp)->tick();
    EXPECT_EQ(open_fd_count(), fds_before) << open_fd_list();
}

TEST(ProducerQuickStart, BuffersAreKeptWhenTheNewFirstChoiceIsTheSameAllocatorAndLayout)
{
    auto comp = TestCompositor::create({});
    ASSERT_TRUE(comp.ok());
    auto later = std::make_shared<Later>();
    // GBM stands in, then GBM (now with Vulkan beside it) stays first: the same name, the same pair.
    auto first = named("gbm", FormatSet{{xrgb, modifier_linear}});
    auto then = named("gbm", FormatSet{{xrgb, modifier_linear}});
    auto p = Producer::create(config_for(**comp, stand_in(first, then, later)));
    ASSERT_TRUE(p.ok()) << p.error().message();
    uint64_t destroyed = 0;
    (*p)->on_buffer_destroyed([&](const Buffer&, uint64_t) { ++destroyed; });
    const producer::Backend* before = nullptr;
    const producer::Backend* after = nullptr;
    for (int i = 0; i < 4; ++i) present(**p, **comp, {1, 2, 3}, xrgb, &before);
    later->ready = true;
    for (int i = 0; i < 6; ++i) {
        present(**p, **comp, {4, 5, 6}, xrgb, &after);
        EXPECT_NE(after, before) << "frame " << i << " was filled by the stand-in, not the context that replaced it";
    }
    expect_shown(**comp, 6, 5, 4);
    EXPECT_EQ(later->taken, 1);
    EXPECT_EQ((*p)->rebuilds(), 0u);
    // The pool may still grow (to 3) after the switch, but no buffer is made again.
    EXPECT_EQ(destroyed, 0u) << "a stand-in buffer was destroyed";
    EXPECT_EQ((*p)->buffer_count(), (*p)->buffers_created());
    EXPECT_EQ(first.allocator->allocations + then.allocator->allocations, (*p)->buffers_created());
    EXPECT_LE((*p)->buffers_created(), 3u);
}

TEST(ProducerQuickStart, WhenTheStandInsCannotMakeTheFormatTheProducerWaitsForTheOthers)
{
    Config config;
    config.formats = FormatSet{{xrgb, modifier_linear}, {nv12, modifier_linear}};
    auto comp = TestCompositor::create(config);
    ASSERT_TRUE(comp.ok());
    auto later = std::make_shared<Later>();
    auto first = named("gbm-stand-in", FormatSet{{xrgb, modifier_linear}});
    auto then = named("vulkan-later", FormatSet{{nv12, modifier_linear}});
    auto cfg = config_for(**comp, stand_in(first, then, later));
    cfg.format = nv12;
    auto p = Producer::create(cfg);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_TRUE(later->waited);
    EXPECT_EQ(present(**p, **comp, {200, 100, 50}, nv12), "vulkan-later");
    EXPECT_EQ(first.allocator->allocations, 0u);
}

TEST(ProducerQuickStart, WhenNeitherTheStandInsNorAFailedSetUpCanMakeTheFormatCreateSaysWhy)
{
    Config config;
    config.formats = FormatSet{{xrgb, modifier_linear}, {nv12, modifier_linear}};
    auto comp = TestCompositor::create(config);
    ASSERT_TRUE(comp.ok());
    auto later = std::make_shared<Later>();
    later->fails = true;
    auto first = named("gbm-stand-in", FormatSet{{xrgb, modifier_linear}});
    auto then = named("vulkan-later", FormatSet{{nv12, modifier_linear}});
    auto cfg = config_for(**comp, stand_in(first, then, later));
    cfg.format = nv12;
    auto p = Producer::create(cfg);
    ASSERT_FALSE(p.ok());
    EXPECT_TRUE(later->waited);
    EXPECT_NE(p.error().message().find("gbm-stand-in"), std::string::npos) << p.error().message();
}

TEST(ProducerQuickStart, WhenTheCompositorRefusesTheStandInsBuffersTheProducerWaitsForTheOthers)
{
    auto comp = TestCompositor::create({});
    ASSERT_TRUE(comp.ok());
    (*comp)->fail_pairs({{xrgb, modifier_linear}});
    auto later = std::make_shared<Later>();
    auto first = named("gbm-stand-in", FormatSet{{xrgb, modifier_linear}});
    // The same pair from another allocator: the refusal was of the stand-in's buffer.
    auto then = named("vulkan-later", FormatSet{{xrgb, modifier_linear}, {xrgb, modifier_implicit}});
    auto p = Producer::create(config_for(**comp, stand_in(first, then, later)));
    ASSERT_TRUE(p.ok()) << p.error().message();
    auto frame = (*p)->acquire();
    ASSERT_TRUE(frame.ok()) << frame.error().message();
    EXPECT_TRUE(later->waited);
    ASSERT_TRUE(frame->has_value());
    EXPECT_EQ((*frame)->backend->describe(), "vulkan-later");
    EXPECT_EQ((*p)->choice()->candidate.pair.modifier, modifier_implicit);
    EXPECT_EQ((*p)->stats().refused, 2u) << "the stand-in's LINEAR buffer, then the later one's";
}

TEST(ProducerQuickStart, ASetUpThatFailsLeavesTheStandInsInUse)
{
    auto comp = TestCompositor::create({});
    ASSERT_TRUE(comp.ok());
    auto later = std::make_shared<Later>();
    later->fails = true;
    auto first = named("gbm-stand-in", FormatSet{{xrgb, modifier_linear}});
    auto then = named("vulkan-later", FormatSet{{xrgb, modifier_linear}});
    auto p = Producer::create(config_for(**comp, stand_in(first, then, later)));
    ASSERT_TRUE(p.ok()) << p.error().message();
    present(**p, **comp, {1, 1, 1});
    later->ready = true;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(present(**p, **comp, {7, 8, 9}), "gbm-stand-in");
    expect_shown(**comp, 9, 8, 7);
    EXPECT_EQ(later->taken, 1);
    EXPECT_EQ((*p)->rebuilds(), 0u);
}

}  // namespace
}  // namespace dmafeed::test

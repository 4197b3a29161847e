// The producer with allocators that stand in while others are set up in the background
// (DeviceBackends::pending, what AllocatorOptions::quick_start gives): the first frames come from
// the stand-ins, the producer switches when the others are ready, keeps its buffers where the new
// first choice is the same allocator and layout, waits for the others where the stand-ins cannot
// make the format or the compositor refuses theirs, and keeps the stand-ins when the set-up fails.
// A set-up on a thread of its own (background_backends) that the test holds: a producer whose
// compositor died goes at once, and the set-up cleans up after itself when it ends.
#include "memfd_allocator.hpp"
#include "test_compositor.hpp"

#include "fd_count.hpp"
#include "producer/producer.hpp"
#include "sources/solid.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <mutex>
#include <sys/mman.h>
#include <thread>

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

// A set-up in the background that the test holds, as making a Vulkan device holds the thread
// that makes it (seconds on lavapipe). It lets go when the test opens it, or after `backstop`, so
// that a producer that waits for it ends a failing test instead of hanging it.
class HeldSetUp {
public:
    explicit HeldSetUp(std::chrono::milliseconds backstop) : backstop_{backstop} {}
    void hold()  // on the set-up's thread
    {
        std::unique_lock lock{mutex_};
        entered_ = true;
        changed_.notify_all();
        changed_.wait_for(lock, backstop_, [this] { return open_; });
        left_ = true;
    }
    void open()
    {
        const std::lock_guard lock{mutex_};
        open_ = true;
        changed_.notify_all();
    }
    bool wait_entered()
    {
        std::unique_lock lock{mutex_};
        return changed_.wait_for(lock, 5s, [this] { return entered_; });
    }
    bool left() const
    {
        const std::lock_guard lock{mutex_};
        return left_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::chrono::milliseconds backstop_;
    bool entered_ = false;
    bool open_ = false;
    bool left_ = false;
};

// What became of the backends the held set-up made.
struct SetUpOutcome {
    std::atomic<bool> destroyed{false};
    std::thread::id destroyed_on;  // written before `destroyed`
};

// A backend that holds an fd, as a Vulkan device holds its DRM node's, so that a leak shows; it
// says on which thread it was destroyed.
class FdHoldingBackend final : public producer::Backend {
public:
    FdHoldingBackend(std::shared_ptr<MemfdAllocator> allocator, UniqueFd fd, std::shared_ptr<SetUpOutcome> outcome)
        : allocator_{std::move(allocator)}, fd_{std::move(fd)}, outcome_{std::move(outcome)}
    {
    }
    ~FdHoldingBackend() override
    {
        outcome_->destroyed_on = std::this_thread::get_id();
        outcome_->destroyed.store(true);
    }
    Allocator& allocator() override { return *allocator_; }
    std::string describe() const override { return std::string{allocator_->name()}; }

private:
    std::shared_ptr<MemfdAllocator> allocator_;
    UniqueFd fd_;
    std::shared_ptr<SetUpOutcome> outcome_;
};

std::unique_ptr<producer::PendingBackends> held_set_up(std::shared_ptr<HeldSetUp> held, std::shared_ptr<MemfdAllocator> allocator,
                                                       std::shared_ptr<SetUpOutcome> outcome)
{
    return producer::background_backends(
        [held, allocator, outcome]() -> Result<producer::Backends> {
            held->hold();
            UniqueFd fd{memfd_create("held-set-up", MFD_CLOEXEC)};
            if (!fd) return Error::from_errno("memfd_create", errno);
            producer::Backends out;
            out.push_back(std::make_unique<FdHoldingBackend>(allocator, std::move(fd), outcome));
            return out;
        },
        "the test's held set-up");
}

// Bounded: until no abandoned set-up runs (false after 5 s).
bool abandoned_set_ups_end()
{
    for (int i = 0; i < 5000 && producer::abandoned_set_ups_running() > 0; ++i) std::this_thread::sleep_for(1ms);
    return producer::abandoned_set_ups_running() == 0;
}

TEST(ProducerQuickStart, ADeadCompositorEndsTheProducerAtOnceWhileTheSetUpRunsWhichThenCleansUpAfterItself)
{
    const int fds_before = open_fd_count();  // the compositor's go when it stops
    Config config;
    config.keep_plane_fds = false;
    auto comp = TestCompositor::create(config);
    ASSERT_TRUE(comp.ok());
    auto held = std::make_shared<HeldSetUp>(5000ms);
    auto outcome = std::make_shared<SetUpOutcome>();
    auto first = named("udmabuf-stand-in", FormatSet{{xrgb, modifier_linear}});
    auto then = std::make_shared<MemfdAllocator>(FormatSet{{xrgb, modifier_linear}}, "vulkan-later");
    auto factory = [first, held, then, outcome](dev_t device) -> Result<producer::DeviceBackends> {
        auto out = first.factory()(device);
        if (!out) return out;
        out->pending = held_set_up(held, then, outcome);
        return out;
    };
    auto cfg = config_for(**comp, factory);
    cfg.timeout = 10'000ms;  // the error must come from the broken connection, not a timeout
    auto p = Producer::create(cfg);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(present(**p, **comp, {1, 2, 3}), "udmabuf-stand-in");
    ASSERT_TRUE(held->wait_entered()) << "the set-up did not start";

    (*comp)->stop();
    const auto died = std::chrono::steady_clock::now();
    Result<void> waited;
    for (int i = 0; i < 100 && waited.ok(); ++i) waited = (*p)->dispatch(10'000ms);  // events still queued come first
    EXPECT_FALSE(waited.ok()) << "the compositor's death went unnoticed";
    p->reset();  // what a program does next: report and end
    const auto took = std::chrono::steady_clock::now() - died;
    EXPECT_FALSE(held->left()) << "the producer waited for the set-up it had no use for";
    EXPECT_LT(took, 1s) << "the producer ended "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms after the compositor died";
    EXPECT_EQ(producer::abandoned_set_ups_running(), 1u);
    EXPECT_FALSE(outcome->destroyed.load());

    EXPECT_FALSE(producer::wait_for_abandoned_set_ups(20ms)) << "a wait ends at its timeout while one runs";

    // The set-up ends: what it made goes on its own thread, with its fd; nobody used it.
    held->open();
    ASSERT_TRUE(producer::wait_for_abandoned_set_ups(5000ms)) << "the abandoned set-up did not end";
    ASSERT_TRUE(abandoned_set_ups_end());
    EXPECT_TRUE(outcome->destroyed.load());
    EXPECT_NE(outcome->destroyed_on, std::this_thread::get_id());
    EXPECT_EQ(then->allocations, 0u);
    comp->reset();
    EXPECT_EQ(open_fd_count(), fds_before) << open_fd_list();
}

TEST(ProducerQuickStart, ASetUpThatEndedFirstIsDestroyedByItsOwnerAndTakeWaitsForOneThatRuns)
{
    const int fds_before = open_fd_count();
    auto memfd = std::make_shared<MemfdAllocator>(FormatSet{{xrgb, modifier_linear}}, "vulkan-later");
    {
        // Ended, never taken: destroyed with its PendingBackends, on the owner's thread.
        auto held = std::make_shared<HeldSetUp>(5000ms);
        auto outcome = std::make_shared<SetUpOutcome>();
        auto pending = held_set_up(held, memfd, outcome);
        held->open();
        for (int i = 0; i < 5000 && !pending->ready(); ++i) std::this_thread::sleep_for(1ms);
        ASSERT_TRUE(pending->ready());
        pending.reset();
        EXPECT_TRUE(outcome->destroyed.load());
        EXPECT_EQ(outcome->destroyed_on, std::this_thread::get_id());
        EXPECT_EQ(producer::abandoned_set_ups_running(), 0u);
    }
    {
        // take() waits for a set-up still running, and gets what it made, once.
        auto held = std::make_shared<HeldSetUp>(5000ms);
        auto outcome = std::make_shared<SetUpOutcome>();
        auto pending = held_set_up(held, memfd, outcome);
        ASSERT_TRUE(held->wait_entered());
        EXPECT_FALSE(pending->ready());
        std::thread opener{[held] { held->open(); }};
        auto taken = pending->take();
        opener.join();
        ASSERT_TRUE(taken.ok()) << taken.error().message();
        ASSERT_EQ(taken->size(), 1u);
        EXPECT_EQ(taken->front()->describe(), "vulkan-later");
        EXPECT_FALSE(pending->take().ok()) << "taken twice";
        pending.reset();
        EXPECT_FALSE(outcome->destroyed.load()) << "the taken backends are the taker's";
        taken->clear();
        EXPECT_TRUE(outcome->destroyed.load());
    }
    EXPECT_EQ(open_fd_count(), fds_before) << open_fd_list();
}

}  // namespace
}  // namespace dmafeed::test

// The test compositor's linux-dmabuf side, seen from a raw libwayland-client: v3 format events,
// v4/v5 feedback (tables, tranches, changes, hostile rounds), and params that succeed or fail.
#include "dmabuf_client.hpp"
#include "fd_count.hpp"
#include "test_compositor.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <wayland-client-protocol.h>

namespace dmafeed::test {
namespace {

constexpr uint64_t intel_x_tiled = I915_FORMAT_MOD_X_TILED;
const DrmFormat xrgb{DRM_FORMAT_XRGB8888};
const DrmFormat argb{DRM_FORMAT_ARGB8888};
const DrmFormat nv12{DRM_FORMAT_NV12};

std::unique_ptr<TestCompositor> start(Config config = {})
{
    auto compositor = TestCompositor::create(std::move(config));
    if (!compositor) {
        ADD_FAILURE() << compositor.error().message();
        return nullptr;
    }
    return std::move(*compositor);
}

struct TableEntry {
    uint32_t format;
    uint32_t padding;
    uint64_t modifier;
};

// Maps the table as a client must (read-only, private) after checking its size.
std::vector<FormatModifier> read_table(const FeedbackRound& round)
{
    struct stat st{};
    EXPECT_EQ(fstat(round.table_fd.get(), &st), 0);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), round.table_size);
    EXPECT_EQ(round.table_size % 16, 0U);
    std::vector<FormatModifier> pairs;
    if (round.table_size == 0 || static_cast<uint64_t>(st.st_size) < round.table_size) {
        return pairs;
    }
    void* map = mmap(nullptr, round.table_size, PROT_READ, MAP_PRIVATE, round.table_fd.get(), 0);
    EXPECT_NE(map, MAP_FAILED);
    if (map == MAP_FAILED) {
        return pairs;
    }
    const auto* entries = static_cast<const TableEntry*>(map);
    for (size_t i = 0; i < round.table_size / 16; ++i) {
        pairs.push_back({DrmFormat{entries[i].format}, DrmModifier{entries[i].modifier}});
    }
    munmap(map, round.table_size);
    return pairs;
}

std::vector<FormatModifier> tranche_pairs(const FeedbackRound& round, size_t tranche)
{
    const std::vector<FormatModifier> table = read_table(round);
    std::vector<FormatModifier> pairs;
    for (uint16_t index : round.tranches.at(tranche).indices) {
        EXPECT_LT(index, table.size());
        if (index < table.size()) {
            pairs.push_back(table[index]);
        }
    }
    return pairs;
}

ino_t inode(int fd)
{
    struct stat st{};
    fstat(fd, &st);
    return st.st_ino;
}

// --- v3 --------------------------------------------------------------------------------------------

struct V3Events {
    std::vector<uint32_t> formats;
    std::vector<FormatModifier> modifiers;
    static constexpr zwp_linux_dmabuf_v1_listener listener{
        .format = [](void* data, zwp_linux_dmabuf_v1*,
                     uint32_t format) { static_cast<V3Events*>(data)->formats.push_back(format); },
        .modifier =
            [](void* data, zwp_linux_dmabuf_v1*, uint32_t format, uint32_t hi, uint32_t lo) {
                static_cast<V3Events*>(data)->modifiers.push_back(
                    {DrmFormat{format}, DrmModifier{(uint64_t{hi} << 32U) | lo}});
            },
    };
};

TEST(CompositorDmabuf, V3SendsFormatsAndModifiersInOrder)
{
    const FormatSet formats{{argb, modifier_linear}, {xrgb, DrmModifier{intel_x_tiled}}, {xrgb, modifier_implicit},
                            {argb, modifier_implicit}};
    auto compositor = start({.dmabuf_version = 3, .formats = formats});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(*compositor);
    ASSERT_TRUE(client);
    EXPECT_EQ(client->global_version("zwp_linux_dmabuf_v1"), 3U);

    V3Events events;
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, 3);
    zwp_linux_dmabuf_v1_add_listener(dmabuf.get(), &V3Events::listener, &events);
    ASSERT_TRUE(client->roundtrip());

    EXPECT_EQ(events.formats, (std::vector<uint32_t>{DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888}));
    // Grouped by format (first appearance), each format's modifiers in preference order.
    EXPECT_EQ(events.modifiers, (std::vector<FormatModifier>{{argb, modifier_linear},
                                                             {argb, modifier_implicit},
                                                             {xrgb, DrmModifier{intel_x_tiled}},
                                                             {xrgb, modifier_implicit}}));
}

TEST(CompositorDmabuf, V2BindGetsFormatEventsForImplicitLayoutsOnly)
{
    const FormatSet formats{{argb, modifier_linear}, {xrgb, modifier_implicit}};
    auto compositor = start({.dmabuf_version = 3, .formats = formats});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(*compositor);
    ASSERT_TRUE(client);
    V3Events events;
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, 2);
    zwp_linux_dmabuf_v1_add_listener(dmabuf.get(), &V3Events::listener, &events);
    ASSERT_TRUE(client->roundtrip());
    EXPECT_EQ(events.formats, std::vector<uint32_t>{DRM_FORMAT_XRGB8888});
    EXPECT_TRUE(events.modifiers.empty());
}

TEST(CompositorDmabuf, V3BindOfAV4GlobalListsTheDefaultFeedback)
{
    const FeedbackConfig feedback = FeedbackConfig::single(makedev(226, 128), FormatSet{{argb, modifier_linear}});
    auto compositor = start({.dmabuf_version = 4, .feedback = feedback});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(*compositor);
    ASSERT_TRUE(client);
    V3Events events;
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, 3);
    zwp_linux_dmabuf_v1_add_listener(dmabuf.get(), &V3Events::listener, &events);
    ASSERT_TRUE(client->roundtrip());
    EXPECT_EQ(events.formats, std::vector<uint32_t>{DRM_FORMAT_ARGB8888});
    EXPECT_EQ(events.modifiers, (std::vector<FormatModifier>{{argb, modifier_linear}}));
}

// --- v4/v5 feedback --------------------------------------------------------------------------------

class CompositorFeedback : public ::testing::TestWithParam<uint32_t> {};

FeedbackConfig two_tranches()
{
    FeedbackConfig config;
    config.main_device = makedev(226, 128);
    config.tranches.push_back({makedev(226, 0), 1, {{xrgb, DrmModifier{intel_x_tiled}}, {xrgb, modifier_linear}}});
    config.tranches.push_back({makedev(226, 128),
                               0,
                               {{xrgb, modifier_linear}, {xrgb, modifier_implicit}, {argb, modifier_linear}}});
    return config;
}

TEST_P(CompositorFeedback, DefaultFeedbackHasAMappableTableAndTranches)
{
    const uint32_t version = GetParam();
    auto compositor = start({.dmabuf_version = version, .feedback = two_tranches()});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(*compositor);
    ASSERT_TRUE(client);
    V3Events legacy;
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, version);
    zwp_linux_dmabuf_v1_add_listener(dmabuf.get(), &V3Events::listener, &legacy);
    FeedbackCollector collector{zwp_linux_dmabuf_v1_get_default_feedback(dmabuf.get())};
    ASSERT_TRUE(client->roundtrip());

    EXPECT_TRUE(legacy.formats.empty());  // deprecated from v4 on: must not be sent
    EXPECT_TRUE(legacy.modifiers.empty());
    ASSERT_EQ(collector.rounds.size(), 1U);
    const FeedbackRound& round = collector.rounds[0];
    ASSERT_EQ(round.main_device.size(), sizeof(dev_t));
    EXPECT_EQ(FeedbackRound::device(round.main_device), makedev(226, 128));
    ASSERT_TRUE(round.table_fd);
    EXPECT_EQ(read_table(round).size(), 4U);  // the shared XR24 LINEAR is stored once
    int seals = fcntl(round.table_fd.get(), F_GET_SEALS);
    EXPECT_EQ(seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW), F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW);

    ASSERT_EQ(round.tranches.size(), 2U);
    EXPECT_EQ(FeedbackRound::device(round.tranches[0].target_device), makedev(226, 0));
    EXPECT_EQ(round.tranches[0].target_device.size(), sizeof(dev_t));
    EXPECT_EQ(round.tranches[0].flags, ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT);
    EXPECT_EQ(tranche_pairs(round, 0), two_tranches().tranches[0].formats);
    EXPECT_EQ(FeedbackRound::device(round.tranches[1].target_device), makedev(226, 128));
    EXPECT_EQ(round.tranches[1].flags, 0U);
    EXPECT_EQ(tranche_pairs(round, 1), two_tranches().tranches[1].formats);

    const Records records = compositor->records();
    ASSERT_EQ(records.feedbacks.size(), 1U);
    EXPECT_EQ(records.feedbacks[0].surface, 0U);
    EXPECT_EQ(records.feedbacks[0].tranches, 2U);
}

TEST_P(CompositorFeedback, LargeTranchesAreSplitAcrossTrancheFormatsEvents)
{
    FormatSet many;
    for (uint64_t m = 0; m < 1500; ++m) {
        many.add(xrgb, DrmModifier{fourcc_mod_code(AMD, m)});
    }
    auto compositor = start({.dmabuf_version = GetParam(), .feedback = FeedbackConfig::single(makedev(226, 1), many)});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(*compositor);
    ASSERT_TRUE(client);
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, GetParam());
    FeedbackCollector collector{zwp_linux_dmabuf_v1_get_default_feedback(dmabuf.get())};
    ASSERT_TRUE(client->roundtrip());
    ASSERT_EQ(collector.rounds.size(), 1U);
    ASSERT_EQ(collector.rounds[0].tranches.size(), 1U);
    EXPECT_GT(collector.rounds[0].tranches[0].formats_events, 1);
    EXPECT_EQ(tranche_pairs(collector.rounds[0], 0), many.pairs());
}

TEST_P(CompositorFeedback, SurfaceFeedbackChangesWithANewTable)
{
    auto compositor = start({.dmabuf_version = GetParam()});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(*compositor);
    ASSERT_TRUE(client);
    auto wl_comp = client->bind<wl_compositor>(&wl_compositor_interface, 4);
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, GetParam());
    Ptr<wl_surface> surface{wl_compositor_create_surface(wl_comp.get())};
    FeedbackCollector per_surface{zwp_linux_dmabuf_v1_get_surface_feedback(dmabuf.get(), surface.get())};
    FeedbackCollector fallback{zwp_linux_dmabuf_v1_get_default_feedback(dmabuf.get())};
    ASSERT_TRUE(client->roundtrip());
    ASSERT_EQ(per_surface.rounds.size(), 1U);
    ASSERT_EQ(fallback.rounds.size(), 1U);
    EXPECT_EQ(tranche_pairs(per_surface.rounds[0], 0), default_formats().pairs());

    // A surface feedback of its own: only the surface's object hears of it, with a new table file.
    const FeedbackConfig scanout = FeedbackConfig::single(makedev(226, 0), FormatSet{{argb, modifier_linear}}, 1);
    compositor->set_surface_feedback(scanout);
    ASSERT_TRUE(client->roundtrip());
    ASSERT_EQ(per_surface.rounds.size(), 2U);
    EXPECT_EQ(fallback.rounds.size(), 1U);
    EXPECT_NE(inode(per_surface.rounds[1].table_fd.get()), inode(per_surface.rounds[0].table_fd.get()));
    EXPECT_EQ(tranche_pairs(per_surface.rounds[1], 0), scanout.tranches[0].formats);
    EXPECT_EQ(per_surface.rounds[1].tranches[0].flags, 1U);

    // A new default feedback no longer reaches the surface's object.
    compositor->set_default_feedback(FeedbackConfig::single(makedev(226, 128), FormatSet{{xrgb, modifier_linear}}));
    ASSERT_TRUE(client->roundtrip());
    EXPECT_EQ(per_surface.rounds.size(), 2U);
    ASSERT_EQ(fallback.rounds.size(), 2U);
    EXPECT_EQ(tranche_pairs(fallback.rounds[1], 0), (std::vector<FormatModifier>{{xrgb, modifier_linear}}));

    const Records records = compositor->records();
    ASSERT_EQ(records.feedbacks.size(), 4U);
    EXPECT_EQ(records.feedbacks[2].generation, 2U);
    EXPECT_NE(records.feedbacks[2].surface, 0U);

    // Once the surface is gone its feedback object is inert.
    surface.reset();
    ASSERT_TRUE(client->roundtrip());
    compositor->set_feedback(FeedbackConfig::single(makedev(226, 128), default_formats()));
    ASSERT_TRUE(client->roundtrip());
    EXPECT_EQ(per_surface.rounds.size(), 2U);
    EXPECT_EQ(fallback.rounds.size(), 3U);
}

TEST_P(CompositorFeedback, SurfaceFeedbackFollowsTheDefaultUntilSetOnItsOwn)
{
    auto compositor = start({.dmabuf_version = GetParam()});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(*compositor);
    ASSERT_TRUE(client);
    auto wl_comp = client->bind<wl_compositor>(&wl_compositor_interface, 4);
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, GetParam());
    Ptr<wl_surface> surface{wl_compositor_create_surface(wl_comp.get())};
    FeedbackCollector per_surface{zwp_linux_dmabuf_v1_get_surface_feedback(dmabuf.get(), surface.get())};
    ASSERT_TRUE(client->roundtrip());
    compositor->set_default_feedback(FeedbackConfig::single(makedev(226, 129), FormatSet{{xrgb, modifier_linear}}));
    ASSERT_TRUE(client->roundtrip());
    ASSERT_EQ(per_surface.rounds.size(), 2U);
    EXPECT_EQ(FeedbackRound::device(per_surface.rounds[1].main_device), makedev(226, 129));
}

INSTANTIATE_TEST_SUITE_P(Versions, CompositorFeedback, ::testing::Values(4U, 5U),
                         [](const auto& param_info) { return "v" + std::to_string(param_info.param); });

// --- hostile feedback --------------------------------------------------------------------------------

FeedbackRound hostile_round(const HostileFeedback& hostile)
{
    FeedbackConfig config = FeedbackConfig::single(makedev(226, 128), default_formats());
    config.hostile = hostile;
    auto compositor = start({.feedback = config});
    if (!compositor) {
        return {};
    }
    auto client = WaylandClient::connect(*compositor);
    EXPECT_TRUE(client);
    if (!client) {
        return {};
    }
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, 4);
    FeedbackCollector collector{zwp_linux_dmabuf_v1_get_default_feedback(dmabuf.get())};
    EXPECT_TRUE(client->roundtrip());
    EXPECT_EQ(collector.rounds.size(), 1U);
    return collector.rounds.empty() ? FeedbackRound{} : std::move(collector.rounds[0]);
}

off_t file_size(int fd)
{
    struct stat st{};
    fstat(fd, &st);
    return st.st_size;
}

TEST(CompositorHostileFeedback, TableSizeLargerThanTheFile)
{
    const FeedbackRound round = hostile_round({.table_size_too_large = true});
    EXPECT_GT(round.table_size, file_size(round.table_fd.get()));
}

TEST(CompositorHostileFeedback, TableSizeNotAMultipleOf16)
{
    const FeedbackRound round = hostile_round({.table_size_unaligned = true});
    EXPECT_NE(round.table_size % 16, 0U);
    EXPECT_EQ(round.table_size, file_size(round.table_fd.get()));
}

TEST(CompositorHostileFeedback, TrancheIndexOutOfRange)
{
    const FeedbackRound round = hostile_round({.index_out_of_range = true});
    ASSERT_FALSE(round.tranches.empty());
    EXPECT_EQ(round.tranches[0].indices.back(), round.table_size / 16);
}

TEST(CompositorHostileFeedback, MainDeviceOfTheWrongSize)
{
    const FeedbackRound round = hostile_round({.main_device_wrong_size = true});
    EXPECT_NE(round.main_device.size(), sizeof(dev_t));
    ASSERT_FALSE(round.tranches.empty());
    EXPECT_EQ(round.tranches[0].target_device.size(), sizeof(dev_t));
}

TEST(CompositorHostileFeedback, TargetDeviceOfTheWrongSize)
{
    const FeedbackRound round = hostile_round({.target_device_wrong_size = true});
    EXPECT_EQ(round.main_device.size(), sizeof(dev_t));
    ASSERT_FALSE(round.tranches.empty());
    EXPECT_NE(round.tranches[0].target_device.size(), sizeof(dev_t));
}

// --- params ----------------------------------------------------------------------------------------

struct DmabufSession {
    std::unique_ptr<TestCompositor> compositor;
    std::unique_ptr<WaylandClient> client;
    Ptr<wl_compositor> wl_comp;
    Ptr<zwp_linux_dmabuf_v1> dmabuf;

    explicit DmabufSession(Config config = {})
    {
        const uint32_t version = config.dmabuf_version;
        compositor = start(std::move(config));
        if (!compositor) {
            return;
        }
        client = WaylandClient::connect(*compositor);
        if (!client) {
            ADD_FAILURE() << "connect failed";
            return;
        }
        wl_comp = client->bind<wl_compositor>(&wl_compositor_interface, 4);
        dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, version);
    }
    explicit operator bool() const { return client && dmabuf; }
};

uint8_t pattern(size_t i)
{
    return static_cast<uint8_t>((i * 7U) ^ (i >> 8U));
}

TEST(CompositorParams, CreateWithAMemfdIsRecordedAndReadable)
{
    DmabufSession s;
    ASSERT_TRUE(s);
    constexpr int32_t w = 64;
    constexpr int32_t h = 32;
    constexpr uint32_t stride = w * 4;
    UniqueFd fd = make_memfd(size_t{stride} * h, pattern);
    ASSERT_TRUE(fd);

    ParamsObject params{s.dmabuf.get()};
    params.add(fd.get(), 0, 0, stride, DRM_FORMAT_MOD_LINEAR);
    params.create(w, h, DRM_FORMAT_XRGB8888, ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT);
    ASSERT_TRUE(s.client->dispatch_until([&] { return params.created || params.failed; }));
    ASSERT_TRUE(params.created);
    ASSERT_TRUE(params.buffer);

    const Records records = s.compositor->records();
    ASSERT_EQ(records.params.size(), 1U);
    const ParamsRecord& p = records.params[0];
    EXPECT_EQ(p.outcome, ParamsOutcome::created);
    EXPECT_FALSE(p.immed);
    EXPECT_EQ(p.width, w);
    EXPECT_EQ(p.height, h);
    EXPECT_EQ(p.format, xrgb);
    EXPECT_EQ(p.flags, ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT);
    ASSERT_EQ(p.planes.size(), 1U);
    EXPECT_EQ(p.planes[0].plane_idx, 0U);
    EXPECT_EQ(p.planes[0].offset, 0U);
    EXPECT_EQ(p.planes[0].stride, stride);
    EXPECT_EQ(p.planes[0].modifier, modifier_linear);
    EXPECT_EQ(p.planes[0].fd_size, int64_t{stride} * h);
    ASSERT_TRUE(p.planes[0].fd);
    EXPECT_EQ(inode(p.planes[0].fd->get()), inode(fd.get()));  // the same file
    ASSERT_EQ(records.buffers.size(), 1U);
    EXPECT_EQ(p.buffer, 1U);
    EXPECT_EQ(s.compositor->buffer_serial(wl_proxy_get_id(reinterpret_cast<wl_proxy*>(params.buffer.get()))), 1U);
    EXPECT_EQ(records.buffers[0].modifier, modifier_linear);

    Ptr<wl_surface> surface{wl_compositor_create_surface(s.wl_comp.get())};
    wl_surface_attach(surface.get(), params.buffer.get(), 0, 0);
    wl_surface_damage_buffer(surface.get(), 0, 0, w, h);
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    auto contents = s.compositor->read_last_committed_buffer();
    ASSERT_TRUE(contents) << contents.error().message();
    EXPECT_EQ(contents->stride, stride);
    EXPECT_EQ(contents->rows, static_cast<uint32_t>(h));
    ASSERT_EQ(contents->bytes.size(), size_t{stride} * h);
    for (size_t i = 0; i < contents->bytes.size(); ++i) {
        ASSERT_EQ(contents->bytes[i], pattern(i)) << "byte " << i;
    }
}

TEST(CompositorParams, CreateImmedSendsNothingAndTheBufferWorks)
{
    DmabufSession s{{.dmabuf_version = 5}};
    ASSERT_TRUE(s);
    UniqueFd fd = make_memfd(16 * 16 * 4);
    ParamsObject params{s.dmabuf.get()};
    params.add(fd.get(), 0, 0, 64, DRM_FORMAT_MOD_INVALID);
    wl_buffer* buffer = params.create_immed(16, 16, DRM_FORMAT_ARGB8888);
    Ptr<wl_surface> surface{wl_compositor_create_surface(s.wl_comp.get())};
    wl_surface_attach(surface.get(), buffer, 0, 0);
    wl_surface_commit(surface.get());
    ASSERT_TRUE(s.client->roundtrip());
    EXPECT_FALSE(params.created);
    EXPECT_FALSE(params.failed);
    const Records records = s.compositor->records();
    ASSERT_EQ(records.params.size(), 1U);
    EXPECT_EQ(records.params[0].outcome, ParamsOutcome::created);
    EXPECT_TRUE(records.params[0].immed);
    ASSERT_EQ(records.commits.size(), 1U);
    EXPECT_EQ(records.commits[0].buffer, records.params[0].buffer);
    EXPECT_EQ(records.buffers.at(0).modifier, modifier_implicit);
}

TEST(CompositorParams, Nv12InOneMemfdWithTwoPlanes)
{
    DmabufSession s;
    ASSERT_TRUE(s);
    constexpr uint32_t w = 33;  // odd: the chroma plane rounds up
    constexpr uint32_t h = 17;
    constexpr uint32_t luma = w * h;
    constexpr uint32_t chroma_stride = 34;  // 17 CbCr pairs
    constexpr uint32_t chroma_rows = 9;
    UniqueFd fd = make_memfd(luma + chroma_stride * chroma_rows, pattern);
    ParamsObject params{s.dmabuf.get()};
    params.add(fd.get(), 1, luma, chroma_stride, DRM_FORMAT_MOD_LINEAR);  // any order
    params.add(fd.get(), 0, 0, w, DRM_FORMAT_MOD_LINEAR);
    params.create(w, h, DRM_FORMAT_NV12);
    ASSERT_TRUE(s.client->dispatch_until([&] { return params.created || params.failed; }));
    EXPECT_TRUE(params.created);
    const Records records = s.compositor->records();
    ASSERT_EQ(records.buffers.size(), 1U);
    ASSERT_EQ(records.buffers[0].planes.size(), 2U);
    EXPECT_EQ(records.buffers[0].planes[1].offset, luma);
    auto chroma = s.compositor->read_buffer(1, 1);
    ASSERT_TRUE(chroma) << chroma.error().message();
    EXPECT_EQ(chroma->rows, chroma_rows);
    EXPECT_EQ(chroma->bytes.front(), pattern(luma));
}

TEST(CompositorParams, FailPairsGetFailed)
{
    DmabufSession s;
    ASSERT_TRUE(s);
    s.compositor->fail_pairs({{xrgb, modifier_linear}});
    UniqueFd fd = make_memfd(8 * 8 * 4);
    ParamsObject failing{s.dmabuf.get()};
    failing.add(fd.get(), 0, 0, 32, DRM_FORMAT_MOD_LINEAR);
    failing.create(8, 8, DRM_FORMAT_XRGB8888);
    ParamsObject working{s.dmabuf.get()};
    working.add(fd.get(), 0, 0, 32, DRM_FORMAT_MOD_INVALID);
    working.create(8, 8, DRM_FORMAT_XRGB8888);
    ASSERT_TRUE(s.client->dispatch_until([&] { return (failing.created || failing.failed) && working.created; }));
    EXPECT_TRUE(failing.failed);
    EXPECT_FALSE(failing.created);
    const Records records = s.compositor->records();
    EXPECT_EQ(records.params[0].outcome, ParamsOutcome::failed);
    EXPECT_EQ(records.params[0].buffer, 0U);
    EXPECT_EQ(records.params[1].outcome, ParamsOutcome::created);
    EXPECT_TRUE(records.errors.empty());
}

TEST(CompositorParams, FailPairsWithCreateImmedCanSendFailed)
{
    DmabufSession s{{.immed_failure = ImmedFailure::failed_event}};
    ASSERT_TRUE(s);
    s.compositor->fail_pairs({{xrgb, modifier_linear}});
    UniqueFd fd = make_memfd(8 * 8 * 4);
    ParamsObject params{s.dmabuf.get()};
    params.add(fd.get(), 0, 0, 32, DRM_FORMAT_MOD_LINEAR);
    params.create_immed(8, 8, DRM_FORMAT_XRGB8888);
    ASSERT_TRUE(s.client->dispatch_until([&] { return params.failed; }));
    const Records records = s.compositor->records();
    EXPECT_EQ(records.params[0].outcome, ParamsOutcome::failed);
    ASSERT_EQ(records.buffers.size(), 1U);
    EXPECT_TRUE(records.buffers[0].failed);
}

TEST(CompositorParams, MixedModifiersBeforeV5AreAnImportFailure)
{
    DmabufSession s{{.dmabuf_version = 4,
                     .formats = FormatSet{{nv12, modifier_linear}, {nv12, modifier_implicit}}}};
    ASSERT_TRUE(s);
    UniqueFd fd = make_memfd(64 * 64 * 2);
    ParamsObject params{s.dmabuf.get()};
    params.add(fd.get(), 0, 0, 64, DRM_FORMAT_MOD_LINEAR);
    params.add(fd.get(), 1, 64 * 64, 64, DRM_FORMAT_MOD_INVALID);
    params.create(64, 64, DRM_FORMAT_NV12);
    ASSERT_TRUE(s.client->dispatch_until([&] { return params.created || params.failed; }));
    EXPECT_TRUE(params.failed);
}

TEST(CompositorParams, PairsOfAnEarlierFeedbackStayUsable)
{
    DmabufSession s;
    ASSERT_TRUE(s);
    s.compositor->set_feedback(FeedbackConfig::single(makedev(226, 128), FormatSet{{argb, modifier_linear}}));
    UniqueFd fd = make_memfd(8 * 8 * 4);
    ParamsObject params{s.dmabuf.get()};
    params.add(fd.get(), 0, 0, 32, DRM_FORMAT_MOD_LINEAR);
    params.create(8, 8, DRM_FORMAT_XRGB8888);  // a client that has not seen the change yet
    ASSERT_TRUE(s.client->dispatch_until([&] { return params.created || params.failed; }));
    EXPECT_TRUE(params.created);
}

TEST(CompositorParams, PlaneFdsAreDroppedWhenNotKept)
{
    const int baseline = open_fd_count();
    {
        DmabufSession s{{.keep_plane_fds = false}};
        ASSERT_TRUE(s);
        const int connected = open_fd_count();
        {
            UniqueFd fd = make_memfd(8 * 8 * 4);
            ParamsObject params{s.dmabuf.get()};
            params.add(fd.get(), 0, 0, 32, DRM_FORMAT_MOD_LINEAR);
            params.create(8, 8, DRM_FORMAT_XRGB8888);
            ASSERT_TRUE(s.client->dispatch_until([&] { return params.created; }));
            EXPECT_TRUE(s.compositor->read_buffer(1));  // alive: readable
        }
        ASSERT_TRUE(s.client->roundtrip());  // params and buffer destroyed on the server
        EXPECT_EQ(open_fd_count(), connected);
        EXPECT_FALSE(s.compositor->read_buffer(1));
    }
    EXPECT_EQ(open_fd_count(), baseline);
}

}  // namespace
}  // namespace dmafeed::test

// The test compositor's wp_color_manager_v1 seen from a raw libwayland-client: what it advertises
// per bound version, ready and ready2, graceful refusals, every protocol error of the creators, the
// manager, the color-management surface and the image description, the information of the output's
// and preferred descriptions, and the image description and intent that commits apply.
#include "protocol_error_check.hpp"
#include "test_compositor.hpp"
#include "wayland_client.hpp"
#include "wl/proxy.hpp"

#include "color-management-v1-client-protocol.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>
#include <wayland-client-protocol.h>

namespace dmafeed::test {
namespace {

using Manager = wl::ProxyPtr<wp_color_manager_v1, wp_color_manager_v1_destroy>;
using ColorSurface =
    wl::ProxyPtr<wp_color_management_surface_v1, wp_color_management_surface_v1_destroy>;
using SurfaceFeedback = wl::ProxyPtr<wp_color_management_surface_feedback_v1, wp_color_management_surface_feedback_v1_destroy>;
using ColorOutput =
    wl::ProxyPtr<wp_color_management_output_v1, wp_color_management_output_v1_destroy>;
// The creators have no destroy request: their create destroys them; until then only the proxy goes.
using Creator = wl::ProxyPtr<wp_image_description_creator_params_v1, wp_image_description_creator_params_v1_destroy>;
using IccCreator = wl::ProxyPtr<wp_image_description_creator_icc_v1, wp_image_description_creator_icc_v1_destroy>;
using Output = wl::ProxyPtr<wl_output, wl_output_release>;

// wp_color_manager_v1 enum values.
constexpr uint32_t intent_perceptual = 0;
constexpr uint32_t intent_relative = 1;
constexpr uint32_t intent_absolute_no_adaptation = 5;
constexpr uint32_t feature_icc = 0;
constexpr uint32_t feature_parametric = 1;
constexpr uint32_t feature_set_primaries = 2;
constexpr uint32_t feature_set_tf_power = 3;
constexpr uint32_t feature_set_luminances = 4;
constexpr uint32_t feature_set_mastering = 5;
constexpr uint32_t feature_windows_scrgb = 7;
constexpr uint32_t feature_windows_bt2100 = 8;
constexpr uint32_t tf_bt1886 = 1;
constexpr uint32_t tf_gamma22 = 2;
constexpr uint32_t tf_gamma28 = 3;
constexpr uint32_t tf_ext_linear = 5;
constexpr uint32_t tf_srgb = 9;
constexpr uint32_t tf_st2084_pq = 11;
constexpr uint32_t tf_hlg = 13;
constexpr uint32_t tf_compound_power_2_4 = 14;
constexpr uint32_t primaries_srgb = 1;
constexpr uint32_t primaries_bt2020 = 6;
constexpr uint32_t primaries_display_p3 = 9;
constexpr uint32_t primaries_adobe_rgb = 10;

// One wp_image_description_v1 and its answer.
struct Description {
    wl::ProxyPtr<wp_image_description_v1, wp_image_description_v1_destroy> proxy;
    std::optional<uint32_t> ready;   // identity
    std::optional<uint64_t> ready2;  // identity
    std::optional<uint32_t> failed_cause;
    std::string failed_message;

    explicit Description(wp_image_description_v1* description) : proxy{description}
    {
        static const wp_image_description_v1_listener listener{
            .failed =
                [](void* data, wp_image_description_v1*, uint32_t cause, const char* message) {
                    static_cast<Description*>(data)->failed_cause = cause;
                    static_cast<Description*>(data)->failed_message = message;
                },
            .ready = [](void* data, wp_image_description_v1*,
                        uint32_t identity) { static_cast<Description*>(data)->ready = identity; },
            .ready2 =
                [](void* data, wp_image_description_v1*, uint32_t hi, uint32_t lo) {
                    static_cast<Description*>(data)->ready2 = (uint64_t{hi} << 32U) | lo;
                },
        };
        wp_image_description_v1_add_listener(proxy.get(), &listener, this);
    }
    Description(const Description&) = delete;
    Description& operator=(const Description&) = delete;
    wp_image_description_v1* get() const { return proxy.get(); }
};

// What a wp_image_description_info_v1 delivered, one line an event, until done.
struct Information {
    wp_image_description_info_v1* proxy;
    std::vector<std::string> events;
    bool done = false;

    explicit Information(wp_image_description_info_v1* info) : proxy{info}
    {
        wp_image_description_info_v1_add_listener(proxy, &listener, this);
    }
    Information(const Information&) = delete;
    Information& operator=(const Information&) = delete;
    ~Information() { wp_image_description_info_v1_destroy(proxy); }  // after done: only the proxy

private:
    static void add(void* data, std::string event)
    {
        static_cast<Information*>(data)->events.push_back(std::move(event));
    }
    static std::string numbers(std::initializer_list<int64_t> values)
    {
        std::string out;
        for (int64_t v : values) {
            out += " " + std::to_string(v);
        }
        return out;
    }
    static constexpr wp_image_description_info_v1_listener listener{
        .done = [](void* data, wp_image_description_info_v1*) { static_cast<Information*>(data)->done = true; },
        .icc_file =
            [](void* data, wp_image_description_info_v1*, int32_t fd, uint32_t) {
                close(fd);
                add(data, "icc_file");
            },
        .primaries = [](void* data, wp_image_description_info_v1*, int32_t rx, int32_t ry, int32_t gx, int32_t gy,
                        int32_t bx, int32_t by, int32_t wx,
                        int32_t wy) { add(data, "primaries" + numbers({rx, ry, gx, gy, bx, by, wx, wy})); },
        .primaries_named = [](void* data, wp_image_description_info_v1*,
                              uint32_t p) { add(data, "primaries_named" + numbers({p})); },
        .tf_power = [](void* data, wp_image_description_info_v1*, uint32_t e) { add(data, "tf_power" + numbers({e})); },
        .tf_named = [](void* data, wp_image_description_info_v1*,
                       uint32_t tf) { add(data, "tf_named" + numbers({tf})); },
        .luminances = [](void* data, wp_image_description_info_v1*, uint32_t min, uint32_t max,
                         uint32_t ref) { add(data, "luminances" + numbers({min, max, ref})); },
        .target_primaries = [](void* data, wp_image_description_info_v1*, int32_t rx, int32_t ry, int32_t gx,
                               int32_t gy, int32_t bx, int32_t by, int32_t wx, int32_t wy) {
            add(data, "target_primaries" + numbers({rx, ry, gx, gy, bx, by, wx, wy}));
        },
        .target_luminance = [](void* data, wp_image_description_info_v1*, uint32_t min,
                               uint32_t max) { add(data, "target_luminance" + numbers({min, max})); },
        .target_max_cll = [](void* data, wp_image_description_info_v1*,
                             uint32_t v) { add(data, "target_max_cll" + numbers({v})); },
        .target_max_fall = [](void* data, wp_image_description_info_v1*,
                              uint32_t v) { add(data, "target_max_fall" + numbers({v})); },
    };
};

// What wp_color_manager_v1 sent on bind, in order.
struct Advertised {
    std::vector<uint32_t> intents;
    std::vector<uint32_t> features;
    std::vector<uint32_t> tf_named;
    std::vector<uint32_t> primaries_named;
    int done = 0;
    bool after_done = false;  // a supported_* event came after done

    static Advertised* self(void* data)
    {
        auto* a = static_cast<Advertised*>(data);
        a->after_done = a->after_done || a->done > 0;
        return a;
    }
    static constexpr wp_color_manager_v1_listener listener{
        .supported_intent = [](void* data, wp_color_manager_v1*, uint32_t v) { self(data)->intents.push_back(v); },
        .supported_feature = [](void* data, wp_color_manager_v1*, uint32_t v) { self(data)->features.push_back(v); },
        .supported_tf_named = [](void* data, wp_color_manager_v1*, uint32_t v) { self(data)->tf_named.push_back(v); },
        .supported_primaries_named = [](void* data, wp_color_manager_v1*,
                                        uint32_t v) { self(data)->primaries_named.push_back(v); },
        .done = [](void* data, wp_color_manager_v1*) { ++static_cast<Advertised*>(data)->done; },
    };
};

Config color_config(ColorManagementConfig cm = {})
{
    Config config;
    config.color_management = std::move(cm);
    return config;
}

ColorManagementConfig at_version(uint32_t version, ColorManagementConfig cm = {})
{
    cm.version = version;
    return cm;
}

// A client of a compositor with wp_color_manager_v1, bound at `bind_version` (or the global's).
struct ColorClient {
    std::unique_ptr<TestCompositor> compositor;
    std::unique_ptr<WaylandClient> client;
    Ptr<wl_compositor> wl_comp;
    Advertised advertised;
    Manager manager;

    explicit ColorClient(ColorManagementConfig cm = {}, uint32_t bind_version = 3)
    {
        auto created = TestCompositor::create(color_config(std::move(cm)));
        if (!created) {
            ADD_FAILURE() << created.error().message();
            return;
        }
        compositor = std::move(*created);
        client = WaylandClient::connect(*compositor);
        if (!client) {
            ADD_FAILURE() << "connect failed";
            return;
        }
        wl_comp = client->bind<wl_compositor>(&wl_compositor_interface, 6);
        manager.reset(static_cast<wp_color_manager_v1*>(client->bind(&wp_color_manager_v1_interface, bind_version)));
        if (manager) {
            wp_color_manager_v1_add_listener(manager.get(), &Advertised::listener, &advertised);
            EXPECT_TRUE(client->roundtrip());
        }
    }
    explicit operator bool() const { return client && wl_comp && manager; }

    Ptr<wl_surface> surface() const { return Ptr<wl_surface>{wl_compositor_create_surface(wl_comp.get())}; }
    ColorSurface color_surface(wl_surface* surface) const
    {
        return ColorSurface{wp_color_manager_v1_get_surface(manager.get(), surface)};
    }
    Creator creator() const { return Creator{wp_color_manager_v1_create_parametric_creator(manager.get())}; }
    // create: the creator is gone with it.
    static std::unique_ptr<Description> create(Creator creator)
    {
        return std::make_unique<Description>(wp_image_description_creator_params_v1_create(creator.release()));
    }
    // A parametric description of `tf` and `primaries`, answered.
    std::unique_ptr<Description> parametric(uint32_t tf = tf_gamma22, uint32_t primaries = primaries_srgb)
    {
        Creator c = creator();
        wp_image_description_creator_params_v1_set_tf_named(c.get(), tf);
        wp_image_description_creator_params_v1_set_primaries_named(c.get(), primaries);
        auto description = create(std::move(c));
        EXPECT_TRUE(client->roundtrip());
        return description;
    }
};

void expect_protocol_error(const ColorClient& c, const char* interface, uint32_t code)
{
    test::expect_protocol_error(*c.client, *c.compositor, interface, code);
}

void set_srgb(wp_image_description_creator_params_v1* creator)
{
    wp_image_description_creator_params_v1_set_tf_named(creator, tf_gamma22);
    wp_image_description_creator_params_v1_set_primaries_named(creator, primaries_srgb);
}

// --- the global -----------------------------------------------------------------------------------------

TEST(CompositorColorManager, OfferedOnlyWhenConfiguredAtItsVersion)
{
    auto plain = TestCompositor::create();
    ASSERT_TRUE(plain);
    auto plain_client = WaylandClient::connect(**plain);
    ASSERT_TRUE(plain_client);
    EXPECT_EQ(plain_client->global_version("wp_color_manager_v1"), 0U);

    for (uint32_t version : {1U, 3U}) {
        ColorClient c{at_version(version)};
        ASSERT_TRUE(c);
        EXPECT_EQ(c.client->global_version("wp_color_manager_v1"), version);
    }
}

TEST(CompositorColorManager, BindSendsTheConfiguredListsThenDone)
{
    ColorClient c;  // the default configuration, version 2
    ASSERT_TRUE(c);
    EXPECT_EQ(c.advertised.intents, (std::vector<uint32_t>{intent_perceptual}));
    EXPECT_EQ(c.advertised.features, (std::vector<uint32_t>{feature_parametric, feature_set_primaries,
                                                            feature_set_luminances, feature_set_mastering}));
    // srgb is deprecated from version 2 on: not sent.
    EXPECT_EQ(c.advertised.tf_named,
              (std::vector<uint32_t>{tf_gamma22, tf_bt1886, tf_st2084_pq, tf_hlg, tf_ext_linear}));
    EXPECT_EQ(c.advertised.primaries_named,
              (std::vector<uint32_t>{primaries_srgb, primaries_bt2020, primaries_display_p3}));
    EXPECT_EQ(c.advertised.done, 1);
    EXPECT_FALSE(c.advertised.after_done);
}

TEST(CompositorColorManager, BindLeavesOutWhatTheBoundVersionLacks)
{
    ColorManagementConfig cm;
    cm.version = 3;
    cm.intents = {intent_perceptual, intent_absolute_no_adaptation};
    cm.features = {feature_parametric, feature_windows_scrgb, feature_windows_bt2100};
    cm.tf_named = {tf_gamma22, tf_srgb, tf_compound_power_2_4};

    ColorClient v1{cm, 1};
    ASSERT_TRUE(v1);
    EXPECT_EQ(v1.advertised.intents, (std::vector<uint32_t>{intent_perceptual}));
    EXPECT_EQ(v1.advertised.features, (std::vector<uint32_t>{feature_parametric, feature_windows_scrgb}));
    EXPECT_EQ(v1.advertised.tf_named, (std::vector<uint32_t>{tf_gamma22, tf_srgb}));

    ColorClient v3{cm, 3};
    ASSERT_TRUE(v3);
    EXPECT_EQ(v3.advertised.intents, cm.intents);
    EXPECT_EQ(v3.advertised.features, cm.features);
    EXPECT_EQ(v3.advertised.tf_named, (std::vector<uint32_t>{tf_gamma22, tf_compound_power_2_4}));
    EXPECT_EQ(v3.advertised.done, 1);
}

// --- image descriptions -------------------------------------------------------------------------------------

TEST(CompositorImageDescription, ParametricIsReadyWithA32BitIdentityAtVersion1)
{
    ColorClient c{at_version(1)};
    ASSERT_TRUE(c);
    auto description = c.parametric(tf_srgb, primaries_bt2020);  // srgb is a version 1 name
    ASSERT_TRUE(description->ready);
    EXPECT_NE(*description->ready, 0U);
    EXPECT_FALSE(description->ready2);
    EXPECT_FALSE(description->failed_cause);

    const Records r = c.compositor->records();
    ASSERT_EQ(r.image_descriptions.size(), 1U);
    const ImageDescriptionRecord& record = r.image_descriptions[0];
    EXPECT_EQ(record.serial, 1U);
    EXPECT_EQ(record.serial, *description->ready);
    EXPECT_EQ(record.version, 1U);
    EXPECT_EQ(record.kind, ImageDescriptionKind::parametric);
    EXPECT_EQ(record.tf_named, tf_srgb);
    EXPECT_EQ(record.primaries_named, primaries_bt2020);
    EXPECT_TRUE(record.ready);
    EXPECT_FALSE(record.failed);
}

TEST(CompositorImageDescription, ParametricIsReady2WithDistinctIdentitiesAndEveryParameterRecorded)
{
    ColorManagementConfig cm;
    cm.features.push_back(feature_set_tf_power);
    ColorClient c{cm};
    ASSERT_TRUE(c);
    Creator creator = c.creator();
    wp_image_description_creator_params_v1_set_tf_power(creator.get(), 24000);
    wp_image_description_creator_params_v1_set_primaries(creator.get(), 680000, 320000, 265000, 690000, 150000,
                                                          60000, 312700, 329000);
    wp_image_description_creator_params_v1_set_luminances(creator.get(), 50, 1000, 203);
    wp_image_description_creator_params_v1_set_mastering_display_primaries(creator.get(), 708000, 292000, 170000,
                                                                           797000, 131000, 46000, 312700, 329000);
    wp_image_description_creator_params_v1_set_mastering_luminance(creator.get(), 10, 600);
    wp_image_description_creator_params_v1_set_max_cll(creator.get(), 2000);  // above the mastering max: fine at v2
    wp_image_description_creator_params_v1_set_max_fall(creator.get(), 400);
    auto first = ColorClient::create(std::move(creator));
    auto second = c.parametric();
    ASSERT_TRUE(first->ready2);
    ASSERT_TRUE(second->ready2);
    EXPECT_FALSE(first->ready);
    EXPECT_NE(*first->ready2, 0U);
    EXPECT_NE(*second->ready2, 0U);
    EXPECT_NE(*first->ready2, *second->ready2);

    const Records r = c.compositor->records();
    ASSERT_EQ(r.image_descriptions.size(), 2U);
    const ImageDescriptionRecord& record = r.image_descriptions[0];
    EXPECT_EQ(record.serial, *first->ready2);
    EXPECT_EQ(r.image_descriptions[1].serial, *second->ready2);
    EXPECT_EQ(record.version, 2U);
    EXPECT_EQ(record.tf_named, 0U);
    EXPECT_EQ(record.tf_power, 24000U);
    EXPECT_EQ(record.primaries_named, 0U);
    EXPECT_EQ(record.primaries,
              (std::array<int32_t, 8>{680000, 320000, 265000, 690000, 150000, 60000, 312700, 329000}));
    EXPECT_EQ(record.luminances, (std::array<uint32_t, 3>{50, 1000, 203}));
    EXPECT_EQ(record.mastering_primaries,
              (std::array<int32_t, 8>{708000, 292000, 170000, 797000, 131000, 46000, 312700, 329000}));
    EXPECT_EQ(record.mastering_luminance, (std::array<uint32_t, 2>{10, 600}));
    EXPECT_EQ(record.max_cll, 2000U);
    EXPECT_EQ(record.max_fall, 400U);
    EXPECT_TRUE(r.errors.empty());
}

TEST(CompositorImageDescription, RefusalWithMetadataFailsOnlyThoseWithMetadata)
{
    ColorManagementConfig cm;
    cm.refuse = ColorManagementConfig::Refuse::with_metadata;
    ColorClient c{cm};
    ASSERT_TRUE(c);
    auto plain = c.parametric(tf_st2084_pq, primaries_bt2020);

    Creator with_cll = c.creator();
    set_srgb(with_cll.get());
    wp_image_description_creator_params_v1_set_max_cll(with_cll.get(), 1000);
    auto refused_cll = ColorClient::create(std::move(with_cll));
    Creator with_mastering = c.creator();
    set_srgb(with_mastering.get());
    wp_image_description_creator_params_v1_set_mastering_luminance(with_mastering.get(), 50, 1000);
    auto refused_mastering = ColorClient::create(std::move(with_mastering));
    ASSERT_TRUE(c.client->roundtrip());

    EXPECT_TRUE(plain->ready2);
    for (const Description* refused : {refused_cll.get(), refused_mastering.get()}) {
        EXPECT_EQ(refused->failed_cause, WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED);
        EXPECT_FALSE(refused->failed_message.empty());
        EXPECT_FALSE(refused->ready2);
    }
    const Records r = c.compositor->records();
    ASSERT_EQ(r.image_descriptions.size(), 3U);
    EXPECT_TRUE(r.image_descriptions[0].ready);
    EXPECT_TRUE(r.image_descriptions[1].failed);
    EXPECT_FALSE(r.image_descriptions[1].ready);
    EXPECT_EQ(r.image_descriptions[1].failed_cause, WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED);
    EXPECT_EQ(r.image_descriptions[1].failed_message, refused_cll->failed_message);
    EXPECT_EQ(r.image_descriptions[1].max_cll, 1000U);
    EXPECT_TRUE(r.image_descriptions[2].failed);
    EXPECT_TRUE(r.errors.empty());
}

TEST(CompositorImageDescription, RefusalOfAllFailsEveryParametricButNotScrgb)
{
    ColorManagementConfig cm;
    cm.refuse = ColorManagementConfig::Refuse::all;
    cm.features.push_back(feature_windows_scrgb);
    ColorClient c{cm};
    ASSERT_TRUE(c);
    auto refused = c.parametric();
    auto scrgb = std::make_unique<Description>(wp_color_manager_v1_create_windows_scrgb(c.manager.get()));
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_EQ(refused->failed_cause, WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED);
    EXPECT_FALSE(refused->ready2);
    EXPECT_TRUE(scrgb->ready2);
    const Records r = c.compositor->records();
    ASSERT_EQ(r.image_descriptions.size(), 2U);
    EXPECT_TRUE(r.image_descriptions[0].failed);
    EXPECT_TRUE(r.image_descriptions[1].ready);
}

TEST(CompositorImageDescription, WindowsScrgbAndBt2100AreReadyPredefinedDescriptions)
{
    ColorManagementConfig cm = at_version(3);
    cm.features = {feature_windows_scrgb, feature_windows_bt2100};
    ColorClient c{cm};
    ASSERT_TRUE(c);
    auto scrgb = std::make_unique<Description>(wp_color_manager_v1_create_windows_scrgb(c.manager.get()));
    auto bt2100 = std::make_unique<Description>(wp_color_manager_v1_create_windows_bt2100(c.manager.get()));
    ASSERT_TRUE(c.client->roundtrip());
    ASSERT_TRUE(scrgb->ready2);
    ASSERT_TRUE(bt2100->ready2);
    EXPECT_NE(*scrgb->ready2, *bt2100->ready2);
    const Records r = c.compositor->records();
    ASSERT_EQ(r.image_descriptions.size(), 2U);
    EXPECT_EQ(r.image_descriptions[0].kind, ImageDescriptionKind::windows_scrgb);
    EXPECT_TRUE(r.image_descriptions[0].windows_scrgb);
    EXPECT_EQ(r.image_descriptions[0].tf_named, tf_ext_linear);
    EXPECT_EQ(r.image_descriptions[0].primaries_named, primaries_srgb);
    EXPECT_EQ(r.image_descriptions[1].kind, ImageDescriptionKind::windows_bt2100);
    EXPECT_FALSE(r.image_descriptions[1].windows_scrgb);
    EXPECT_EQ(r.image_descriptions[1].tf_named, tf_st2084_pq);
    EXPECT_EQ(r.image_descriptions[1].primaries_named, primaries_bt2020);
}

TEST(CompositorImageDescription, OutputDescriptionIsReadyAndGivesItsInformation)
{
    ColorClient c;
    ASSERT_TRUE(c);
    Output output{static_cast<wl_output*>(c.client->bind(&wl_output_interface, 4))};
    ASSERT_TRUE(output);
    ColorOutput color_output{wp_color_manager_v1_get_output(c.manager.get(), output.get())};
    Description description{wp_color_management_output_v1_get_image_description(color_output.get())};
    ASSERT_TRUE(c.client->roundtrip());
    ASSERT_TRUE(description.ready2);

    Information info{wp_image_description_v1_get_information(description.get())};
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_TRUE(info.done);
    EXPECT_EQ(info.events, (std::vector<std::string>{
                               "primaries 640000 330000 300000 600000 150000 60000 312700 329000",
                               "primaries_named 1",
                               "tf_named 2",
                               "luminances 2000 80 80",
                               "target_primaries 640000 330000 300000 600000 150000 60000 312700 329000",
                               "target_luminance 2000 80",
                           }));
    const Records r = c.compositor->records();
    ASSERT_EQ(r.image_descriptions.size(), 1U);
    EXPECT_EQ(r.image_descriptions[0].kind, ImageDescriptionKind::output);
    EXPECT_EQ(r.image_descriptions[0].tf_named, tf_gamma22);
    EXPECT_EQ(r.image_descriptions[0].primaries_named, primaries_srgb);
    EXPECT_TRUE(r.errors.empty());
}

TEST(CompositorImageDescription, PreferredIsReadyAtVersion1AndReady2Later)
{
    for (uint32_t version : {1U, 2U}) {
        ColorClient c{at_version(version)};
        ASSERT_TRUE(c);
        auto surface = c.surface();
        SurfaceFeedback feedback{wp_color_manager_v1_get_surface_feedback(c.manager.get(), surface.get())};
        Description preferred{wp_color_management_surface_feedback_v1_get_preferred(feedback.get())};
        Description parametric{wp_color_management_surface_feedback_v1_get_preferred_parametric(feedback.get())};
        ASSERT_TRUE(c.client->roundtrip());
        for (const Description* d : {&preferred, &parametric}) {
            EXPECT_EQ(d->ready.has_value(), version == 1) << "version " << version;
            EXPECT_EQ(d->ready2.has_value(), version == 2) << "version " << version;
        }
        Information info{wp_image_description_v1_get_information(preferred.get())};
        ASSERT_TRUE(c.client->roundtrip());
        EXPECT_TRUE(info.done);
        EXPECT_FALSE(info.events.empty());
        const Records r = c.compositor->records();
        ASSERT_EQ(r.image_descriptions.size(), 2U);
        EXPECT_EQ(r.image_descriptions[0].kind, ImageDescriptionKind::preferred);
        EXPECT_EQ(r.image_descriptions[0].version, version);
        EXPECT_TRUE(r.errors.empty());
    }
}

TEST(CompositorImageDescription, GetInformationOnParametricIsNoInformation)
{
    ColorClient c;
    ASSERT_TRUE(c);
    auto description = c.parametric();
    ASSERT_TRUE(description->ready2);
    Information info{wp_image_description_v1_get_information(description->get())};
    expect_protocol_error(c, "wp_image_description_v1", WP_IMAGE_DESCRIPTION_V1_ERROR_NO_INFORMATION);
    EXPECT_FALSE(info.done);
}

TEST(CompositorImageDescription, GetInformationOnAFailedDescriptionIsNotReady)
{
    ColorManagementConfig cm;
    cm.refuse = ColorManagementConfig::Refuse::all;
    ColorClient c{cm};
    ASSERT_TRUE(c);
    auto description = c.parametric();
    ASSERT_TRUE(description->failed_cause);
    Information info{wp_image_description_v1_get_information(description->get())};
    expect_protocol_error(c, "wp_image_description_v1", WP_IMAGE_DESCRIPTION_V1_ERROR_NOT_READY);
}

TEST(CompositorImageDescription, IccProfilesAreCheckedThenDeclined)
{
    ColorManagementConfig cm;
    cm.features = {feature_icc, feature_parametric};
    ColorClient c{cm};
    ASSERT_TRUE(c);
    UniqueFd profile = make_memfd(1024);
    ASSERT_TRUE(profile);
    IccCreator creator{wp_color_manager_v1_create_icc_creator(c.manager.get())};
    wp_image_description_creator_icc_v1_set_icc_file(creator.get(), profile.get(), 0, 1024);
    Description description{wp_image_description_creator_icc_v1_create(creator.release())};
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_EQ(description.failed_cause, WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED);
    EXPECT_FALSE(description.ready2);
    const Records r = c.compositor->records();
    ASSERT_EQ(r.image_descriptions.size(), 1U);
    EXPECT_EQ(r.image_descriptions[0].kind, ImageDescriptionKind::icc);
    EXPECT_TRUE(r.image_descriptions[0].failed);
    EXPECT_TRUE(r.errors.empty());
}

// --- protocol errors of the creators and the manager ----------------------------------------------------------

// Proxies a case made, kept until its error has come (an error on an object the client destroyed
// reaches it without the object), then destroyed client-side only.
using Held = std::vector<wl_proxy*>;
template <class T>
void hold(Held& held, T* proxy)
{
    held.push_back(reinterpret_cast<wl_proxy*>(proxy));
}

struct ErrorCase {
    const char* name;
    std::function<void(ColorManagementConfig&)> configure;  // from the default configuration
    uint32_t bind_version;
    std::function<void(wp_color_manager_v1*, Held&)> requests;  // the offending ones
    const char* interface;
    uint32_t code;
    // The error is on a creator that its create request destroyed: the client sees the code only.
    bool at_create = false;
};

void no_change(ColorManagementConfig&) {}
void parametric_only(ColorManagementConfig& cm) { cm.features = {feature_parametric}; }
void with_tf_power(ColorManagementConfig& cm) { cm.features.push_back(feature_set_tf_power); }
void with_icc(ColorManagementConfig& cm) { cm.features.push_back(feature_icc); }

// Runs `body` on a new parametric creator, then (with `create`) its create.
std::function<void(wp_color_manager_v1*, Held&)> on_creator(
    std::function<void(wp_image_description_creator_params_v1*)> body, bool create = false)
{
    return [body = std::move(body), create](wp_color_manager_v1* manager, Held& held) {
        auto* creator = wp_color_manager_v1_create_parametric_creator(manager);
        body(creator);
        if (create) {
            hold(held, wp_image_description_creator_params_v1_create(creator));
        } else {
            hold(held, creator);
        }
    };
}

std::function<void(wp_color_manager_v1*, Held&)> on_icc(std::function<void(wp_image_description_creator_icc_v1*)> body,
                                                         bool create = false)
{
    return [body = std::move(body), create](wp_color_manager_v1* manager, Held& held) {
        auto* creator = wp_color_manager_v1_create_icc_creator(manager);
        body(creator);
        if (create) {
            hold(held, wp_image_description_creator_icc_v1_create(creator));
        } else {
            hold(held, creator);
        }
    };
}

constexpr const char* params_interface = "wp_image_description_creator_params_v1";
constexpr const char* icc_interface = "wp_image_description_creator_icc_v1";
constexpr const char* manager_interface = "wp_color_manager_v1";
constexpr uint32_t incomplete_set = WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INCOMPLETE_SET;
constexpr uint32_t already_set = WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_ALREADY_SET;
constexpr uint32_t unsupported_feature = WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_UNSUPPORTED_FEATURE;
constexpr uint32_t invalid_tf = WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INVALID_TF;
constexpr uint32_t invalid_primaries_named = WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INVALID_PRIMARIES_NAMED;
constexpr uint32_t invalid_luminance = WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INVALID_LUMINANCE;

using P = wp_image_description_creator_params_v1*;

const ErrorCase error_cases[] = {
    // Features.
    {"TfPowerWithoutItsFeature", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_tf_power(p, 22000); }), params_interface,
     unsupported_feature},
    {"PrimariesWithoutTheirFeature", parametric_only, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_primaries(p, 1, 2, 3, 4, 5, 6, 7, 8); }),
     params_interface, unsupported_feature},
    {"LuminancesWithoutTheirFeature", parametric_only, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_luminances(p, 2000, 80, 80); }),
     params_interface, unsupported_feature},
    {"MasteringPrimariesWithoutTheirFeature", parametric_only, 2,
     on_creator([](P p) {
         wp_image_description_creator_params_v1_set_mastering_display_primaries(p, 1, 2, 3, 4, 5, 6, 7, 8);
     }),
     params_interface, unsupported_feature},
    {"MasteringLuminanceWithoutItsFeature", parametric_only, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_mastering_luminance(p, 50, 1000); }),
     params_interface, unsupported_feature},
    // Properties set twice.
    {"TfNamedTwice", no_change, 2,
     on_creator([](P p) {
         wp_image_description_creator_params_v1_set_tf_named(p, tf_gamma22);
         wp_image_description_creator_params_v1_set_tf_named(p, tf_bt1886);
     }),
     params_interface, already_set},
    {"TfPowerAfterTfNamed", with_tf_power, 2,
     on_creator([](P p) {
         wp_image_description_creator_params_v1_set_tf_named(p, tf_gamma22);
         wp_image_description_creator_params_v1_set_tf_power(p, 22000);
     }),
     params_interface, already_set},
    {"PrimariesAfterNamedPrimaries", no_change, 2,
     on_creator([](P p) {
         wp_image_description_creator_params_v1_set_primaries_named(p, primaries_srgb);
         wp_image_description_creator_params_v1_set_primaries(p, 1, 2, 3, 4, 5, 6, 7, 8);
     }),
     params_interface, already_set},
    {"LuminancesTwice", no_change, 2,
     on_creator([](P p) {
         wp_image_description_creator_params_v1_set_luminances(p, 2000, 80, 80);
         wp_image_description_creator_params_v1_set_luminances(p, 2000, 80, 80);
     }),
     params_interface, already_set},
    {"MaxCllTwice", no_change, 2,
     on_creator([](P p) {
         wp_image_description_creator_params_v1_set_max_cll(p, 1000);
         wp_image_description_creator_params_v1_set_max_cll(p, 1000);
     }),
     params_interface, already_set},
    // Values.
    {"TfNotAdvertised", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_tf_named(p, tf_gamma28); }), params_interface,
     invalid_tf},
    {"TfDeprecatedInTheBoundVersion", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_tf_named(p, tf_srgb); }), params_interface,
     invalid_tf},
    {"TfPowerBelowOne", with_tf_power, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_tf_power(p, 9999); }), params_interface,
     invalid_tf},
    {"TfPowerAboveTen", with_tf_power, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_tf_power(p, 100001); }), params_interface,
     invalid_tf},
    {"PrimariesNotAdvertised", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_primaries_named(p, primaries_adobe_rgb); }),
     params_interface, invalid_primaries_named},
    {"LuminanceMaxNotAboveMin", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_luminances(p, 800000, 80, 200); }),
     params_interface, invalid_luminance},
    {"LuminanceReferenceNotAboveMin", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_luminances(p, 800000, 200, 80); }),
     params_interface, invalid_luminance},
    {"MasteringLuminanceMaxNotAboveMin", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_mastering_luminance(p, 10000, 1); }),
     params_interface, invalid_luminance},
    // At create.
    {"CreateWithoutTf", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_primaries_named(p, primaries_srgb); }, true),
     params_interface, incomplete_set, true},
    {"CreateWithoutPrimaries", no_change, 2,
     on_creator([](P p) { wp_image_description_creator_params_v1_set_tf_named(p, tf_gamma22); }, true),
     params_interface, incomplete_set, true},
    {"CreateWithMaxFallAboveMaxCll", no_change, 2,
     on_creator(
         [](P p) {
             set_srgb(p);
             wp_image_description_creator_params_v1_set_max_cll(p, 400);
             wp_image_description_creator_params_v1_set_max_fall(p, 401);
         },
         true),
     params_interface, invalid_luminance, true},
    {"CreateAtVersion1WithMaxCllAboveTheMasteringMax", no_change, 1,
     on_creator(
         [](P p) {
             set_srgb(p);
             wp_image_description_creator_params_v1_set_mastering_luminance(p, 50, 1000);
             wp_image_description_creator_params_v1_set_max_cll(p, 1001);
         },
         true),
     params_interface, invalid_luminance, true},
    {"CreateAtVersion1WithMaxFallAtTheMasteringMin", no_change, 1,
     on_creator(
         [](P p) {
             set_srgb(p);
             wp_image_description_creator_params_v1_set_mastering_luminance(p, 10000, 1000);
             wp_image_description_creator_params_v1_set_max_fall(p, 1);
         },
         true),
     params_interface, invalid_luminance, true},
    // ICC creators.
    {"IccFileOfNoBytes", with_icc, 2,
     on_icc([](wp_image_description_creator_icc_v1* icc) {
         UniqueFd fd = make_memfd(64);
         wp_image_description_creator_icc_v1_set_icc_file(icc, fd.get(), 0, 0);
     }),
     icc_interface, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_BAD_SIZE},
    {"IccFileRunningPastItsEnd", with_icc, 2,
     on_icc([](wp_image_description_creator_icc_v1* icc) {
         UniqueFd fd = make_memfd(64);
         wp_image_description_creator_icc_v1_set_icc_file(icc, fd.get(), 32, 33);
     }),
     icc_interface, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_OUT_OF_FILE},
    {"IccFileNotSeekable", with_icc, 2,
     on_icc([](wp_image_description_creator_icc_v1* icc) {
         int fds[2] = {-1, -1};
         ASSERT_EQ(pipe(fds), 0);
         const UniqueFd read_end{fds[0]};
         const UniqueFd write_end{fds[1]};
         wp_image_description_creator_icc_v1_set_icc_file(icc, read_end.get(), 0, 16);
     }),
     icc_interface, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_BAD_FD},
    {"IccFileTwice", with_icc, 2,
     on_icc([](wp_image_description_creator_icc_v1* icc) {
         UniqueFd fd = make_memfd(64);
         wp_image_description_creator_icc_v1_set_icc_file(icc, fd.get(), 0, 64);
         wp_image_description_creator_icc_v1_set_icc_file(icc, fd.get(), 0, 64);
     }),
     icc_interface, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_ALREADY_SET},
    {"IccCreateWithoutAFile", with_icc, 2, on_icc([](wp_image_description_creator_icc_v1*) {}, true), icc_interface,
     WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_INCOMPLETE_SET, true},
    // The manager.
    {"ParametricCreatorWithoutItsFeature", [](ColorManagementConfig& cm) { cm.features = {feature_windows_scrgb}; },
     2,
     [](wp_color_manager_v1* m, Held& held) { hold(held, wp_color_manager_v1_create_parametric_creator(m)); },
     manager_interface, WP_COLOR_MANAGER_V1_ERROR_UNSUPPORTED_FEATURE},
    {"IccCreatorWithoutItsFeature", no_change, 2,
     [](wp_color_manager_v1* m, Held& held) { hold(held, wp_color_manager_v1_create_icc_creator(m)); },
     manager_interface, WP_COLOR_MANAGER_V1_ERROR_UNSUPPORTED_FEATURE},
    {"WindowsScrgbWithoutItsFeature", no_change, 2,
     [](wp_color_manager_v1* m, Held& held) { hold(held, wp_color_manager_v1_create_windows_scrgb(m)); },
     manager_interface, WP_COLOR_MANAGER_V1_ERROR_UNSUPPORTED_FEATURE},
    {"WindowsBt2100WithoutItsFeature", [](ColorManagementConfig& cm) { cm.version = 3; }, 3,
     [](wp_color_manager_v1* m, Held& held) { hold(held, wp_color_manager_v1_create_windows_bt2100(m)); },
     manager_interface, WP_COLOR_MANAGER_V1_ERROR_UNSUPPORTED_FEATURE},
};

class CompositorColorManagementErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(CompositorColorManagementErrors, RaisedAndRecorded)
{
    const ErrorCase& error = GetParam();
    ColorManagementConfig cm;
    cm.version = std::max(cm.version, error.bind_version);
    error.configure(cm);
    ColorClient c{cm, error.bind_version};
    ASSERT_TRUE(c);
    ASSERT_EQ(wl_proxy_get_version(reinterpret_cast<wl_proxy*>(c.manager.get())), error.bind_version);
    Held held;
    error.requests(c.manager.get(), held);
    if (error.at_create) {
        EXPECT_FALSE(c.client->roundtrip());
        const wl_interface* interface = nullptr;
        uint32_t id = 1;
        EXPECT_EQ(wl_display_get_protocol_error(c.client->display(), &interface, &id), error.code);
        EXPECT_EQ(interface, nullptr);
        EXPECT_EQ(id, 0U);
        const Records records = c.compositor->records();
        ASSERT_EQ(records.errors.size(), 1U);
        EXPECT_EQ(records.errors[0].interface, error.interface);
        EXPECT_EQ(records.errors[0].code, error.code);
    } else {
        expect_protocol_error(c, error.interface, error.code);
    }
    EXPECT_TRUE(c.compositor->records().image_descriptions.empty());
    for (wl_proxy* proxy : held) {
        wl_proxy_destroy(proxy);
    }
}

INSTANTIATE_TEST_SUITE_P(Protocol, CompositorColorManagementErrors, testing::ValuesIn(error_cases),
                         [](const testing::TestParamInfo<ErrorCase>& p) { return std::string{p.param.name}; });

TEST(CompositorImageDescription, Version2AcceptsContentLightLevelsOutsideTheMasteringRange)
{
    ColorClient c;
    ASSERT_TRUE(c);
    Creator creator = c.creator();
    set_srgb(creator.get());
    wp_image_description_creator_params_v1_set_mastering_luminance(creator.get(), 10000, 1000);
    wp_image_description_creator_params_v1_set_max_cll(creator.get(), 4000);
    wp_image_description_creator_params_v1_set_max_fall(creator.get(), 1);
    auto description = ColorClient::create(std::move(creator));
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_TRUE(description->ready2);
    EXPECT_TRUE(c.compositor->records().errors.empty());
}

// --- wp_color_management_surface_v1 ------------------------------------------------------------------------

// The last commit's image description and intent.
std::optional<ImageDescriptionRecord> committed(const ColorClient& c, uint32_t* intent = nullptr)
{
    const Records r = c.compositor->records();
    if (r.commits.empty()) {
        ADD_FAILURE() << "no commit";
        return std::nullopt;
    }
    if (intent) {
        *intent = r.commits.back().render_intent;
    }
    return r.commits.back().image_description;
}

TEST(CompositorColorManagementSurface, ImageDescriptionAndIntentApplyAtTheCommit)
{
    ColorManagementConfig cm;
    cm.intents = {intent_perceptual, intent_relative};
    ColorClient c{cm};
    ASSERT_TRUE(c);
    auto surface = c.surface();
    ColorSurface color = c.color_surface(surface.get());
    auto description = c.parametric(tf_st2084_pq, primaries_bt2020);
    wl_surface_commit(surface.get());
    wp_color_management_surface_v1_set_image_description(color.get(), description->get(), intent_relative);
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_FALSE(committed(c));  // set, not committed

    wl_surface_commit(surface.get());
    wl_surface_commit(surface.get());  // the state stays
    ASSERT_TRUE(c.client->roundtrip());
    const Records r = c.compositor->records();
    ASSERT_EQ(r.commits.size(), 3U);
    EXPECT_FALSE(r.commits[0].image_description);
    for (size_t i = 1; i < 3; ++i) {
        ASSERT_TRUE(r.commits[i].image_description) << i;
        EXPECT_EQ(*r.commits[i].image_description, r.image_descriptions[0]);
        EXPECT_EQ(r.commits[i].image_description->tf_named, tf_st2084_pq);
        EXPECT_EQ(r.commits[i].render_intent, intent_relative);
    }
    EXPECT_TRUE(r.errors.empty());
}

TEST(CompositorColorManagementSurface, DestroyingTheDescriptionAfterSetKeepsThePendingState)
{
    ColorClient c;
    ASSERT_TRUE(c);
    auto surface = c.surface();
    ColorSurface color = c.color_surface(surface.get());
    auto description = c.parametric(tf_hlg, primaries_bt2020);
    wp_color_management_surface_v1_set_image_description(color.get(), description->get(), intent_perceptual);
    description.reset();
    ASSERT_TRUE(c.client->roundtrip());
    wl_surface_commit(surface.get());
    ASSERT_TRUE(c.client->roundtrip());
    const auto applied = committed(c);
    ASSERT_TRUE(applied);
    EXPECT_EQ(applied->tf_named, tf_hlg);
    EXPECT_EQ(applied->serial, 1U);
}

TEST(CompositorColorManagementSurface, UnsetAndDestroyingTheColorSurfaceClearAtTheNextCommit)
{
    ColorClient c;
    ASSERT_TRUE(c);
    auto surface = c.surface();
    ColorSurface color = c.color_surface(surface.get());
    auto description = c.parametric();
    wp_color_management_surface_v1_set_image_description(color.get(), description->get(), intent_perceptual);
    wl_surface_commit(surface.get());
    wp_color_management_surface_v1_unset_image_description(color.get());
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_TRUE(committed(c));  // unset, not committed
    wl_surface_commit(surface.get());
    ASSERT_TRUE(c.client->roundtrip());
    uint32_t intent = 99;
    EXPECT_FALSE(committed(c, &intent));
    EXPECT_EQ(intent, 0U);

    wp_color_management_surface_v1_set_image_description(color.get(), description->get(), intent_perceptual);
    wl_surface_commit(surface.get());
    color.reset();
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_TRUE(committed(c));
    wl_surface_commit(surface.get());
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_FALSE(committed(c));

    color = c.color_surface(surface.get());  // a new one may be made once the old is gone
    ASSERT_TRUE(c.client->roundtrip());
    EXPECT_TRUE(c.compositor->records().errors.empty());
}

TEST(CompositorColorManagementSurface, SecondColorSurfaceIsSurfaceExists)
{
    ColorClient c;
    ASSERT_TRUE(c);
    auto surface = c.surface();
    ColorSurface first = c.color_surface(surface.get());
    ColorSurface second = c.color_surface(surface.get());
    expect_protocol_error(c, manager_interface, WP_COLOR_MANAGER_V1_ERROR_SURFACE_EXISTS);
}

TEST(CompositorColorManagementSurface, FailedDescriptionIsTheImageDescriptionError)
{
    ColorManagementConfig cm;
    cm.refuse = ColorManagementConfig::Refuse::all;
    ColorClient c{cm};
    ASSERT_TRUE(c);
    auto surface = c.surface();
    ColorSurface color = c.color_surface(surface.get());
    auto description = c.parametric();
    ASSERT_TRUE(description->failed_cause);
    wp_color_management_surface_v1_set_image_description(color.get(), description->get(), intent_perceptual);
    expect_protocol_error(c, "wp_color_management_surface_v1", WP_COLOR_MANAGEMENT_SURFACE_V1_ERROR_IMAGE_DESCRIPTION);
}

TEST(CompositorColorManagementSurface, UnadvertisedIntentIsTheRenderIntentError)
{
    // Configured, but absolute_no_adaptation is not in version 1.
    for (const auto& [intent, version] :
         {std::pair{intent_relative, 2U}, std::pair{intent_absolute_no_adaptation, 1U}}) {
        ColorManagementConfig cm = at_version(version);
        cm.intents = {intent_perceptual, intent_absolute_no_adaptation};
        ColorClient c{cm};
        ASSERT_TRUE(c);
        auto surface = c.surface();
        ColorSurface color = c.color_surface(surface.get());
        auto description = c.parametric();
        wp_color_management_surface_v1_set_image_description(color.get(), description->get(), intent);
        expect_protocol_error(c, "wp_color_management_surface_v1", WP_COLOR_MANAGEMENT_SURFACE_V1_ERROR_RENDER_INTENT);
    }
}

TEST(CompositorColorManagementSurface, InertOnceTheSurfaceIsGone)
{
    for (bool unset : {false, true}) {
        ColorClient c;
        ASSERT_TRUE(c);
        auto surface = c.surface();
        ColorSurface color = c.color_surface(surface.get());
        auto description = c.parametric();
        surface.reset();
        ASSERT_TRUE(c.client->roundtrip());
        if (unset) {
            wp_color_management_surface_v1_unset_image_description(color.get());
        } else {
            wp_color_management_surface_v1_set_image_description(color.get(), description->get(), intent_perceptual);
        }
        expect_protocol_error(c, "wp_color_management_surface_v1", WP_COLOR_MANAGEMENT_SURFACE_V1_ERROR_INERT);
    }
}

TEST(CompositorColorManagementSurface, FeedbackInertOnceTheSurfaceIsGoneAndParametricNeedsItsFeature)
{
    {
        ColorClient c;
        ASSERT_TRUE(c);
        auto surface = c.surface();
        SurfaceFeedback feedback{wp_color_manager_v1_get_surface_feedback(c.manager.get(), surface.get())};
        surface.reset();
        ASSERT_TRUE(c.client->roundtrip());
        Description preferred{wp_color_management_surface_feedback_v1_get_preferred(feedback.get())};
        expect_protocol_error(c, "wp_color_management_surface_feedback_v1",
                              WP_COLOR_MANAGEMENT_SURFACE_FEEDBACK_V1_ERROR_INERT);
    }
    ColorManagementConfig cm;
    cm.features = {feature_windows_scrgb};
    ColorClient c{cm};
    ASSERT_TRUE(c);
    auto surface = c.surface();
    SurfaceFeedback feedback{wp_color_manager_v1_get_surface_feedback(c.manager.get(), surface.get())};
    Description preferred{wp_color_management_surface_feedback_v1_get_preferred_parametric(feedback.get())};
    expect_protocol_error(c, "wp_color_management_surface_feedback_v1",
                          WP_COLOR_MANAGEMENT_SURFACE_FEEDBACK_V1_ERROR_UNSUPPORTED_FEATURE);
}

}  // namespace
}  // namespace dmafeed::test

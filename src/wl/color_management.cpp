#include "wl/color_management.hpp"

#include "color-management-v1-client-protocol.h"
#include "wl/listener.hpp"

#include <algorithm>
#include <iterator>
#include <wayland-client.h>

namespace dmafeed::wl {
namespace {

using Clock = std::chrono::steady_clock;

// Indexed by the enums' values (0 is not a value of either).
constexpr const char* tf_names[] = {"?",     "bt1886", "gamma22", "gamma28",   "st240", "ext_linear", "log_100", "log_316",
                                    "xvycc", "srgb",   "ext_srgb", "st2084_pq", "st428", "hlg",        "compound_power_2_4"};
constexpr const char* primaries_names[] = {"?",   "srgb",        "pal_m",  "pal",        "ntsc",     "generic_film",
                                           "bt2020", "cie1931_xyz", "dci_p3", "display_p3", "adobe_rgb"};
constexpr const char* feature_names[] = {"icc_v2_v4",       "parametric",     "set_primaries",
                                         "set_tf_power",    "set_luminances", "set_mastering_display_primaries",
                                         "extended_target_volume", "windows_scrgb", "windows_bt2100"};
constexpr const char* intent_names[] = {"perceptual", "relative", "saturation", "absolute", "relative_bpc", "absolute_no_adaptation"};
static_assert(std::size(tf_names) == WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_COMPOUND_POWER_2_4 + 1);
static_assert(std::size(primaries_names) == WP_COLOR_MANAGER_V1_PRIMARIES_ADOBE_RGB + 1);
static_assert(std::size(feature_names) == WP_COLOR_MANAGER_V1_FEATURE_WINDOWS_BT2100 + 1);

template <size_t N>
std::string enum_name(const char* const (&names)[N], uint32_t value)
{
    return value < N && value != 0 ? names[value] : std::to_string(value);
}

bool contains(const std::vector<uint32_t>& v, uint32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Where one description's answer lands (listener data: lives on the waiting function's stack
// until the proxy is handed over or destroyed).
struct Answer {
    bool done = false;
    bool ready = false;
    uint64_t identity = 0;
    uint32_t cause = 0;
    std::string message;
    void handle_failed(uint32_t c, const char* msg) noexcept
    {
        done = true;
        cause = c;
        try {
            message = msg ? msg : "";
        } catch (...) {
        }
    }
    void handle_ready(uint32_t id) noexcept
    {
        done = ready = true;
        identity = id;
    }
    void handle_ready2(uint32_t hi, uint32_t lo) noexcept
    {
        done = ready = true;
        identity = (uint64_t{hi} << 32) | lo;
    }
};

// The supported_* events that follow the bind, each value kept once.
constexpr wp_color_manager_v1_listener manager_listener{.supported_intent = on<&ColorManager::handle_intent>,
                                                        .supported_feature = on<&ColorManager::handle_feature>,
                                                        .supported_tf_named = on<&ColorManager::handle_tf>,
                                                        .supported_primaries_named = on<&ColorManager::handle_primaries>,
                                                        .done = ignore};

void add_once(std::vector<uint32_t>& values, uint32_t v) noexcept
{
    if (contains(values, v)) return;
    try {
        values.push_back(v);
    } catch (...) {
    }
}

constexpr wp_image_description_v1_listener answer_listener{
    .failed = on<&Answer::handle_failed>, .ready = on<&Answer::handle_ready>, .ready2 = on<&Answer::handle_ready2>};

}  // namespace

void destroy_image_description(wp_image_description_v1* p) { wp_image_description_v1_destroy(p); }
void destroy_color_manager(wp_color_manager_v1* p) { wp_color_manager_v1_destroy(p); }

std::unique_ptr<ColorManager> ColorManager::bind(Registry& registry)
{
    void* proxy = registry.bind_optional(wp_color_manager_v1_interface, 1, 3);
    if (!proxy) return nullptr;
    std::unique_ptr<ColorManager> m{new ColorManager};
    m->proxy_.reset(static_cast<wp_color_manager_v1*>(proxy));
    m->support_.version = wl_proxy_get_version(static_cast<wl_proxy*>(proxy));
    wp_color_manager_v1_add_listener(m->proxy_.get(), &manager_listener, m.get());
    return m;
}

void ColorManager::handle_intent(uint32_t intent) noexcept { add_once(support_.intents, intent); }
void ColorManager::handle_feature(uint32_t feature) noexcept { add_once(support_.features, feature); }
void ColorManager::handle_tf(uint32_t tf) noexcept { add_once(support_.tf_named, tf); }
void ColorManager::handle_primaries(uint32_t primaries) noexcept { add_once(support_.primaries_named, primaries); }

std::string tf_enum_name(uint32_t value) { return enum_name(tf_names, value); }
std::string primaries_enum_name(uint32_t value) { return enum_name(primaries_names, value); }
std::string feature_enum_name(uint32_t value)
{
    return value < std::size(feature_names) ? feature_names[value] : std::to_string(value);
}

std::string intent_enum_name(uint32_t value)
{
    return value < std::size(intent_names) ? intent_names[value] : std::to_string(value);
}

bool ColorManagerSupport::has_intent(uint32_t v) const noexcept { return contains(intents, v); }
bool ColorManagerSupport::has_feature(uint32_t v) const noexcept { return contains(features, v); }
bool ColorManagerSupport::has_tf(uint32_t v) const noexcept { return contains(tf_named, v); }
bool ColorManagerSupport::has_primaries(uint32_t v) const noexcept { return contains(primaries_named, v); }

std::string ColorManagerSupport::describe() const
{
    auto list = [](const std::vector<uint32_t>& values, std::string (*name)(uint32_t)) {
        std::string s;
        for (uint32_t v : values) s += (s.empty() ? "" : ", ") + name(v);
        return s.empty() ? std::string{"none"} : s;
    };
    return "intents " + list(intents, intent_enum_name) + "; features " + list(features, feature_enum_name) + "; tf " + list(tf_named, tf_enum_name) + "; primaries " +
           list(primaries_named, primaries_enum_name);
}

Result<ImageDescriptionOutcome> create_parametric_description(Connection& connection, wp_color_manager_v1* manager,
                                                              const ParametricDescription& d,
                                                              std::chrono::milliseconds timeout)
{
    wp_image_description_creator_params_v1* creator = wp_color_manager_v1_create_parametric_creator(manager);
    if (!creator) return Error{"wp_color_manager_v1.create_parametric_creator: out of memory"};
    wp_image_description_creator_params_v1_set_tf_named(creator, d.tf_named);
    wp_image_description_creator_params_v1_set_primaries_named(creator, d.primaries_named);
    if (const auto& p = d.mastering_primaries) {
        wp_image_description_creator_params_v1_set_mastering_display_primaries(creator, (*p)[0], (*p)[1], (*p)[2], (*p)[3],
                                                                              (*p)[4], (*p)[5], (*p)[6], (*p)[7]);
    }
    if (const auto& l = d.mastering_luminance) wp_image_description_creator_params_v1_set_mastering_luminance(creator, (*l)[0], (*l)[1]);
    if (d.max_cll) wp_image_description_creator_params_v1_set_max_cll(creator, d.max_cll);
    if (d.max_fall) wp_image_description_creator_params_v1_set_max_fall(creator, d.max_fall);

    ImageDescriptionOutcome out;
    out.ready.reset(wp_image_description_creator_params_v1_create(creator));  // destroys the creator
    if (!out.ready) return Error{"wp_image_description_creator_params_v1.create: out of memory"};
    Answer answer;
    wp_image_description_v1_add_listener(out.ready.get(), &answer_listener, &answer);
    const auto deadline = Clock::now() + timeout;
    while (!answer.done) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return Error{"the compositor answered an image description with neither ready nor failed within " +
                         std::to_string(timeout.count()) + " ms"};
        }
        if (auto r = connection.dispatch(left); !r) return std::move(r).error().context("waiting for an image description");
    }
    // The listener's data dies here: the proxy gets no more events (ready and failed are its last).
    wl_proxy_set_user_data(reinterpret_cast<wl_proxy*>(out.ready.get()), nullptr);
    if (!answer.ready) {
        out.ready.reset();
        out.failed_cause = answer.cause;
        out.failed_message = std::move(answer.message);
        return out;
    }
    out.identity = answer.identity;
    return out;
}

}  // namespace dmafeed::wl

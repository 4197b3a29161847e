// wp_color_manager_v1 from the client's side: what the compositor supports (collected by Globals
// from the events that follow the bind), and parametric image descriptions made and waited for.
// A description is either ready (its proxy, to set on a surface with Window::set_image_description
// and destroy at once: the surface keeps a copy) or failed with the compositor's cause and words;
// protocol units throughout (chromaticities x 1,000,000, minimum luminances x 10,000).
#pragma once

#include "util/result.hpp"
#include "wl/connection.hpp"
#include "wl/proxy.hpp"
#include "wl/registry.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct wp_color_manager_v1;
struct wp_image_description_v1;

namespace dmafeed::wl {

void destroy_image_description(wp_image_description_v1* p);
void destroy_color_manager(wp_color_manager_v1* p);

// The bind's supported_* events, in the order they came (enum values of wp_color_manager_v1).
struct ColorManagerSupport {
    uint32_t version = 0;  // 0: not offered
    std::vector<uint32_t> intents, features, tf_named, primaries_named;
    bool has_intent(uint32_t v) const noexcept;
    bool has_feature(uint32_t v) const noexcept;
    bool has_tf(uint32_t v) const noexcept;
    bool has_primaries(uint32_t v) const noexcept;
    // "parametric, set_mastering_display_primaries; tf gamma22, st2084_pq; primaries srgb, bt2020"
    std::string describe() const;
};

// The bound global (v1-v3: v2's ready2 is handled, nothing of v3 is used) and what it supports,
// which arrives with the next roundtrip after bind().
class ColorManager {
public:
    // Null where the compositor does not offer wp_color_manager_v1.
    static std::unique_ptr<ColorManager> bind(Registry& registry);
    ColorManager(const ColorManager&) = delete;
    ColorManager& operator=(const ColorManager&) = delete;
    ~ColorManager() = default;

    wp_color_manager_v1* get() const noexcept { return proxy_.get(); }
    const ColorManagerSupport& support() const noexcept { return support_; }

    void handle_intent(uint32_t intent) noexcept;
    void handle_feature(uint32_t feature) noexcept;
    void handle_tf(uint32_t tf) noexcept;
    void handle_primaries(uint32_t primaries) noexcept;

private:
    ColorManager() = default;
    ProxyPtr<wp_color_manager_v1, destroy_color_manager> proxy_;
    ColorManagerSupport support_;
};

// wp_color_manager_v1.transfer_function / .primaries / .feature values as the protocol names them.
std::string tf_enum_name(uint32_t value);
std::string primaries_enum_name(uint32_t value);
std::string feature_enum_name(uint32_t value);
std::string intent_enum_name(uint32_t value);  // wp_color_manager_v1.render_intent

struct ParametricDescription {
    uint32_t tf_named = 0;         // wp_color_manager_v1.transfer_function
    uint32_t primaries_named = 0;  // wp_color_manager_v1.primaries
    std::optional<std::array<int32_t, 8>> mastering_primaries;   // r, g, b, white; x and y x 1M
    std::optional<std::array<uint32_t, 2>> mastering_luminance;  // min x 10000, max
    uint32_t max_cll = 0;  // 0: not sent
    uint32_t max_fall = 0;
    bool has_metadata() const noexcept { return mastering_primaries || mastering_luminance || max_cll || max_fall; }
};

struct ImageDescriptionOutcome {
    ProxyPtr<wp_image_description_v1, destroy_image_description> ready;  // null: failed
    uint64_t identity = 0;        // ready's (ready2: 64 bits)
    uint32_t failed_cause = 0;    // wp_image_description_v1.cause
    std::string failed_message;
};

// create_parametric_creator, the set requests `description` has, create; then dispatches until
// ready or failed. An error when the compositor answers neither within `timeout`, or the
// connection breaks (a protocol error among them).
Result<ImageDescriptionOutcome> create_parametric_description(Connection& connection, wp_color_manager_v1* manager,
                                                              const ParametricDescription& description,
                                                              std::chrono::milliseconds timeout);

}  // namespace dmafeed::wl

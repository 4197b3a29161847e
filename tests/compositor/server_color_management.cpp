// wp_color_manager_v1 (Config::color_management): the supported intents, features, named transfer
// functions and named primaries on bind (what the bound version has; see ColorManagementConfig);
// parametric and ICC creators with the protocol's checks; Windows-scRGB and Windows-BT.2100
// descriptions; the output's and the preferred image description (both the same sRGB display:
// gamma 2.2, sRGB primaries, the sRGB default luminances), whose information is given; one
// color-management surface per wl_surface, whose image description and intent are double-buffered
// state that the commit records (a copy: destroying the description changes nothing).
//
// Every wp_image_description_v1 answers at once: ready (version 1) or ready2 (version 2 and later)
// with its serial as identity (never reused), or failed. ICC profiles are never read: a complete
// ICC creator gives a description that fails with cause `unsupported`.
#include "server.hpp"

#include "color-management-v1-server-protocol.h"
#include "util/log.hpp"

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>
#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

const ColorManagementConfig& cm_config(const Server* server) { return *server->config.color_management; }

bool contains(const std::vector<uint32_t>& values, uint32_t value)
{
    return std::find(values.begin(), values.end(), value) != values.end();
}

uint32_t version_of(wl_resource* resource) { return static_cast<uint32_t>(wl_resource_get_version(resource)); }

// Whether the bound version has an enum entry: entries added later and entries deprecated in it are
// neither advertised nor accepted.
bool intent_in_version(uint32_t intent, uint32_t version)
{
    return intent != WP_COLOR_MANAGER_V1_RENDER_INTENT_ABSOLUTE_NO_ADAPTATION ||
           version >= WP_COLOR_MANAGER_V1_RENDER_INTENT_ABSOLUTE_NO_ADAPTATION_SINCE_VERSION;
}

bool feature_in_version(uint32_t feature, uint32_t version)
{
    // create_windows_bt2100 is a version 3 request: below it, the feature means nothing.
    return feature != WP_COLOR_MANAGER_V1_FEATURE_WINDOWS_BT2100 ||
           version >= WP_COLOR_MANAGER_V1_CREATE_WINDOWS_BT2100_SINCE_VERSION;
}

bool tf_in_version(uint32_t tf, uint32_t version)
{
    if (tf == WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_SRGB || tf == WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_EXT_SRGB) {
        return version < 2;  // deprecated since version 2
    }
    return tf != WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_COMPOUND_POWER_2_4 ||
           version >= WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_COMPOUND_POWER_2_4_SINCE_VERSION;
}

bool supports_intent(const Server* server, uint32_t version, uint32_t intent)
{
    return contains(cm_config(server).intents, intent) && intent_in_version(intent, version);
}

bool supports_feature(const Server* server, uint32_t version, uint32_t feature)
{
    return contains(cm_config(server).features, feature) && feature_in_version(feature, version);
}

bool supports_tf(const Server* server, uint32_t version, uint32_t tf)
{
    return contains(cm_config(server).tf_named, tf) && tf_in_version(tf, version);
}

// --- wp_image_description_v1 ---------------------------------------------------------------------------

struct ImageDescription {
    Server* server = nullptr;
    ImageDescriptionRecord record;
    bool information = false;  // get_information allowed (the output's and preferred descriptions)
};

ImageDescription* description_of(wl_resource* resource)
{
    return static_cast<ImageDescription*>(wl_resource_get_user_data(resource));
}

// The compositor's own display: gamma 2.2 with sRGB primaries and the sRGB default luminances.
ImageDescriptionRecord srgb_display(ImageDescriptionKind kind)
{
    return ImageDescriptionRecord{
        .kind = kind,
        .tf_named = WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_GAMMA22,
        .primaries_named = WP_COLOR_MANAGER_V1_PRIMARIES_SRGB,
    };
}

// What wp_image_description_info_v1 says of srgb_display(): the BT.709 primaries and D65 white
// (x 1M), 0.2 to 80 cd/m² with reference white at 80 (the sRGB defaults of set_luminances), and the
// same as the target volume.
void send_srgb_display_information(wl_resource* info)
{
    constexpr std::array<int32_t, 8> primaries{640000, 330000, 300000, 600000, 150000, 60000, 312700, 329000};
    const auto [rx, ry, gx, gy, bx, by, wx, wy] = primaries;
    wp_image_description_info_v1_send_primaries(info, rx, ry, gx, gy, bx, by, wx, wy);
    wp_image_description_info_v1_send_primaries_named(info, WP_COLOR_MANAGER_V1_PRIMARIES_SRGB);
    wp_image_description_info_v1_send_tf_named(info, WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_GAMMA22);
    wp_image_description_info_v1_send_luminances(info, 2000, 80, 80);
    wp_image_description_info_v1_send_target_primaries(info, rx, ry, gx, gy, bx, by, wx, wy);
    wp_image_description_info_v1_send_target_luminance(info, 2000, 80);
    wp_image_description_info_v1_send_done(info);
}

void description_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void description_destroyed(wl_resource* resource) noexcept { delete description_of(resource); }

void description_get_information(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    ImageDescription* description = description_of(resource);
    if (!description->record.ready) {
        description->server->post_error(resource, WP_IMAGE_DESCRIPTION_V1_ERROR_NOT_READY,
                                        "the image description is not ready");
        return;
    }
    if (!description->information) {
        description->server->post_error(resource, WP_IMAGE_DESCRIPTION_V1_ERROR_NO_INFORMATION,
                                        "this image description does not allow get_information");
        return;
    }
    wl_resource* info = wl_resource_create(client, &wp_image_description_info_v1_interface,
                                           wl_resource_get_version(resource), id);
    if (!info) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(info, nullptr, nullptr, nullptr);
    send_srgb_display_information(info);
    wl_resource_destroy(info);  // done is its destructor
}

const struct wp_image_description_v1_interface description_impl{
    .destroy = description_destroy,
    .get_information = description_get_information,
};

struct Failure {
    uint32_t cause;
    std::string message;
};

// Makes the wp_image_description_v1 `id` at `version` for `record` (its kind and contents filled
// in), records it and answers: failed with `failure`, else ready or ready2 with its serial.
void make_description(Server* server, wl_client* client, uint32_t version, uint32_t id,
                      ImageDescriptionRecord record, bool information, std::optional<Failure> failure = {})
{
    wl_resource* res = wl_resource_create(client, &wp_image_description_v1_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    record.serial = server->next_image_description++;
    record.client = server->client_serial(client);
    record.version = version;
    record.windows_scrgb = record.kind == ImageDescriptionKind::windows_scrgb;
    if (failure) {
        record.failed = true;
        record.failed_cause = failure->cause;
        record.failed_message = failure->message;
    } else {
        record.ready = true;
    }
    auto* description = new ImageDescription{server, record, information};
    wl_resource_set_implementation(res, &description_impl, description, description_destroyed);
    server->records.update([&](Records& r) { r.image_descriptions.push_back(record); });
    if (failure) {
        wp_image_description_v1_send_failed(res, failure->cause, failure->message.c_str());
    } else if (version >= WP_IMAGE_DESCRIPTION_V1_READY2_SINCE_VERSION) {
        wp_image_description_v1_send_ready2(res, static_cast<uint32_t>(record.serial >> 32U),
                                            static_cast<uint32_t>(record.serial & 0xffffffffU));
    } else {
        wp_image_description_v1_send_ready(res, static_cast<uint32_t>(record.serial));
    }
}

// --- wp_image_description_creator_params_v1 ---------------------------------------------------------------

struct ParamsCreator {
    Server* server = nullptr;
    ImageDescriptionRecord record;  // what has been set so far
};

ParamsCreator* creator_of(wl_resource* resource)
{
    return static_cast<ParamsCreator*>(wl_resource_get_user_data(resource));
}

void creator_destroyed(wl_resource* resource) noexcept { delete creator_of(resource); }

// False (and the error posted) unless the compositor advertised `feature` to this client.
bool check_feature(wl_resource* resource, uint32_t feature, const char* request)
{
    ParamsCreator* creator = creator_of(resource);
    if (supports_feature(creator->server, version_of(resource), feature)) return true;
    creator->server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_UNSUPPORTED_FEATURE,
                                log::format("%s needs a feature the compositor did not advertise", request));
    return false;
}

// False (and already_set posted) when the property is set.
bool check_unset(wl_resource* resource, bool set, const char* property)
{
    if (!set) return true;
    creator_of(resource)->server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_ALREADY_SET,
                                             log::format("%s already set", property));
    return false;
}

void invalid_luminance(wl_resource* resource, const std::string& message)
{
    creator_of(resource)->server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INVALID_LUMINANCE,
                                             message);
}

bool tf_set(const ImageDescriptionRecord& r) { return r.tf_named != 0 || r.tf_power != 0; }
bool primaries_set(const ImageDescriptionRecord& r) { return r.primaries_named != 0 || r.primaries.has_value(); }

// The luminance range (cd/m²) of the target color volume: the mastering luminance, else the primary
// color volume's (set_luminances, where st2084_pq's maximum is the minimum + 10000), else the
// transfer function's defaults (sRGB's where it implies none).
std::pair<double, double> target_luminance(const ImageDescriptionRecord& r)
{
    if (r.mastering_luminance) {
        return {(*r.mastering_luminance)[0] / 10000.0, (*r.mastering_luminance)[1]};
    }
    if (r.luminances) {
        const double min = (*r.luminances)[0] / 10000.0;
        if (r.tf_named == WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_ST2084_PQ) return {min, min + 10000.0};
        return {min, (*r.luminances)[1]};
    }
    switch (r.tf_named) {
    case WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_BT1886: return {0.01, 100.0};
    case WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_ST2084_PQ: return {0.005, 10000.0};
    case WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_HLG: return {0.005, 1000.0};
    default: return {0.2, 80.0};
    }
}

void creator_create(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    Server* server = creator->server;
    const ImageDescriptionRecord& r = creator->record;
    if (!tf_set(r) || !primaries_set(r)) {
        server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INCOMPLETE_SET,
                           !tf_set(r) ? "no transfer characteristic is set" : "no primaries are set");
        return;
    }
    if (r.max_cll && r.max_fall && *r.max_fall > *r.max_cll) {
        invalid_luminance(resource, log::format("max_fall %u is above max_cll %u", *r.max_fall, *r.max_cll));
        return;
    }
    if (version_of(resource) == 1) {  // later versions dropped this rule
        const auto [min, max] = target_luminance(r);
        for (const auto& [name, value] : {std::pair{"max_cll", r.max_cll}, std::pair{"max_fall", r.max_fall}}) {
            if (value && (*value <= min || *value > max)) {
                invalid_luminance(resource, log::format("%s %u is outside the target luminance (%g, %g]", name,
                                                        *value, min, max));
                return;
            }
        }
    }
    std::optional<Failure> failure;
    const bool metadata = r.mastering_primaries || r.mastering_luminance || r.max_cll || r.max_fall;
    switch (cm_config(server).refuse) {
    case ColorManagementConfig::Refuse::none: break;
    case ColorManagementConfig::Refuse::with_metadata:
        if (metadata) {
            failure = Failure{WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED,
                              "the compositor declines image descriptions with HDR metadata"};
        }
        break;
    case ColorManagementConfig::Refuse::all:
        failure = Failure{WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED,
                          "the compositor declines parametric image descriptions"};
        break;
    }
    make_description(server, client, version_of(resource), id, r, false, std::move(failure));
    wl_resource_destroy(resource);
}

void creator_set_tf_named(wl_client*, wl_resource* resource, uint32_t tf) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_unset(resource, tf_set(creator->record), "transfer characteristic")) return;
    if (!supports_tf(creator->server, version_of(resource), tf)) {
        creator->server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INVALID_TF,
                                    log::format("transfer function %u is not advertised", tf));
        return;
    }
    creator->record.tf_named = tf;
}

void creator_set_tf_power(wl_client*, wl_resource* resource, uint32_t eexp) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_SET_TF_POWER, "set_tf_power") ||
        !check_unset(resource, tf_set(creator->record), "transfer characteristic")) {
        return;
    }
    if (eexp < 10000 || eexp > 100000) {
        creator->server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INVALID_TF,
                                    log::format("power exponent %u / 10000 is outside [1, 10]", eexp));
        return;
    }
    creator->record.tf_power = eexp;
}

void creator_set_primaries_named(wl_client*, wl_resource* resource, uint32_t primaries) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_unset(resource, primaries_set(creator->record), "primaries")) return;
    if (!contains(cm_config(creator->server).primaries_named, primaries)) {
        creator->server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_PARAMS_V1_ERROR_INVALID_PRIMARIES_NAMED,
                                    log::format("primaries %u are not advertised", primaries));
        return;
    }
    creator->record.primaries_named = primaries;
}

void creator_set_primaries(wl_client*, wl_resource* resource, int32_t rx, int32_t ry, int32_t gx, int32_t gy,
                           int32_t bx, int32_t by, int32_t wx, int32_t wy) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_SET_PRIMARIES, "set_primaries") ||
        !check_unset(resource, primaries_set(creator->record), "primaries")) {
        return;
    }
    creator->record.primaries = std::array{rx, ry, gx, gy, bx, by, wx, wy};
}

void creator_set_luminances(wl_client*, wl_resource* resource, uint32_t min_lum, uint32_t max_lum,
                            uint32_t reference_lum) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_SET_LUMINANCES, "set_luminances") ||
        !check_unset(resource, creator->record.luminances.has_value(), "luminance range")) {
        return;
    }
    // min_lum is in 1/10000 cd/m², the others in cd/m².
    if (uint64_t{max_lum} * 10000U <= min_lum || uint64_t{reference_lum} * 10000U <= min_lum) {
        invalid_luminance(resource, log::format("max %u or reference %u cd/m² is not above min %u / 10000", max_lum,
                                                reference_lum, min_lum));
        return;
    }
    creator->record.luminances = std::array{min_lum, max_lum, reference_lum};
}

void creator_set_mastering_display_primaries(wl_client*, wl_resource* resource, int32_t rx, int32_t ry, int32_t gx,
                                             int32_t gy, int32_t bx, int32_t by, int32_t wx, int32_t wy) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_SET_MASTERING_DISPLAY_PRIMARIES,
                       "set_mastering_display_primaries") ||
        !check_unset(resource, creator->record.mastering_primaries.has_value(), "mastering display primaries")) {
        return;
    }
    creator->record.mastering_primaries = std::array{rx, ry, gx, gy, bx, by, wx, wy};
}

void creator_set_mastering_luminance(wl_client*, wl_resource* resource, uint32_t min_lum, uint32_t max_lum) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_SET_MASTERING_DISPLAY_PRIMARIES,
                       "set_mastering_luminance") ||
        !check_unset(resource, creator->record.mastering_luminance.has_value(), "mastering luminance")) {
        return;
    }
    if (uint64_t{max_lum} * 10000U <= min_lum) {
        invalid_luminance(resource, log::format("mastering max %u cd/m² is not above min %u / 10000", max_lum, min_lum));
        return;
    }
    creator->record.mastering_luminance = std::array{min_lum, max_lum};
}

void creator_set_max_cll(wl_client*, wl_resource* resource, uint32_t max_cll) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_unset(resource, creator->record.max_cll.has_value(), "max_cll")) return;
    creator->record.max_cll = max_cll;
}

void creator_set_max_fall(wl_client*, wl_resource* resource, uint32_t max_fall) noexcept
{
    ParamsCreator* creator = creator_of(resource);
    if (!check_unset(resource, creator->record.max_fall.has_value(), "max_fall")) return;
    creator->record.max_fall = max_fall;
}

const struct wp_image_description_creator_params_v1_interface creator_impl{
    .create = creator_create,
    .set_tf_named = creator_set_tf_named,
    .set_tf_power = creator_set_tf_power,
    .set_primaries_named = creator_set_primaries_named,
    .set_primaries = creator_set_primaries,
    .set_luminances = creator_set_luminances,
    .set_mastering_display_primaries = creator_set_mastering_display_primaries,
    .set_mastering_luminance = creator_set_mastering_luminance,
    .set_max_cll = creator_set_max_cll,
    .set_max_fall = creator_set_max_fall,
};

// --- wp_image_description_creator_icc_v1 ------------------------------------------------------------------

struct IccCreator {
    Server* server = nullptr;
    bool file_set = false;
};

IccCreator* icc_of(wl_resource* resource) { return static_cast<IccCreator*>(wl_resource_get_user_data(resource)); }

void icc_destroyed(wl_resource* resource) noexcept { delete icc_of(resource); }

void icc_create(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    IccCreator* creator = icc_of(resource);
    if (!creator->file_set) {
        creator->server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_INCOMPLETE_SET,
                                    "no ICC file is set");
        return;
    }
    make_description(creator->server, client, version_of(resource), id,
                     ImageDescriptionRecord{.kind = ImageDescriptionKind::icc}, false,
                     Failure{WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED, "the compositor does not read ICC profiles"});
    wl_resource_destroy(resource);
}

void icc_set_icc_file(wl_client*, wl_resource* resource, int32_t fd, uint32_t offset, uint32_t length) noexcept
{
    const UniqueFd file{fd};
    IccCreator* creator = icc_of(resource);
    Server* server = creator->server;
    if (creator->file_set) {
        server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_ALREADY_SET, "ICC file already set");
        return;
    }
    const int flags = fcntl(file.get(), F_GETFL);
    const off_t size = lseek(file.get(), 0, SEEK_END);
    if (flags < 0 || (flags & O_ACCMODE) == O_WRONLY || size < 0) {
        server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_BAD_FD,
                           "the ICC file is not readable and seekable");
        return;
    }
    constexpr uint32_t max_size = 32U * 1024U * 1024U;
    if (length == 0 || length > max_size) {
        server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_BAD_SIZE,
                           log::format("ICC data of %u bytes (1 to 32 MiB allowed)", length));
        return;
    }
    if (uint64_t{offset} + length > static_cast<uint64_t>(size)) {
        server->post_error(resource, WP_IMAGE_DESCRIPTION_CREATOR_ICC_V1_ERROR_OUT_OF_FILE,
                           log::format("%u bytes at offset %u run past the file's %lld bytes", length, offset,
                                       static_cast<long long>(size)));
        return;
    }
    creator->file_set = true;
}

const struct wp_image_description_creator_icc_v1_interface icc_impl{
    .create = icc_create,
    .set_icc_file = icc_set_icc_file,
};

// --- wp_color_management_surface_v1 and wp_color_management_surface_feedback_v1 ----------------------------
// Their user data is a SurfaceLink whose surface is null once the wl_surface is gone (inert).

struct SurfaceLink {
    Server* server = nullptr;
    Surface* surface = nullptr;
};

SurfaceLink* link_of(wl_resource* resource) { return static_cast<SurfaceLink*>(wl_resource_get_user_data(resource)); }

// True (and `inert` posted) once the wl_surface is gone.
bool inert(wl_resource* resource, uint32_t code)
{
    SurfaceLink* link = link_of(resource);
    if (link->surface) return false;
    link->server->post_error(resource, code, "the wl_surface is gone");
    return true;
}

void surface_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void surface_destroyed(wl_resource* resource) noexcept
{
    SurfaceLink* link = link_of(resource);
    if (Surface* surface = link->surface) {
        surface->color_management = nullptr;
        surface->pending.image_description = SurfaceState::ImageDescriptionChange{};  // unset at the next commit
    }
    delete link;
}

void surface_set_image_description(wl_client*, wl_resource* resource, wl_resource* description_res,
                                   uint32_t render_intent) noexcept
{
    if (inert(resource, WP_COLOR_MANAGEMENT_SURFACE_V1_ERROR_INERT)) return;
    SurfaceLink* link = link_of(resource);
    const ImageDescription* description = description_of(description_res);
    if (!description->record.ready) {
        link->server->post_error(resource, WP_COLOR_MANAGEMENT_SURFACE_V1_ERROR_IMAGE_DESCRIPTION,
                                 log::format("image description %llu is not ready",
                                             static_cast<unsigned long long>(description->record.serial)));
        return;
    }
    if (!supports_intent(link->server, version_of(resource), render_intent)) {
        link->server->post_error(resource, WP_COLOR_MANAGEMENT_SURFACE_V1_ERROR_RENDER_INTENT,
                                 log::format("rendering intent %u is not advertised", render_intent));
        return;
    }
    link->surface->pending.image_description = SurfaceState::ImageDescriptionChange{description->record, render_intent};
}

void surface_unset_image_description(wl_client*, wl_resource* resource) noexcept
{
    if (inert(resource, WP_COLOR_MANAGEMENT_SURFACE_V1_ERROR_INERT)) return;
    link_of(resource)->surface->pending.image_description = SurfaceState::ImageDescriptionChange{};
}

const struct wp_color_management_surface_v1_interface surface_impl{
    .destroy = surface_destroy,
    .set_image_description = surface_set_image_description,
    .unset_image_description = surface_unset_image_description,
};

void feedback_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void feedback_destroyed(wl_resource* resource) noexcept
{
    SurfaceLink* link = link_of(resource);
    if (Surface* surface = link->surface) {
        auto& feedbacks = surface->color_feedbacks;
        feedbacks.erase(std::remove(feedbacks.begin(), feedbacks.end(), resource), feedbacks.end());
    }
    delete link;
}

void feedback_get_preferred(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    if (inert(resource, WP_COLOR_MANAGEMENT_SURFACE_FEEDBACK_V1_ERROR_INERT)) return;
    make_description(link_of(resource)->server, client, version_of(resource), id,
                     srgb_display(ImageDescriptionKind::preferred), true);
}

void feedback_get_preferred_parametric(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    if (inert(resource, WP_COLOR_MANAGEMENT_SURFACE_FEEDBACK_V1_ERROR_INERT)) return;
    Server* server = link_of(resource)->server;
    if (!supports_feature(server, version_of(resource), WP_COLOR_MANAGER_V1_FEATURE_PARAMETRIC)) {
        server->post_error(resource, WP_COLOR_MANAGEMENT_SURFACE_FEEDBACK_V1_ERROR_UNSUPPORTED_FEATURE,
                           "the compositor does not support parametric image descriptions");
        return;
    }
    make_description(server, client, version_of(resource), id, srgb_display(ImageDescriptionKind::preferred), true);
}

const struct wp_color_management_surface_feedback_v1_interface feedback_impl{
    .destroy = feedback_destroy,
    .get_preferred = feedback_get_preferred,
    .get_preferred_parametric = feedback_get_preferred_parametric,
};

// --- wp_color_management_output_v1 ---------------------------------------------------------------------
// The output's image description never changes, so image_description_changed is never sent.

void output_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void output_get_image_description(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    make_description(static_cast<Server*>(wl_resource_get_user_data(resource)), client, version_of(resource), id,
                     srgb_display(ImageDescriptionKind::output), true);
}

const struct wp_color_management_output_v1_interface output_impl{
    .destroy = output_destroy,
    .get_image_description = output_get_image_description,
};

// --- wp_color_manager_v1 ---------------------------------------------------------------------------------

Server* manager_server(wl_resource* resource) { return static_cast<Server*>(wl_resource_get_user_data(resource)); }

// False (and unsupported_feature posted) unless `feature` was advertised to this client.
bool manager_check_feature(wl_resource* resource, uint32_t feature, const char* request)
{
    Server* server = manager_server(resource);
    if (supports_feature(server, version_of(resource), feature)) return true;
    server->post_error(resource, WP_COLOR_MANAGER_V1_ERROR_UNSUPPORTED_FEATURE,
                       log::format("%s needs a feature the compositor did not advertise", request));
    return false;
}

// A new object of `interface` at the manager's version, or null (no memory posted).
wl_resource* create_child(wl_client* client, wl_resource* manager, const wl_interface* interface, uint32_t id)
{
    wl_resource* res = wl_resource_create(client, interface, wl_resource_get_version(manager), id);
    if (!res) wl_client_post_no_memory(client);
    return res;
}

void manager_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void manager_get_output(wl_client* client, wl_resource* resource, uint32_t id, wl_resource*) noexcept
{
    if (wl_resource* res = create_child(client, resource, &wp_color_management_output_v1_interface, id)) {
        wl_resource_set_implementation(res, &output_impl, manager_server(resource), nullptr);
    }
}

void manager_get_surface(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface_res) noexcept
{
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_res));
    Server* server = manager_server(resource);
    if (surface->color_management) {
        server->post_error(resource, WP_COLOR_MANAGER_V1_ERROR_SURFACE_EXISTS,
                           "the surface already has a color management surface");
        return;
    }
    if (wl_resource* res = create_child(client, resource, &wp_color_management_surface_v1_interface, id)) {
        wl_resource_set_implementation(res, &surface_impl, new SurfaceLink{server, surface}, surface_destroyed);
        surface->color_management = res;
    }
}

void manager_get_surface_feedback(wl_client* client, wl_resource* resource, uint32_t id,
                                  wl_resource* surface_res) noexcept
{
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_res));
    if (wl_resource* res = create_child(client, resource, &wp_color_management_surface_feedback_v1_interface, id)) {
        wl_resource_set_implementation(res, &feedback_impl, new SurfaceLink{manager_server(resource), surface},
                                       feedback_destroyed);
        surface->color_feedbacks.push_back(res);
    }
}

void manager_create_icc_creator(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    if (!manager_check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_ICC_V2_V4, "create_icc_creator")) return;
    if (wl_resource* res = create_child(client, resource, &wp_image_description_creator_icc_v1_interface, id)) {
        wl_resource_set_implementation(res, &icc_impl, new IccCreator{manager_server(resource)}, icc_destroyed);
    }
}

void manager_create_parametric_creator(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    if (!manager_check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_PARAMETRIC, "create_parametric_creator")) return;
    if (wl_resource* res = create_child(client, resource, &wp_image_description_creator_params_v1_interface, id)) {
        wl_resource_set_implementation(res, &creator_impl, new ParamsCreator{manager_server(resource), {}},
                                       creator_destroyed);
    }
}

void manager_create_windows_scrgb(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    if (!manager_check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_WINDOWS_SCRGB, "create_windows_scrgb")) return;
    make_description(manager_server(resource), client, version_of(resource), id,
                     ImageDescriptionRecord{.kind = ImageDescriptionKind::windows_scrgb,
                                            .tf_named = WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_EXT_LINEAR,
                                            .primaries_named = WP_COLOR_MANAGER_V1_PRIMARIES_SRGB},
                     false);
}

void manager_create_windows_bt2100(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    if (!manager_check_feature(resource, WP_COLOR_MANAGER_V1_FEATURE_WINDOWS_BT2100, "create_windows_bt2100")) return;
    make_description(manager_server(resource), client, version_of(resource), id,
                     ImageDescriptionRecord{.kind = ImageDescriptionKind::windows_bt2100,
                                            .tf_named = WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_ST2084_PQ,
                                            .primaries_named = WP_COLOR_MANAGER_V1_PRIMARIES_BT2020},
                     false);
}

// No global here makes wp_image_description_reference_v1 objects, so no client can hold one to
// pass; should one come, the description behind it is unknown: failed, unsupported.
void manager_get_image_description(wl_client* client, wl_resource* resource, uint32_t id, wl_resource*) noexcept
{
    make_description(manager_server(resource), client, version_of(resource), id,
                     ImageDescriptionRecord{.kind = ImageDescriptionKind::reference}, false,
                     Failure{WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED, "unknown image description reference"});
}

const struct wp_color_manager_v1_interface manager_impl{
    .destroy = manager_destroy,
    .get_output = manager_get_output,
    .get_surface = manager_get_surface,
    .get_surface_feedback = manager_get_surface_feedback,
    .create_icc_creator = manager_create_icc_creator,
    .create_parametric_creator = manager_create_parametric_creator,
    .create_windows_scrgb = manager_create_windows_scrgb,
    .get_image_description = manager_get_image_description,
    .create_windows_bt2100 = manager_create_windows_bt2100,
};

void bind_manager(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    auto* server = static_cast<Server*>(data);
    wl_resource* res = wl_resource_create(client, &wp_color_manager_v1_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &manager_impl, data, nullptr);
    const ColorManagementConfig& config = cm_config(server);
    for (uint32_t intent : config.intents) {
        if (intent_in_version(intent, version)) wp_color_manager_v1_send_supported_intent(res, intent);
    }
    for (uint32_t feature : config.features) {
        if (feature_in_version(feature, version)) wp_color_manager_v1_send_supported_feature(res, feature);
    }
    for (uint32_t tf : config.tf_named) {
        if (tf_in_version(tf, version)) wp_color_manager_v1_send_supported_tf_named(res, tf);
    }
    for (uint32_t primaries : config.primaries_named) {
        wp_color_manager_v1_send_supported_primaries_named(res, primaries);
    }
    wp_color_manager_v1_send_done(res);
}

}  // namespace

Result<void> Server::init_color_management()
{
    if (!config.color_management) return {};
    const auto version = static_cast<int>(std::clamp(config.color_management->version, 1U, 3U));
    if (!wl_global_create(display, &wp_color_manager_v1_interface, version, this, bind_manager)) {
        return Error{"wl_global_create(wp_color_manager_v1) failed"};
    }
    return {};
}

void Server::color_management_surface_lost(Surface* surface)
{
    if (surface->color_management) link_of(surface->color_management)->surface = nullptr;
    for (wl_resource* feedback : surface->color_feedbacks) {
        link_of(feedback)->surface = nullptr;
    }
    surface->color_management = nullptr;
    surface->color_feedbacks.clear();
}

}  // namespace dmafeed::test::detail

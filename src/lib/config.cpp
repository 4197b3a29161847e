// The setters of dmafeed_config: each checks its value and changes nothing when it is out of range.
#include "lib/config.hpp"

#include "lib/c_enum.hpp"
#include "lib/errors.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

namespace {

using dmafeed::lib::HostConfig;
using dmafeed::lib::in_range;

// Sets one value through `set`, which either returns nothing (any value goes) or false (and
// changes nothing) for a value out of range.
template <class Set>
dmafeed_result set(dmafeed_config* config, const char* what, Set&& set) noexcept
{
    return dmafeed::lib::guarded(what, [&] {
        if (!config) return dmafeed::lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": the config is NULL");
        if constexpr (std::is_void_v<decltype(set(config->values))>) {
            set(config->values);
        } else if (!set(config->values)) {
            return dmafeed::lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": out of range");
        }
        return DMAFEED_OK;
    });
}

std::string or_default(const char* s, const char* fallback) { return s ? s : fallback; }

}  // namespace

extern "C" {

dmafeed_config* dmafeed_config_new(void) { return new (std::nothrow) dmafeed_config{}; }

void dmafeed_config_free(dmafeed_config* config) { delete config; }

dmafeed_result dmafeed_config_set_display(dmafeed_config* config, const char* display)
{
    return set(config, "dmafeed_config_set_display", [&](HostConfig& c) { c.display = or_default(display, ""); });
}

dmafeed_result dmafeed_config_set_format(dmafeed_config* config, uint32_t fourcc)
{
    return set(config, "dmafeed_config_set_format", [&](HostConfig& c) { c.format = fourcc; });
}

dmafeed_result dmafeed_config_set_modifier(dmafeed_config* config, uint64_t modifier)
{
    return set(config, "dmafeed_config_set_modifier", [&](HostConfig& c) { c.modifier = modifier; });
}

dmafeed_result dmafeed_config_set_size(dmafeed_config* config, uint32_t width, uint32_t height)
{
    return set(config, "dmafeed_config_set_size (both 0, or both at least 1)", [&](HostConfig& c) {
        if ((width == 0) != (height == 0)) return false;
        c.width = width;
        c.height = height;
        return true;
    });
}

dmafeed_result dmafeed_config_set_buffers(dmafeed_config* config, uint32_t buffers)
{
    return set(config, "dmafeed_config_set_buffers (2 to 4)", [&](HostConfig& c) {
        if (buffers < 2 || buffers > 4) return false;
        c.buffers = buffers;
        return true;
    });
}

dmafeed_result dmafeed_config_set_allocator(dmafeed_config* config, dmafeed_allocator allocator)
{
    return set(config, "dmafeed_config_set_allocator", [&](HostConfig& c) {
        if (!in_range(allocator, DMAFEED_ALLOCATOR_AUTO, DMAFEED_ALLOCATOR_UDMABUF)) return false;
        c.allocator = allocator;
        return true;
    });
}

dmafeed_result dmafeed_config_set_device(dmafeed_config* config, const char* path)
{
    return set(config, "dmafeed_config_set_device", [&](HostConfig& c) { c.device = or_default(path, ""); });
}

dmafeed_result dmafeed_config_set_sync(dmafeed_config* config, dmafeed_sync sync)
{
    return set(config, "dmafeed_config_set_sync", [&](HostConfig& c) {
        if (!in_range(sync, DMAFEED_SYNC_AUTO, DMAFEED_SYNC_IMPLICIT)) return false;
        c.sync = sync;
        return true;
    });
}

dmafeed_result dmafeed_config_set_drop_when_full(dmafeed_config* config, int drop)
{
    return set(config, "dmafeed_config_set_drop_when_full", [&](HostConfig& c) { c.drop_when_full = drop != 0; });
}

dmafeed_result dmafeed_config_set_create_immediate(dmafeed_config* config, int immediate)
{
    return set(config, "dmafeed_config_set_create_immediate", [&](HostConfig& c) { c.create_immediate = immediate != 0; });
}

dmafeed_result dmafeed_config_set_fullscreen(dmafeed_config* config, int fullscreen)
{
    return set(config, "dmafeed_config_set_fullscreen", [&](HostConfig& c) { c.fullscreen = fullscreen != 0; });
}

dmafeed_result dmafeed_config_set_title(dmafeed_config* config, const char* title)
{
    return set(config, "dmafeed_config_set_title", [&](HostConfig& c) { c.title = or_default(title, "dmafeed"); });
}

dmafeed_result dmafeed_config_set_app_id(dmafeed_config* config, const char* app_id)
{
    return set(config, "dmafeed_config_set_app_id", [&](HostConfig& c) { c.app_id = or_default(app_id, "dmafeed"); });
}

dmafeed_result dmafeed_config_set_timeout_ms(dmafeed_config* config, int timeout_ms)
{
    return set(config, "dmafeed_config_set_timeout_ms (at least 1)", [&](HostConfig& c) {
        if (timeout_ms <= 0) return false;
        c.timeout_ms = timeout_ms;
        return true;
    });
}

dmafeed_result dmafeed_config_set_vulkan_usage(dmafeed_config* config, uint32_t usage)
{
    return set(config, "dmafeed_config_set_vulkan_usage", [&](HostConfig& c) { c.vulkan_usage = usage; });
}

dmafeed_result dmafeed_config_set_pts_mode(dmafeed_config* config, dmafeed_pts_mode mode)
{
    return set(config, "dmafeed_config_set_pts_mode", [&](HostConfig& c) {
        if (!in_range(mode, DMAFEED_PTS_OPAQUE, DMAFEED_PTS_STREAM)) return false;
        c.pts_mode = mode;
        return true;
    });
}

dmafeed_result dmafeed_config_set_drop_late(dmafeed_config* config, int drop)
{
    return set(config, "dmafeed_config_set_drop_late", [&](HostConfig& c) { c.drop_late = drop != 0; });
}

dmafeed_result dmafeed_config_set_pacing(dmafeed_config* config, dmafeed_pacing pacing)
{
    return set(config, "dmafeed_config_set_pacing", [&](HostConfig& c) {
        if (!in_range(pacing, DMAFEED_PACING_AUTO, DMAFEED_PACING_FIFO)) return false;
        c.pacing = pacing;
        return true;
    });
}

dmafeed_result dmafeed_config_set_colorimetry(dmafeed_config* config, dmafeed_primaries primaries, dmafeed_transfer transfer)
{
    using dmafeed::pixels::Primaries;
    using dmafeed::pixels::Transfer;
    static constexpr Primaries primaries_of[] = {Primaries::srgb,   Primaries::srgb, Primaries::bt2020,
                                                 Primaries::display_p3, Primaries::dci_p3, Primaries::adobe_rgb,
                                                 Primaries::pal,    Primaries::ntsc, Primaries::pal_m,
                                                 Primaries::generic_film};
    static constexpr Transfer transfer_of[] = {Transfer::srgb,    Transfer::srgb,       Transfer::gamma22,
                                               Transfer::gamma28, Transfer::bt1886,     Transfer::st240,
                                               Transfer::ext_linear, Transfer::st2084_pq, Transfer::hlg,
                                               Transfer::compound_power_2_4};
    return dmafeed::lib::guarded("dmafeed_config_set_colorimetry", [&] {
        constexpr const char* what = "dmafeed_config_set_colorimetry";
        if (!config) return dmafeed::lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": the config is NULL");
        if (!in_range(primaries, DMAFEED_PRIMARIES_DEFAULT, DMAFEED_PRIMARIES_GENERIC_FILM) ||
            !in_range(transfer, DMAFEED_TRANSFER_DEFAULT, DMAFEED_TRANSFER_COMPOUND_POWER_2_4)) {
            return dmafeed::lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": out of range");
        }
        if (transfer == DMAFEED_TRANSFER_DEFAULT && primaries != DMAFEED_PRIMARIES_DEFAULT) {
            return dmafeed::lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT,
                                      std::string{what} + ": primaries need a transfer function to be declared");
        }
        auto& color = config->values.color;
        color.primaries.reset();
        color.transfer.reset();
        if (primaries != DMAFEED_PRIMARIES_DEFAULT) color.primaries = primaries_of[primaries];
        if (transfer != DMAFEED_TRANSFER_DEFAULT) color.transfer = transfer_of[transfer];
        return DMAFEED_OK;
    });
}

dmafeed_result dmafeed_config_set_hdr_metadata(dmafeed_config* config, const dmafeed_hdr_metadata* metadata)
{
    return dmafeed::lib::guarded("dmafeed_config_set_hdr_metadata", [&] {
        constexpr const char* what = "dmafeed_config_set_hdr_metadata";
        if (!config) return dmafeed::lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": the config is NULL");
        dmafeed::pixels::HdrMetadata hdr;
        if (metadata) {
            if (metadata->struct_size < sizeof(size_t)) {
                return dmafeed::lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": struct_size is not set");
            }
            // Only the fields within the caller's struct_size; the rest stay 0.
            dmafeed_hdr_metadata m;
            std::memset(&m, 0, sizeof m);
            std::memcpy(&m, metadata, std::min(metadata->struct_size, sizeof m));
            if (m.max_luminance != 0) {
                hdr.mastering = dmafeed::pixels::MasteringDisplay{.red = {m.red_x, m.red_y},
                                                                  .green = {m.green_x, m.green_y},
                                                                  .blue = {m.blue_x, m.blue_y},
                                                                  .white = {m.white_x, m.white_y},
                                                                  .min_luminance = m.min_luminance,
                                                                  .max_luminance = m.max_luminance};
            }
            hdr.max_cll = m.max_cll;
            hdr.max_fall = m.max_fall;
            if (auto r = dmafeed::pixels::check_legal(hdr); !r) {
                return dmafeed::lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": " + r.error().message());
            }
        }
        config->values.color.hdr = hdr;
        return DMAFEED_OK;
    });
}

}  // extern "C"

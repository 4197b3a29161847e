// wl_compositor, wl_surface (double-buffered state, commit, releases), wl_region, frame callbacks
// and wp_presentation. Content is "shown" on tick(). A commit's update applies at once, or waits in
// the surface's queue while a fifo barrier or a future commit-timing target holds it (or an update
// ahead of it waits) and applies at the first tick where nothing does.
#include "server.hpp"

#include "util/log.hpp"

#include "presentation-time-server-protocol.h"

#include <algorithm>
#include <ctime>
#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

Surface* surface_of(wl_resource* resource)
{
    return static_cast<Surface*>(wl_resource_get_user_data(resource));
}

template <class T>
void erase_value(std::vector<T>& v, const T& value)
{
    v.erase(std::remove(v.begin(), v.end(), value), v.end());
}

// --- frame callbacks and presentation feedback ---------------------------------------------------
// Their user data is the surface until the surface lets go of them.

void callback_destroyed(wl_resource* resource) noexcept
{
    if (Surface* surface = surface_of(resource)) {
        erase_value(surface->pending.frame_callbacks, resource);
        erase_value(surface->frame_callbacks, resource);
        for (ContentUpdate& update : surface->queued) {
            erase_value(update.state.frame_callbacks, resource);
        }
    }
}

void presentation_feedback_destroyed(wl_resource* resource) noexcept
{
    if (Surface* surface = surface_of(resource)) {
        erase_value(surface->pending.presentation, resource);
        for (ContentUpdate& update : surface->queued) {
            erase_value(update.state.presentation, resource);
        }
        auto& committed = surface->presentation;
        committed.erase(std::remove_if(committed.begin(), committed.end(),
                                       [&](const Surface::Presentation& p) { return p.resource == resource; }),
                        committed.end());
    }
}

void finish_resource(wl_resource* resource) noexcept
{
    wl_resource_set_user_data(resource, nullptr);
    wl_resource_destroy(resource);
}

PresentationRecord discard(wl_resource* resource, uint64_t surface, uint64_t commit)
{
    wp_presentation_feedback_send_discarded(resource);
    finish_resource(resource);
    return PresentationRecord{.surface = surface, .commit = commit};
}

// --- wl_region -----------------------------------------------------------------------------------

void region_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}
void region_add(wl_client*, wl_resource*, int32_t, int32_t, int32_t, int32_t) noexcept {}
void region_subtract(wl_client*, wl_resource*, int32_t, int32_t, int32_t, int32_t) noexcept {}

const struct wl_region_interface region_impl{
    .destroy = region_destroy,
    .add = region_add,
    .subtract = region_subtract,
};

// --- wl_surface ------------------------------------------------------------------------------------

void surface_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

void surface_attach(wl_client*, wl_resource* resource, wl_resource* buffer, int32_t x, int32_t y) noexcept
{
    Surface* surface = surface_of(resource);
    if (wl_resource_get_version(resource) >= WL_SURFACE_OFFSET_SINCE_VERSION && (x != 0 || y != 0)) {
        surface->server->post_error(resource, WL_SURFACE_ERROR_INVALID_OFFSET,
                                    log::format("attach with offset %d,%d (use wl_surface.offset)", x, y));
        return;
    }
    surface->pending.attached = true;
    surface->pending.buffer = Server::buffer_from_resource(buffer);
    surface->pending.dx = x;
    surface->pending.dy = y;
}

void surface_damage(wl_client*, wl_resource* resource, int32_t x, int32_t y, int32_t width, int32_t height) noexcept
{
    surface_of(resource)->pending.damage.push_back({x, y, width, height});
}

void surface_damage_buffer(wl_client*, wl_resource* resource, int32_t x, int32_t y, int32_t width,
                           int32_t height) noexcept
{
    surface_of(resource)->pending.buffer_damage.push_back({x, y, width, height});
}

void surface_frame(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    Surface* surface = surface_of(resource);
    wl_resource* callback = wl_resource_create(client, &wl_callback_interface, 1, id);
    if (!callback) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(callback, nullptr, surface, callback_destroyed);
    surface->pending.frame_callbacks.push_back(callback);
}

void surface_set_region(wl_client*, wl_resource*, wl_resource*) noexcept {}

void surface_set_buffer_transform(wl_client*, wl_resource* resource, int32_t transform) noexcept
{
    Surface* surface = surface_of(resource);
    if (transform < WL_OUTPUT_TRANSFORM_NORMAL || transform > WL_OUTPUT_TRANSFORM_FLIPPED_270) {
        surface->server->post_error(resource, WL_SURFACE_ERROR_INVALID_TRANSFORM,
                                    log::format("buffer transform %d is not a wl_output.transform", transform));
        return;
    }
    surface->pending.transform = transform;
}

void surface_set_buffer_scale(wl_client*, wl_resource* resource, int32_t scale) noexcept
{
    Surface* surface = surface_of(resource);
    if (scale < 1) {
        surface->server->post_error(resource, WL_SURFACE_ERROR_INVALID_SCALE,
                                    log::format("buffer scale %d is not positive", scale));
        return;
    }
    surface->pending.scale = scale;
}

void surface_offset(wl_client*, wl_resource* resource, int32_t x, int32_t y) noexcept
{
    Surface* surface = surface_of(resource);
    surface->pending.dx = x;
    surface->pending.dy = y;
}

// The buffer and scale the surface will have once its queued updates have applied: what a new
// commit is checked against.
const Buffer* latest_buffer(const Surface* surface)
{
    for (auto it = surface->queued.rbegin(); it != surface->queued.rend(); ++it) {
        if (it->state.attached) {
            return it->state.buffer;
        }
    }
    return surface->buffer;
}

int32_t latest_scale(const Surface* surface)
{
    for (auto it = surface->queued.rbegin(); it != surface->queued.rend(); ++it) {
        if (it->state.scale) {
            return *it->state.scale;
        }
    }
    return surface->scale;
}

// Whether an update's constraints hold it back now (wait_barrier is ignored while the surfaces
// are hidden: the compositor is not updating them).
bool held(const Surface* surface, const ContentUpdate& update, uint64_t time)
{
    const SurfaceState& state = update.state;
    return (state.fifo_wait_barrier && surface->fifo_barrier && !surface->server->surfaces_hidden) ||
           (state.target_ns && *state.target_ns > time);
}

void surface_commit(wl_client*, wl_resource* resource) noexcept
{
    Surface* surface = surface_of(resource);
    Server* server = surface->server;
    if (server->fire_injected_error(surface) || !server->xdg_precommit(surface)) {
        return;
    }
    // Checks come first: an error leaves the pending state (and its callbacks) with the surface.
    const Buffer* next = surface->pending.attached ? surface->pending.buffer : latest_buffer(surface);
    const int32_t scale = surface->pending.scale.value_or(latest_scale(surface));
    if (next && !next->failed && (next->width % scale != 0 || next->height % scale != 0)) {
        server->post_error(resource, WL_SURFACE_ERROR_INVALID_SIZE,
                           log::format("buffer %dx%d is not a multiple of the buffer scale %d", next->width,
                                       next->height, scale));
        return;
    }
    if (!server->sync_precommit(surface, next) || !server->syncobj_precommit(surface, next) ||
        !server->color_representation_precommit(surface, next)) {
        return;
    }
    ContentUpdate update{
        .state = std::exchange(surface->pending, {}),
        .acked_configure = surface->xdg ? std::exchange(surface->xdg->acked_since_commit, 0U) : 0U,
        .commit_ns = now_ns(),
    };
    // Updates apply in order: one behind a queued update waits too.
    if (!surface->queued.empty() || held(surface, update, update.commit_ns)) {
        surface->queued.push_back(std::move(update));
        const uint64_t queued = ++server->queued_updates;
        server->records.update([&](Records& r) { r.queued_updates = queued; });
    } else {
        const uint64_t at = update.commit_ns;
        server->apply_update(surface, std::move(update), 0, at);
    }
    server->xdg_postcommit(surface);
    if (server->config.tick_on_commit) {
        server->tick();
    }
}

const struct wl_surface_interface surface_impl{
    .destroy = surface_destroy,
    .attach = surface_attach,
    .damage = surface_damage,
    .frame = surface_frame,
    .set_opaque_region = surface_set_region,
    .set_input_region = surface_set_region,
    .commit = surface_commit,
    .set_buffer_transform = surface_set_buffer_transform,
    .set_buffer_scale = surface_set_buffer_scale,
    .damage_buffer = surface_damage_buffer,
    .offset = surface_offset,
};

void surface_destroyed(wl_resource* resource) noexcept
{
    Surface* surface = surface_of(resource);
    Server* server = surface->server;
    const bool dying = server->client_dying(wl_resource_get_client(resource));
    server->xdg_surface_lost(surface);
    server->feedback_surface_lost(surface);
    server->sync_surface_lost(surface);
    server->viewporter_surface_lost(surface);
    server->color_representation_surface_lost(surface);
    server->color_management_surface_lost(surface);
    server->syncobj_surface_lost(surface);
    server->timing_surface_lost(surface);

    std::vector<PresentationRecord> discarded;
    for (wl_resource* callback : surface->pending.frame_callbacks) {
        finish_resource(callback);
    }
    for (wl_resource* callback : surface->frame_callbacks) {
        finish_resource(callback);
    }
    for (wl_resource* feedback : surface->pending.presentation) {
        finish_resource(feedback);  // never committed: no content update to report on
    }
    for (const Surface::Presentation& p : surface->presentation) {
        if (dying) {
            finish_resource(p.resource);
        } else {
            discarded.push_back(discard(p.resource, surface->serial, p.commit));
        }
    }
    // Queued updates never apply: their callbacks go, their feedback is discarded (commit 0), their
    // buffers stay the client's (the compositor never used them).
    const uint64_t dropped = surface->queued.size();
    for (ContentUpdate& update : surface->queued) {
        for (wl_resource* callback : update.state.frame_callbacks) {
            finish_resource(callback);
        }
        for (wl_resource* feedback : update.state.presentation) {
            if (dying) {
                finish_resource(feedback);
            } else {
                discarded.push_back(discard(feedback, surface->serial, 0));
            }
        }
    }
    surface->queued.clear();
    server->queued_updates -= dropped;
    if (!dying) {  // the compositor no longer uses these
        for (Buffer* buffer : surface->release_on_present) {
            server->release_buffer(buffer);
        }
        if (surface->buffer) {
            server->release_buffer(surface->buffer);
        }
    }
    if (!discarded.empty() || dropped != 0) {
        const uint64_t queued = server->queued_updates;
        server->records.update([&](Records& r) {
            r.queued_updates = queued;
            r.totals.presentations += discarded.size();
            append_frame_records(r.presentations, std::move(discarded), server->config.frame_records_kept);
        });
    }
    erase_value(server->surfaces, surface);
    delete surface;
}

// --- wl_compositor -----------------------------------------------------------------------------------

void compositor_create_surface(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    wl_resource* res = wl_resource_create(client, &wl_surface_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* surface = new Surface;
    surface->server = server;
    surface->resource = res;
    surface->serial = server->next_surface++;
    surface->client = server->client_serial(client);
    wl_resource_set_implementation(res, &surface_impl, surface, surface_destroyed);
    server->surfaces.push_back(surface);
}

void compositor_create_region(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, &wl_region_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &region_impl, nullptr, nullptr);
}

const struct wl_compositor_interface compositor_impl{
    .create_surface = compositor_create_surface,
    .create_region = compositor_create_region,
};

void bind_compositor(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, &wl_compositor_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &compositor_impl, data, nullptr);
}

// --- wp_presentation ---------------------------------------------------------------------------------

void presentation_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

void presentation_feedback(wl_client* client, wl_resource* resource, wl_resource* surface_resource,
                           uint32_t id) noexcept
{
    Surface* surface = surface_of(surface_resource);
    wl_resource* res =
        wl_resource_create(client, &wp_presentation_feedback_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, nullptr, surface, presentation_feedback_destroyed);
    surface->pending.presentation.push_back(res);
}

const struct wp_presentation_interface presentation_impl{
    .destroy = presentation_destroy,
    .feedback = presentation_feedback,
};

void bind_presentation(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, &wp_presentation_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &presentation_impl, data, nullptr);
    wp_presentation_send_clock_id(res, CLOCK_MONOTONIC);
}

}  // namespace

Result<void> Server::init_surface()
{
    const auto compositor_version = static_cast<int>(std::clamp(config.compositor_version, 1U, 6U));
    if (!wl_global_create(display, &wl_compositor_interface, compositor_version, this, bind_compositor)) {
        return Error{"wl_global_create(wl_compositor) failed"};
    }
    const auto presentation_version = static_cast<int>(std::clamp(config.presentation_version, 1U, 2U));
    if (!wl_global_create(display, &wp_presentation_interface, presentation_version, this, bind_presentation)) {
        return Error{"wl_global_create(wp_presentation) failed"};
    }
    return {};
}

void Server::surfaces_forget_buffer(Buffer* buffer)
{
    for (Surface* surface : surfaces) {
        if (surface->buffer == buffer) {
            surface->buffer = nullptr;
        }
        if (surface->pending.buffer == buffer) {
            surface->pending.buffer = nullptr;
        }
        for (ContentUpdate& update : surface->queued) {  // such an update attaches no buffer
            if (update.state.buffer == buffer) {
                update.state.buffer = nullptr;
            }
        }
        erase_value(surface->release_on_present, buffer);
    }
}

void Server::apply_update(Surface* surface, ContentUpdate update, uint64_t tick, uint64_t time)
{
    SurfaceState& pending = update.state;
    if (pending.attached) {
        Buffer* previous = surface->buffer;
        surface->buffer = pending.buffer;
        erase_value(surface->release_on_present, surface->buffer);
        if (previous && previous != surface->buffer) {
            if (config.release_policy == ReleasePolicy::on_replace) {
                release_buffer(previous);
            } else if (std::find(surface->release_on_present.begin(), surface->release_on_present.end(), previous) ==
                       surface->release_on_present.end()) {
                surface->release_on_present.push_back(previous);
            }
        }
    }
    const bool acquire_fence = pending.acquire_fence != nullptr;
    const bool release_requested = pending.release != nullptr;
    sync_commit(surface, pending);
    if (pending.destination) surface->destination = *pending.destination;
    if (pending.coefficients) surface->coefficients = *pending.coefficients;
    if (pending.image_description) {
        surface->image_description = std::move(pending.image_description->description);
        surface->render_intent = surface->image_description ? pending.image_description->render_intent : 0;
    }
    surface->scale = pending.scale.value_or(surface->scale);
    surface->transform = pending.transform.value_or(surface->transform);
    surface->frame_callbacks.insert(surface->frame_callbacks.end(), pending.frame_callbacks.begin(),
                                    pending.frame_callbacks.end());
    if (pending.fifo_set_barrier) {
        surface->fifo_barrier = true;
    }

    const uint64_t commit = next_commit++;
    surface->last_commit = commit;
    // Content applied before and not shown yet is superseded: its feedback is discarded.
    std::vector<PresentationRecord> discarded;
    for (const Surface::Presentation& p : std::exchange(surface->presentation, {})) {
        discarded.push_back(discard(p.resource, surface->serial, p.commit));
    }
    for (wl_resource* feedback : pending.presentation) {
        surface->presentation.push_back({feedback, commit});
    }

    CommitRecord record{
        .serial = commit,
        .client = surface->client,
        .surface = surface->serial,
        .surface_object_id = wl_resource_get_id(surface->resource),
        .attached = pending.attached,
        .buffer = surface->buffer ? surface->buffer->serial : 0,
        .dx = pending.dx,
        .dy = pending.dy,
        .damage = std::move(pending.damage),
        .buffer_damage = std::move(pending.buffer_damage),
        .buffer_scale = surface->scale,
        .buffer_transform = surface->transform,
        .frame_callbacks = static_cast<uint32_t>(pending.frame_callbacks.size()),
        .presentation_feedbacks = static_cast<uint32_t>(pending.presentation.size()),
        .acked_configure = update.acked_configure,
        .viewport_width = surface->destination.first,
        .viewport_height = surface->destination.second,
        .yuv_coefficients = surface->coefficients.first,
        .yuv_range = surface->coefficients.second,
        .image_description = surface->image_description,
        .render_intent = surface->render_intent,
        .acquire_fence = acquire_fence,
        .release_requested = release_requested,
        .time_ns = update.commit_ns,
        .fifo_set_barrier = pending.fifo_set_barrier,
        .fifo_wait_barrier = pending.fifo_wait_barrier,
        .target_ns = pending.target_ns.value_or(0),
        .applied_ns = time,
        .applied_tick = tick,
        .queued = tick != 0,  // only a tick applies queued updates
    };
    syncobj_commit(surface, pending, record);
    std::vector<CommitRecord> commits;
    commits.push_back(std::move(record));
    const uint64_t queued = queued_updates;
    records.update([&](Records& r) {
        r.queued_updates = queued;
        r.totals.presentations += discarded.size();
        append_frame_records(r.presentations, std::move(discarded), config.frame_records_kept);
        append_frame_records(r.commits, std::move(commits), config.frame_records_kept);
        ++r.totals.commits;
    });
}

bool Server::scanned_out(const Surface& surface) const
{
    const Buffer* b = surface.buffer;
    if (!b || b->shm || !surface.xdg || !surface.xdg->toplevel || !surface.xdg->toplevel->fullscreen) return false;
    if (b->width != config.output_width || b->height != config.output_height) return false;
    return std::find(config.scanout.begin(), config.scanout.end(), FormatModifier{b->format, b->modifier}) !=
           config.scanout.end();
}

void Server::tick_surfaces(uint64_t tick, uint64_t time)
{
    // The tick is a latching deadline. Queued updates whose constraints hold at it apply, in order:
    // a target at or before `time`, and no barrier (one set by an update applied here holds the
    // next wait_barrier). What is current then is presented, and the barriers clear after it.
    for (Surface* surface : std::vector{surfaces}) {
        while (!surface->queued.empty() && !held(surface, surface->queued.front(), time)) {
            ContentUpdate update = std::move(surface->queued.front());
            surface->queued.pop_front();
            --queued_updates;
            apply_update(surface, std::move(update), tick, time);
        }
    }

    std::vector<PresentationRecord> presentations;
    std::vector<FrameCallbackRecord> callbacks;
    const auto refresh = static_cast<uint32_t>(config.refresh.count());
    const auto time_ms = static_cast<uint32_t>(time / 1'000'000U);
    for (Surface* surface : std::vector{surfaces}) {
        const bool shown = surface->buffer && !discard_presentation && !surfaces_hidden;
        const uint32_t flags = config.presentation_flags | (shown && scanned_out(*surface) ? 0x8U : 0U);
        for (const Surface::Presentation& p : std::exchange(surface->presentation, {})) {
            if (!shown) {
                presentations.push_back(discard(p.resource, surface->serial, p.commit));
                continue;
            }
            const uint64_t seconds = time / 1'000'000'000U;
            wp_presentation_feedback_send_presented(
                p.resource, static_cast<uint32_t>(seconds >> 32U), static_cast<uint32_t>(seconds & 0xffffffffU),
                static_cast<uint32_t>(time % 1'000'000'000U), refresh, static_cast<uint32_t>(tick >> 32U),
                static_cast<uint32_t>(tick & 0xffffffffU), flags);
            finish_resource(p.resource);
            presentations.push_back({surface->serial, p.commit, true, time, refresh, tick, flags});
        }
        if (!surfaces_hidden) {  // hidden, frame callbacks wait until the surfaces are shown
            for (wl_resource* callback : std::exchange(surface->frame_callbacks, {})) {
                wl_callback_send_done(callback, time_ms);
                finish_resource(callback);
                callbacks.push_back({surface->serial, time_ms, tick});
            }
        }
        for (Buffer* buffer : std::exchange(surface->release_on_present, {})) {
            release_buffer(buffer);
        }
        surface->fifo_barrier = false;  // the content that set it has been latched
    }
    const size_t presented = static_cast<size_t>(
        std::count_if(presentations.begin(), presentations.end(), [](const PresentationRecord& p) { return p.presented; }));
    records.update([&](Records& r) {
        r.totals.presentations += presentations.size();
        r.totals.presented += presented;
        r.totals.frame_callbacks += callbacks.size();
        append_frame_records(r.presentations, std::move(presentations), config.frame_records_kept);
        append_frame_records(r.frame_callbacks, std::move(callbacks), config.frame_records_kept);
    });
}

}  // namespace dmafeed::test::detail

// The C API (include/dmafeed/dmafeed.h) over the C++ one. No C++ type crosses it.
#include "dmafeed/dmafeed.h"

#include "dmafeed/dmafeed.hpp"

#include <cstring>
#include <unistd.h>
#include <map>
#include <string>

struct dmafeed_producer {
    std::unique_ptr<dmafeed::Producer> p;
    std::string error;
    dmafeed_presented_fn presented = nullptr;
    void* presented_user = nullptr;
    dmafeed_buffer_destroyed_fn buffer_destroyed = nullptr;
    void* buffer_destroyed_user = nullptr;
    dmafeed_dropped_fn dropped = nullptr;
    void* dropped_user = nullptr;
    // The C copy of each Vulkan device the C++ API has handed out (stable addresses).
    mutable std::map<const dmafeed::VulkanDevice*, dmafeed_vulkan> vulkan;
};

namespace {

std::string str(const char* s, const char* fallback) { return s ? s : fallback; }

const dmafeed_vulkan* c_vulkan(const dmafeed_producer* p, const dmafeed::VulkanDevice* v)
{
    if (!v) return nullptr;
    auto it = p->vulkan.find(v);
    if (it == p->vulkan.end()) {
        it = p->vulkan.emplace(v, dmafeed_vulkan{v->instance, v->physical_device, v->device, v->api_version,
                                                 v->queue_family_index, v->queue, v->exports_sync_fd ? 1 : 0})
                 .first;
    }
    return &it->second;
}

}  // namespace

extern "C" {

void dmafeed_config_init(dmafeed_config* c)
{
    std::memset(c, 0, sizeof *c);
    c->buffers = 3;
    c->timeout_ms = 5000;
}

dmafeed_producer* dmafeed_producer_create(const dmafeed_config* c, char* error, size_t error_size)
{
    dmafeed::Config config;
    config.display = str(c->display, "");
    config.format = c->format;
    config.explicit_modifier = c->explicit_modifier != 0;
    config.modifier = c->modifier;
    config.width = c->width;
    config.height = c->height;
    config.buffers = c->buffers ? c->buffers : 3;
    config.allocator = str(c->allocator, "auto");
    config.device = str(c->device, "");
    config.sync = str(c->sync, "auto");
    config.drop_when_full = c->drop_when_full != 0;
    config.fullscreen = c->fullscreen != 0;
    config.title = str(c->title, "dmafeed");
    config.app_id = str(c->app_id, "dmafeed");
    config.timeout_ms = c->timeout_ms;
    config.vulkan_usage = c->vulkan_usage;
    std::string message;
    auto p = dmafeed::Producer::create(config, &message);
    if (!p) {
        if (error && error_size) {
            std::strncpy(error, message.c_str(), error_size - 1);
            error[error_size - 1] = '\0';
        }
        return nullptr;
    }
    auto* out = new dmafeed_producer{std::move(p), {}, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, {}};
    out->p->on_presented([out](const dmafeed::Presented& r) {
        if (out->presented) out->presented(out->presented_user, r.frame_id, r.pts_ns, r.presented ? 1 : 0, r.time_ns, r.flags);
    });
    out->p->on_buffer_destroyed([out](uint64_t id) {
        if (out->buffer_destroyed) out->buffer_destroyed(out->buffer_destroyed_user, id);
    });
    out->p->on_dropped([out](uint64_t dropped) {
        if (out->dropped) out->dropped(out->dropped_user, dropped);
    });
    return out;
}

void dmafeed_producer_destroy(dmafeed_producer* p) { delete p; }

int dmafeed_acquire(dmafeed_producer* p, dmafeed_frame* frame, int timeout_ms)
{
    dmafeed::Frame* f = p->p->acquire(timeout_ms, &p->error);
    if (!f) return p->error.empty() ? 0 : -1;
    std::memset(frame, 0, sizeof *frame);
    frame->id = f->id;
    frame->width = f->width;
    frame->height = f->height;
    frame->format = f->format;
    frame->modifier = f->modifier;
    frame->plane_count = f->plane_count;
    for (uint32_t i = 0; i < f->plane_count && i < 4; ++i) {
        frame->data[i] = f->planes[i].data;
        frame->stride[i] = f->planes[i].stride;
    }
    frame->internal_ = f;
    frame->buffer_id = f->buffer_id;
    frame->vulkan = c_vulkan(p, f->vulkan);
    frame->image_usage = f->image_usage;
    frame->image_count = f->image_count;
    for (uint32_t i = 0; i < f->image_count && i < 4; ++i) {
        const dmafeed::FrameImage& im = f->images[i];
        frame->images[i] = dmafeed_image{im.image, im.view, im.format, im.extent, im.first_plane, im.plane_count};
    }
    return 1;
}

int dmafeed_queue_fenced(dmafeed_producer* p, dmafeed_frame* frame, uint64_t pts_ns, int render_fence_fd)
{
    if (!frame || !frame->internal_) {
        if (render_fence_fd >= 0) close(render_fence_fd);
        p->error = "dmafeed_queue: the frame was not filled in by dmafeed_acquire";
        return -1;
    }
    auto* f = static_cast<dmafeed::Frame*>(frame->internal_);
    frame->internal_ = nullptr;
    return p->p->queue_fenced(*f, pts_ns, render_fence_fd, &p->error) ? 1 : -1;
}

int dmafeed_queue(dmafeed_producer* p, dmafeed_frame* frame, uint64_t pts_ns) { return dmafeed_queue_fenced(p, frame, pts_ns, -1); }

int dmafeed_wait_for_frame(dmafeed_producer* p) { return p->p->wait_for_frame(&p->error) ? 1 : -1; }

int dmafeed_get_fd(const dmafeed_producer* p) { return p->p->fd(); }

int dmafeed_dispatch(dmafeed_producer* p) { return p->p->dispatch(&p->error) ? 1 : -1; }

void dmafeed_set_presented_callback(dmafeed_producer* p, dmafeed_presented_fn callback, void* user)
{
    p->presented = callback;
    p->presented_user = user;
}

void dmafeed_get_stats(const dmafeed_producer* p, dmafeed_stats* stats)
{
    const dmafeed::Stats s = p->p->stats();
    *stats = dmafeed_stats{s.queued, s.presented, s.discarded, s.dropped, s.refused, s.zero_copy,
                           s.presented_fps, s.latency_p50_ms, s.latency_p99_ms};
}

const char* dmafeed_last_error(const dmafeed_producer* p) { return p->error.c_str(); }

const dmafeed_vulkan* dmafeed_get_vulkan(const dmafeed_producer* p) { return c_vulkan(p, p->p->vulkan()); }

void dmafeed_set_buffer_destroyed_callback(dmafeed_producer* p, dmafeed_buffer_destroyed_fn callback, void* user)
{
    p->buffer_destroyed = callback;
    p->buffer_destroyed_user = user;
}

void dmafeed_set_dropped_callback(dmafeed_producer* p, dmafeed_dropped_fn callback, void* user)
{
    p->dropped = callback;
    p->dropped_user = user;
}

}  // extern "C"

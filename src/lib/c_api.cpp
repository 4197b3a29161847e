// The C API's producer functions (include/dmafeed/dmafeed.h) over HostProducer: arguments
// checked, errors turned into dmafeed_result codes, structs copied as far as the caller's
// struct_size goes. No C++ type or exception crosses it.
#include "dmafeed/dmafeed.h"

#include "lib/config.hpp"
#include "lib/errors.hpp"
#include "lib/host_producer.hpp"
#include "lib/sized_copy.hpp"
#include "producer/backends.hpp"

#include <chrono>
#include <string>

struct dmafeed_producer {
    std::unique_ptr<dmafeed::lib::HostProducer> p;
};

namespace dmafeed::lib {
namespace {

// The code for an error of a producer's call: the connection's state tells a lost compositor.
dmafeed_result failed(const HostProducer& p, const Error& error)
{
    return fail(p.disconnected() ? DMAFEED_ERROR_DISCONNECTED : DMAFEED_ERROR_FAILED, error.message());
}

// Runs `fn(HostProducer&)` for a non-NULL producer, inside guarded().
template <class Producer, class Fn>
dmafeed_result with_producer(Producer* producer, const char* what, Fn&& fn) noexcept
{
    return guarded(what, [&] {
        if (!producer) return fail(DMAFEED_ERROR_INVALID_ARGUMENT, std::string{what} + ": the producer is NULL");
        return fn(*producer->p);
    });
}

// DMAFEED_OK where `frame` (its struct_size checked) is the one acquired.
dmafeed_result check_acquired(const HostProducer& p, const dmafeed_frame* frame, const char* what)
{
    if (const dmafeed_result r = check_size(frame, frame_size_1, what); r != DMAFEED_OK) return r;
    if (p.acquired() && frame->id == p.frame().id) return DMAFEED_OK;
    return fail(DMAFEED_ERROR_INVALID_STATE, std::string{what} + ": frame " + std::to_string(frame->id) + " is not the acquired one");
}

}  // namespace
}  // namespace dmafeed::lib

extern "C" {

using namespace dmafeed;
using lib::fail;

uint32_t dmafeed_version(void) { return DMAFEED_VERSION; }

const char* dmafeed_version_string(void) { return DMAFEED_VERSION_STRING; }

dmafeed_result dmafeed_producer_create(const dmafeed_config* config, dmafeed_producer** producer)
{
    return lib::guarded("dmafeed_producer_create", [&] {
        if (!producer) return fail(DMAFEED_ERROR_INVALID_ARGUMENT, "dmafeed_producer_create: producer is NULL");
        *producer = nullptr;
        if (!config) return fail(DMAFEED_ERROR_INVALID_ARGUMENT, "dmafeed_producer_create: config is NULL");
        auto p = lib::HostProducer::create(config->values);
        if (!p) return fail(DMAFEED_ERROR_FAILED, p.error().message());
        *producer = new dmafeed_producer{std::move(*p)};
        return DMAFEED_OK;
    });
}

void dmafeed_producer_destroy(dmafeed_producer* producer) { delete producer; }

dmafeed_result dmafeed_wait_background_set_ups(int timeout_ms)
{
    return lib::guarded("dmafeed_wait_background_set_ups", [&] {
        if (timeout_ms < 0) {
            return fail(DMAFEED_ERROR_INVALID_ARGUMENT, "dmafeed_wait_background_set_ups: a negative timeout");
        }
        return producer::wait_for_abandoned_set_ups(std::chrono::milliseconds{timeout_ms}) ? DMAFEED_OK : DMAFEED_TIMEOUT;
    });
}

dmafeed_result dmafeed_acquire(dmafeed_producer* producer, dmafeed_frame* frame, int timeout_ms)
{
    return lib::with_producer(producer, "dmafeed_acquire", [&](lib::HostProducer& p) {
        if (const dmafeed_result r = lib::check_size(frame, lib::frame_size_1, "dmafeed_acquire"); r != DMAFEED_OK) return r;
        if (p.acquired()) {
            return fail(DMAFEED_ERROR_INVALID_STATE,
                        "dmafeed_acquire: frame " + std::to_string(p.frame().id) + " is still acquired; queue it first");
        }
        auto got = p.acquire(timeout_ms);
        if (!got) return lib::failed(p, got.error());
        if (*got == lib::HostProducer::Acquired::timeout) return DMAFEED_TIMEOUT;
        if (*got == lib::HostProducer::Acquired::dropped) return DMAFEED_DROPPED;
        return lib::copy_sized(frame, p.frame(), lib::frame_size_1, "dmafeed_acquire");
    });
}

dmafeed_result dmafeed_queue_fenced(dmafeed_producer* producer, dmafeed_frame* frame, uint64_t pts_ns, int render_fence_fd)
{
    UniqueFd fence{render_fence_fd};  // ours from here, whatever happens
    return lib::with_producer(producer, "dmafeed_queue", [&](lib::HostProducer& p) {
        if (const dmafeed_result r = lib::check_acquired(p, frame, "dmafeed_queue"); r != DMAFEED_OK) return r;
        auto queued = p.queue(pts_ns, std::move(fence));
        if (!queued) return lib::failed(p, queued.error());
        if (!*queued) {
            p.report_dropped();
            return DMAFEED_DROPPED;
        }
        return DMAFEED_OK;
    });
}

dmafeed_result dmafeed_queue(dmafeed_producer* producer, dmafeed_frame* frame, uint64_t pts_ns)
{
    return dmafeed_queue_fenced(producer, frame, pts_ns, -1);
}

dmafeed_result dmafeed_abandon(dmafeed_producer* producer, dmafeed_frame* frame)
{
    return lib::with_producer(producer, "dmafeed_abandon", [&](lib::HostProducer& p) {
        if (const dmafeed_result r = lib::check_acquired(p, frame, "dmafeed_abandon"); r != DMAFEED_OK) return r;
        if (auto r = p.abandon(); !r) return lib::failed(p, r.error());
        return DMAFEED_OK;
    });
}

dmafeed_result dmafeed_frame_get_dmabuf(const dmafeed_producer* producer, const dmafeed_frame* frame, dmafeed_dmabuf* dmabuf)
{
    return lib::with_producer(producer, "dmafeed_frame_get_dmabuf", [&](lib::HostProducer& p) {
        if (const dmafeed_result r = lib::check_acquired(p, frame, "dmafeed_frame_get_dmabuf"); r != DMAFEED_OK) return r;
        return lib::copy_sized(dmabuf, p.dmabuf(), lib::dmabuf_size_1, "dmafeed_frame_get_dmabuf");
    });
}

dmafeed_result dmafeed_wait_for_frame(dmafeed_producer* producer)
{
    return lib::with_producer(producer, "dmafeed_wait_for_frame", [&](lib::HostProducer& p) {
        if (auto r = p.wait_for_frame(); !r) return lib::failed(p, r.error());
        return DMAFEED_OK;
    });
}

int dmafeed_get_fd(const dmafeed_producer* producer) { return producer ? producer->p->fd() : -1; }

dmafeed_result dmafeed_dispatch(dmafeed_producer* producer)
{
    return lib::with_producer(producer, "dmafeed_dispatch", [&](lib::HostProducer& p) {
        if (auto r = p.dispatch(); !r) return lib::failed(p, r.error());
        return DMAFEED_OK;
    });
}

dmafeed_result dmafeed_set_presented_callback(dmafeed_producer* producer, dmafeed_presented_fn callback, void* user)
{
    return lib::with_producer(producer, "dmafeed_set_presented_callback", [&](lib::HostProducer& p) {
        p.on_presented(callback, user);
        return DMAFEED_OK;
    });
}

dmafeed_result dmafeed_set_buffer_destroyed_callback(dmafeed_producer* producer, dmafeed_buffer_destroyed_fn callback, void* user)
{
    return lib::with_producer(producer, "dmafeed_set_buffer_destroyed_callback", [&](lib::HostProducer& p) {
        p.on_buffer_destroyed(callback, user);
        return DMAFEED_OK;
    });
}

dmafeed_result dmafeed_set_dropped_callback(dmafeed_producer* producer, dmafeed_dropped_fn callback, void* user)
{
    return lib::with_producer(producer, "dmafeed_set_dropped_callback", [&](lib::HostProducer& p) {
        p.on_dropped(callback, user);
        return DMAFEED_OK;
    });
}

dmafeed_result dmafeed_get_stats(const dmafeed_producer* producer, dmafeed_stats* stats)
{
    return lib::with_producer(producer, "dmafeed_get_stats", [&](lib::HostProducer& p) {
        return lib::copy_sized(stats, p.stats(), lib::stats_size_1, "dmafeed_get_stats");
    });
}

const dmafeed_vulkan* dmafeed_get_vulkan(const dmafeed_producer* producer) { return producer ? producer->p->vulkan() : nullptr; }

const char* dmafeed_describe(const dmafeed_producer* producer)
{
    if (!producer) return nullptr;
    try {
        return producer->p->describe();
    } catch (const std::bad_alloc&) {
        return "(out of memory)";
    }
}

}  // extern "C"

// Raw linux-dmabuf client pieces for the compositor's self-tests: params with a listener, memfd
// buffers, and a feedback collector that keeps every round as the events delivered it.
#pragma once

#include "wayland_client.hpp"

#include "linux-dmabuf-v1-client-protocol.h"

#include <algorithm>
#include <cstring>
#include <drm_fourcc.h>
#include <sys/types.h>
#include <vector>

namespace dmafeed::test {

// One zwp_linux_buffer_params_v1 and what it answered.
struct ParamsObject {
    Ptr<zwp_linux_buffer_params_v1> params;
    Ptr<wl_buffer> buffer;  // from `created`
    bool created = false;
    bool failed = false;

    explicit ParamsObject(zwp_linux_dmabuf_v1* dmabuf) : params{zwp_linux_dmabuf_v1_create_params(dmabuf)}
    {
        static const zwp_linux_buffer_params_v1_listener listener{
            .created =
                [](void* data, zwp_linux_buffer_params_v1*, wl_buffer* new_buffer) {
                    auto* self = static_cast<ParamsObject*>(data);
                    self->created = true;
                    self->buffer.reset(new_buffer);
                },
            .failed = [](void* data, zwp_linux_buffer_params_v1*) { static_cast<ParamsObject*>(data)->failed = true; },
        };
        zwp_linux_buffer_params_v1_add_listener(params.get(), &listener, this);
    }
    ParamsObject(const ParamsObject&) = delete;
    ParamsObject& operator=(const ParamsObject&) = delete;

    void add(int fd, uint32_t plane, uint32_t offset, uint32_t stride, uint64_t modifier)
    {
        zwp_linux_buffer_params_v1_add(params.get(), fd, plane, offset, stride, static_cast<uint32_t>(modifier >> 32U),
                                       static_cast<uint32_t>(modifier & 0xffffffffU));
    }
    void create(int32_t width, int32_t height, uint32_t format, uint32_t flags = 0)
    {
        zwp_linux_buffer_params_v1_create(params.get(), width, height, format, flags);
    }
    // The buffer exists at once (the compositor may still send `failed`).
    wl_buffer* create_immed(int32_t width, int32_t height, uint32_t format, uint32_t flags = 0)
    {
        buffer.reset(zwp_linux_buffer_params_v1_create_immed(params.get(), width, height, format, flags));
        return buffer.get();
    }
};

// A single-plane 32bpp LINEAR buffer on a memfd, made with create_immed: no roundtrip needed.
inline Ptr<wl_buffer> make_buffer(zwp_linux_dmabuf_v1* dmabuf, int32_t width, int32_t height,
                                  uint32_t format = DRM_FORMAT_XRGB8888)
{
    const auto stride = static_cast<uint32_t>(width) * 4;
    UniqueFd fd = make_memfd(size_t{stride} * static_cast<size_t>(height));
    ParamsObject params{dmabuf};
    params.add(fd.get(), 0, 0, stride, DRM_FORMAT_MOD_LINEAR);
    params.create_immed(width, height, format);
    return std::move(params.buffer);
}

struct FeedbackRound {
    std::vector<uint8_t> main_device;  // the array as sent
    UniqueFd table_fd;
    uint32_t table_size = 0;
    struct Tranche {
        std::vector<uint8_t> target_device;
        uint32_t flags = 0;
        std::vector<uint16_t> indices;
        int formats_events = 0;
    };
    std::vector<Tranche> tranches;

    static dev_t device(const std::vector<uint8_t>& bytes)
    {
        dev_t dev = 0;
        std::memcpy(&dev, bytes.data(), std::min(bytes.size(), sizeof dev));
        return dev;
    }
};

// Collects the rounds of one zwp_linux_dmabuf_feedback_v1 (a round ends with `done`).
struct FeedbackCollector {
    Ptr<zwp_linux_dmabuf_feedback_v1> feedback;
    std::vector<FeedbackRound> rounds;  // completed
    FeedbackRound pending;
    FeedbackRound::Tranche tranche;

    explicit FeedbackCollector(zwp_linux_dmabuf_feedback_v1* proxy) : feedback{proxy}
    {
        zwp_linux_dmabuf_feedback_v1_add_listener(feedback.get(), &listener, this);
    }
    FeedbackCollector(const FeedbackCollector&) = delete;
    FeedbackCollector& operator=(const FeedbackCollector&) = delete;

private:
    static FeedbackCollector* self(void* data) { return static_cast<FeedbackCollector*>(data); }
    static std::vector<uint8_t> bytes(const wl_array* array)
    {
        const auto* data = static_cast<const uint8_t*>(array->data);
        return {data, data + array->size};
    }
    static constexpr zwp_linux_dmabuf_feedback_v1_listener listener{
        .done = [](void* data, zwp_linux_dmabuf_feedback_v1*) {
            self(data)->rounds.push_back(std::move(self(data)->pending));
            self(data)->pending = {};
        },
        .format_table =
            [](void* data, zwp_linux_dmabuf_feedback_v1*, int32_t fd, uint32_t size) {
                self(data)->pending.table_fd.reset(fd);
                self(data)->pending.table_size = size;
            },
        .main_device = [](void* data, zwp_linux_dmabuf_feedback_v1*,
                          wl_array* device) { self(data)->pending.main_device = bytes(device); },
        .tranche_done = [](void* data, zwp_linux_dmabuf_feedback_v1*) {
            self(data)->pending.tranches.push_back(std::move(self(data)->tranche));
            self(data)->tranche = {};
        },
        .tranche_target_device = [](void* data, zwp_linux_dmabuf_feedback_v1*,
                                    wl_array* device) { self(data)->tranche.target_device = bytes(device); },
        .tranche_formats =
            [](void* data, zwp_linux_dmabuf_feedback_v1*, wl_array* indices) {
                const auto* first = static_cast<const uint16_t*>(indices->data);
                auto& out = self(data)->tranche;
                out.indices.insert(out.indices.end(), first, first + indices->size / sizeof(uint16_t));
                ++out.formats_events;
            },
        .tranche_flags = [](void* data, zwp_linux_dmabuf_feedback_v1*,
                            uint32_t flags) { self(data)->tranche.flags = flags; },
    };
};

}  // namespace dmafeed::test

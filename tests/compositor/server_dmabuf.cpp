// zwp_linux_dmabuf_v1 server side: the global (v3 format/modifier events), feedback objects with
// sealed memfd format tables, params with the validation linux-dmabuf-v1.xml asks for, and the
// wl_buffers they create (wl_shm's too: create_buffer).
#include "server.hpp"

#include "drm/format_info.hpp"
#include "util/log.hpp"

#include "linux-dmabuf-v1-server-protocol.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <unistd.h>
#include <unordered_map>
#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

constexpr uint32_t max_planes = 4;
constexpr size_t indices_per_event = 512;

// --- format tables -------------------------------------------------------------------------

struct TableEntry {
    uint32_t format;
    uint32_t padding;
    uint64_t modifier;
};
static_assert(sizeof(TableEntry) == 16);

Result<std::shared_ptr<FeedbackTable>> make_table(const FeedbackConfig& config)
{
    auto table = std::make_shared<FeedbackTable>();
    std::vector<TableEntry> entries;
    std::unordered_map<FormatModifier, uint16_t> index_of;
    for (const FeedbackTranche& tranche : config.tranches) {
        std::vector<uint16_t> indices;
        std::unordered_set<FormatModifier> in_tranche;
        for (const FormatModifier& pair : tranche.formats) {
            if (!in_tranche.insert(pair).second) {
                continue;  // no duplicates within a tranche
            }
            auto [it, added] = index_of.try_emplace(pair, static_cast<uint16_t>(entries.size()));
            if (added) {
                if (entries.size() > std::numeric_limits<uint16_t>::max()) {
                    return Error{"feedback format table has more than 65536 entries"};
                }
                entries.push_back({pair.format.fourcc(), 0, pair.modifier.value()});
            }
            indices.push_back(it->second);
        }
        table->tranche_indices.push_back(std::move(indices));
    }
    if (config.hostile.index_out_of_range && !table->tranche_indices.empty()) {
        table->tranche_indices.front().push_back(static_cast<uint16_t>(entries.size()));
    }

    const size_t bytes = entries.size() * sizeof(TableEntry);
    const size_t file_size = bytes + (config.hostile.table_size_unaligned ? 8 : 0);
    const size_t announced = file_size + (config.hostile.table_size_too_large ? 4096 : 0);

    UniqueFd fd{memfd_create("dmafeed-test-format-table", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd) {
        return Error::from_errno("memfd_create", errno);
    }
    if (ftruncate(fd.get(), static_cast<off_t>(file_size)) != 0) {
        return Error::from_errno("ftruncate of the format table", errno);
    }
    if (bytes > 0) {
        const auto* data = reinterpret_cast<const char*>(entries.data());
        size_t done = 0;
        while (done < bytes) {
            const ssize_t n = pwrite(fd.get(), data + done, bytes - done, static_cast<off_t>(done));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return Error::from_errno("write of the format table", errno);
            }
            done += static_cast<size_t>(n);
        }
    }
    if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        return Error::from_errno("sealing the format table", errno);
    }
    table->fd = std::move(fd);
    table->announced_size = static_cast<uint32_t>(announced);
    return table;
}

Result<void> build_state(FeedbackState& state, FeedbackConfig config)
{
    auto table = make_table(config);
    if (!table) {
        return std::move(table).error();
    }
    state.formats = config.formats();
    state.config = std::move(config);
    state.table = std::move(*table);
    return {};
}

void send_device(void (*send)(wl_resource*, wl_array*), wl_resource* resource, dev_t device, size_t size) noexcept
{
    wl_array array;
    wl_array_init(&array);
    if (void* data = wl_array_add(&array, size)) {
        std::memset(data, 0, size);
        std::memcpy(data, &device, std::min(size, sizeof device));
    }
    send(resource, &array);
    wl_array_release(&array);
}

void send_feedback(Server* server, DmabufFeedbackObject* feedback, const FeedbackState& state)
{
    wl_resource* res = feedback->resource;
    const FeedbackConfig& config = state.config;
    const FeedbackTable& table = *state.table;

    // v6 deprecates main_device: not sent to a client that bound v6.
    if (wl_resource_get_version(res) < 6) {
        send_device(zwp_linux_dmabuf_feedback_v1_send_main_device, res, config.main_device,
                    config.hostile.main_device_wrong_size ? sizeof(dev_t) / 2 : sizeof(dev_t));
    }
    zwp_linux_dmabuf_feedback_v1_send_format_table(res, table.fd.get(), table.announced_size);
    for (size_t t = 0; t < config.tranches.size(); ++t) {
        const FeedbackTranche& tranche = config.tranches[t];
        send_device(zwp_linux_dmabuf_feedback_v1_send_tranche_target_device, res, tranche.target_device,
                    config.hostile.target_device_wrong_size ? sizeof(dev_t) + 1 : sizeof(dev_t));
        zwp_linux_dmabuf_feedback_v1_send_tranche_flags(res, tranche.flags);
        const std::vector<uint16_t>& indices = table.tranche_indices[t];
        size_t start = 0;
        do {  // at least one tranche_formats event, split so that no message grows large
            const size_t count = std::min(indices_per_event, indices.size() - start);
            wl_array array;
            wl_array_init(&array);
            if (count > 0) {
                if (void* data = wl_array_add(&array, count * sizeof(uint16_t))) {
                    std::memcpy(data, indices.data() + start, count * sizeof(uint16_t));
                }
            }
            zwp_linux_dmabuf_feedback_v1_send_tranche_formats(res, &array);
            wl_array_release(&array);
            start += count;
        } while (start < indices.size());
        zwp_linux_dmabuf_feedback_v1_send_tranche_done(res);
    }
    zwp_linux_dmabuf_feedback_v1_send_done(res);

    FeedbackRecord record{
        .client = feedback->client,
        .surface = feedback->surface ? feedback->surface->serial : 0,
        .generation = state.generation,
        .table_size = table.announced_size,
        .tranches = config.tranches.size(),
    };
    server->records.update([&](Records& r) { r.feedbacks.push_back(record); });
}

// --- feedback objects ------------------------------------------------------------------------

void feedback_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

const struct zwp_linux_dmabuf_feedback_v1_interface feedback_impl{
    .destroy = feedback_destroy,
};

void feedback_destroyed(wl_resource* resource) noexcept
{
    auto* feedback = static_cast<DmabufFeedbackObject*>(wl_resource_get_user_data(resource));
    auto& all = feedback->server->feedbacks;
    all.erase(std::remove(all.begin(), all.end(), feedback), all.end());
    delete feedback;
}

void make_feedback(wl_client* client, wl_resource* dmabuf, uint32_t id, Surface* surface) noexcept
{
    auto* server = static_cast<Server*>(wl_resource_get_user_data(dmabuf));
    wl_resource* res = wl_resource_create(client, &zwp_linux_dmabuf_feedback_v1_interface,
                                          wl_resource_get_version(dmabuf), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* feedback = new DmabufFeedbackObject{server, res, server->client_serial(client), surface, surface != nullptr};
    wl_resource_set_implementation(res, &feedback_impl, feedback, feedback_destroyed);
    server->feedbacks.push_back(feedback);
    send_feedback(server, feedback, surface ? server->surface_feedback : server->default_feedback);
}

// --- wl_buffer ---------------------------------------------------------------------------------

void buffer_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

const struct wl_buffer_interface buffer_impl{
    .destroy = buffer_destroy,
};

void buffer_destroyed(wl_resource* resource) noexcept
{
    auto* buffer = static_cast<Buffer*>(wl_resource_get_user_data(resource));
    Server* server = buffer->server;
    server->surfaces_forget_buffer(buffer);
    server->capture_forget_buffer(buffer);
    server->sync_forget_buffer(buffer);
    server->syncobj_forget_buffer(buffer);
    auto& withheld = server->withheld;
    withheld.erase(std::remove(withheld.begin(), withheld.end(), buffer), withheld.end());
    auto& all = server->buffers;
    all.erase(std::remove(all.begin(), all.end(), buffer), all.end());
    const bool keep = server->config.keep_plane_fds;
    server->records.update([&](Records& r) {
        BufferRecord& record = r.buffers[buffer->serial - 1];
        record.destroyed = true;
        if (!keep) {
            for (PlaneRecord& plane : record.planes) {
                plane.fd.reset();
            }
        }
    });
    delete buffer;
}

// --- params ------------------------------------------------------------------------------------

Params* params_of(wl_resource* resource)
{
    return static_cast<Params*>(wl_resource_get_user_data(resource));
}

void params_error(Params* params, uint32_t code, const std::string& message)
{
    params->server->records.update([&](Records& r) {
        ParamsRecord& record = r.params[params->serial - 1];
        record.outcome = ParamsOutcome::protocol_error;
        record.error_code = code;
        record.error_message = message;
    });
    params->server->post_error(params->resource, code, message);
}

void params_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

void params_add(wl_client*, wl_resource* resource, int32_t raw_fd, uint32_t plane_idx, uint32_t offset,
                uint32_t stride, uint32_t modifier_hi, uint32_t modifier_lo) noexcept
{
    auto fd = std::make_shared<UniqueFd>(raw_fd);  // ours from here on, whatever happens
    Params* params = params_of(resource);
    if (params->used) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
                     "add: the params object was already used to create a wl_buffer");
        return;
    }
    if (plane_idx >= max_planes) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
                     log::format("add: plane index %u is out of bounds (at most %u planes)", plane_idx, max_planes));
        return;
    }
    if (params->planes[plane_idx]) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
                     log::format("add: plane %u was already set", plane_idx));
        return;
    }
    const DrmModifier modifier{(uint64_t{modifier_hi} << 32U) | modifier_lo};
    if (wl_resource_get_version(resource) >= 5) {
        for (uint32_t i = 0; i < max_planes; ++i) {
            if (params->planes[i] && params->planes[i]->modifier != modifier) {
                params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
                             log::format("add: plane %u has modifier %s, plane %u has %s", plane_idx,
                                         name(modifier).c_str(), i, name(params->planes[i]->modifier).c_str()));
                return;
            }
        }
    }
    // The size, without disturbing the file offset the client shares with us (dma-bufs only
    // know SEEK_SET and SEEK_END).
    const off_t position = lseek(fd->get(), 0, SEEK_CUR);
    const off_t size = lseek(fd->get(), 0, SEEK_END);
    lseek(fd->get(), position >= 0 ? position : 0, SEEK_SET);

    params->planes[plane_idx] = PlaneIn{fd, offset, stride, modifier, size};
    PlaneRecord record{plane_idx, offset, stride, modifier, size, fd};
    params->server->records.update(
        [&](Records& r) { r.params[params->serial - 1].planes.push_back(std::move(record)); });
}

// v6: the device to import for; an array of any size but sizeof(dev_t) is invalid_dev_t_size.
void params_set_sampling_device(wl_client*, wl_resource* resource, wl_array* device) noexcept
{
    Params* params = params_of(resource);
    if (params->used) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
                     "set_sampling_device: the params object was already used to create a wl_buffer");
        return;
    }
    if (device->size != sizeof(dev_t)) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DEV_T_SIZE,
                     log::format("set_sampling_device: the array has %zu bytes, a dev_t %zu", device->size, sizeof(dev_t)));
        return;
    }
    dev_t dev;
    std::memcpy(&dev, device->data, sizeof dev);
    params->server->records.update([&](Records& r) { r.params[params->serial - 1].sampling_device = dev; });
}

enum class Verdict { ok, failed, error };

Verdict validate(Params* params, int32_t width, int32_t height, uint32_t fourcc, uint32_t flags, bool immed)
{
    Server* server = params->server;
    if (params->used) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
                     "create: the params object was already used to create a wl_buffer");
        return Verdict::error;
    }
    params->used = true;
    server->records.update([&](Records& r) {
        ParamsRecord& record = r.params[params->serial - 1];
        record.create_requested = true;
        record.immed = immed;
        record.width = width;
        record.height = height;
        record.format = DrmFormat{fourcc};
        record.flags = flags;
    });

    uint32_t count = 0;
    for (uint32_t i = 0; i < max_planes; ++i) {
        if (params->planes[i]) {
            count = i + 1;
        }
    }
    if (count == 0) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE, "create: no plane was added");
        return Verdict::error;
    }
    for (uint32_t i = 0; i < count; ++i) {
        if (!params->planes[i]) {
            params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
                         log::format("create: plane %u is missing (planes up to %u were added)", i, count - 1));
            return Verdict::error;
        }
    }
    if (width < 1 || height < 1) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS,
                     log::format("create: invalid size %dx%d", width, height));
        return Verdict::error;
    }

    const DrmFormat format{fourcc};
    const DrmModifier modifier = params->planes[0]->modifier;
    bool mixed_modifiers = false;
    for (uint32_t i = 1; i < count; ++i) {
        mixed_modifiers = mixed_modifiers || params->planes[i]->modifier != modifier;
    }
    if (!server->advertised({format, modifier})) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
                     log::format("create: %s with modifier %s was not advertised", name(format).c_str(),
                                 name(modifier).c_str()));
        return Verdict::error;
    }

    const FormatInfo* info = format_info(format);
    const bool simple_layout = modifier.is_linear() || modifier.is_implicit();
    const uint32_t format_planes = info ? info->plane_count : 1;
    if (info && (simple_layout ? count != format_planes : count < format_planes)) {
        params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
                     log::format("create: %s with modifier %s needs %u planes, %u were added",
                                 name(format).c_str(), name(modifier).c_str(), format_planes, count));
        return Verdict::error;
    }

    for (uint32_t i = 0; i < count; ++i) {
        const PlaneIn& plane = *params->planes[i];
        const uint64_t row_end = uint64_t{plane.offset} + plane.stride;
        if (row_end > std::numeric_limits<uint32_t>::max()) {
            params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
                         log::format("create: plane %u offset %u + stride %u overflows", i, plane.offset,
                                     plane.stride));
            return Verdict::error;
        }
        const bool geometry_known = info && i < format_planes;
        const uint64_t row = geometry_known ? min_stride(*info, i, static_cast<uint32_t>(width)) : 0;
        if (modifier.is_linear() && plane.stride < row) {
            params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
                         log::format("create: plane %u stride %u is less than a row (%llu bytes)", i, plane.stride,
                                     static_cast<unsigned long long>(row)));
            return Verdict::error;
        }
        if (plane.size < 0) {
            continue;  // the fd cannot tell its size
        }
        const auto size = static_cast<uint64_t>(plane.size);
        const uint32_t rows = geometry_known ? plane_height(*info, i, static_cast<uint32_t>(height))
                                             : (i == 0 ? static_cast<uint32_t>(height) : 1U);
        const uint64_t end = uint64_t{plane.offset} + uint64_t{plane.stride} * rows;
        if (plane.offset >= size || row_end > size || end > size) {
            params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
                         log::format("create: plane %u (offset %u, stride %u, %u rows) ends at %llu, past the "
                                     "dmabuf's %llu bytes",
                                     i, plane.offset, plane.stride, rows, static_cast<unsigned long long>(end),
                                     static_cast<unsigned long long>(size)));
            return Verdict::error;
        }
    }

    // Import failures: not the client's fault as far as the protocol can tell.
    if (mixed_modifiers || server->fail_pairs.contains({format, modifier})) {
        return Verdict::failed;
    }
    return Verdict::ok;
}

Buffer* make_buffer(Params* params, wl_client* client, uint32_t id, bool failed)
{
    Server* server = params->server;
    BufferRecord record = server->records.read([&](const Records& r) {
        const ParamsRecord& params_record = r.params[params->serial - 1];
        return BufferRecord{
            .client = params->client,
            .params = params->serial,
            .width = params_record.width,
            .height = params_record.height,
            .format = params_record.format,
            .modifier = params->planes[0]->modifier,
            .flags = params_record.flags,
            .failed = failed,
            .planes = params_record.planes,
        };
    });
    std::sort(record.planes.begin(), record.planes.end(),
              [](const PlaneRecord& a, const PlaneRecord& b) { return a.plane_idx < b.plane_idx; });
    std::vector<std::shared_ptr<UniqueFd>> fds;
    for (const auto& plane : params->planes) {
        if (plane) {
            fds.push_back(plane->fd);
        }
    }
    Buffer* buffer = server->create_buffer(client, id, std::move(record), std::move(fds));
    if (buffer) {
        server->records.update([&](Records& r) {
            ParamsRecord& params_record = r.params[params->serial - 1];
            params_record.buffer = buffer->serial;
            params_record.outcome = failed ? ParamsOutcome::failed : ParamsOutcome::created;
        });
    }
    return buffer;
}

void set_outcome(Params* params, ParamsOutcome outcome)
{
    params->server->records.update([&](Records& r) { r.params[params->serial - 1].outcome = outcome; });
}

void params_create(wl_client* client, wl_resource* resource, int32_t width, int32_t height, uint32_t format,
                   uint32_t flags) noexcept
{
    Params* params = params_of(resource);
    switch (validate(params, width, height, format, flags, false)) {
    case Verdict::error:
        return;
    case Verdict::failed:
        set_outcome(params, ParamsOutcome::failed);
        zwp_linux_buffer_params_v1_send_failed(resource);
        return;
    case Verdict::ok:
        if (Buffer* buffer = make_buffer(params, client, 0, false)) {
            zwp_linux_buffer_params_v1_send_created(resource, buffer->resource);
        }
        return;
    }
}

void params_create_immed(wl_client* client, wl_resource* resource, uint32_t buffer_id, int32_t width,
                         int32_t height, uint32_t format, uint32_t flags) noexcept
{
    Params* params = params_of(resource);
    switch (validate(params, width, height, format, flags, true)) {
    case Verdict::error:
        return;
    case Verdict::failed:
        if (params->server->config.immed_failure == ImmedFailure::protocol_error) {
            params_error(params, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
                         "create_immed: importing the dmabufs failed");
        } else if (make_buffer(params, client, buffer_id, true)) {
            zwp_linux_buffer_params_v1_send_failed(resource);
        }
        return;
    case Verdict::ok:
        make_buffer(params, client, buffer_id, false);
        return;
    }
}

const struct zwp_linux_buffer_params_v1_interface params_impl{
    .destroy = params_destroy,
    .add = params_add,
    .create = params_create,
    .create_immed = params_create_immed,
    .set_sampling_device = params_set_sampling_device,
};

void params_destroyed(wl_resource* resource) noexcept
{
    Params* params = params_of(resource);
    const bool keep = params->server->config.keep_plane_fds;
    params->server->records.update([&](Records& r) {
        ParamsRecord& record = r.params[params->serial - 1];
        if (record.outcome == ParamsOutcome::pending) {
            record.outcome = ParamsOutcome::abandoned;
        }
        if (!keep) {
            for (PlaneRecord& plane : record.planes) {
                plane.fd.reset();
            }
        }
    });
    delete params;
}

// --- the global ----------------------------------------------------------------------------------

void dmabuf_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

void dmabuf_create_params(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    const int version = wl_resource_get_version(resource);
    wl_resource* res = wl_resource_create(client, &zwp_linux_buffer_params_v1_interface, version, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* params = new Params;
    params->server = server;
    params->resource = res;
    params->client = server->client_serial(client);
    server->records.update([&](Records& r) {
        params->serial = r.params.size() + 1;
        ParamsRecord record;
        record.serial = params->serial;
        record.client = params->client;
        record.version = static_cast<uint32_t>(version);
        r.params.push_back(std::move(record));
    });
    wl_resource_set_implementation(res, &params_impl, params, params_destroyed);
}

void dmabuf_get_default_feedback(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    make_feedback(client, resource, id, nullptr);
}

void dmabuf_get_surface_feedback(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface) noexcept
{
    make_feedback(client, resource, id, static_cast<Surface*>(wl_resource_get_user_data(surface)));
}

const struct zwp_linux_dmabuf_v1_interface dmabuf_impl{
    .destroy = dmabuf_destroy,
    .create_params = dmabuf_create_params,
    .get_default_feedback = dmabuf_get_default_feedback,
    .get_surface_feedback = dmabuf_get_surface_feedback,
};

void bind_dmabuf(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    auto* server = static_cast<Server*>(data);
    wl_resource* res = wl_resource_create(client, &zwp_linux_dmabuf_v1_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &dmabuf_impl, server, nullptr);
    if (version >= ZWP_LINUX_DMABUF_V1_GET_DEFAULT_FEEDBACK_SINCE_VERSION) {
        return;  // format and modifier events are not sent from version 4 on
    }
    // A v3 global lists Config::formats; an older bind of a v4+ global, the default feedback's pairs.
    const FormatSet& formats =
        server->config.dmabuf_version >= 4 ? server->default_feedback.formats : server->v3_formats;
    for (const DrmFormat format : formats.formats()) {
        const std::vector<DrmModifier> modifiers = formats.modifiers_for(format);
        if (version >= ZWP_LINUX_DMABUF_V1_MODIFIER_SINCE_VERSION) {
            zwp_linux_dmabuf_v1_send_format(res, format.fourcc());
            for (const DrmModifier modifier : modifiers) {
                zwp_linux_dmabuf_v1_send_modifier(res, format.fourcc(), static_cast<uint32_t>(modifier.value() >> 32U),
                                                  static_cast<uint32_t>(modifier.value() & 0xffffffffU));
            }
        } else if (std::find(modifiers.begin(), modifiers.end(), modifier_implicit) != modifiers.end()) {
            zwp_linux_dmabuf_v1_send_format(res, format.fourcc());  // v1/v2: implicit layouts only
        }
    }
}

}  // namespace

Result<void> Server::init_dmabuf()
{
    if (config.dmabuf_version < 3 || config.dmabuf_version > 6) {
        return Error{log::format("linux-dmabuf version %u is not 3, 4, 5 or 6", config.dmabuf_version)};
    }
    v3_formats = config.formats;
    // v6 requires a tranche with the sampling flag: the single tranche has it there.
    const uint32_t single_flags = config.dmabuf_version >= 6 ? ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SAMPLING : 0;
    const FeedbackConfig initial =
        config.feedback ? *config.feedback : FeedbackConfig::single(config.main_device, config.formats, single_flags);
    if (auto r = build_state(default_feedback, initial); !r) {
        return r;
    }
    surface_follows_default = !config.surface_feedback;
    if (auto r = build_state(surface_feedback, config.surface_feedback ? *config.surface_feedback : initial); !r) {
        return r;
    }
    // A v4+ global's old-style binds list the default feedback: Config::formats then says nothing.
    const FormatSet* listed = config.dmabuf_version >= 4 ? &default_feedback.formats : &v3_formats;
    const FormatSet* feedbacks_listed[] = {listed, &default_feedback.formats, &surface_feedback.formats};
    for (const FormatSet* set : feedbacks_listed) {
        for (const FormatModifier& pair : *set) {
            ever_advertised.add(pair);
        }
    }
    if (!wl_global_create(display, &zwp_linux_dmabuf_v1_interface, static_cast<int>(config.dmabuf_version), this,
                          bind_dmabuf)) {
        return Error{"wl_global_create(zwp_linux_dmabuf_v1) failed"};
    }
    return {};
}

bool Server::advertised(const FormatModifier& pair) const
{
    return ever_advertised.contains(pair);
}

void Server::set_default_feedback(FeedbackConfig feedback)
{
    const uint64_t generation = default_feedback.generation + 1;
    if (surface_follows_default) {
        if (auto r = build_state(surface_feedback, feedback); !r) {
            log::error("test compositor: %s", r.error().message().c_str());
            return;
        }
        surface_feedback.generation = generation;
    }
    if (auto r = build_state(default_feedback, std::move(feedback)); !r) {
        log::error("test compositor: %s", r.error().message().c_str());
        return;
    }
    default_feedback.generation = generation;
    for (const FormatModifier& pair : default_feedback.formats) {
        ever_advertised.add(pair);
    }
    for (DmabufFeedbackObject* object : std::vector{feedbacks}) {
        if (!object->per_surface) {
            send_feedback(this, object, default_feedback);
        } else if (surface_follows_default && object->surface) {
            send_feedback(this, object, surface_feedback);
        }
    }
}

void Server::set_surface_feedback(FeedbackConfig feedback)
{
    surface_follows_default = false;
    if (auto r = build_state(surface_feedback, std::move(feedback)); !r) {
        log::error("test compositor: %s", r.error().message().c_str());
        return;
    }
    ++surface_feedback.generation;
    for (const FormatModifier& pair : surface_feedback.formats) {
        ever_advertised.add(pair);
    }
    for (DmabufFeedbackObject* object : std::vector{feedbacks}) {
        if (object->per_surface && object->surface) {  // inert once its surface is gone
            send_feedback(this, object, surface_feedback);
        }
    }
}

void Server::feedback_surface_lost(Surface* surface)
{
    for (DmabufFeedbackObject* object : feedbacks) {
        if (object->surface == surface) {
            object->surface = nullptr;
        }
    }
}

Buffer* Server::create_buffer(wl_client* client, uint32_t id, BufferRecord record,
                              std::vector<std::shared_ptr<UniqueFd>> fds)
{
    wl_resource* res = wl_resource_create(client, &wl_buffer_interface, 1, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return nullptr;
    }
    auto* buffer = new Buffer;
    buffer->server = this;
    buffer->resource = res;
    buffer->width = record.width;
    buffer->height = record.height;
    buffer->format = record.format;
    buffer->failed = record.failed;
    buffer->shm = record.params == 0;
    buffer->modifier = record.modifier;
    if (!record.planes.empty() && record.planes.front().plane_idx == 0) {
        buffer->offset = record.planes.front().offset;
        buffer->stride = record.planes.front().stride;
    }
    buffer->fds = std::move(fds);
    wl_resource_set_implementation(res, &buffer_impl, buffer, buffer_destroyed);
    buffers.push_back(buffer);
    record.object_id = wl_resource_get_id(res);
    records.update([&](Records& r) {
        record.serial = r.buffers.size() + 1;
        buffer->serial = record.serial;
        r.buffers.push_back(std::move(record));
    });
    return buffer;
}

Buffer* Server::buffer_from_resource(wl_resource* resource)
{
    if (!resource || !wl_resource_instance_of(resource, &wl_buffer_interface, &buffer_impl)) {
        return nullptr;
    }
    return static_cast<Buffer*>(wl_resource_get_user_data(resource));
}

void Server::release_buffer(Buffer* buffer)
{
    if (buffer->failed || client_dying(wl_resource_get_client(buffer->resource))) {
        return;
    }
    if (withhold) {
        if (std::find(withheld.begin(), withheld.end(), buffer) == withheld.end()) {
            withheld.push_back(buffer);
        }
        return;
    }
    if (!syncobj_buffer_released(buffer)) {
        wl_buffer_send_release(buffer->resource);
    }
    sync_buffer_released(buffer);
    std::vector<ReleaseRecord> record{{buffer->serial, now_ns()}};
    records.update([&](Records& r) {
        append_frame_records(r.releases, std::move(record), config.frame_records_kept);
        ++r.totals.releases;
    });
}

void Server::release_all()
{
    const bool was_withholding = withhold;
    withhold = false;
    for (Buffer* buffer : std::exchange(withheld, {})) {
        release_buffer(buffer);
    }
    withhold = was_withholding;
}

}  // namespace dmafeed::test::detail

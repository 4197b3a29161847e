// The output and reading it back: wl_output (always offered), what the output shows (the background
// with the current buffer of the surface that committed last), and the capture protocols
// Config::capture asks for. Each copies the output into the client's wl_shm buffer at once, on the
// request that asks for it: zwlr_screencopy_manager_v1 (v1-v3; copy and copy_with_damage; region
// captures fail), ext-image-copy-capture-v1 (output sources; no cursor sessions) and
// weston_capture_v1 (where this build has its protocol).
#include "server.hpp"

#include "util/log.hpp"

#include "ext-image-capture-source-v1-server-protocol.h"
#include "ext-image-copy-capture-v1-server-protocol.h"
#include "wlr-screencopy-unstable-v1-server-protocol.h"
#if DMAFEED_HAVE_WESTON_CAPTURE
#include "weston-output-capture-server-protocol.h"
#endif

#include <algorithm>
#include <wayland-server.h>

namespace dmafeed::test::detail {

struct CaptureSession {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    uint32_t options = 0;
    CaptureFrame* frame = nullptr;
    bool stopped = false;
};

struct CaptureFrame {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    CaptureSession* session = nullptr;  // null once the session is gone
    bool attached = false;
    Buffer* buffer = nullptr;  // the attached buffer; null once it is gone
    std::vector<Rect> damage;
    bool captured = false;
};

struct WestonSource {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
};

namespace {

template <class T>
void erase_value(std::vector<T>& v, const T& value)
{
    v.erase(std::remove(v.begin(), v.end(), value), v.end());
}

Server* server_of(wl_resource* resource)
{
    return static_cast<Server*>(wl_resource_get_user_data(resource));
}

void destroy_resource(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

// The bind handler of a global whose resources need nothing but their implementation (and the
// server as user data).
template <const wl_interface* Interface, const auto* Implementation>
void bind_global(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, Interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, Implementation, data, nullptr);
}

// --- what the output shows ----------------------------------------------------------------------------

struct OutputImage {
    int32_t width = 0;
    int32_t height = 0;
    std::vector<uint32_t> pixels;  // 0xRRGGBB, row by row
};

bool is_rgb32(DrmFormat format)
{
    switch (format.fourcc()) {
    case DRM_FORMAT_XRGB8888:
    case DRM_FORMAT_ARGB8888:
    case DRM_FORMAT_XBGR8888:
    case DRM_FORMAT_ABGR8888: return true;
    default: return false;
    }
}

// XBGR8888 and ABGR8888 are R, G, B, X in memory; XRGB8888 and ARGB8888 B, G, R, X.
bool red_first(DrmFormat format)
{
    return format.fourcc() == DRM_FORMAT_XBGR8888 || format.fourcc() == DRM_FORMAT_ABGR8888;
}

OutputImage compose(const Server& server)
{
    const CaptureConfig& config = server.config.capture;
    OutputImage image{server.config.output_width, server.config.output_height, {}};
    image.pixels.assign(size_t(image.width) * size_t(image.height), config.background & 0xffffffU);
    const Surface* top = nullptr;
    for (const Surface* surface : server.surfaces) {
        if (surface->buffer && (!top || surface->last_commit > top->last_commit)) top = surface;
    }
    if (!top) return image;
    const Buffer& buffer = *top->buffer;
    if (buffer.failed || buffer.fds.empty() || !is_rgb32(buffer.format) || !buffer.modifier.is_linear()) return image;
    auto mapped = PlaneMapping::map(buffer.fds.front()->get(), buffer.offset,
                                    uint64_t{buffer.stride} * uint64_t(buffer.height), false);
    if (!mapped) {
        log::error("test compositor: the output cannot show buffer %llu: %s",
                   static_cast<unsigned long long>(buffer.serial), mapped.error().message().c_str());
        return image;
    }
    const bool rgb = red_first(buffer.format);
    const bool fullscreen = top->xdg && top->xdg->toplevel && top->xdg->toplevel->fullscreen;
    const int32_t left = fullscreen ? 0 : output_content_x, above = fullscreen ? 0 : output_content_y;
    for (int32_t y = 0; y < buffer.height; ++y) {
        const int32_t oy = above + y;
        if (oy < 0 || oy >= image.height) continue;
        const uint8_t* row = mapped->data() + size_t{buffer.stride} * size_t(y);
        for (int32_t x = 0; x < buffer.width; ++x) {
            const int32_t ox = left + x;
            if (ox < 0 || ox >= image.width) continue;
            const uint8_t* px = row + size_t(x) * 4;
            const uint32_t r = rgb ? px[0] : px[2], g = px[1], b = rgb ? px[2] : px[0];
            image.pixels[size_t(oy) * size_t(image.width) + size_t(ox)] = r << 16U | g << 8U | b;
        }
    }
    return image;
}

// Whether a capture of `width` x `height` can go into `buffer`: a wl_shm buffer of that size, in a
// format captures accept, with room for its rows.
bool fits(const Server& server, const Buffer* buffer, int32_t width, int32_t height)
{
    const auto& formats = server.config.capture.formats;
    return buffer && buffer->shm && !buffer->failed && buffer->width == width && buffer->height == height &&
           int64_t{buffer->stride} >= int64_t{width} * 4 && is_rgb32(buffer->format) &&
           std::find(formats.begin(), formats.end(), buffer->format) != formats.end();
}

// Writes the output into a buffer that fits it; rows bottom-up with `y_invert`. False (logged) when
// the buffer cannot be mapped.
bool write(const OutputImage& image, const Buffer& buffer, bool y_invert)
{
    auto mapped = PlaneMapping::map(buffer.fds.front()->get(), buffer.offset,
                                    uint64_t{buffer.stride} * uint64_t(buffer.height), true);
    if (!mapped) {
        log::error("test compositor: cannot write the capture into buffer %llu: %s",
                   static_cast<unsigned long long>(buffer.serial), mapped.error().message().c_str());
        return false;
    }
    const bool rgb = red_first(buffer.format);
    for (int32_t y = 0; y < image.height; ++y) {
        const uint32_t* src = image.pixels.data() + size_t(y_invert ? image.height - 1 - y : y) * size_t(image.width);
        uint8_t* row = mapped->data() + size_t{buffer.stride} * size_t(y);
        for (int32_t x = 0; x < image.width; ++x) {
            const uint32_t v = src[x];
            const auto r = static_cast<uint8_t>(v >> 16U), g = static_cast<uint8_t>(v >> 8U),
                       b = static_cast<uint8_t>(v);
            row[x * 4 + 0] = rgb ? r : b;
            row[x * 4 + 1] = g;
            row[x * 4 + 2] = rgb ? b : r;
            row[x * 4 + 3] = 0xff;
        }
    }
    return true;
}

void record(Server& server, wl_resource* resource, CaptureRecord capture)
{
    capture.client = server.client_serial(wl_resource_get_client(resource));
    server.records.update([&](Records& r) { r.captures.push_back(std::move(capture)); });
}

struct Timestamp {
    uint32_t sec_hi, sec_lo, nsec;
};
Timestamp now()
{
    const uint64_t ns = now_ns();
    const uint64_t sec = ns / 1'000'000'000U;
    return {static_cast<uint32_t>(sec >> 32U), static_cast<uint32_t>(sec & 0xffffffffU),
            static_cast<uint32_t>(ns % 1'000'000'000U)};
}

// --- wl_output ---------------------------------------------------------------------------------------------

void send_output_mode(wl_resource* output, const Config& config)
{
    wl_output_send_mode(output, WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED, config.output_width,
                        config.output_height, 60000);
    if (wl_resource_get_version(output) >= WL_OUTPUT_DONE_SINCE_VERSION) wl_output_send_done(output);
}

const struct wl_output_interface output_impl{
    .release = destroy_resource,
};

void output_destroyed(wl_resource* resource) noexcept
{
    erase_value(server_of(resource)->outputs, resource);
}

void bind_output(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    auto* server = static_cast<Server*>(data);
    wl_resource* res = wl_resource_create(client, &wl_output_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &output_impl, server, output_destroyed);
    server->outputs.push_back(res);
    wl_output_send_geometry(res, 0, 0, 0, 0, WL_OUTPUT_SUBPIXEL_UNKNOWN, "dmafeed", "test output",
                            WL_OUTPUT_TRANSFORM_NORMAL);
    if (version >= WL_OUTPUT_SCALE_SINCE_VERSION) wl_output_send_scale(res, 1);
    if (version >= WL_OUTPUT_NAME_SINCE_VERSION) {
        wl_output_send_name(res, "TEST-1");
        wl_output_send_description(res, "the test compositor's output");
    }
    send_output_mode(res, server->config);
}

// --- zwlr_screencopy_manager_v1 ------------------------------------------------------------------------------

constexpr const char* wlr_name = "zwlr_screencopy_manager_v1";

struct ScreencopyFrame {
    Server* server = nullptr;
    int32_t width = 0;  // as the buffer event said
    int32_t height = 0;
    int32_t overlay_cursor = 0;
    bool used = false;
};

ScreencopyFrame* screencopy_frame_of(wl_resource* resource)
{
    return static_cast<ScreencopyFrame*>(wl_resource_get_user_data(resource));
}

void screencopy_copy(wl_resource* resource, wl_resource* buffer_resource, bool with_damage)
{
    ScreencopyFrame* frame = screencopy_frame_of(resource);
    Server* server = frame->server;
    if (frame->used) {
        server->post_error(resource, ZWLR_SCREENCOPY_FRAME_V1_ERROR_ALREADY_USED, "the frame was copied already");
        return;
    }
    frame->used = true;
    Buffer* buffer = Server::buffer_from_resource(buffer_resource);
    if (!fits(*server, buffer, frame->width, frame->height)) {
        server->post_error(resource, ZWLR_SCREENCOPY_FRAME_V1_ERROR_INVALID_BUFFER,
                           log::format("the buffer is not a %dx%d wl_shm buffer in a format the frame offered",
                                       frame->width, frame->height));
        return;
    }
    CaptureRecord capture{.protocol = wlr_name, .overlay_cursor = frame->overlay_cursor, .buffer = buffer->serial};
    const OutputImage image = compose(*server);
    const bool y_invert = server->config.capture.y_invert;
    // A frame described before the output was resized no longer fits it.
    if (server->config.capture.fault != CaptureFault::none || image.width != frame->width ||
        image.height != frame->height || !write(image, *buffer, y_invert)) {
        zwlr_screencopy_frame_v1_send_failed(resource);
        capture.outcome = "failed";
        record(*server, resource, std::move(capture));
        return;
    }
    if (with_damage) {
        zwlr_screencopy_frame_v1_send_damage(resource, 0, 0, static_cast<uint32_t>(image.width),
                                             static_cast<uint32_t>(image.height));
    }
    zwlr_screencopy_frame_v1_send_flags(resource, y_invert ? ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT : 0);
    const Timestamp t = now();
    zwlr_screencopy_frame_v1_send_ready(resource, t.sec_hi, t.sec_lo, t.nsec);
    capture.outcome = "ready";
    record(*server, resource, std::move(capture));
}

void screencopy_frame_copy(wl_client*, wl_resource* resource, wl_resource* buffer) noexcept
{
    screencopy_copy(resource, buffer, false);
}

void screencopy_frame_copy_with_damage(wl_client*, wl_resource* resource, wl_resource* buffer) noexcept
{
    screencopy_copy(resource, buffer, true);
}

const struct zwlr_screencopy_frame_v1_interface screencopy_frame_impl{
    .copy = screencopy_frame_copy,
    .destroy = destroy_resource,
    .copy_with_damage = screencopy_frame_copy_with_damage,
};

void screencopy_frame_destroyed(wl_resource* resource) noexcept
{
    delete screencopy_frame_of(resource);
}

// A frame of the whole output (`whole`), or of a region, which this compositor does not capture:
// that frame fails at once.
void screencopy_frame(wl_client* client, wl_resource* manager, uint32_t id, int32_t overlay_cursor, bool whole)
{
    Server* server = server_of(manager);
    const int version = wl_resource_get_version(manager);
    wl_resource* res = wl_resource_create(client, &zwlr_screencopy_frame_v1_interface, version, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* frame =
        new ScreencopyFrame{server, server->config.output_width, server->config.output_height, overlay_cursor};
    wl_resource_set_implementation(res, &screencopy_frame_impl, frame, screencopy_frame_destroyed);
    if (!whole) {
        zwlr_screencopy_frame_v1_send_failed(res);
        return;
    }
    const auto width = static_cast<uint32_t>(frame->width), height = static_cast<uint32_t>(frame->height);
    for (const DrmFormat format : server->config.capture.formats) {
        zwlr_screencopy_frame_v1_send_buffer(res, shm_format_of(format), width, height, width * 4);
        if (version < ZWLR_SCREENCOPY_FRAME_V1_BUFFER_DONE_SINCE_VERSION) return;  // one buffer event before v3
    }
    zwlr_screencopy_frame_v1_send_buffer_done(res);
}

void screencopy_capture_output(wl_client* client, wl_resource* resource, uint32_t id, int32_t overlay_cursor,
                               wl_resource*) noexcept
{
    screencopy_frame(client, resource, id, overlay_cursor, true);
}

void screencopy_capture_output_region(wl_client* client, wl_resource* resource, uint32_t id, int32_t overlay_cursor,
                                      wl_resource*, int32_t, int32_t, int32_t, int32_t) noexcept
{
    screencopy_frame(client, resource, id, overlay_cursor, false);
}

const struct zwlr_screencopy_manager_v1_interface screencopy_manager_impl{
    .capture_output = screencopy_capture_output,
    .capture_output_region = screencopy_capture_output_region,
    .destroy = destroy_resource,
};

// --- ext-image-copy-capture-v1 ------------------------------------------------------------------------------

constexpr const char* ext_name = "ext-image-copy-capture-v1";

void send_constraints(const CaptureSession& session)
{
    const Config& config = session.server->config;
    for (const DrmFormat format : config.capture.formats) {
        ext_image_copy_capture_session_v1_send_shm_format(session.resource, shm_format_of(format));
    }
    ext_image_copy_capture_session_v1_send_buffer_size(session.resource, static_cast<uint32_t>(config.output_width),
                                                       static_cast<uint32_t>(config.output_height));
    ext_image_copy_capture_session_v1_send_done(session.resource);
}

CaptureFrame* capture_frame_of(wl_resource* resource)
{
    return static_cast<CaptureFrame*>(wl_resource_get_user_data(resource));
}

// False (an already_captured error posted) once the frame was captured.
bool not_captured(CaptureFrame* frame, const char* request)
{
    if (frame->captured) {
        frame->server->post_error(frame->resource, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED,
                                  log::format("%s after capture", request));
    }
    return !frame->captured;
}

void capture_frame_attach_buffer(wl_client*, wl_resource* resource, wl_resource* buffer) noexcept
{
    CaptureFrame* frame = capture_frame_of(resource);
    if (!not_captured(frame, "attach_buffer")) return;
    frame->attached = true;
    frame->buffer = Server::buffer_from_resource(buffer);
}

void capture_frame_damage_buffer(wl_client*, wl_resource* resource, int32_t x, int32_t y, int32_t width,
                                 int32_t height) noexcept
{
    CaptureFrame* frame = capture_frame_of(resource);
    if (!not_captured(frame, "damage_buffer")) return;
    if (x < 0 || y < 0 || width <= 0 || height <= 0) {
        frame->server->post_error(resource, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER_DAMAGE,
                                  log::format("damage %d,%d %dx%d", x, y, width, height));
        return;
    }
    frame->damage.push_back({x, y, width, height});
}

void capture_frame_capture(wl_client*, wl_resource* resource) noexcept
{
    CaptureFrame* frame = capture_frame_of(resource);
    Server* server = frame->server;
    if (!not_captured(frame, "capture")) return;
    if (!frame->attached) {
        server->post_error(resource, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_NO_BUFFER, "capture without attach_buffer");
        return;
    }
    frame->captured = true;
    CaptureSession* session = frame->session;
    CaptureRecord capture{.protocol = ext_name,
                          .options = session ? session->options : 0,
                          .damage = frame->damage,
                          .buffer = frame->buffer ? frame->buffer->serial : 0};
    const OutputImage image = compose(*server);
    std::optional<uint32_t> reason;
    if (!session || session->stopped) {
        reason = EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED;
    } else if (server->config.capture.fault == CaptureFault::stopped) {
        session->stopped = true;
        ext_image_copy_capture_session_v1_send_stopped(session->resource);
        reason = EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED;
    } else if (server->config.capture.fault == CaptureFault::failed) {
        reason = EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN;
    } else if (!fits(*server, frame->buffer, image.width, image.height)) {
        reason = EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS;
    } else if (!write(image, *frame->buffer, false)) {
        reason = EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN;
    }
    if (reason) {
        ext_image_copy_capture_frame_v1_send_failed(resource, *reason);
        capture.outcome = *reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED ? "failed stopped"
                          : *reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS
                              ? "failed buffer_constraints"
                              : "failed";
    } else {
        ext_image_copy_capture_frame_v1_send_transform(resource, WL_OUTPUT_TRANSFORM_NORMAL);
        ext_image_copy_capture_frame_v1_send_damage(resource, 0, 0, image.width, image.height);
        const Timestamp t = now();
        ext_image_copy_capture_frame_v1_send_presentation_time(resource, t.sec_hi, t.sec_lo, t.nsec);
        ext_image_copy_capture_frame_v1_send_ready(resource);
        capture.outcome = "ready";
    }
    record(*server, resource, std::move(capture));
}

const struct ext_image_copy_capture_frame_v1_interface capture_frame_impl{
    .destroy = destroy_resource,
    .attach_buffer = capture_frame_attach_buffer,
    .damage_buffer = capture_frame_damage_buffer,
    .capture = capture_frame_capture,
};

void capture_frame_destroyed(wl_resource* resource) noexcept
{
    CaptureFrame* frame = capture_frame_of(resource);
    if (frame->session) frame->session->frame = nullptr;
    erase_value(frame->server->capture_frames, frame);
    delete frame;
}

CaptureSession* capture_session_of(wl_resource* resource)
{
    return static_cast<CaptureSession*>(wl_resource_get_user_data(resource));
}

void capture_session_create_frame(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    CaptureSession* session = capture_session_of(resource);
    if (session->frame) {
        session->server->post_error(resource, EXT_IMAGE_COPY_CAPTURE_SESSION_V1_ERROR_DUPLICATE_FRAME,
                                    "create_frame while a frame exists");
        return;
    }
    wl_resource* res =
        wl_resource_create(client, &ext_image_copy_capture_frame_v1_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* frame = new CaptureFrame{.server = session->server, .resource = res, .session = session};
    wl_resource_set_implementation(res, &capture_frame_impl, frame, capture_frame_destroyed);
    session->frame = frame;
    session->server->capture_frames.push_back(frame);
}

const struct ext_image_copy_capture_session_v1_interface capture_session_impl{
    .create_frame = capture_session_create_frame,
    .destroy = destroy_resource,
};

void capture_session_destroyed(wl_resource* resource) noexcept
{
    CaptureSession* session = capture_session_of(resource);
    if (session->frame) session->frame->session = nullptr;
    erase_value(session->server->capture_sessions, session);
    delete session;
}

void copy_manager_create_session(wl_client* client, wl_resource* resource, uint32_t id, wl_resource*,
                                 uint32_t options) noexcept
{
    Server* server = server_of(resource);
    if ((options & ~uint32_t{EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS}) != 0) {
        server->post_error(resource, EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_ERROR_INVALID_OPTION,
                           log::format("options 0x%x", options));
        return;
    }
    wl_resource* res =
        wl_resource_create(client, &ext_image_copy_capture_session_v1_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* session = new CaptureSession{.server = server, .resource = res, .options = options};
    wl_resource_set_implementation(res, &capture_session_impl, session, capture_session_destroyed);
    server->capture_sessions.push_back(session);
    send_constraints(*session);
}

void copy_manager_create_pointer_cursor_session(wl_client* client, wl_resource*, uint32_t, wl_resource*,
                                                wl_resource*) noexcept
{
    wl_client_post_implementation_error(client, "the test compositor has no cursor capture sessions");
}

const struct ext_image_copy_capture_manager_v1_interface copy_manager_impl{
    .create_session = copy_manager_create_session,
    .create_pointer_cursor_session = copy_manager_create_pointer_cursor_session,
    .destroy = destroy_resource,
};

const struct ext_image_capture_source_v1_interface source_impl{
    .destroy = destroy_resource,
};

void source_manager_create_source(wl_client* client, wl_resource* resource, uint32_t id, wl_resource*) noexcept
{
    wl_resource* res =
        wl_resource_create(client, &ext_image_capture_source_v1_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &source_impl, nullptr, nullptr);  // the one output is the source
}

const struct ext_output_image_capture_source_manager_v1_interface source_manager_impl{
    .create_source = source_manager_create_source,
    .destroy = destroy_resource,
};

// --- weston_capture_v1 ---------------------------------------------------------------------------------------

#if DMAFEED_HAVE_WESTON_CAPTURE

constexpr const char* weston_name = "weston_capture_v1";

WestonSource* weston_source_of(wl_resource* resource)
{
    return static_cast<WestonSource*>(wl_resource_get_user_data(resource));
}

// weston's source: the first capture format and the output's size.
void send_weston_format_and_size(const WestonSource& source)
{
    const Config& config = source.server->config;
    weston_capture_source_v1_send_format(source.resource, config.capture.formats.empty()
                                                              ? DRM_FORMAT_XRGB8888
                                                              : config.capture.formats.front().fourcc());
    weston_capture_source_v1_send_size(source.resource, config.output_width, config.output_height);
}

void weston_source_capture(wl_client*, wl_resource* resource, wl_resource* buffer_resource) noexcept
{
    WestonSource* source = weston_source_of(resource);
    Server* server = source->server;
    Buffer* buffer = Server::buffer_from_resource(buffer_resource);
    if (!buffer || !buffer->shm) {
        server->post_error(resource, WESTON_CAPTURE_SOURCE_V1_ERROR_BAD_BUFFER, "not a wl_shm buffer");
        return;
    }
    CaptureRecord capture{.protocol = weston_name, .buffer = buffer->serial};
    const OutputImage image = compose(*server);
    if (server->config.capture.fault != CaptureFault::none) {
        weston_capture_source_v1_send_failed(resource, "injected capture failure");
        capture.outcome = "failed";
    } else if (!fits(*server, buffer, image.width, image.height)) {
        send_weston_format_and_size(*source);
        weston_capture_source_v1_send_retry(resource);
        capture.outcome = "retry";
    } else if (!write(image, *buffer, false)) {
        weston_capture_source_v1_send_failed(resource, "cannot write the buffer");
        capture.outcome = "failed";
    } else {
        weston_capture_source_v1_send_complete(resource);
        capture.outcome = "complete";
    }
    record(*server, resource, std::move(capture));
}

const struct weston_capture_source_v1_interface weston_source_impl{
    .destroy = destroy_resource,
    .capture = weston_source_capture,
};

void weston_source_destroyed(wl_resource* resource) noexcept
{
    WestonSource* source = weston_source_of(resource);
    erase_value(source->server->weston_sources, source);
    delete source;
}

void weston_capture_create(wl_client* client, wl_resource* resource, wl_resource*, uint32_t pixel_source,
                           uint32_t id) noexcept
{
    Server* server = server_of(resource);
    if (pixel_source > WESTON_CAPTURE_V1_SOURCE_BLENDING) {
        server->post_error(resource, WESTON_CAPTURE_V1_ERROR_INVALID_SOURCE, log::format("source %u", pixel_source));
        return;
    }
    wl_resource* res = wl_resource_create(client, &weston_capture_source_v1_interface, 1, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* source = new WestonSource{server, res};
    wl_resource_set_implementation(res, &weston_source_impl, source, weston_source_destroyed);
    server->weston_sources.push_back(source);
    send_weston_format_and_size(*source);
}

const struct weston_capture_v1_interface weston_capture_impl{
    .destroy = destroy_resource,
    .create = weston_capture_create,
};

#endif

}  // namespace

Result<void> Server::init_capture()
{
    if (!wl_global_create(display, &wl_output_interface, 4, this, bind_output)) {
        return Error{"wl_global_create(wl_output) failed"};
    }
    const CaptureConfig& capture = config.capture;
    if (capture.screencopy_version > 0) {
        const auto version = static_cast<int>(std::min(capture.screencopy_version, 3U));
        if (!wl_global_create(display, &zwlr_screencopy_manager_v1_interface, version, this,
                              bind_global<&zwlr_screencopy_manager_v1_interface, &screencopy_manager_impl>)) {
            return Error{"wl_global_create(zwlr_screencopy_manager_v1) failed"};
        }
    }
    if (capture.image_copy) {
        constexpr auto bind_sources =
            bind_global<&ext_output_image_capture_source_manager_v1_interface, &source_manager_impl>;
        if (!wl_global_create(display, &ext_output_image_capture_source_manager_v1_interface, 1, this, bind_sources) ||
            !wl_global_create(display, &ext_image_copy_capture_manager_v1_interface, 1, this,
                              bind_global<&ext_image_copy_capture_manager_v1_interface, &copy_manager_impl>)) {
            return Error{"wl_global_create(ext-image-copy-capture-v1) failed"};
        }
    }
    if (capture.weston) {
#if DMAFEED_HAVE_WESTON_CAPTURE
        if (!wl_global_create(display, &weston_capture_v1_interface, 1, this,
                              bind_global<&weston_capture_v1_interface, &weston_capture_impl>)) {
            return Error{"wl_global_create(weston_capture_v1) failed"};
        }
#else
        return Error{"weston_capture_v1: this build has no weston-output-capture protocol (libweston-14-protocols)"};
#endif
    }
    return {};
}

void Server::set_output_size(int32_t width, int32_t height)
{
    config.output_width = width;
    config.output_height = height;
    for (wl_resource* output : outputs) {
        send_output_mode(output, config);
    }
    for (const CaptureSession* session : capture_sessions) {
        if (!session->stopped) send_constraints(*session);
    }
#if DMAFEED_HAVE_WESTON_CAPTURE
    for (const WestonSource* source : weston_sources) {
        send_weston_format_and_size(*source);
    }
#endif
}

void Server::capture_forget_buffer(Buffer* buffer)
{
    for (CaptureFrame* frame : capture_frames) {
        if (frame->buffer == buffer) frame->buffer = nullptr;
    }
}

}  // namespace dmafeed::test::detail

#include "misuse.hpp"
#include "case_filter.hpp"

#include "drm/format.hpp"
#include "linux-dmabuf-v1-client-protocol.h"
#include "util/log.hpp"
#include "wl/proxy.hpp"

#include <algorithm>
#include <drm_fourcc.h>
#include <limits>

namespace dmafeed::conform {
namespace {

constexpr int32_t width = 64;
constexpr int32_t height = 16;
constexpr uint32_t stride = width * 4;  // XRGB8888; NV12's planes use `width` bytes a row

// A zwp_linux_buffer_params_v1.flags bit that the protocol does not define.
constexpr uint32_t undefined_flag = 0x80;
static_assert((undefined_flag & (ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT | ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_INTERLACED |
                                 ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_BOTTOM_FIRST)) == 0);

// One zwp_linux_buffer_params_v1 and what it answered.
class Params {
public:
    explicit Params(zwp_linux_dmabuf_v1* dmabuf) : params_{zwp_linux_dmabuf_v1_create_params(dmabuf)}
    {
        static const zwp_linux_buffer_params_v1_listener listener{
            .created =
                [](void* data, zwp_linux_buffer_params_v1*, wl_buffer* buffer) {
                    auto* self = static_cast<Params*>(data);
                    self->created = true;
                    self->buffers_.emplace_back(buffer);
                },
            .failed = [](void* data, zwp_linux_buffer_params_v1*) { static_cast<Params*>(data)->failed = true; },
        };
        zwp_linux_buffer_params_v1_add_listener(params_.get(), &listener, this);
    }
    Params(const Params&) = delete;
    Params& operator=(const Params&) = delete;

    void add(int fd, uint32_t plane, uint32_t offset, uint32_t row_stride, uint64_t modifier)
    {
        zwp_linux_buffer_params_v1_add(params_.get(), fd, plane, offset, row_stride, static_cast<uint32_t>(modifier >> 32U),
                                       static_cast<uint32_t>(modifier & 0xffffffffU));
    }
    void create(int32_t w, int32_t h, uint32_t format, uint32_t flags = 0)
    {
        zwp_linux_buffer_params_v1_create(params_.get(), w, h, format, flags);
    }
    void create_immed(int32_t w, int32_t h, uint32_t format, uint32_t flags = 0)
    {
        buffers_.emplace_back(zwp_linux_buffer_params_v1_create_immed(params_.get(), w, h, format, flags));
    }
    // v6: set_sampling_device with an array of `size` bytes (a dev_t's first bytes, zeros after).
    void set_sampling_device(size_t size)
    {
        uint8_t bytes[2 * sizeof(dev_t)] = {};
        wl_array array{.size = std::min(size, sizeof bytes), .alloc = sizeof bytes, .data = bytes};
        zwp_linux_buffer_params_v1_set_sampling_device(params_.get(), &array);
    }

    bool created = false;
    bool failed = false;

private:
    // The buffers go before the params they came from.
    wl::ProxyPtr<zwp_linux_buffer_params_v1, zwp_linux_buffer_params_v1_destroy> params_;
    std::vector<wl::ProxyPtr<wl_buffer, wl_buffer_destroy>> buffers_;
};

// What a case's steps get: the params, a buffer big enough for one XRGB8888 image (or an NV12 one),
// the format and modifier to use, and a roundtrip to let the compositor answer a create.
struct Misuse {
    Params& params;
    int fd;
    uint64_t fd_size;
    uint64_t modifier;  // the XRGB8888 one
    bool nv12;          // NV12 is offered (with nv12_modifier)
    uint64_t nv12_modifier;
    CaseConnection& session;
    std::chrono::milliseconds timeout;
    void settle() { (void)session.connection->roundtrip(timeout); }
};

struct MisuseCase {
    const char* id;
    const char* what;  // for the detail
    bool unimportable_buffer;  // a memfd even where udmabufs can be made
    void (*steps)(Misuse&);
};

const MisuseCase cases[] = {
    {"misuse/already_used/add-after-create", "add after create", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.create(width, height, DRM_FORMAT_XRGB8888);
         m.settle();
         m.params.add(m.fd, 1, 0, stride, m.modifier);
     }},
    {"misuse/already_used/create-twice", "create twice", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.create(width, height, DRM_FORMAT_XRGB8888);
         m.settle();
         m.params.create(width, height, DRM_FORMAT_XRGB8888);
     }},
    {"misuse/plane_idx/index-4", "add with plane index 4", false,
     [](Misuse& m) { m.params.add(m.fd, 4, 0, stride, m.modifier); }},
    {"misuse/plane_set/same-plane-twice", "add plane 0 twice", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.add(m.fd, 0, 0, stride, m.modifier);
     }},
    {"misuse/incomplete/no-planes", "create with no plane added", false,
     [](Misuse& m) { m.params.create(width, height, DRM_FORMAT_XRGB8888); }},
    {"misuse/incomplete/hole", "planes 0 and 2 added, 1 missing", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.add(m.fd, 2, 0, stride, m.modifier);
         m.params.create(width, height, DRM_FORMAT_XRGB8888);
     }},
    {"misuse/incomplete/nv12-luma-only", "NV12 with only its luma plane", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, width, m.nv12_modifier);
         m.params.create(width, height, DRM_FORMAT_NV12);
     }},
    {"misuse/invalid_format/modifier-differs", "NV12's planes with different modifiers", false,
     [](Misuse& m) {
         const uint64_t other = m.nv12_modifier == DRM_FORMAT_MOD_LINEAR ? DRM_FORMAT_MOD_INVALID : DRM_FORMAT_MOD_LINEAR;
         m.params.add(m.fd, 0, 0, width, m.nv12_modifier);
         m.params.add(m.fd, 1, width * height, width, other);
         m.params.create(width, height, DRM_FORMAT_NV12);
     }},
    {"misuse/invalid_format/unknown-flag", "create with flag 0x80, which the protocol does not define", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.create(width, height, DRM_FORMAT_XRGB8888, undefined_flag);
     }},
    {"misuse/invalid_format/unadvertised-format", "create with fourcc 'QQQQ', which no format event lists", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.create(width, height, fourcc_code('Q', 'Q', 'Q', 'Q'));
     }},
    {"misuse/invalid_dimensions/width-0", "create with width 0", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.create(0, height, DRM_FORMAT_XRGB8888);
     }},
    {"misuse/invalid_dimensions/negative-height", "create with height -1", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.create(width, -1, DRM_FORMAT_XRGB8888);
     }},
    {"misuse/out_of_bounds/offset-plus-stride-overflows", "offset + stride past UINT32_MAX", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, std::numeric_limits<uint32_t>::max() - 100, stride, m.modifier);
         m.params.create(width, height, DRM_FORMAT_XRGB8888);
     }},
    {"misuse/out_of_bounds/offset-past-size", "plane offset one page past the dma-buf's end", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, static_cast<uint32_t>(m.fd_size + 4096), stride, m.modifier);
         m.params.create(width, height, DRM_FORMAT_XRGB8888);
     }},
    {"misuse/out_of_bounds/stride-times-height-past-size", "stride * height 16 times the dma-buf's size", false,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, static_cast<uint32_t>(m.fd_size), m.modifier);
         m.params.create(width, height, DRM_FORMAT_XRGB8888);
     }},
    {"misuse/invalid_wl_buffer/create-immed-unimportable", "create_immed of a memfd, which is not a dma-buf", true,
     [](Misuse& m) {
         m.params.add(m.fd, 0, 0, stride, m.modifier);
         m.params.create_immed(width, height, DRM_FORMAT_XRGB8888);
     }},
};

constexpr const char* dev_t_case = "misuse/invalid_dev_t_size/short-device-array";
// v6 only (set_sampling_device is new there), so it runs apart from the table above.
const MisuseCase dev_t_misuse{dev_t_case, "set_sampling_device with a 4-byte array (a dev_t has 8)", false, [](Misuse& m) {
                                  m.params.add(m.fd, 0, 0, stride, m.modifier);
                                  m.params.set_sampling_device(sizeof(dev_t) / 2);
                                  m.params.create(width, height, DRM_FORMAT_XRGB8888);
                              }};

uint64_t pick_modifier(const FormatSet& offered, DrmFormat format)
{
    const auto modifiers = offered.modifiers_for(format);
    for (DrmModifier m : modifiers) {
        if (m.is_linear()) return m.value();
    }
    return modifiers.empty() ? DRM_FORMAT_MOD_LINEAR : modifiers.front().value();
}

CaseResult run_one(const MisuseCase& c, const MisuseOptions& options)
{
    CaseRun run{c.id};
    const auto finish = [&](std::string outcome, std::string detail) { return run.finish(std::move(outcome), std::move(detail)); };
    const bool nv12_case = std::string_view{c.id}.find("nv12") != std::string_view::npos ||
                           std::string_view{c.id}.find("modifier-differs") != std::string_view::npos;
    const bool nv12 = options.offered.contains(DrmFormat{DRM_FORMAT_NV12}, DrmModifier{DRM_FORMAT_MOD_LINEAR}) ||
                      !options.offered.modifiers_for(DrmFormat{DRM_FORMAT_NV12}).empty();
    if (nv12_case && !nv12) {
        return finish("skipped", "the compositor offers no NV12 pair, which this case needs");
    }

    auto session = CaseConnection::open(options.display, options.timeout);
    if (!session) return finish("tool-error", "cannot connect: " + session.error().message());
    const uint64_t size = uint64_t{stride} * height;  // also NV12's Y + CbCr (64 * 16 * 1.5)
    auto buffer = c.unimportable_buffer ? make_memfd_buffer(size) : make_test_buffer(size, options.allow_udmabuf);
    if (!buffer) return finish("tool-error", buffer.error().message());

    auto params = std::make_unique<Params>(session->dmabuf->proxy());
    Misuse m{.params = *params,
             .fd = buffer->fd.get(),
             .fd_size = buffer->size,
             .modifier = pick_modifier(options.offered, DrmFormat{DRM_FORMAT_XRGB8888}),
             .nv12 = nv12,
             .nv12_modifier = pick_modifier(options.offered, DrmFormat{DRM_FORMAT_NV12}),
             .session = *session,
             .timeout = options.timeout};
    c.steps(m);
    (void)session->connection->roundtrip(options.timeout);

    std::string detail = std::string{c.what} + " (" + buffer->kind + " of " + std::to_string(buffer->size) + " bytes, " +
                         (nv12_case ? "NV12 " + name(DrmModifier{m.nv12_modifier}) : "XRGB8888 " + name(DrmModifier{m.modifier})) + ")";
    std::string message;
    const std::optional<std::string> ended = connection_outcome(*session->connection, &message);
    const bool failed = params->failed;
    // The params and buffers go before the connection (their destructors send requests, which a
    // broken connection ignores).
    params.reset();
    if (ended) return finish(*ended, detail + ": " + message);
    if (failed) return finish("failed", detail + ": the compositor sent `failed`");
    return finish("no-error", detail + ": the compositor accepted it");
}

}  // namespace

std::vector<std::string> misuse_case_ids()
{
    std::vector<std::string> ids;
    for (const MisuseCase& c : cases) ids.emplace_back(c.id);
    ids.emplace_back(dev_t_case);
    return ids;
}

std::vector<CaseResult> run_misuse(const MisuseOptions& options, const Hooks& hooks, const std::string& filter)
{
    std::vector<CaseResult> results =
        run_selected(cases, hooks, filter, [&](const MisuseCase& c) { return run_one(c, options); });
    if (filter_selects(filter, dev_t_case)) {
        if (hooks.on_start) hooks.on_start(dev_t_case);
        // Below v6 it is skipped without a compositor; from v6 it runs like the others.
        std::optional<CaseResult> refused;
        if (options.dmabuf_version < 6) {
            results.push_back(CaseRun{dev_t_case}.finish("skipped", "invalid_dev_t_size needs zwp_linux_dmabuf_v1 v6; the compositor offers v" +
                                                                       std::to_string(options.dmabuf_version)));
        } else if ((refused = not_run(hooks, dev_t_case))) {
            results.push_back(std::move(*refused));
        } else {
            results.push_back(run_one(dev_t_misuse, options));
        }
        if (hooks.on_done) hooks.on_done(results.back());
    }
    return results;
}

}  // namespace dmafeed::conform

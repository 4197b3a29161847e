#include "matrix.hpp"
#include "case_filter.hpp"

#include "drm/format_info.hpp"
#include "pixels.hpp"
#include "pixels/packer.hpp"
#include "presentation-time-client-protocol.h"
#include "producer/producer.hpp"

#include <set>
#include <sys/stat.h>

namespace dmafeed::conform {
namespace {

class BorrowedBackend final : public producer::Backend {
public:
    explicit BorrowedBackend(producer::Backend& owner) : owner_{owner} {}
    Allocator& allocator() override { return owner_.allocator(); }
    std::string describe() const override { return owner_.describe(); }
    Result<UniqueFd> write(const Buffer& buffer, std::span<const PlanePixels> planes) override
    {
        return owner_.write(buffer, planes);
    }
    std::string cannot_draw(const Buffer& buffer) const override { return owner_.cannot_draw(buffer); }
    bool draw_ready() override { return owner_.draw_ready(); }
    Result<UniqueFd> draw(const Buffer& buffer, const sources::PatternFrame& frame,
                          pixels::YuvEncoding encoding,
                          const std::optional<std::vector<sources::PixelRect>>& changed) override
    {
        return owner_.draw(buffer, frame, encoding, changed);
    }

private:
    producer::Backend& owner_;
};

struct Layout {
    const char* name;
    bool linear_only;
    bool multiplanar_only;
};
constexpr Layout layouts[] = {
    {"tight", false, false},
    {"padded-stride", true, false},
    {"plane-offset", true, false},
    {"odd-size", false, false},
    {"fd-per-plane", false, true},
};

}  // namespace

std::string layout_text(const Buffer& buffer)
{
    std::string s;
    std::set<ino_t> dmabufs;
    for (size_t p = 0; p < buffer.planes().size(); ++p) {
        const BufferPlane& plane = buffer.planes()[p];
        s += (p ? "; " : "") + std::string{"plane "} + std::to_string(p) + " offset " + std::to_string(plane.offset) +
             " stride " + std::to_string(plane.stride);
        struct stat st {};
        if (fstat(plane.fd.get(), &st) == 0) dmabufs.insert(st.st_ino);
    }
    return s + "; " + std::to_string(dmabufs.size()) + (dmabufs.size() == 1 ? " dma-buf" : " dma-bufs");
}

producer::BackendFactory lend(producer::Backend& owner)
{
    producer::Backend* lent = &owner;
    return [lent](dev_t) -> Result<producer::DeviceBackends> {
        producer::DeviceBackends made;
        made.backends.push_back(std::make_unique<BorrowedBackend>(*lent));
        return made;
    };
}

std::string allocator_id(producer::Backend& backend)
{
    return std::string{backend.allocator().name()};
}

std::vector<ProducedPair> produced_pairs(const MatrixOptions& options)
{
    std::vector<ProducedPair> out;
    for (producer::Backend* ctx : options.allocators) {
        const FormatSet& producible = ctx->allocator().supported();
        for (const FormatModifier& pair : options.offered.pairs()) {
            if (producible.contains(pair)) out.push_back({ctx, pair});
        }
    }
    return out;
}

CaseResult producer_failure(CaseRun& run, const producer::Producer& p, const Error& e, const std::string& buffer)
{
    std::string message;
    if (auto ended = connection_outcome(p.connection(), &message)) return run.finish(*ended, message);
    if (p.stats().refused > 0) return run.finish("failed", "the compositor answered `failed` for " + buffer);
    if (!p.allocation_failures().empty()) return run.finish("skipped", "cannot be made here: " + p.allocation_failures().front());
    return run.finish("tool-error", e.message());
}

std::vector<MatrixCase> matrix_cases(const MatrixOptions& options)
{
    std::vector<MatrixCase> cases;
    for (const auto& [ctx, pair] : produced_pairs(options)) {
        const FormatInfo* info = format_info(pair.format);
        for (const Layout& layout : layouts) {
            if (layout.multiplanar_only && (!info || info->plane_count < 2)) continue;
            for (const bool explicit_sync : {false, true}) {
                MatrixCase c{.id = "matrix/" + allocator_id(*ctx) + "/" + name(pair.format) + "/" + name(pair.modifier) +
                                   "/" + layout.name + "/" + (explicit_sync ? "explicit" : "implicit"),
                             .backend = ctx,
                             .pair = pair,
                             .layout = layout.name,
                             .explicit_sync = explicit_sync};
                cases.push_back(std::move(c));
            }
        }
    }
    return cases;
}

CaseResult run_matrix_case(const MatrixCase& c, const MatrixOptions& options)
{
    CaseRun run{c.id};
    const auto finish = [&](std::string outcome, std::string detail) { return run.finish(std::move(outcome), std::move(detail)); };
    const Layout* layout = nullptr;
    for (const Layout& l : layouts) {
        if (c.layout == l.name) layout = &l;
    }
    if (!layout) return finish("tool-error", "unknown layout " + c.layout);
    if (layout->linear_only && !c.pair.modifier.is_linear()) {
        return finish("skipped", "the " + c.layout + " layout is made only with LINEAR (this pair's modifier is " +
                                     name(c.pair.modifier) + ")");
    }
    if (c.explicit_sync && !options.explicit_sync_offered) {
        return finish("skipped", "the compositor offers no explicit sync protocol (wp_linux_drm_syncobj_manager_v1, "
                                 "zwp_linux_explicit_synchronization_v1)");
    }
    const uint32_t width = c.layout == "odd-size" ? options.width + 1 : options.width;
    const uint32_t height = c.layout == "odd-size" ? options.height - 3 : options.height;

    auto packer = pixels::Packer::create(c.pair.format, width, height);
    if (!packer) return finish("skipped", "dmafeed-conform cannot fill this format: " + packer.error().message());
    const pixels::RgbImage picture = matrix_picture(c.pair.format, width, height);
    const std::optional<Expectation> expected = expectation_for(c.pair.format, picture);
    if (!expected) return finish("tool-error", "no expectation for " + name(c.pair.format) + ", which the packer fills");
    packer->pack(picture);
    const std::vector<PlanePixels> planes = packer->planes();

    producer::ProducerConfig config;
    config.display = options.display;
    config.format = c.pair.format;
    config.modifier = c.pair.modifier;
    config.width = width;
    config.height = height;
    config.buffers = 2;
    config.resize = producer::ResizePolicy::keep;
    config.sync = c.explicit_sync ? producer::SyncMode::explicit_sync : producer::SyncMode::implicit_sync;
    config.timeout = options.timeout;
    config.window.title = "dmafeed-conform";
    config.window.app_id = "dmafeed-conform";
    if (c.pair.modifier.is_linear()) {
        config.stride_align = c.layout == "padded-stride" ? 256 : 1;
        config.plane_offset = c.layout == "plane-offset" ? 4096 : 0;
    }
    config.disjoint = c.layout == "fd-per-plane";
    config.backends = lend(*c.backend);

    auto created = producer::Producer::create(config);
    if (!created) return finish("tool-error", "the producer did not start: " + created.error().message());
    producer::Producer& p = **created;
    std::optional<uint32_t> last_flags;
    p.on_presented([&](const wl::PresentationResult& result) {
        if (result.presented) last_flags = result.flags;
    });

    // An error on the way: the compositor's doing (failed, a protocol error, a broken connection)
    // or this machine's (the allocator cannot make the layout).
    const auto failure = [&](const Error& e) {
        return producer_failure(run, p, e, name(c.pair.format) + " " + name(c.pair.modifier) + " " + std::to_string(width) + "x" +
                                               std::to_string(height) + " from " + c.backend->describe());
    };

    std::string buffer_layout;
    for (int frame = 0; frame < 2; ++frame) {
        auto acquired = p.acquire();
        if (!acquired) return failure(acquired.error());
        if (!*acquired) return finish("tool-error", "no buffer to draw into");
        const producer::Frame& f = **acquired;
        if (buffer_layout.empty()) buffer_layout = layout_text(*f.buffer);
        if (auto ok = p.write(f, planes); !ok) return failure(ok.error());
        if (auto ok = p.queue(f); !ok) return failure(ok.error());
        if (auto ok = p.wait_for_frame(); !ok) return failure(ok.error());
    }
    if (auto ok = p.drain(options.timeout); !ok) return failure(ok.error());
    if (last_flags) run.result().zero_copy = (*last_flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY) != 0;

    const producer::SyncStats& sync = p.sync_stats();
    std::string what = name(c.pair.format) + " " + name(c.pair.modifier) + " " + std::to_string(width) + "x" +
                       std::to_string(height) + " from " + c.backend->describe() + " (" + buffer_layout + "); sync: " +
                       sync.protocol;
    if (c.explicit_sync) what += ", " + std::to_string(sync.acquire_fences + sync.timeline_fences) + " acquire fences";
    if (!options.capturer) return finish("created", what + "; not compared: nothing to capture with");

    auto capture = options.capturer->capture();
    if (!capture) return finish("tool-error", what + "; capture failed: " + capture.error().message());
    const CheckRules& rules = expected->rules;
    const pixels::RgbImage& wanted = expected->picture;
    const Comparison cmp = locate_and_compare(*capture, wanted, rules);
    run.result().wanted = Picture{wanted.width, wanted.height, wanted.rgb};
    const pixels::RgbImage shown = cmp.found ? crop(*capture, cmp.x, cmp.y, wanted.width, wanted.height) : *capture;
    run.result().captured = Picture{shown.width, shown.height, shown.rgb};
    return finish(cmp.matches() ? "shown" : "wrong-pixels", what + "; " + cmp.describe(rules));
}

std::vector<CaseResult> run_matrix(const MatrixOptions& options, const Hooks& hooks, const std::string& filter)
{
    return run_selected(matrix_cases(options), hooks, filter,
                        [&](const MatrixCase& c) { return run_matrix_case(c, options); });
}

}  // namespace dmafeed::conform

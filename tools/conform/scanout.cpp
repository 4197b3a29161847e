#include "scanout.hpp"
#include "case_filter.hpp"

#include "pixels.hpp"
#include "pixels/packer.hpp"
#include "presentation-time-client-protocol.h"
#include "producer/producer.hpp"

namespace dmafeed::conform {

std::vector<ScanoutCase> scanout_cases(const MatrixOptions& options)
{
    std::vector<ScanoutCase> cases;
    for (const auto& [ctx, pair] : produced_pairs(options)) {
        cases.push_back({.id = "scanout/" + allocator_id(*ctx) + "/" + name(pair.format) + "/" + name(pair.modifier),
                         .backend = ctx,
                         .pair = pair});
    }
    return cases;
}

CaseResult run_scanout_case(const ScanoutCase& c, const MatrixOptions& options, int frames)
{
    CaseRun run{c.id};
    const auto finish = [&](std::string outcome, std::string detail) { return run.finish(std::move(outcome), std::move(detail)); };

    producer::ProducerConfig config;
    config.display = options.display;
    config.format = c.pair.format;
    config.modifier = c.pair.modifier;
    config.width = 0;  // the compositor's configure: the output's size, fullscreen
    config.height = 0;
    config.buffers = 3;
    config.resize = producer::ResizePolicy::reallocate;
    config.sync = producer::SyncMode::implicit_sync;
    config.timeout = options.timeout;
    config.window.title = "dmafeed-conform";
    config.window.app_id = "dmafeed-conform";
    config.window.fullscreen = true;
    config.backends = lend(*c.backend);

    auto created = producer::Producer::create(config);
    if (!created) return finish("tool-error", "the producer did not start: " + created.error().message());
    producer::Producer& p = **created;
    int presented = 0, zero_copy = 0;
    std::optional<bool> last_zero_copy;
    p.on_presented([&](const wl::PresentationResult& result) {
        if (!result.presented) return;
        ++presented;
        last_zero_copy = (result.flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY) != 0;
        if (*last_zero_copy) ++zero_copy;
    });
    const auto failure = [&](const Error& e) {
        return producer_failure(run, p, e, name(c.pair.format) + " " + name(c.pair.modifier) + " from " + c.backend->describe());
    };

    std::optional<pixels::Packer> packer;
    std::optional<Expectation> expected;
    std::string buffer_layout;
    uint32_t width = 0, height = 0;
    for (int frame = 0; frame < frames; ++frame) {
        auto acquired = p.acquire();
        if (!acquired) return failure(acquired.error());
        if (!*acquired) return finish("tool-error", "no buffer to draw into");
        const producer::Frame& f = **acquired;
        if (!packer || f.buffer->width() != width || f.buffer->height() != height) {
            width = f.buffer->width();
            height = f.buffer->height();
            auto made = pixels::Packer::create(c.pair.format, width, height);
            if (!made) return finish("skipped", "dmafeed-conform cannot fill this format: " + made.error().message());
            packer.emplace(std::move(*made));
            const pixels::RgbImage picture = matrix_picture(c.pair.format, width, height);
            expected = expectation_for(c.pair.format, picture);
            if (!expected) return finish("tool-error", "no expectation for " + name(c.pair.format) + ", which the packer fills");
            packer->pack(picture);
        }
        buffer_layout = layout_text(*f.buffer);
        if (auto ok = p.write(f, packer->planes()); !ok) return failure(ok.error());
        if (auto ok = p.queue(f); !ok) return failure(ok.error());
        if (auto ok = p.wait_for_frame(); !ok) return failure(ok.error());
    }
    if (auto ok = p.drain(options.timeout); !ok) return failure(ok.error());
    run.result().zero_copy = last_zero_copy;

    std::string what = name(c.pair.format) + " " + name(c.pair.modifier) + " " + std::to_string(width) + "x" +
                       std::to_string(height) + " fullscreen from " + c.backend->describe() + " (" + buffer_layout +
                       "); ZERO_COPY on " + std::to_string(zero_copy) + " of " + std::to_string(presented) +
                       " presented frames";
    if (presented == 0) return finish("tool-error", what + ": none presented");
    const bool scanned_out = last_zero_copy.value_or(false);
    if (!options.new_capturer) return finish(scanned_out ? "zero-copy" : "created", what + "; not compared: nothing to capture with");
    auto capturer = options.new_capturer();
    if (!capturer) return finish("tool-error", what + "; cannot capture: " + capturer.error().message());
    auto capture = (*capturer)->capture();
    if (!capture) return finish("tool-error", what + "; capture failed: " + capture.error().message());
    const Comparison cmp = locate_and_compare(*capture, expected->picture, expected->rules);
    run.result().wanted = Picture{expected->picture.width, expected->picture.height, expected->picture.rgb};
    const pixels::RgbImage shown =
        cmp.found ? crop(*capture, cmp.x, cmp.y, expected->picture.width, expected->picture.height) : *capture;
    run.result().captured = Picture{shown.width, shown.height, shown.rgb};
    if (!cmp.matches()) return finish("wrong-pixels", what + "; " + cmp.describe(expected->rules));
    return finish(scanned_out ? "zero-copy" : "shown", what + "; " + cmp.describe(expected->rules));
}

std::vector<CaseResult> run_scanout(const MatrixOptions& options, const Hooks& hooks, const std::string& filter)
{
    return run_selected(scanout_cases(options), hooks, filter,
                        [&](const ScanoutCase& c) { return run_scanout_case(c, options); });
}

}  // namespace dmafeed::conform

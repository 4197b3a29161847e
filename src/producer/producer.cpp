#include "producer/producer.hpp"

#include "producer/color_management.hpp"
#include "producer/color_representation.hpp"
#include "util/log.hpp"
#include "presentation-time-client-protocol.h"

#include <algorithm>
#include <ctime>
#include <wayland-client.h>

namespace dmafeed::producer {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left_until(Clock::time_point deadline)
{
    return std::max(std::chrono::milliseconds{0}, std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
}

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

}  // namespace

Result<std::unique_ptr<Producer>> Producer::create(ProducerConfig config)
{
    if (config.buffers < 2 || config.buffers > 4) {
        return Error{"a pool holds 2 to 4 buffers, not " + std::to_string(config.buffers)};
    }
    if (!config.backends) config.backends = system_backends({});
    if (config.stride_align != 0 || config.plane_offset != 0) {
        if (config.modifier && !config.modifier->is_linear()) {
            return Error{std::string{config.stride_align != 0 ? "a stride alignment" : "a plane offset"} +
                         " needs the LINEAR modifier, not " + name(*config.modifier)};
        }
        config.modifier = modifier_linear;
    }
    std::unique_ptr<Producer> p{new Producer{std::move(config)}};
    if (auto r = p->start(); !r) return std::move(r).error();
    return p;
}

Producer::~Producer() = default;

Result<void> Producer::start()
{
    auto connection = wl::Connection::connect(config_.display.empty() ? nullptr : config_.display.c_str());
    if (!connection) return std::move(connection).error();
    connection_ = std::move(*connection);
    connection_->set_interrupt(config_.interrupt);
    auto globals = wl::Globals::bind(*connection_, config_.max_dmabuf_version, config_.timeout);
    if (!globals) return std::move(globals).error();
    globals_ = std::move(*globals);
    log::debug("compositor globals: %s", globals_->describe().c_str());

    auto window = wl::Window::create(*connection_, *globals_, config_.window, config_.timeout);
    if (!window) return std::move(window).error();
    window_ = std::move(*window);
    window_->on_presented([this](const wl::PresentationResult& r) {
        if (r.presented) {
            stats_.presented(r.queued_ns, r.time_ns, r.refresh_ns, (r.flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY) != 0);
            if (r.show_at_ns != 0) stats_.shown_for(r.show_at_ns, r.time_ns);
            if (r.time_ns >= grid_.presented_ns) grid_ = {.presented_ns = r.time_ns, .refresh_ns = r.refresh_ns};
        } else {
            stats_.discarded();
        }
        if (on_presented_) on_presented_(r);
    });

    if (auto r = choose_pacing(); !r) return r;

    width_ = config_.width;
    height_ = config_.height;
    if (width_ == 0 || height_ == 0) {
        const bool sized = window_->configured_width() > 0 && window_->configured_height() > 0;
        width_ = sized ? static_cast<uint32_t>(window_->configured_width()) : 640;
        height_ = sized ? static_cast<uint32_t>(window_->configured_height()) : 480;
    }

    wl::LinuxDmabuf& dmabuf = globals_->dmabuf();
    if (dmabuf.has_feedback()) {
        auto fb = dmabuf.surface_feedback(window_->surface(), [this](const wl::Feedback& f) { handle_feedback(f); });
        if (!fb) return std::move(fb).error();
        feedback_ = std::move(*fb);
        const auto deadline = Clock::now() + config_.timeout;
        while (!feedback_->current()) {
            const auto left = left_until(deadline);
            if (left.count() == 0) {
                std::string why = "the compositor sent no usable dmabuf feedback within " +
                                  std::to_string(config_.timeout.count()) + " ms";
                if (feedback_->rejected()) why += " (rejected: " + feedback_->last_rejection() + ")";
                return Error{why};
            }
            if (auto r = connection_->dispatch(left); !r) return std::move(r).error().context("waiting for dmabuf feedback");
        }
    } else {
        offer_ = feedback_from_v3(dmabuf.v3_formats());
        offer_changed_ = true;
    }
    auto sync = choose_frame_sync(config_.sync, *globals_, *window_, feedback_.get(), config_.timeout);
    if (!sync) return std::move(sync).error();
    sync_ = std::move(*sync);
    auto yuv = declare_yuv_encoding(config_.format, config_.yuv, *globals_, *window_);
    if (!yuv) return std::move(yuv).error();
    yuv_description_ = std::move(*yuv);
    auto color = declare_color_space(config_.color, *connection_, *globals_, *window_, config_.timeout);
    if (!color) return std::move(color).error();
    color_description_ = std::move(*color);
    return negotiate();
}

Result<void> Producer::choose_pacing()
{
    if (globals_->commit_timing()) {
        if (auto r = window_->enable_commit_timer(); !r) return r;
    }
    if (config_.pacing == Pacing::frame_callbacks) return {};
    if (!globals_->fifo_manager()) {
        if (config_.pacing == Pacing::fifo) {
            return Error{"fifo pacing: the compositor does not offer wp_fifo_manager_v1 (pace by frame callbacks instead)"};
        }
        return {};
    }
    if (auto r = window_->enable_fifo(); !r) return r;
    pacing_ = Pacing::fifo;
    return {};
}

uint64_t Producer::now_ns() const noexcept
{
    timespec ts{};
    clock_gettime(globals_->presentation_clock(), &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
}

bool Producer::commit_timing() const noexcept { return window_->commit_timer(); }

void Producer::handle_feedback(const wl::Feedback& feedback) noexcept
{
    offer_ = feedback;
    offer_changed_ = true;
}

Result<bool> Producer::adopt_pending(bool wait)
{
    auto adopted = backends_.adopt(wait, pool_);
    if (!adopted) return std::move(adopted).error();
    if (*adopted) {
        if (auto r = negotiate("the allocators set up in the background are ready"); !r) return std::move(r).error();
    }
    return adopted;
}

Result<void> Producer::negotiate(const char* why)
{
    offer_changed_ = false;
    auto rebuild = layouts_.update(offer_, backends_, why);
    if (!rebuild && backends_.pending()) {
        // The stand-ins cannot make the format: wait for the allocators being set up.
        auto adopted = adopt_pending(true);
        if (!adopted) return std::move(adopted).error();
        if (*adopted) return {};  // adopt_pending negotiated again
    }
    if (!rebuild) return std::move(rebuild).error();
    if (*rebuild) pool_.next_generation();
    return {};
}

Result<Slot*> Producer::make_slot()
{
    auto made = layouts_.make(width_, height_, backends_, *connection_, globals_->dmabuf(), stats_);
    if (!made) return std::move(made).error();
    if (!*made) {
        if (!backends_.pending()) return layouts_.exhausted();
        // Every layout of the stand-ins failed: wait for the allocators being set up, and try theirs.
        auto adopted = adopt_pending(true);
        if (!adopted) return std::move(adopted).error();
        layouts_.restart();
        return make_slot();
    }
    auto slot = std::make_unique<Slot>();
    slot->layout = std::move((*made)->layout);
    slot->buffer = std::move((*made)->buffer);
    slot->wl = std::move((*made)->wl);
    slot->backend = (*made)->backend;
    slot->generation = pool_.generation();
    slot->serial = ++buffers_created_;
    return &pool_.add(std::move(slot));
}

void Producer::check_resize()
{
    const int32_t cw = window_->configured_width();
    const int32_t ch = window_->configured_height();
    if (cw <= 0 || ch <= 0) return;
    if (static_cast<uint32_t>(cw) == width_ && static_cast<uint32_t>(ch) == height_) return;
    if (config_.resize == ResizePolicy::keep) return;
    if (config_.resize == ResizePolicy::scale && window_->has_viewport()) return;  // present() scales
    log::info("resized to %dx%d: reallocating the buffers", cw, ch);
    width_ = static_cast<uint32_t>(cw);
    height_ = static_cast<uint32_t>(ch);
    pool_.next_generation();
}

Result<std::optional<Frame>> Producer::acquire()
{
    return acquire_within(config_.timeout, true, config_.when_full == FullPolicy::drop);
}

Result<std::optional<Frame>> Producer::try_acquire(std::chrono::milliseconds wait)
{
    return acquire_within(wait, false, false);
}

Result<std::optional<Frame>> Producer::acquire_within(std::chrono::milliseconds wait, bool timeout_is_error, bool drop)
{
    if (auto r = connection_->dispatch_pending(); !r) return std::move(r).error();
    if (window_->closed()) return Error{"the compositor closed the window"};
    if (offer_changed_) {
        if (auto r = negotiate(); !r) return std::move(r).error().context("after a dmabuf feedback change");
    }
    if (backends_.pending()) {
        if (auto r = adopt_pending(false); !r) return std::move(r).error();
    }
    if (!config_.width || !config_.height) check_resize();

    const auto deadline = Clock::now() + wait;
    while (true) {
        pool_.retire_old(*sync_, [this](const Slot& s) { destroying(s); });
        Slot* free_slot = pool_.free_slot(*sync_);
        if (!free_slot && !pool_.full()) {
            auto made = make_slot();
            if (!made) return std::move(made).error();
            free_slot = *made;
        }
        if (free_slot) {
            if (auto r = sync_->before_write(*free_slot); !r) return std::move(r).error();
            free_slot->acquired = true;
            return std::optional<Frame>{Frame{frames_acquired_++, free_slot->buffer.get(), free_slot->backend,
                                              wl_proxy_get_id(reinterpret_cast<wl_proxy*>(free_slot->wl->proxy())),
                                              free_slot->serial}};
        }
        if (drop) {
            stats_.dropped();
            return std::optional<Frame>{};
        }
        if (connection_->interrupted()) return std::optional<Frame>{};
        const auto left = left_until(deadline);
        if (left.count() == 0) {
            if (!timeout_is_error) return std::optional<Frame>{};
            return Error{"the compositor held all " + std::to_string(config_.buffers) + " buffers for " +
                         std::to_string(wait.count()) + " ms without releasing one"};
        }
        if (auto r = sync_->wait_for_release(*connection_, pool_, left); !r) {
            return std::move(r).error().context("waiting for a buffer release");
        }
    }
}

Slot* Producer::acquired_slot(const Frame& frame, const char* what, Result<void>* error)
{
    Slot* slot = pool_.find(frame.buffer);
    if (slot && slot->acquired) return slot;
    *error = Error{std::string{what} + ": frame " + std::to_string(frame.number) + " is not acquired"};
    return nullptr;
}

Result<void> Producer::write(const Frame& frame, std::span<const PlanePixels> planes)
{
    Result<void> error;
    Slot* slot = acquired_slot(frame, "write", &error);
    if (!slot) return std::move(error).error();
    slot->drawn.reset();
    const auto start = Clock::now();
    auto fence = slot->backend->write(*slot->buffer, planes);
    if (!fence) return std::move(fence).error();
    slot->render_fence = std::move(*fence);
    if (frame.number < 3) log::debug("frame %llu: written in %.1f ms", static_cast<unsigned long long>(frame.number), ms_since(start));
    return {};
}

Result<Buffer::MappedPlanes> Producer::begin_cpu_write(const Frame& frame)
{
    Result<void> error;
    Slot* slot = acquired_slot(frame, "begin_cpu_write", &error);
    if (!slot) return std::move(error).error();
    if (!slot->backend->writes_in_place(*slot->buffer)) {
        return Error{"begin_cpu_write: " + slot->backend->describe() + " fills this buffer by a GPU copy; use write()"};
    }
    slot->drawn.reset();
    return slot->buffer->begin_cpu_write();
}

void Producer::end_cpu_write(const Frame& frame)
{
    if (Slot* slot = pool_.find(frame.buffer)) slot->buffer->end_cpu_write();
}

bool Producer::writes_in_place(const Frame& frame) const
{
    return frame.backend && frame.buffer && frame.backend->writes_in_place(*frame.buffer);
}

Result<void> Producer::abandon(const Frame& frame)
{
    Result<void> error;
    Slot* slot = acquired_slot(frame, "abandon", &error);
    if (!slot) return std::move(error).error();
    slot->acquired = false;
    slot->drawn.reset();
    slot->render_fence.reset();
    return {};
}

Result<void> Producer::draw(const Frame& frame, const sources::PatternFrame& pattern,
                           pixels::YuvEncoding encoding)
{
    Result<void> error;
    Slot* slot = acquired_slot(frame, "draw", &error);
    if (!slot) return std::move(error).error();
    std::optional<std::vector<sources::PixelRect>> changed;
    if (slot->drawn && slot->drawn_encoding == encoding) {
        changed = sources::pattern_changes(*slot->drawn, pattern);
    }
    slot->drawn.reset();  // until the draw succeeded
    const auto start = Clock::now();
    auto fence = slot->backend->draw(*slot->buffer, pattern, encoding, changed);
    if (!fence) return std::move(fence).error();
    if (frame.number < 3 || !changed) {
        log::debug("frame %llu: drawn on the %s (%s) in %.1f ms", static_cast<unsigned long long>(frame.number),
                   slot->backend->draws_on_gpu(*slot->buffer) ? "GPU" : "CPU", changed ? "what changed" : "all of it",
                   ms_since(start));
    }
    slot->render_fence = std::move(*fence);
    slot->drawn = pattern;
    slot->drawn_encoding = encoding;
    return {};
}

bool Producer::draw_ready(const Frame& frame) { return !frame.backend || frame.backend->draw_ready(); }

bool Producer::draws_on_gpu(const Frame& frame) const
{
    return frame.backend && frame.buffer && frame.backend->draws_on_gpu(*frame.buffer);
}

std::string Producer::cannot_draw(const Frame& frame) const
{
    return frame.backend && frame.buffer ? frame.backend->cannot_draw(*frame.buffer) : "no buffer";
}

Result<void> Producer::set_render_fence(const Frame& frame, UniqueFd fence)
{
    Result<void> error;
    Slot* slot = acquired_slot(frame, "set_render_fence", &error);
    if (!slot) return std::move(error).error();
    slot->render_fence = std::move(fence);
    return {};
}

void Producer::destroying(const Slot& slot)
{
    if (on_buffer_destroyed_) on_buffer_destroyed_(*slot.buffer, slot.serial);
}

Result<void> Producer::drop_late(const Frame& frame)
{
    if (auto r = abandon(frame); !r) return r;
    stats_.dropped_late();
    return {};
}

Result<void> Producer::queue(const Frame& frame, uint64_t show_at_ns)
{
    Result<void> error;
    Slot* slot = acquired_slot(frame, "queue", &error);
    if (!slot) return std::move(error).error();
    if (auto r = connection_->dispatch_pending(); !r) return std::move(r).error();
    slot->acquired = false;
    if (slot->wl->refused()) {
        // create_immed's buffer answered with `failed` meanwhile: never attach it; the frame is lost.
        stats_.refused();
        stats_.dropped();
        const FormatModifier pair = std::get<FormatModifier>(slot->layout);
        layouts_.refuse(slot->layout);
        log::info("the compositor refused a %s %s buffer made with create_immed (`failed`); trying the next layout",
                  name(pair.format).c_str(), name(pair.modifier).c_str());
        pool_.remove_refused(slot, [this](const Slot& s) { destroying(s); });
        pool_.next_generation();
        return negotiate();
    }
    int32_t dest_w = 0, dest_h = 0;
    if (config_.resize == ResizePolicy::scale && (!config_.width || !config_.height)) {
        dest_w = window_->configured_width();
        dest_h = window_->configured_height();
    }
    wl::CommitSync commit_sync;
    if (auto r = sync_->hand_over(*slot, commit_sync); !r) return r;
    // Damage: where this drawn pattern frame differs from the one shown; all of it otherwise (and
    // when nothing changed, so that the compositor still repaints and sends the frame callback).
    std::vector<wl::DamageRect> damage;
    if (slot->drawn && shown_pattern_ && slot->drawn_encoding == shown_encoding_) {
        for (const sources::PixelRect& r : sources::pattern_changes(*shown_pattern_, *slot->drawn)) {
            damage.push_back({static_cast<int32_t>(r.x), static_cast<int32_t>(r.y), static_cast<int32_t>(r.width),
                              static_cast<int32_t>(r.height)});
        }
    }
    shown_pattern_ = slot->drawn;
    shown_encoding_ = slot->drawn_encoding;
    const wl::CommitTiming timing{.fifo = pacing_ == Pacing::fifo,
                                  .timestamp_ns = show_at_ns != 0 ? commit_timestamp(show_at_ns, grid_) : 0,
                                  .show_at_ns = show_at_ns};
    window_->present(slot->wl->proxy(), slot->buffer->width(), slot->buffer->height(), dest_w, dest_h, frame.number,
                     sync_->mode() == SyncMode::explicit_sync ? &commit_sync : nullptr, damage, timing);
    slot->render_fence.reset();  // sent (libwayland sent a copy) or already handed over
    slot->wl->attached();
    stats_.queued();
    if (frame.number < 3) log::debug("frame %llu: committed", static_cast<unsigned long long>(frame.number));
    return connection_->dispatch_pending();
}

Result<void> Producer::wait_for_frame()
{
    // A broken connection is an error even with no frame callback pending (a queue() that failed).
    if (auto r = connection_->status(); !r) return r;
    // Commits the compositor may hold: the one to be shown next, and with fifo one more waiting
    // behind its barrier.
    const size_t held = pacing_ == Pacing::fifo ? 2 : 1;
    const auto start = Clock::now();
    const auto deadline = start + config_.timeout;
    const auto hidden_after = config_.hidden_after.count() > 0 ? config_.hidden_after : config_.timeout / 2;
    const auto hidden_at = std::min(deadline, start + hidden_after);
    while (window_->frame_callbacks_pending() >= held) {
        if (connection_->interrupted()) return {};
        if (Clock::now() >= hidden_at) {
            // No frame callback: a compositor that does not repaint the window answers a roundtrip,
            // a stopped or hung one does not.
            const auto left = left_until(deadline);
            if (left.count() == 0 || !connection_->roundtrip(left)) {
                if (auto r = connection_->status(); !r) return r;
                if (connection_->interrupted()) return {};
                return Error{"no frame callback from the compositor within " + std::to_string(config_.timeout.count()) +
                             " ms, and no answer to wl_display.sync: it is stopped or hung"};
            }
            if (window_->frame_callbacks_pending() < held) break;  // it came with the roundtrip
            stats_.unpaced();
            if (!hidden_) {
                log::info("no frame callback for %lld ms, and the compositor answers: the window is not being "
                          "repainted (hidden?); frames go on at one per %lld ms at most until it is again",
                          static_cast<long long>(hidden_after.count()), static_cast<long long>(hidden_after.count()));
                hidden_ = true;
            }
            return {};
        }
        if (auto r = connection_->dispatch(left_until(hidden_at)); !r) return std::move(r).error();
    }
    if (hidden_) {
        log::info("frame callbacks again: the window is being repainted");
        hidden_ = false;
    }
    return {};
}

int Producer::fd() const noexcept { return connection_->fd(); }

Result<void> Producer::dispatch_pending() { return connection_->dispatch_pending(); }

Result<void> Producer::dispatch(std::chrono::milliseconds timeout) { return connection_->dispatch(timeout); }

Result<void> Producer::drain(std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    while (window_->feedbacks_in_flight() > 0 && !connection_->interrupted()) {
        const auto left = left_until(deadline);
        if (left.count() == 0) break;
        if (auto r = connection_->dispatch(left); !r) return std::move(r).error();
    }
    return {};
}

void Producer::on_presented(std::function<void(const wl::PresentationResult&)> callback)
{
    on_presented_ = std::move(callback);
}

void Producer::on_buffer_destroyed(std::function<void(const Buffer&, uint64_t serial)> callback)
{
    on_buffer_destroyed_ = std::move(callback);
}

}  // namespace dmafeed::producer

#include "producer/producer.hpp"

#include "drm/device.hpp"
#include "drm/format_info.hpp"
#include "util/log.hpp"
#include "wl/listener.hpp"

#include <algorithm>
#include <wayland-client.h>

namespace dmafeed::producer {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left_until(Clock::time_point deadline)
{
    return std::max(std::chrono::milliseconds{0}, std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
}

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

// The contexts' names, comma-separated; each one's pair count goes to the debug log.
std::string describe_contexts(const AllocatorContexts& contexts)
{
    std::string names;
    for (const auto& c : contexts) {
        names += (names.empty() ? "" : ", ") + c->describe();
        log::debug("allocator %s: %zu exportable pairs", c->describe().c_str(), c->allocator().supported().size());
    }
    return names;
}

}  // namespace

std::string Choice::to_string() const
{
    std::string s = name(candidate.pair.format) + " " + name(candidate.pair.modifier) + " " + std::to_string(width) + "x" +
                    std::to_string(height) + " from " + allocator;
    if (candidate.target_device != 0) s += " for " + drm::describe_device(candidate.target_device);
    if (candidate.scanout) s += " (scanout tranche)";
    return s;
}

Result<std::unique_ptr<Producer>> Producer::create(ProducerConfig config)
{
    if (config.buffers < 2 || config.buffers > 4) {
        return Error{"a pool holds 2 to 4 buffers, not " + std::to_string(config.buffers)};
    }
    if (!config.allocators) config.allocators = system_allocators({});
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
    auto globals = wl::Globals::bind(*connection_, config_.max_dmabuf_version, config_.timeout);
    if (!globals) return std::move(globals).error();
    globals_ = std::move(*globals);
    log::debug("compositor globals: %s", globals_->describe().c_str());

    auto window = wl::Window::create(*connection_, *globals_, config_.window, config_.timeout);
    if (!window) return std::move(window).error();
    window_ = std::move(*window);
    window_->on_presented([this](const wl::PresentationResult& r) {
        if (r.presented) {
            stats_.presented(r.queued_ns, r.time_ns, r.refresh_ns, (r.flags & 0x8U) != 0);
        } else {
            stats_.discarded();
        }
        if (on_presented_) on_presented_(r);
    });

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
    if (auto r = setup_sync(); !r) return r;
    if (auto r = setup_color_representation(); !r) return r;
    return negotiate();
}

namespace {

// wp_color_representation_surface_v1 enum values.
constexpr uint32_t coefficients_value(pixels::YuvMatrix m)
{
    switch (m) {
    case pixels::YuvMatrix::bt601: return 4;
    case pixels::YuvMatrix::bt709: return 2;
    case pixels::YuvMatrix::bt2020: return 6;
    }
    return 4;
}
constexpr uint32_t range_value(pixels::YuvRange r) { return r == pixels::YuvRange::full ? 1 : 2; }

std::string coefficients_pair_name(uint32_t coefficients, uint32_t range)
{
    static constexpr const char* names[] = {"?", "identity", "bt709", "fcc", "bt601", "smpte240", "bt2020", "bt2020_cl", "ictcp"};
    const std::string c = coefficients < std::size(names) ? names[coefficients] : std::to_string(coefficients);
    return c + (range == 1 ? " full" : range == 2 ? " limited" : " range " + std::to_string(range));
}

}  // namespace

Result<void> Producer::setup_color_representation()
{
    const FormatInfo* info = format_info(config_.format);
    if (!info || !info->is_yuv) return {};
    const pixels::YuvEncoding e = config_.yuv;
    const bool default_encoding = e == pixels::YuvEncoding{};
    if (!globals_->color_representation()) {
        if (!default_encoding) {
            return Error{name(config_.format) + " frames in " + e.to_string() +
                         ": the compositor does not offer wp_color_representation_v1 to be told so, and would show them "
                         "as BT.601 limited range (its default) with the wrong colours; use BT.601 limited range here"};
        }
        yuv_description_ = e.to_string() + ", the compositor's default (no wp_color_representation_v1)";
        return {};
    }
    const uint32_t coefficients = coefficients_value(e.matrix), range = range_value(e.range);
    const auto& supported = globals_->supported_coefficients();
    if (std::find(supported.begin(), supported.end(), std::pair{coefficients, range}) == supported.end()) {
        std::string list;
        for (const auto& [c, r] : supported) list += (list.empty() ? "" : ", ") + coefficients_pair_name(c, r);
        if (default_encoding) {
            log::info("wp_color_representation_v1 does not list BT.601 limited range (only %s): not declared",
                      list.empty() ? "nothing" : list.c_str());
            yuv_description_ = e.to_string() + ", not declared (the compositor does not list it)";
            return {};
        }
        return Error{name(config_.format) + " frames in " + e.to_string() + ": the compositor's wp_color_representation_v1 " +
                     "does not support " + coefficients_pair_name(coefficients, range) + "; it supports " +
                     (list.empty() ? "nothing" : list)};
    }
    if (auto r = window_->set_color_representation(coefficients, range); !r) return r;
    yuv_description_ = e.to_string() + ", declared (wp_color_representation_v1)";
    log::debug("YUV encoding: %s", yuv_description_.c_str());
    return {};
}

void Producer::handle_feedback(const wl::Feedback& feedback) noexcept
{
    offer_ = feedback;
    offer_changed_ = true;
}

Result<AllocatorContexts*> Producer::contexts_for(dev_t device)
{
    auto it = contexts_.find(device);
    if (it != contexts_.end()) return &it->second;
    if (context_errors_.count(device)) return Error{context_errors_[device]};
    auto made = config_.allocators(device);
    if (!made) {
        context_errors_[device] = made.error().message();
        return std::move(made).error();
    }
    const std::string names = describe_contexts(made->contexts);
    if (made->pending) {
        log::info("quick start: %s to begin with; setting up %s in the background", names.c_str(),
                  made->pending->describe().c_str());
        pending_[device] = std::move(made->pending);
    }
    return &contexts_.emplace(device, std::move(made->contexts)).first->second;
}

Result<bool> Producer::adopt_pending(bool wait)
{
    bool adopted = false;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (!wait && !it->second->ready()) {
            ++it;
            continue;
        }
        const dev_t device = it->first;
        const std::string what = it->second->describe();
        auto taken = it->second->take();
        it = pending_.erase(it);
        const double after = ms_since(created_at_);
        if (!taken) {
            log::info("%s could not be set up after %.0f ms (%s); the allocators in use stay", what.c_str(), after,
                      taken.error().message().c_str());
            continue;
        }
        const std::string names = describe_contexts(*taken);
        log::info("%s ready after %.0f ms: allocators now %s", what.c_str(), after, names.c_str());
        // A buffer moves to the new context of the same allocator (the same name): it keeps being
        // used where the new first choice is its layout. The others are rebuilt by negotiate().
        AllocatorContexts& in_use = contexts_[device];
        for (auto& slot : slots_) {
            const bool ours = std::any_of(in_use.begin(), in_use.end(), [&](const auto& c) { return c.get() == slot->context; });
            if (!ours) continue;
            for (const auto& c : *taken) {
                if (c->describe() == slot->context->describe()) {
                    slot->context = c.get();
                    break;
                }
            }
        }
        replaced_contexts_.push_back(std::move(in_use));
        in_use = std::move(*taken);
        adopted = true;
    }
    if (adopted) {
        if (auto r = negotiate("the allocators set up in the background are ready"); !r) return std::move(r).error();
    }
    return adopted;
}

Result<void> Producer::negotiate(const char* why)
{
    offer_changed_ = false;
    const OfferFor offer_for = [this](dev_t device) {
        std::vector<AllocatorOffer> offers;
        auto contexts = contexts_for(device);
        if (!contexts) {
            offers.push_back({.name = "allocator", .formats = nullptr, .unavailable = contexts.error().message()});
            return offers;
        }
        for (const auto& c : **contexts) offers.push_back({.name = c->describe(), .formats = &c->allocator().supported()});
        return offers;
    };
    const IsRefused is_refused = [this](const Candidate& c) {
        return refused_.count({(*contexts_for(c.target_device))->at(c.allocator)->describe(), c.target_device, c.pair}) != 0;
    };
    auto candidates = producer::negotiate(offer_, {config_.format, config_.modifier}, offer_for, is_refused);
    if (!candidates && !pending_.empty()) {
        // The stand-ins cannot make the format: wait for the allocators being set up.
        auto adopted = adopt_pending(true);
        if (!adopted) return std::move(adopted).error();
        if (*adopted) return {};  // adopt_pending negotiated again
    }
    if (!candidates) return std::move(candidates).error();
    const Candidate& front = candidates->front();
    const RefusalKey key{(*contexts_for(front.target_device))->at(front.allocator)->describe(), front.target_device, front.pair};
    const bool first_time = !first_key_;
    const bool same_first = first_key_ && *first_key_ == key;
    candidates_ = std::move(*candidates);
    first_key_ = key;
    if (!first_time && !same_first) {
        ++generation_;
        log::info("%s: rebuilding the buffers for %s %s from %s", why, name(candidates_.front().pair.format).c_str(),
                  name(candidates_.front().pair.modifier).c_str(), std::get<std::string>(key).c_str());
    }
    if (!same_first) candidate_index_ = 0;
    return {};
}

Result<Producer::Slot*> Producer::make_slot()
{
    for (; candidate_index_ < candidates_.size(); ++candidate_index_) {
        const Candidate& c = candidates_[candidate_index_];
        auto contexts = contexts_for(c.target_device);
        if (!contexts) continue;
        AllocatorContext* ctx = (**contexts)[c.allocator].get();
        const RefusalKey key{ctx->describe(), c.target_device, c.pair};
        if (refused_.count(key)) continue;

        AllocationRequest request{.format = c.pair.format,
                                  .width = width_,
                                  .height = height_,
                                  .modifiers = {c.pair.modifier},
                                  .stride_align = config_.stride_align,
                                  .plane_offset = config_.plane_offset,
                                  .disjoint = config_.disjoint};
        auto buffer = ctx->allocator().allocate(request);
        if (!buffer) {
            log::warning("%s cannot allocate %s %s %ux%u: %s; trying the next layout", ctx->describe().c_str(),
                         name(c.pair.format).c_str(), name(c.pair.modifier).c_str(), width_, height_,
                         buffer.error().message().c_str());
            allocation_failures_.push_back(ctx->describe() + ": " + buffer.error().message());
            refused_.insert(key);
            continue;
        }
        Buffer& b = **buffer;
        if (!c.pair.modifier.is_implicit() && b.modifier() != c.pair.modifier && b.layout_modifier() != c.pair.modifier) {
            log::warning("%s made a %s buffer instead of %s; trying the next layout", ctx->describe().c_str(),
                         name(b.modifier()).c_str(), name(c.pair.modifier).c_str());
            refused_.insert(key);
            continue;
        }
        std::vector<wl::DmabufPlane> planes;
        for (const BufferPlane& p : b.planes()) planes.push_back({p.fd.get(), p.offset, p.stride});
        const wl::DmabufDescription description{
            .format = c.pair.format, .modifier = c.pair.modifier, .width = width_, .height = height_, .flags = 0, .planes = planes};
        auto wl_buffer = wl::DmabufBuffer::create(*connection_, globals_->dmabuf(), description, config_.create_mode,
                                                  config_.timeout);
        if (!wl_buffer) return std::move(wl_buffer).error();
        if (*wl_buffer && config_.create_mode == wl::CreateMode::immediate && !verified_.count(key)) {
            // The first create_immed buffer of a layout is checked with a roundtrip before it can be
            // attached: a `failed` for it has arrived by then. Later buffers of a layout that worked
            // go without one (that is what create_immed saves).
            if (auto r = connection_->roundtrip(config_.timeout); !r) {
                return std::move(r).error().context("checking a create_immed buffer");
            }
            if ((*wl_buffer)->refused()) wl_buffer->reset();
        }
        if (!*wl_buffer) {
            stats_.refused();
            refused_.insert(key);
            log::info("the compositor refused a %s %s %ux%u buffer from %s (`failed`); trying the next layout",
                      name(c.pair.format).c_str(), name(c.pair.modifier).c_str(), width_, height_, ctx->describe().c_str());
            continue;
        }
        ++buffers_created_;
        verified_.insert(key);
        auto slot = std::make_unique<Slot>(Slot{key, std::move(*buffer), std::move(*wl_buffer), ctx, generation_, false});
        slot->serial = buffers_created_;
        choice_ = Choice{c, ctx->describe(), width_, height_, 0};
        choice_->buffer_bytes = slot->buffer->allocated_bytes();
        if (logged_choices_.insert(key).second) log::info("buffers: %s", choice_->to_string().c_str());
        slots_.push_back(std::move(slot));
        return slots_.back().get();
    }
    if (!pending_.empty()) {
        // Every layout of the stand-ins failed: wait for the allocators being set up, and try theirs.
        auto adopted = adopt_pending(true);
        if (!adopted) return std::move(adopted).error();
        candidate_index_ = 0;
        return make_slot();
    }
    std::string msg = "the compositor refused every buffer layout dmafeed could make for " + name(config_.format) + ":";
    for (const auto& [allocator, device, pair] : refused_) {
        if (pair.format == config_.format) msg += "\n  " + name(pair.modifier) + " from " + allocator;
    }
    return Error{msg};
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
    ++generation_;
}

void Producer::retire_old_slots()
{
    std::erase_if(slots_, [&](const std::unique_ptr<Slot>& s) {
        return s->generation != generation_ && !busy(*s) && destroying(*s);
    });
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
    if (!pending_.empty()) {
        if (auto r = adopt_pending(false); !r) return std::move(r).error();
    }
    if (!config_.width || !config_.height) check_resize();

    const auto deadline = Clock::now() + wait;
    while (true) {
        retire_old_slots();
        Slot* free_slot = nullptr;
        size_t current = 0;
        for (auto& s : slots_) {
            if (s->generation != generation_) continue;
            ++current;
            if (!free_slot && !busy(*s) && !s->wl->refused()) free_slot = s.get();
        }
        if (!free_slot && current < config_.buffers) {
            auto made = make_slot();
            if (!made) return std::move(made).error();
            free_slot = *made;
        }
        if (free_slot) {
            if (auto r = wait_before_write(*free_slot); !r) return std::move(r).error();
            free_slot->acquired = true;
            return std::optional<Frame>{Frame{frames_acquired_++, free_slot->buffer.get(), free_slot->context,
                                              wl_proxy_get_id(reinterpret_cast<wl_proxy*>(free_slot->wl->proxy())),
                                              free_slot->serial}};
        }
        if (drop) {
            stats_.dropped();
            return std::optional<Frame>{};
        }
        const auto left = left_until(deadline);
        if (left.count() == 0) {
            if (!timeout_is_error) return std::optional<Frame>{};
            return Error{"the compositor held all " + std::to_string(config_.buffers) + " buffers for " +
                         std::to_string(wait.count()) + " ms without releasing one"};
        }
        if (auto r = wait_for_release(left); !r) return std::move(r).error().context("waiting for a buffer release");
    }
}

Producer::Slot* Producer::find_slot(const Frame& frame)
{
    for (auto& s : slots_) {
        if (s->buffer.get() == frame.buffer) return s.get();
    }
    return nullptr;
}

Result<void> Producer::write(const Frame& frame, std::span<const PlanePixels> planes)
{
    Slot* slot = find_slot(frame);
    if (!slot || !slot->acquired) return Error{"write: frame " + std::to_string(frame.number) + " is not acquired"};
    slot->drawn.reset();
    const auto start = Clock::now();
    auto fence = slot->context->write(*slot->buffer, planes);
    if (!fence) return std::move(fence).error();
    slot->render_fence = std::move(*fence);
    if (frame.number < 3) log::debug("frame %llu: written in %.1f ms", static_cast<unsigned long long>(frame.number), ms_since(start));
    return {};
}

Result<Buffer::MappedPlanes> Producer::begin_cpu_write(const Frame& frame)
{
    Slot* slot = find_slot(frame);
    if (!slot || !slot->acquired) return Error{"begin_cpu_write: frame " + std::to_string(frame.number) + " is not acquired"};
    if (!slot->context->writes_in_place(*slot->buffer)) {
        return Error{"begin_cpu_write: " + slot->context->describe() + " fills this buffer by a GPU copy; use write()"};
    }
    slot->drawn.reset();
    return slot->buffer->begin_cpu_write();
}

void Producer::end_cpu_write(const Frame& frame)
{
    if (Slot* slot = find_slot(frame)) slot->buffer->end_cpu_write();
}

bool Producer::writes_in_place(const Frame& frame) const
{
    return frame.context && frame.buffer && frame.context->writes_in_place(*frame.buffer);
}

Result<void> Producer::abandon(const Frame& frame)
{
    Slot* slot = find_slot(frame);
    if (!slot || !slot->acquired) return Error{"abandon: frame " + std::to_string(frame.number) + " is not acquired"};
    slot->acquired = false;
    slot->drawn.reset();
    slot->render_fence.reset();
    return {};
}

Result<void> Producer::draw(const Frame& frame, const sources::PatternFrame& pattern,
                           pixels::YuvEncoding encoding)
{
    Slot* slot = find_slot(frame);
    if (!slot || !slot->acquired) return Error{"draw: frame " + std::to_string(frame.number) + " is not acquired"};
    std::optional<std::vector<sources::PixelRect>> changed;
    if (slot->drawn && slot->drawn_encoding == encoding) {
        changed = sources::pattern_changes(*slot->drawn, pattern);
    }
    slot->drawn.reset();  // until the draw succeeded
    const auto start = Clock::now();
    auto fence = slot->context->draw(*slot->buffer, pattern, encoding, changed);
    if (!fence) return std::move(fence).error();
    if (frame.number < 3 || !changed) {
        log::debug("frame %llu: drawn on the %s (%s) in %.1f ms", static_cast<unsigned long long>(frame.number),
                   slot->context->draws_on_gpu(*slot->buffer) ? "GPU" : "CPU", changed ? "what changed" : "all of it",
                   ms_since(start));
    }
    slot->render_fence = std::move(*fence);
    slot->drawn = pattern;
    slot->drawn_encoding = encoding;
    return {};
}

bool Producer::draw_ready(const Frame& frame) { return !frame.context || frame.context->draw_ready(); }

bool Producer::draws_on_gpu(const Frame& frame) const
{
    return frame.context && frame.buffer && frame.context->draws_on_gpu(*frame.buffer);
}

std::string Producer::cannot_draw(const Frame& frame) const
{
    return frame.context && frame.buffer ? frame.context->cannot_draw(*frame.buffer) : "no buffer";
}

Result<void> Producer::set_render_fence(const Frame& frame, UniqueFd fence)
{
    Slot* slot = find_slot(frame);
    if (!slot || !slot->acquired) return Error{"set_render_fence: frame " + std::to_string(frame.number) + " is not acquired"};
    slot->render_fence = std::move(fence);
    return {};
}

bool Producer::destroying(const Slot& slot)
{
    if (on_buffer_destroyed_) on_buffer_destroyed_(*slot.buffer, slot.serial);
    return true;
}

Result<void> Producer::queue(const Frame& frame)
{
    Slot* slot = find_slot(frame);
    if (!slot || !slot->acquired) return Error{"queue: frame " + std::to_string(frame.number) + " is not acquired"};
    if (auto r = connection_->dispatch_pending(); !r) return std::move(r).error();
    slot->acquired = false;
    if (slot->wl->refused()) {
        // create_immed's buffer answered with `failed` meanwhile: never attach it; the frame is lost.
        stats_.refused();
        stats_.dropped();
        const FormatModifier pair = std::get<FormatModifier>(slot->layout);
        refused_.insert(slot->layout);
        log::info("the compositor refused a %s %s buffer made with create_immed (`failed`); trying the next layout",
                  name(pair.format).c_str(), name(pair.modifier).c_str());
        std::erase_if(slots_, [&](const std::unique_ptr<Slot>& s) { return (s->wl->refused() || s.get() == slot) && destroying(*s); });
        ++generation_;
        return negotiate();
    }
    int32_t dest_w = 0, dest_h = 0;
    if (config_.resize == ResizePolicy::scale && (!config_.width || !config_.height)) {
        dest_w = window_->configured_width();
        dest_h = window_->configured_height();
    }
    wl::CommitSync commit_sync;
    if (auto r = hand_over_fence(*slot, commit_sync); !r) return r;
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
    window_->present(slot->wl->proxy(), slot->buffer->width(), slot->buffer->height(), dest_w, dest_h, frame.number,
                     sync_mode_ == SyncMode::explicit_sync ? &commit_sync : nullptr, damage);
    slot->render_fence.reset();  // sent (libwayland sent a copy) or already handed over
    slot->wl->attached();
    stats_.queued();
    if (frame.number < 3) log::debug("frame %llu: committed", static_cast<unsigned long long>(frame.number));
    return connection_->dispatch_pending();
}

Result<void> Producer::wait_for_frame()
{
    const auto deadline = Clock::now() + config_.timeout;
    while (window_->frame_pending()) {
        const auto left = left_until(deadline);
        if (left.count() == 0) {
            return Error{"no frame callback from the compositor within " + std::to_string(config_.timeout.count()) + " ms"};
        }
        if (auto r = connection_->dispatch(left); !r) return std::move(r).error();
    }
    return {};
}

int Producer::fd() const noexcept { return connection_->fd(); }

Result<void> Producer::dispatch_pending() { return connection_->dispatch_pending(); }

Result<void> Producer::dispatch(std::chrono::milliseconds timeout) { return connection_->dispatch(timeout); }

Result<void> Producer::drain(std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    while (window_->feedbacks_in_flight() > 0) {
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

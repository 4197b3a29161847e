#include "producer/layout_choice.hpp"

#include "drm/device.hpp"
#include "util/log.hpp"
#include "wl/connection.hpp"
#include "wl/linux_dmabuf.hpp"

namespace dmafeed::producer {

std::string Choice::to_string() const
{
    std::string s = name(candidate.pair.format) + " " + name(candidate.pair.modifier) + " " + std::to_string(width) + "x" +
                    std::to_string(height) + " from " + allocator;
    if (candidate.target_device != 0) s += " for " + drm::describe_device(candidate.target_device);
    if (candidate.scanout) s += " (scanout tranche)";
    return s;
}

LayoutKey LayoutChoice::key_of(const Candidate& c, BackendSet& contexts) const
{
    return {contexts.at(c.target_device, c.allocator).describe(), c.target_device, c.pair};
}

Result<bool> LayoutChoice::update(const wl::Feedback& offer, BackendSet& contexts, const char* why)
{
    const OfferFor offer_for = [&](dev_t device) {
        std::vector<AllocatorOffer> offers;
        auto made = contexts.for_device(device);
        if (!made) {
            offers.push_back({.name = "allocator", .formats = nullptr, .unavailable = made.error().message()});
            return offers;
        }
        for (const auto& c : **made) offers.push_back({.name = c->describe(), .formats = &c->allocator().supported()});
        return offers;
    };
    const IsRefused is_refused = [&](const Candidate& c) { return refused_.count(key_of(c, contexts)) != 0; };
    auto candidates = negotiate(offer, {request_.format, request_.modifier}, offer_for, is_refused);
    if (!candidates) return std::move(candidates).error();
    const LayoutKey key = key_of(candidates->front(), contexts);
    const bool first_time = !first_;
    const bool same_first = first_ && *first_ == key;
    candidates_ = std::move(*candidates);
    first_ = key;
    if (!same_first) index_ = 0;
    if (first_time || same_first) return false;
    log::info("%s: rebuilding the buffers for %s %s from %s", why, name(candidates_.front().pair.format).c_str(),
              name(candidates_.front().pair.modifier).c_str(), std::get<std::string>(key).c_str());
    return true;
}

Result<std::optional<MadeBuffer>> LayoutChoice::make(uint32_t width, uint32_t height, BackendSet& contexts,
                                                     wl::Connection& connection, wl::LinuxDmabuf& dmabuf, Stats& stats)
{
    for (; index_ < candidates_.size(); ++index_) {
        const Candidate& c = candidates_[index_];
        if (!contexts.for_device(c.target_device)) continue;
        Backend* ctx = &contexts.at(c.target_device, c.allocator);
        const LayoutKey key{ctx->describe(), c.target_device, c.pair};
        if (refused_.count(key)) continue;

        const AllocationRequest allocation{.format = c.pair.format,
                                           .width = width,
                                           .height = height,
                                           .modifiers = {c.pair.modifier},
                                           .stride_align = request_.stride_align,
                                           .plane_offset = request_.plane_offset,
                                           .disjoint = request_.disjoint,
                                           .scanout = c.scanout};
        auto buffer = ctx->allocator().allocate(allocation);
        if (!buffer) {
            log::warning("%s cannot allocate %s %s %ux%u: %s; trying the next layout", ctx->describe().c_str(),
                         name(c.pair.format).c_str(), name(c.pair.modifier).c_str(), width, height,
                         buffer.error().message().c_str());
            allocation_failures_.push_back(ctx->describe() + ": " + buffer.error().message());
            refused_.insert(key);
            not_made_.insert(key);
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
        const wl::DmabufDescription description{.format = c.pair.format,
                                                .modifier = c.pair.modifier,
                                                .width = width,
                                                .height = height,
                                                .flags = 0,
                                                .planes = planes,
                                                .sampling_device = c.sampling ? std::optional{c.target_device} : std::nullopt};
        auto wl_buffer = wl::DmabufBuffer::create(connection, dmabuf, description, request_.create_mode, request_.timeout);
        if (!wl_buffer) return std::move(wl_buffer).error();
        if (*wl_buffer && request_.create_mode == wl::CreateMode::immediate && !verified_.count(key)) {
            // The first create_immed buffer of a layout is checked with a roundtrip before it can be
            // attached: a `failed` for it has arrived by then. Later buffers of a layout that worked
            // go without one (that is what create_immed saves).
            if (auto r = connection.roundtrip(request_.timeout); !r) return std::move(r).error().context("checking a create_immed buffer");
            if ((*wl_buffer)->refused()) wl_buffer->reset();
        }
        if (!*wl_buffer) {
            stats.refused();
            refused_.insert(key);
            log::info("the compositor refused a %s %s %ux%u buffer from %s (`failed`); trying the next layout",
                      name(c.pair.format).c_str(), name(c.pair.modifier).c_str(), width, height, ctx->describe().c_str());
            continue;
        }
        verified_.insert(key);
        choice_ = Choice{c, ctx->describe(), width, height, b.allocated_bytes()};
        if (logged_.insert(key).second) log::info("buffers: %s", choice_->to_string().c_str());
        return std::optional<MadeBuffer>{MadeBuffer{key, std::move(*buffer), std::move(*wl_buffer), ctx}};
    }
    return std::optional<MadeBuffer>{};
}

Error LayoutChoice::exhausted() const
{
    // The compositor's refusals and what could not be made at all are told apart: at a low fd
    // limit, say, nothing reaches the compositor.
    std::string refused;
    for (const auto& [allocator, device, pair] : refused_) {
        if (pair.format != request_.format || not_made_.count({allocator, device, pair})) continue;
        refused += "\n  " + name(pair.modifier) + " from " + allocator;
    }
    if (refused.empty()) {
        std::string msg = "dmafeed could make no buffer for " + name(request_.format) + ":";
        for (const std::string& failure : allocation_failures_) msg += "\n  " + failure;
        return Error{msg};
    }
    std::string msg = "the compositor refused every buffer layout dmafeed could make for " + name(request_.format) + ":" + refused;
    if (!allocation_failures_.empty()) {
        msg += "\nand these could not be made:";
        for (const std::string& failure : allocation_failures_) msg += "\n  " + failure;
    }
    return Error{msg};
}

}  // namespace dmafeed::producer

// The layout choice: which (allocator, device, format, modifier) the producer's buffers are made
// as, in the order negotiation.hpp gives, and what the compositor has refused.
//
// Contract:
//  - update() negotiates again for the compositor's current offer. It reports a rebuild when the
//    first candidate (allocator, device, pair) differs from the previous one; the same first
//    candidate keeps the buffers and the position in the list.
//  - make() makes the next buffer: from the current candidate on, the first layout whose
//    allocator makes it and whose wl_buffer the compositor accepts (`created`, or create_immed
//    checked with a roundtrip for the first buffer of a layout). A layout that fails either way is
//    refused for the rest of the run and the next one is tried; an allocation failure is kept
//    (allocation_failures()) since the compositor never saw it.
//  - The layout that worked is logged once per layout.
#pragma once

#include "alloc/buffer.hpp"
#include "producer/buffer_pool.hpp"
#include "producer/backend_set.hpp"
#include "producer/negotiation.hpp"
#include "producer/stats.hpp"
#include "wl/dmabuf_buffer.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dmafeed::wl {
class Connection;
class LinuxDmabuf;
}  // namespace dmafeed::wl

namespace dmafeed::producer {

// The layout in use.
struct Choice {
    Candidate candidate;
    std::string allocator;  // Backend::describe()
    uint32_t width = 0;
    uint32_t height = 0;
    uint64_t buffer_bytes = 0;  // memory of one buffer (Buffer::allocated_bytes)
    std::string to_string() const;
};

// What the buffers must be, besides the negotiated layout.
struct LayoutRequest {
    DrmFormat format;
    std::optional<DrmModifier> modifier;  // only this one; unset: negotiated
    uint32_t stride_align = 0;            // AllocationRequest's
    uint32_t plane_offset = 0;
    bool disjoint = false;
    wl::CreateMode create_mode = wl::CreateMode::wait;
    std::chrono::milliseconds timeout{5000};  // bound on the compositor's answer
};

// A buffer and its wl_buffer, made as `layout` by `backend`.
struct MadeBuffer {
    LayoutKey layout;
    std::unique_ptr<Buffer> buffer;
    std::unique_ptr<wl::DmabufBuffer> wl;
    Backend* backend = nullptr;
};

class LayoutChoice {
public:
    explicit LayoutChoice(LayoutRequest request) : request_{std::move(request)} {}

    // True: a rebuild (see above), logged with `why`. An error when there is no candidate.
    Result<bool> update(const wl::Feedback& offer, BackendSet& contexts, const char* why);
    // nullopt: every candidate from the current one on failed or was refused (see exhausted()).
    Result<std::optional<MadeBuffer>> make(uint32_t width, uint32_t height, BackendSet& contexts, wl::Connection& connection,
                                           wl::LinuxDmabuf& dmabuf, Stats& stats);
    // Buffers of `layout` are not to be made again (the compositor answered `failed` later).
    void refuse(const LayoutKey& layout) { refused_.insert(layout); }
    // make() starts from the first candidate again.
    void restart() noexcept { index_ = 0; }
    // The error once make() has nothing left: every layout refused, listed.
    Error exhausted() const;

    const std::optional<Choice>& choice() const noexcept { return choice_; }
    const std::vector<std::string>& allocation_failures() const noexcept { return allocation_failures_; }

private:
    LayoutKey key_of(const Candidate& c, BackendSet& contexts) const;

    LayoutRequest request_;
    std::vector<Candidate> candidates_;
    size_t index_ = 0;
    std::optional<LayoutKey> first_;  // candidates_.front()'s
    std::set<LayoutKey> refused_;   // not to be made again: refused by the compositor, or not made
    std::set<LayoutKey> not_made_;  // of those, the ones the allocator could not make
    std::set<LayoutKey> verified_;  // layouts the compositor has accepted a buffer of
    std::set<LayoutKey> logged_;
    std::vector<std::string> allocation_failures_;
    std::optional<Choice> choice_;
};

}  // namespace dmafeed::producer

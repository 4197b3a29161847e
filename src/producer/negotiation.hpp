// Negotiation: which (format, modifier) pairs to try, in which order, on which device.
//
// The compositor's tranches come in preference order, each naming its target device (v4+; a v3
// compositor gives one tranche with no device). For each tranche, the pairs of the wanted format
// that the allocator for that tranche's device can produce, in the tranche's order, are candidates;
// the candidates of an earlier tranche come first. A pair the compositor has refused (`failed`) is
// left out (refusals are per allocator and device: weston may refuse a lavapipe LINEAR buffer and
// take a GBM one of the same pair). Implicit modifiers (INVALID) are candidates only where the allocator lists them (GBM
// can make implicit-layout buffers, the Vulkan allocator cannot).
// Pure logic: the allocators are asked through a callback, so the tests need no device.
#pragma once

#include "drm/format_set.hpp"
#include "util/result.hpp"
#include "wl/dmabuf_feedback.hpp"

#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dmafeed::producer {

struct Candidate {
    FormatModifier pair;
    dev_t target_device = 0;  // the tranche's; 0 when the compositor did not say (v3)
    bool scanout = false;     // the tranche's scanout flag
    bool sampling = false;    // the tranche's sampling flag (v6): its target device is told at creation
    size_t tranche = 0;       // index in the compositor's tranches
    size_t allocator = 0;     // index in the offers for target_device
};

// What an allocator for one device can produce. `formats` null: no allocator for that device (the
// reason says why); its tranches give no candidates.
struct AllocatorOffer {
    std::string name;  // "vulkan on llvmpipe", for errors
    const FormatSet* formats = nullptr;
    std::string unavailable;  // why there is no allocator, when formats is null
};
// The allocators for one device, in preference order (within a tranche, the first allocator's
// pairs come before the second's).
using OfferFor = std::function<std::vector<AllocatorOffer>(dev_t target_device)>;
// Whether the compositor has refused buffers of this candidate.
using IsRefused = std::function<bool(const Candidate&)>;

struct Wanted {
    DrmFormat format;
    // Set: only this modifier (--modifier linear or 0x...). Unset: any the sides agree on.
    std::optional<DrmModifier> modifier;
};

// The candidates in preference order. An error when there is none, naming what the compositor
// offers for the format, what each allocator asked can produce, and which candidates were refused.
Result<std::vector<Candidate>> negotiate(const wl::Feedback& compositor, const Wanted& wanted, const OfferFor& offer_for,
                                         const IsRefused& is_refused = {});

// A v3 compositor's pairs as one tranche with no target device.
wl::Feedback feedback_from_v3(const FormatSet& formats);

}  // namespace dmafeed::producer

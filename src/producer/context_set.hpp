// The allocator contexts of every device the compositor names, made once per device by the
// producer's factory, and the switch from quick-start stand-ins to the contexts set up in the
// background.
//
// Contract:
//  - for_device() asks the factory once per device; its error is remembered and returned again
//    (that device's tranches drop out of the negotiation).
//  - adopt() takes the contexts a factory was still setting up (DeviceContexts::pending): those
//    that are ready, or all of them (waiting) with `wait`. A buffer moves to the new context of
//    the same allocator (the same describe()), so it stays usable where the new first choice is its
//    layout; the caller negotiates again when adopt() returns true.
//  - Contexts that were replaced stay alive as long as the set: frames handed out before the
//    switch, and their buffers, may still point to them.
#pragma once

#include "producer/allocators.hpp"
#include "producer/buffer_pool.hpp"
#include "util/result.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dmafeed::producer {

class ContextSet {
public:
    explicit ContextSet(AllocatorFactory factory) : factory_{std::move(factory)} {}

    Result<AllocatorContexts*> for_device(dev_t device);
    // The context at `index` of `device`'s contexts, which for_device() has made.
    AllocatorContext& at(dev_t device, size_t index) { return *contexts_.at(device).at(index); }
    bool pending() const noexcept { return !pending_.empty(); }
    // True when any pending contexts were taken (see above); `pool`'s buffers move to them.
    Result<bool> adopt(bool wait, BufferPool& pool);

private:
    AllocatorFactory factory_;
    std::map<dev_t, AllocatorContexts> contexts_;
    std::map<dev_t, std::string> errors_;
    std::map<dev_t, std::unique_ptr<PendingContexts>> pending_;
    std::vector<AllocatorContexts> replaced_;
    std::chrono::steady_clock::time_point created_at_ = std::chrono::steady_clock::now();
};

// The contexts' names, comma-separated, for logs; each one's pair count goes to the debug log.
std::string describe_contexts(const AllocatorContexts& contexts);

}  // namespace dmafeed::producer

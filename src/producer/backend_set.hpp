// The allocator backends of every device the compositor names, made once per device by the
// producer's factory, and the switch from quick-start stand-ins to the backends set up in the
// background.
//
// Contract:
//  - for_device() asks the factory once per device; its error is remembered and returned again
//    (that device's tranches drop out of the negotiation).
//  - adopt() takes the backends a factory was still setting up (DeviceBackends::pending): those
//    that are ready, or all of them (waiting) with `wait`. A buffer moves to the new backend of
//    the same allocator (the same describe()), so it stays usable where the new first choice is its
//    layout; the caller negotiates again when adopt() returns true.
//  - Backends that were replaced stay alive as long as the set: frames handed out before the
//    switch, and their buffers, may still point to them.
#pragma once

#include "producer/backends.hpp"
#include "producer/buffer_pool.hpp"
#include "util/result.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dmafeed::producer {

class BackendSet {
public:
    explicit BackendSet(BackendFactory factory) : factory_{std::move(factory)} {}

    Result<Backends*> for_device(dev_t device);
    // The backend at `index` of `device`'s backends, which for_device() has made.
    Backend& at(dev_t device, size_t index) { return *contexts_.at(device).at(index); }
    bool pending() const noexcept { return !pending_.empty(); }
    // True when any pending backends were taken (see above); `pool`'s buffers move to them.
    Result<bool> adopt(bool wait, BufferPool& pool);

private:
    BackendFactory factory_;
    std::map<dev_t, Backends> contexts_;
    std::map<dev_t, std::string> errors_;
    std::map<dev_t, std::unique_ptr<PendingBackends>> pending_;
    std::vector<Backends> replaced_;
    std::chrono::steady_clock::time_point created_at_ = std::chrono::steady_clock::now();
};

// The backends' names, comma-separated, for logs; each one's pair count goes to the debug log.
std::string describe_backends(const Backends& contexts);

}  // namespace dmafeed::producer

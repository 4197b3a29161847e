#include "producer/backend_set.hpp"

#include "util/log.hpp"

#include <algorithm>

namespace dmafeed::producer {

std::string describe_backends(const Backends& contexts)
{
    std::string names;
    for (const auto& c : contexts) {
        names += (names.empty() ? "" : ", ") + c->describe();
        log::debug("allocator %s: %zu exportable pairs", c->describe().c_str(), c->allocator().supported().size());
    }
    return names;
}

Result<Backends*> BackendSet::for_device(dev_t device)
{
    auto it = contexts_.find(device);
    if (it != contexts_.end()) return &it->second;
    if (auto error = errors_.find(device); error != errors_.end()) return Error{error->second};
    auto made = factory_(device);
    if (!made) {
        errors_[device] = made.error().message();
        return std::move(made).error();
    }
    const std::string names = describe_backends(made->backends);
    if (made->pending) {
        log::info("quick start: %s to begin with; setting up %s in the background", names.c_str(),
                  made->pending->describe().c_str());
        pending_[device] = std::move(made->pending);
    }
    return &contexts_.emplace(device, std::move(made->backends)).first->second;
}

Result<bool> BackendSet::adopt(bool wait, BufferPool& pool)
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
        const double after = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - created_at_).count();
        if (!taken) {
            log::info("%s could not be set up after %.0f ms (%s); the allocators in use stay", what.c_str(), after,
                      taken.error().message().c_str());
            continue;
        }
        const std::string names = describe_backends(*taken);
        log::info("%s ready after %.0f ms: allocators now %s", what.c_str(), after, names.c_str());
        Backends& in_use = contexts_[device];
        for (const auto& slot : pool.slots()) {
            const bool ours = std::any_of(in_use.begin(), in_use.end(), [&](const auto& c) { return c.get() == slot->backend; });
            if (!ours) continue;
            for (const auto& c : *taken) {
                if (c->describe() == slot->backend->describe()) {
                    slot->backend = c.get();
                    break;
                }
            }
        }
        replaced_.push_back(std::move(in_use));
        in_use = std::move(*taken);
        adopted = true;
    }
    return adopted;
}

}  // namespace dmafeed::producer

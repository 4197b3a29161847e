// Owning pointers for Wayland proxies: each is destroyed by the request its interface names
// (destroy, release, ...), passed as the template argument.
#pragma once

#include <memory>

namespace dmafeed::wl {

template <class T, void (*Destroy)(T*)>
struct ProxyDeleter {
    void operator()(T* proxy) const noexcept
    {
        if (proxy) Destroy(proxy);
    }
};

template <class T, void (*Destroy)(T*)>
using ProxyPtr = std::unique_ptr<T, ProxyDeleter<T, Destroy>>;

}  // namespace dmafeed::wl

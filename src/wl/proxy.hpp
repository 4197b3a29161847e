// Owning pointers for Wayland proxies: each is destroyed by the function its interface's generated
// wrapper names (`<interface>_destroy`, which sends the interface's destructor request where it has
// one, or `release`, ...), passed as the template argument. A moved-from pointer owns nothing; a
// null one destroys nothing.
//
// The generated wrappers are `static inline`: a type naming one differs in every translation unit.
// A class declared in a header therefore names an out-of-line function of its own (declared next
// to the class, defined in its .cpp, which calls the wrapper); code local to a .cpp names the
// generated wrapper itself.
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

// Binds Wayland listener slots to noexcept member functions of the object registered as the
// listener's data:
//
//   static constexpr zwp_linux_dmabuf_feedback_v1_listener listener_{
//       .done = on<&DmabufFeedback::handle_done>, ...};
//
// `on<&C::f>` converts to the slot's function pointer type `void (*)(void*, Proxy*, Args...)`,
// whatever the proxy type, and calls `static_cast<C*>(data)->f(args...)`. Handlers that do not
// care about an event use `ignore`. Nothing can throw through libwayland: handlers are noexcept.
#pragma once

namespace dmafeed::wl {

template <auto Member>
struct OnThunk;

template <class C, class... Args, void (C::*Member)(Args...) noexcept>
struct OnThunk<Member> {
    template <class Proxy>
    using Fn = void (*)(void*, Proxy*, Args...);

    template <class Proxy>
    constexpr operator Fn<Proxy>() const noexcept  // NOLINT(google-explicit-constructor)
    {
        return [](void* data, Proxy*, Args... args) { (static_cast<C*>(data)->*Member)(args...); };
    }
};

template <auto Member>
inline constexpr OnThunk<Member> on{};

// A slot that does nothing, for events the listener does not need.
struct Ignore {
    template <class Proxy, class... Args>
    using Fn = void (*)(void*, Proxy*, Args...);

    template <class Proxy, class... Args>
    constexpr operator Fn<Proxy, Args...>() const noexcept  // NOLINT(google-explicit-constructor)
    {
        return [](void*, Proxy*, Args...) {};
    }
};
inline constexpr Ignore ignore{};

}  // namespace dmafeed::wl

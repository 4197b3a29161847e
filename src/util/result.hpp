// Result<T> and Error: the error type every fallible dmafeed function returns.
//
// An Error says what failed and why, in words a user can act on ("vkAllocateMemory for XR24 64x64:
// VK_ERROR_OUT_OF_DEVICE_MEMORY"). It is logged once, where it is handled, not where it is made.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace dmafeed {

class Error {
public:
    explicit Error(std::string message) : message_{std::move(message)} {}

    // "what: strerror(err) (errno NAME)". `err` is an errno value.
    static Error from_errno(std::string_view what, int err);

    const std::string& message() const noexcept { return message_; }

    // Prefixes context: Error{"x"}.context("y") reads "y: x".
    Error context(std::string_view outer) &&;

private:
    std::string message_;
};

template <class T>
class [[nodiscard]] Result {
    static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

public:
    Result(T value) : v_{std::in_place_index<0>, std::move(value)} {}  // NOLINT(google-explicit-constructor)
    Result(Error error) : v_{std::in_place_index<1>, std::move(error)} {}  // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    T&& operator*() && { return std::move(*this).value(); }

    const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
    Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_{std::move(error)}, ok_{false} {}  // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const Error& error() const& { assert(!ok_); return error_; }
    Error&& error() && { assert(!ok_); return std::move(error_); }

private:
    Error error_{std::string{}};
    bool ok_ = true;
};

}  // namespace dmafeed

// The registry's globals, collected with one roundtrip, and binding them at a chosen version.
#pragma once

#include "util/result.hpp"
#include "wl/connection.hpp"
#include "wl/proxy.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct wl_registry;
struct wl_interface;

namespace dmafeed::wl {

void destroy_registry(wl_registry* p);

struct Global {
    uint32_t name = 0;
    std::string interface;
    uint32_t version = 0;
};

class Registry {
public:
    // Gets the registry and waits (one roundtrip, bounded) for the initial globals.
    static Result<std::unique_ptr<Registry>> create(Connection& connection,
                                                    std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;
    ~Registry() = default;

    const std::vector<Global>& globals() const noexcept { return globals_; }
    const Global* find(std::string_view interface) const;

    // Binds `interface` at min(offered, max_version). Errors: not offered, or offered below
    // `min_version` (the message says both versions). The caller owns the returned proxy.
    Result<void*> bind(const wl_interface& interface, uint32_t min_version, uint32_t max_version);
    // Like bind, but nullptr (no error) when the global is absent or too old.
    void* bind_optional(const wl_interface& interface, uint32_t min_version, uint32_t max_version);

    void handle_global(uint32_t name, const char* interface, uint32_t version) noexcept;
    void handle_global_remove(uint32_t name) noexcept;

private:
    explicit Registry(wl_registry* registry) : registry_{registry} {}
    ProxyPtr<wl_registry, destroy_registry> registry_;
    std::vector<Global> globals_;
};

}  // namespace dmafeed::wl

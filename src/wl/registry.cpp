#include "wl/registry.hpp"

#include "wl/listener.hpp"

#include <algorithm>
#include <wayland-client.h>

namespace dmafeed::wl {
namespace {

constexpr wl_registry_listener registry_listener{
    .global = on<&Registry::handle_global>,
    .global_remove = on<&Registry::handle_global_remove>,
};

}  // namespace

void destroy_registry(wl_registry* p) { wl_registry_destroy(p); }

Result<std::unique_ptr<Registry>> Registry::create(Connection& connection, std::chrono::milliseconds timeout)
{
    std::unique_ptr<Registry> reg{new Registry{wl_display_get_registry(connection.display())}};
    wl_registry_add_listener(reg->registry_.get(), &registry_listener, reg.get());
    if (auto r = connection.roundtrip(timeout); !r) {
        return std::move(r).error().context("listing the compositor's globals");
    }
    return reg;
}

void Registry::handle_global(uint32_t name, const char* interface, uint32_t version) noexcept
{
    globals_.push_back({name, interface, version});
}

void Registry::handle_global_remove(uint32_t name) noexcept
{
    std::erase_if(globals_, [&](const Global& g) { return g.name == name; });
}

const Global* Registry::find(std::string_view interface) const
{
    const auto it = std::find_if(globals_.begin(), globals_.end(), [&](const Global& g) { return g.interface == interface; });
    return it == globals_.end() ? nullptr : &*it;
}

Result<void*> Registry::bind(const wl_interface& interface, uint32_t min_version, uint32_t max_version)
{
    const Global* g = find(interface.name);
    if (!g) {
        return Error{std::string{"the compositor does not offer "} + interface.name};
    }
    if (g->version < min_version) {
        return Error{std::string{"the compositor offers "} + interface.name + " version " + std::to_string(g->version) +
                     "; dmafeed needs version " + std::to_string(min_version) + " or newer"};
    }
    const uint32_t version = std::min({g->version, max_version, static_cast<uint32_t>(interface.version)});
    return wl_registry_bind(registry_.get(), g->name, &interface, version);
}

void* Registry::bind_optional(const wl_interface& interface, uint32_t min_version, uint32_t max_version)
{
    const Global* g = find(interface.name);
    if (!g || g->version < min_version) return nullptr;
    auto bound = bind(interface, min_version, max_version);
    return bound.ok() ? *bound : nullptr;
}

}  // namespace dmafeed::wl

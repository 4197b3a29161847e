#include "wayland_probe.hpp"

#include "wl/connection.hpp"
#include "wl/linux_dmabuf.hpp"

#include <chrono>

namespace dmafeed::test {

std::optional<uint32_t> ProbeResult::global_version(const std::string& interface) const
{
    for (const auto& g : globals) {
        if (g.interface == interface) return g.version;
    }
    return std::nullopt;
}

Result<ProbeResult> probe_compositor(const std::string& display, uint32_t max_dmabuf)
{
    auto connection = wl::Connection::connect(display.c_str());
    if (!connection) return std::move(connection).error();
    auto registry = wl::Registry::create(**connection);
    if (!registry) return std::move(registry).error();
    ProbeResult result;
    result.globals = (*registry)->globals();
    if (!(*registry)->find("zwp_linux_dmabuf_v1")) return result;

    auto dmabuf = wl::LinuxDmabuf::bind(**registry, max_dmabuf);
    if (!dmabuf) return std::move(dmabuf).error();
    result.dmabuf_version = (*dmabuf)->version();
    if (!(*dmabuf)->has_feedback()) {
        if (auto r = (*connection)->roundtrip(); !r) return std::move(r).error();
        result.pairs = (*dmabuf)->v3_formats();
        return result;
    }
    auto feedback = (*dmabuf)->default_feedback(nullptr);
    if (!feedback) return std::move(feedback).error();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    while ((*feedback)->generation() == 0 && (*feedback)->rejected() == 0) {
        if (std::chrono::steady_clock::now() > deadline) return Error{"no dmabuf feedback within 5 s"};
        if (auto r = (*connection)->dispatch(std::chrono::milliseconds{200}); !r) return std::move(r).error();
    }
    if ((*feedback)->rejected()) return Error{"malformed feedback: " + (*feedback)->last_rejection()};
    result.feedback = *(*feedback)->current();
    result.pairs = result.feedback->formats();
    return result;
}

}  // namespace dmafeed::test

#include "info/probe.hpp"

#include "wl/connection.hpp"
#include "wl/linux_dmabuf.hpp"

namespace dmafeed::info {

FormatSet Offer::pairs() const
{
    return feedback ? feedback->formats() : v3_formats;
}

bool Offer::has_global(std::string_view interface) const
{
    for (const wl::Global& g : globals) {
        if (g.interface == interface) return true;
    }
    return false;
}

Result<Offer> probe(const std::string& display, std::chrono::milliseconds timeout)
{
    Offer offer;
    auto connection = wl::Connection::connect(display.c_str());
    if (!connection) return std::move(connection).error();
    auto registry = wl::Registry::create(**connection, timeout);
    if (!registry) return std::move(registry).error();
    offer.globals = (*registry)->globals();
    const auto color = wl::ColorManager::bind(**registry);  // its events come with the roundtrip below
    auto dmabuf = wl::LinuxDmabuf::bind(**registry);
    if (!dmabuf) return std::move(dmabuf).error();
    offer.dmabuf_version = (*dmabuf)->version();
    std::unique_ptr<wl::DmabufFeedback> feedback;
    if ((*dmabuf)->has_feedback()) {
        auto fb = (*dmabuf)->default_feedback([](const wl::Feedback&) {});
        if (!fb) return std::move(fb).error();
        feedback = std::move(*fb);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (auto r = (*connection)->roundtrip(timeout); !r) return std::move(r).error();
    while (feedback && !feedback->current()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return Error{"the compositor sent no usable default feedback within " + std::to_string(timeout.count()) + " ms" +
                         (feedback->rejected() ? ": " + feedback->last_rejection() : std::string{})};
        }
        if (auto r = (*connection)->dispatch(left); !r) return std::move(r).error();
    }
    if (feedback) offer.feedback = *feedback->current();
    offer.v3_formats = (*dmabuf)->v3_formats();
    if (color) offer.color = color->support();
    return offer;
}

}  // namespace dmafeed::info

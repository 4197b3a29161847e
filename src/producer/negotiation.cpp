#include "producer/negotiation.hpp"

#include "drm/device.hpp"

#include <algorithm>
#include <map>

namespace dmafeed::producer {

wl::Feedback feedback_from_v3(const FormatSet& formats)
{
    wl::Feedback fb;
    fb.tranches.push_back({.target_device = 0, .flags = 0, .formats = formats});
    return fb;
}

namespace {

std::string modifier_list(const std::vector<DrmModifier>& mods)
{
    if (mods.empty()) return "nothing";
    std::string s;
    for (size_t i = 0; i < mods.size(); ++i) s += (i ? ", " : "") + name(mods[i]);
    return s;
}

}  // namespace

Result<std::vector<Candidate>> negotiate(const wl::Feedback& compositor, const Wanted& wanted, const OfferFor& offer_for,
                                         const IsRefused& is_refused)
{
    std::vector<Candidate> out;
    std::map<dev_t, std::vector<AllocatorOffer>> offers;  // asked once per device
    std::vector<std::string> refused_here;
    for (size_t t = 0; t < compositor.tranches.size(); ++t) {
        const wl::FeedbackTranche& tranche = compositor.tranches[t];
        auto it = offers.find(tranche.target_device);
        if (it == offers.end()) it = offers.emplace(tranche.target_device, offer_for(tranche.target_device)).first;
        for (size_t a = 0; a < it->second.size(); ++a) {
            const AllocatorOffer& offer = it->second[a];
            for (const FormatModifier& pair : tranche.formats) {
                if (pair.format != wanted.format) continue;
                if (wanted.modifier && pair.modifier != *wanted.modifier) continue;
                if (!offer.formats || !offer.formats->contains(pair)) continue;
                const Candidate c{pair, tranche.target_device, tranche.scanout(), tranche.sampling(), t, a};
                const bool seen = std::any_of(out.begin(), out.end(), [&](const Candidate& o) {
                    return o.pair == pair && o.target_device == c.target_device && o.allocator == a;
                });
                if (seen) continue;
                if (is_refused && is_refused(c)) {
                    refused_here.push_back(offer.name + " " + name(pair.modifier));
                    continue;
                }
                out.push_back(c);
            }
        }
    }
    if (!out.empty()) return out;

    const std::string what = name(wanted.format) + (wanted.modifier ? " with modifier " + name(*wanted.modifier) : "");
    std::string msg = "no buffer layout that both the compositor and this machine support for " + what + ".\n";
    const FormatSet compositor_all = compositor.formats();
    const auto mods = compositor_all.modifiers_for(wanted.format);
    msg += "  the compositor offers for " + name(wanted.format) + ": ";
    msg += mods.empty() ? "nothing (it offers: " + compositor_all.to_string() + ")" : modifier_list(mods);
    msg += "\n";
    for (const auto& [device, list] : offers) {
        const std::string where = device != 0 ? " for " + drm::describe_device(device) : std::string{};
        if (list.empty()) msg += "  no allocator" + where + "\n";
        for (const AllocatorOffer& offer : list) {
            msg += "  " + (offer.name.empty() ? std::string{"allocator"} : offer.name) + where;
            if (!offer.formats) {
                msg += ": unavailable: " + offer.unavailable + "\n";
            } else {
                msg += " can produce for " + name(wanted.format) + ": " + modifier_list(offer.formats->modifiers_for(wanted.format)) + "\n";
            }
        }
    }
    if (!refused_here.empty()) {
        msg += "  refused by the compositor (failed):";
        for (const auto& r : refused_here) msg += " [" + r + "]";
        msg += "\n";
    }
    msg += "Try another format, modifier or allocator.";
    return Error{msg};
}

}  // namespace dmafeed::producer

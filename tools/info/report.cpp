#include "info/report.hpp"

#include "cli/json.hpp"
#include "drm/device.hpp"
#include "linux-dmabuf-v1-client-protocol.h"

#include <algorithm>
#include <drm_fourcc.h>
#include <sys/sysmacros.h>

namespace dmafeed::info {
namespace {

std::string device_text(dev_t dev) { return dev == 0 ? "none named" : drm::describe_device(dev); }

// zwp_linux_dmabuf_feedback_v1.tranche_flags: "scanout", "sampling" (v6), bits the protocol does not
// name as a number.
std::string flags_text(uint32_t flags)
{
    if (flags == 0) return "0";
    constexpr uint32_t scanout = ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT;
    constexpr uint32_t sampling = ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SAMPLING;
    std::string s = (flags & scanout) ? "scanout" : "";
    if (flags & sampling) s += (s.empty() ? "" : "|") + std::string{"sampling"};
    if (flags & ~(scanout | sampling)) s += (s.empty() ? "" : "|") + std::to_string(flags & ~(scanout | sampling));
    return s;
}

// "XRGB8888: LINEAR*, INVALID" per format of `set`, marking the pairs in `marked`.
std::vector<std::string> format_lines(const FormatSet& set, const FormatSet& marked)
{
    std::vector<std::string> lines;
    for (const DrmFormat f : set.formats()) {
        std::string line = name(f) + ":";
        const auto mods = set.modifiers_for(f);
        for (size_t i = 0; i < mods.size(); ++i) {
            line += (i ? ", " : " ") + name(mods[i]) + (marked.contains(f, mods[i]) ? "*" : "");
        }
        lines.push_back(line);
    }
    return lines;
}

std::string pair_json(const FormatModifier& p)
{
    char hex[24];
    std::snprintf(hex, sizeof hex, "0x%016llx", static_cast<unsigned long long>(p.modifier.value()));
    return "{\"format\": \"" + cli::json_escape(name(p.format)) + "\", \"fourcc\": \"" + cli::json_escape(fourcc_string(p.format)) +
           "\", \"modifier\": \"" + cli::json_escape(name(p.modifier)) + "\", \"modifier_value\": \"" + hex + "\"";
}

}  // namespace

FormatSet Report::offered() const { return feedback ? feedback->formats() : v3_formats; }

std::vector<std::string> Report::producers_of(const FormatModifier& pair) const
{
    std::vector<std::string> out;
    for (const LocalAllocator& a : allocators) {
        if (std::any_of(a.pairs.begin(), a.pairs.end(), [&](const LocalPair& p) { return p.pair == pair; })) {
            out.push_back(a.name);
        }
    }
    return out;
}

FormatSet Report::common() const
{
    FormatSet out;
    for (const FormatModifier& p : offered()) {
        if (!producers_of(p).empty()) out.add(p);
    }
    return out;
}

std::string to_text(const Report& r)
{
    std::string s = "compositor: " + r.display + "\n\nglobals:\n";
    for (const wl::Global& g : r.globals) s += "  " + g.interface + " v" + std::to_string(g.version) + "\n";
    const FormatSet common = r.common();
    s += "\nzwp_linux_dmabuf_v1 v" + std::to_string(r.dmabuf_version);
    if (r.feedback) {
        s += ", default feedback:\n  main device: " + device_text(r.feedback->main_device) +
             (r.feedback->main_device_sent ? "" : " (v6 sends none: the first sampling tranche's device)") + "\n";
        for (size_t t = 0; t < r.feedback->tranches.size(); ++t) {
            const wl::FeedbackTranche& tr = r.feedback->tranches[t];
            s += "  tranche " + std::to_string(t + 1) + ": target device " + device_text(tr.target_device) + ", flags " +
                 flags_text(tr.flags) + ", " + std::to_string(tr.formats.size()) + " pairs\n";
            for (const std::string& line : format_lines(tr.formats, common)) s += "    " + line + "\n";
        }
    } else {
        s += " (no feedback before v4), modifier events: " + std::to_string(r.v3_formats.size()) + " pairs\n";
        for (const std::string& line : format_lines(r.v3_formats, common)) s += "    " + line + "\n";
    }
    if (r.color) {
        s += "\nwp_color_manager_v1 v" + std::to_string(r.color->version) + ": " + r.color->describe() + "\n";
    }
    s += "\nlocal allocators for " + device_text(r.local_device) + ":\n";
    if (r.allocators.empty()) s += "  none\n";
    const FormatSet offered = r.offered();
    for (const LocalAllocator& a : r.allocators) {
        s += "  " + a.name + ": " + std::to_string(a.pairs.size()) + " pairs\n";
        FormatSet set;
        for (const LocalPair& p : a.pairs) set.add(p.pair);
        for (const DrmFormat f : set.formats()) {
            std::string line = name(f) + ":";
            bool first = true;
            for (const LocalPair& p : a.pairs) {
                if (p.pair.format != f) continue;
                line += std::string{first ? " " : ", "} + name(p.pair.modifier) + (offered.contains(p.pair) ? "*" : "");
                if (p.max_width) line += " (max " + std::to_string(p.max_width) + "x" + std::to_string(p.max_height) + ")";
                first = false;
            }
            s += "    " + line + "\n";
        }
    }
    for (const std::string& e : r.allocator_errors) s += "  not available: " + e + "\n";
    s += "\n* both sides: offered by the compositor and produced here. " + std::to_string(common.size()) +
         " pairs in common";
    if (!common.empty()) s += ", best first: " + common.to_string();
    s += "\n";
    return s;
}

std::string to_json(const Report& r)
{
    const FormatSet common = r.common();
    std::string s = "{\n  \"display\": \"" + cli::json_escape(r.display) + "\",\n  \"globals\": [";
    for (size_t i = 0; i < r.globals.size(); ++i) {
        s += std::string{i ? ", " : ""} + "{\"interface\": \"" + cli::json_escape(r.globals[i].interface) +
             "\", \"version\": " + std::to_string(r.globals[i].version) + "}";
    }
    s += "],\n  \"linux_dmabuf_version\": " + std::to_string(r.dmabuf_version) + ",\n";
    const auto tranche_json = [&](const FormatSet& set) {
        std::string out = "[";
        bool first = true;
        for (const FormatModifier& p : set) {
            out += std::string{first ? "" : ", "} + pair_json(p) + ", \"common\": " + (common.contains(p) ? "true" : "false") + "}";
            first = false;
        }
        return out + "]";
    };
    if (r.feedback) {
        s += "  \"main_device\": \"" + cli::json_escape(device_text(r.feedback->main_device)) + "\",\n  \"tranches\": [";
        for (size_t t = 0; t < r.feedback->tranches.size(); ++t) {
            const wl::FeedbackTranche& tr = r.feedback->tranches[t];
            s += std::string{t ? ",\n    " : "\n    "} + "{\"target_device\": \"" + cli::json_escape(device_text(tr.target_device)) +
                 "\", \"flags\": " + std::to_string(tr.flags) + ", \"scanout\": " + (tr.scanout() ? "true" : "false") +
                 ", \"sampling\": " + (tr.sampling() ? "true" : "false") + ", \"pairs\": " + tranche_json(tr.formats) + "}";
        }
        s += "],\n";
    } else {
        s += "  \"main_device\": null,\n  \"tranches\": [{\"target_device\": null, \"flags\": 0, \"scanout\": false, \"sampling\": false, \"pairs\": " +
             tranche_json(r.v3_formats) + "}],\n";
    }
    if (r.color) {
        const auto names = [](const std::vector<uint32_t>& values, std::string (*name)(uint32_t)) {
            std::string out = "[";
            for (size_t i = 0; i < values.size(); ++i) out += std::string{i ? ", " : ""} + "\"" + cli::json_escape(name(values[i])) + "\"";
            return out + "]";
        };
        s += "  \"color_manager\": {\"version\": " + std::to_string(r.color->version) +
             ", \"features\": " + names(r.color->features, wl::feature_enum_name) +
             ", \"transfer_functions\": " + names(r.color->tf_named, wl::tf_enum_name) +
             ", \"primaries\": " + names(r.color->primaries_named, wl::primaries_enum_name) +
             ", \"intents\": " + names(r.color->intents, wl::intent_enum_name) + "},\n";
    }
    s += "  \"local_device\": \"" + cli::json_escape(device_text(r.local_device)) + "\",\n  \"allocators\": [";
    const FormatSet offered = r.offered();
    for (size_t i = 0; i < r.allocators.size(); ++i) {
        const LocalAllocator& a = r.allocators[i];
        s += std::string{i ? ",\n    " : "\n    "} + "{\"name\": \"" + cli::json_escape(a.name) + "\", \"pairs\": [";
        for (size_t k = 0; k < a.pairs.size(); ++k) {
            const LocalPair& p = a.pairs[k];
            s += std::string{k ? ", " : ""} + pair_json(p.pair) + ", \"max_width\": " + std::to_string(p.max_width) +
                 ", \"max_height\": " + std::to_string(p.max_height) + ", \"common\": " +
                 (offered.contains(p.pair) ? "true" : "false") + "}";
        }
        s += "]}";
    }
    s += "],\n  \"allocator_errors\": [";
    for (size_t i = 0; i < r.allocator_errors.size(); ++i) {
        s += std::string{i ? ", " : ""} + "\"" + cli::json_escape(r.allocator_errors[i]) + "\"";
    }
    s += "],\n  \"common\": [";
    bool first = true;
    for (const FormatModifier& p : common) {
        s += std::string{first ? "" : ", "} + pair_json(p) + "}";
        first = false;
    }
    return s + "]\n}\n";
}

}  // namespace dmafeed::info

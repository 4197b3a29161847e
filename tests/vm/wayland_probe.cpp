#include "wayland_probe.hpp"

#include "linux-dmabuf-v1-client-protocol.h"
#include "util/unique_fd.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <sys/mman.h>
#include <wayland-client.h>

namespace dmafeed::test {
namespace {

struct TableEntry {  // the format table's packed layout (linux-dmabuf-v1.xml)
    uint32_t format;
    uint32_t pad;
    uint64_t modifier;
};
static_assert(sizeof(TableEntry) == 16);

struct State {
    ProbeResult result;
    uint32_t max_dmabuf = 5;
    zwp_linux_dmabuf_v1* dmabuf = nullptr;
    std::vector<FormatModifier> table;
    ProbeTranche pending;
    bool feedback_done = false;
    std::string error;
};

std::optional<dev_t> dev_from_array(const wl_array* a)
{
    if (a->size != sizeof(dev_t)) {
        return std::nullopt;
    }
    dev_t d;
    std::memcpy(&d, a->data, sizeof d);
    return d;
}

void handle_global(void* data, wl_registry* registry, uint32_t name, const char* interface, uint32_t version)
{
    auto* s = static_cast<State*>(data);
    s->result.globals.push_back({interface, version});
    if (std::strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && !s->dmabuf) {
        const uint32_t v = std::min(version, s->max_dmabuf);
        s->result.dmabuf_version = v;
        s->dmabuf = static_cast<zwp_linux_dmabuf_v1*>(
            wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, v));
    }
}
void handle_global_remove(void*, wl_registry*, uint32_t) {}
const wl_registry_listener registry_listener{.global = handle_global, .global_remove = handle_global_remove};

void handle_format(void*, zwp_linux_dmabuf_v1*, uint32_t) {}  // v3 sends modifier events too
void handle_modifier(void* data, zwp_linux_dmabuf_v1*, uint32_t format, uint32_t hi, uint32_t lo)
{
    auto* s = static_cast<State*>(data);
    s->result.pairs.push_back({format, (uint64_t{hi} << 32) | lo});
}
const zwp_linux_dmabuf_v1_listener dmabuf_listener{.format = handle_format, .modifier = handle_modifier};

void fb_done(void* data, zwp_linux_dmabuf_feedback_v1*) { static_cast<State*>(data)->feedback_done = true; }
void fb_format_table(void* data, zwp_linux_dmabuf_feedback_v1*, int32_t raw_fd, uint32_t size)
{
    auto* s = static_cast<State*>(data);
    UniqueFd fd{raw_fd};
    if (size % sizeof(TableEntry) != 0) {
        s->error = "format table size " + std::to_string(size) + " is not a multiple of 16";
        return;
    }
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (map == MAP_FAILED) {
        s->error = "mmap of the format table failed";
        return;
    }
    s->table.clear();
    const auto* entries = static_cast<const TableEntry*>(map);
    for (size_t i = 0; i < size / sizeof(TableEntry); ++i) {
        s->table.push_back({entries[i].format, entries[i].modifier});
    }
    munmap(map, size);
}
void fb_main_device(void* data, zwp_linux_dmabuf_feedback_v1*, wl_array* dev)
{
    auto* s = static_cast<State*>(data);
    s->result.main_device = dev_from_array(dev);
    if (!s->result.main_device) {
        s->error = "main_device array has " + std::to_string(dev->size) + " bytes, not sizeof(dev_t)";
    }
}
void fb_tranche_done(void* data, zwp_linux_dmabuf_feedback_v1*)
{
    auto* s = static_cast<State*>(data);
    s->result.tranches.push_back(std::move(s->pending));
    s->pending = {};
}
void fb_tranche_target_device(void* data, zwp_linux_dmabuf_feedback_v1*, wl_array* dev)
{
    auto* s = static_cast<State*>(data);
    if (auto d = dev_from_array(dev)) {
        s->pending.target_device = *d;
    } else {
        s->error = "tranche_target_device array has the wrong size";
    }
}
void fb_tranche_formats(void* data, zwp_linux_dmabuf_feedback_v1*, wl_array* indices)
{
    auto* s = static_cast<State*>(data);
    const size_t n = indices->size / sizeof(uint16_t);
    const auto* idx = static_cast<const uint16_t*>(indices->data);
    for (size_t i = 0; i < n; ++i) {
        if (idx[i] >= s->table.size()) {
            s->error = "tranche index " + std::to_string(idx[i]) + " is outside the format table";
            continue;
        }
        s->pending.pairs.push_back(s->table[idx[i]]);
        s->result.pairs.push_back(s->table[idx[i]]);
    }
}
void fb_tranche_flags(void* data, zwp_linux_dmabuf_feedback_v1*, uint32_t flags)
{
    static_cast<State*>(data)->pending.flags = flags;
}
const zwp_linux_dmabuf_feedback_v1_listener feedback_listener{
    .done = fb_done,
    .format_table = fb_format_table,
    .main_device = fb_main_device,
    .tranche_done = fb_tranche_done,
    .tranche_target_device = fb_tranche_target_device,
    .tranche_formats = fb_tranche_formats,
    .tranche_flags = fb_tranche_flags,
};

struct DisplayDeleter {
    void operator()(wl_display* d) const noexcept { wl_display_disconnect(d); }
};

}  // namespace

std::optional<uint32_t> ProbeResult::global_version(const std::string& interface) const
{
    for (const auto& g : globals) {
        if (g.interface == interface) {
            return g.version;
        }
    }
    return std::nullopt;
}

bool ProbeResult::has_pair(uint32_t format, uint64_t modifier) const
{
    return std::find(pairs.begin(), pairs.end(), FormatModifier{format, modifier}) != pairs.end();
}

Result<ProbeResult> probe_compositor(const std::string& display_name, uint32_t max_dmabuf)
{
    std::unique_ptr<wl_display, DisplayDeleter> display{wl_display_connect(display_name.c_str())};
    if (!display) {
        return Error{"cannot connect to Wayland display '" + display_name + "'"};
    }
    State s;
    s.max_dmabuf = max_dmabuf;
    wl_registry* registry = wl_display_get_registry(display.get());
    wl_registry_add_listener(registry, &registry_listener, &s);
    if (wl_display_roundtrip(display.get()) < 0) {
        return Error{"registry roundtrip failed"};
    }
    zwp_linux_dmabuf_feedback_v1* feedback = nullptr;
    if (s.dmabuf) {
        if (s.result.dmabuf_version >= 4) {
            feedback = zwp_linux_dmabuf_v1_get_default_feedback(s.dmabuf);
            zwp_linux_dmabuf_feedback_v1_add_listener(feedback, &feedback_listener, &s);
        } else {
            zwp_linux_dmabuf_v1_add_listener(s.dmabuf, &dmabuf_listener, &s);
        }
        if (wl_display_roundtrip(display.get()) < 0) {
            return Error{"dmabuf roundtrip failed"};
        }
        while (feedback && !s.feedback_done) {
            if (wl_display_dispatch(display.get()) < 0) {
                return Error{"dispatch failed while waiting for dmabuf feedback"};
            }
        }
    }
    if (feedback) {
        zwp_linux_dmabuf_feedback_v1_destroy(feedback);
    }
    if (s.dmabuf) {
        zwp_linux_dmabuf_v1_destroy(s.dmabuf);
    }
    wl_registry_destroy(registry);
    if (!s.error.empty()) {
        return Error{"compositor sent bad dmabuf data: " + s.error};
    }
    return std::move(s.result);
}

}  // namespace dmafeed::test

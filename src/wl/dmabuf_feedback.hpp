// zwp_linux_dmabuf_v1 feedback (v4+): main device, format table, tranches; `done` publishes one
// consistent Feedback. Everything the compositor sends is untrusted:
//  - the format table is mapped read-only and private, only after fstat shows the fd holds at
//    least the announced size, which must be a multiple of 16; its fd is closed once mapped;
//  - tranche indices are 16-bit and must fall inside the current table;
//  - a dev_t array must be exactly sizeof(dev_t).
// A feedback round with any of these faults is rejected as a whole (logged once, counted): the
// previous Feedback stays current. The table from an earlier round is reused when a round sends
// none.
#pragma once

#include "drm/format_set.hpp"
#include "wl/proxy.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

struct wl_array;
struct zwp_linux_dmabuf_feedback_v1;
struct zwp_linux_dmabuf_v1;

namespace dmafeed::wl {

struct FeedbackTranche {
    dev_t target_device = 0;
    uint32_t flags = 0;
    FormatSet formats;  // in table order within the tranche (equal preference)
    bool scanout() const noexcept;
};

struct Feedback {
    dev_t main_device = 0;
    std::vector<FeedbackTranche> tranches;  // most preferred first
    // Every pair of every tranche, in preference order (a pair keeps its best tranche's place).
    FormatSet formats() const;
    std::string to_string() const;  // multi-line, device names through libdrm
};

// A table of (format, modifier) pairs as the protocol defines it, mapped read-only.
class FormatTable {
public:
    static Result<FormatTable> map(int fd, uint32_t size);
    FormatTable(FormatTable&& o) noexcept;
    FormatTable& operator=(FormatTable&& o) noexcept;
    FormatTable(const FormatTable&) = delete;
    FormatTable& operator=(const FormatTable&) = delete;
    ~FormatTable();

    size_t size() const noexcept { return count_; }
    FormatModifier at(size_t index) const;  // index < size()

private:
    FormatTable(const void* data, size_t bytes) : data_{data}, bytes_{bytes}, count_{bytes / 16} {}
    const void* data_ = nullptr;
    size_t bytes_ = 0;
    size_t count_ = 0;
};

class DmabufFeedback {
public:
    using Callback = std::function<void(const Feedback&)>;

    // Takes ownership of `proxy` (from get_default_feedback or get_surface_feedback).
    // `on_done` runs on every published (valid) feedback.
    DmabufFeedback(zwp_linux_dmabuf_feedback_v1* proxy, Callback on_done);
    DmabufFeedback(const DmabufFeedback&) = delete;
    DmabufFeedback& operator=(const DmabufFeedback&) = delete;
    ~DmabufFeedback();

    const std::optional<Feedback>& current() const noexcept { return current_; }
    uint64_t generation() const noexcept { return generation_; }  // published rounds
    uint64_t rejected() const noexcept { return rejected_; }      // rounds refused as malformed
    const std::string& last_rejection() const noexcept { return last_rejection_; }

    void handle_done() noexcept;
    void handle_format_table(int32_t fd, uint32_t size) noexcept;
    void handle_main_device(wl_array* device) noexcept;
    void handle_tranche_done() noexcept;
    void handle_tranche_target_device(wl_array* device) noexcept;
    void handle_tranche_formats(wl_array* indices) noexcept;
    void handle_tranche_flags(uint32_t flags) noexcept;

private:
    void reject(std::string why) noexcept;

    zwp_linux_dmabuf_feedback_v1* proxy_ = nullptr;
    Callback on_done_;
    std::optional<FormatTable> table_;
    Feedback pending_;
    FeedbackTranche pending_tranche_;
    bool have_main_device_ = false;
    std::string pending_fault_;  // non-empty: the feedback being received is rejected at done
    std::optional<Feedback> current_;
    uint64_t generation_ = 0;
    uint64_t rejected_ = 0;
    std::string last_rejection_;
};

// The dev_t in a Wayland array, or nullopt when its size is not sizeof(dev_t).
std::optional<dev_t> dev_from_array(const wl_array* array);

}  // namespace dmafeed::wl

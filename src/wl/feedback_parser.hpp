// The rules of zwp_linux_dmabuf_feedback_v1 (v4+) without a Wayland connection: FeedbackParser takes
// the events' arguments as libwayland hands them over (an fd and a size, arrays as bytes, flags) and
// `done` publishes one consistent Feedback. DmabufFeedback (wl/dmabuf_feedback.hpp) forwards its
// proxy's events here; the unit tests and the fuzz target drive it directly.
//
// Everything the compositor sends is untrusted:
//  - the format table must hold at least the announced size (fstat), a multiple of 16; it is read
//    into memory of ours (FormatTable), so that a compositor that shrinks or rewrites the file
//    afterwards changes nothing here (a mapping of it would fault, SIGBUS, past its new end);
//  - tranche indices are 16-bit and must fall inside the current table;
//  - a dev_t array must be exactly sizeof(dev_t).
// From v6 on the compositor sends no main_device and must send at least one tranche with the
// sampling flag; before v6, main_device is required.
// A round with any of these faults is rejected as a whole (the first fault is its reason): the
// previous Feedback stays current. The table from an earlier round is reused when a round sends
// none; a table event that fails leaves no table.
#pragma once

#include "drm/format_set.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dmafeed::wl {

// ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT and _SAMPLING (v6) (wl/dmabuf_feedback.cpp
// checks the values).
inline constexpr uint32_t tranche_flag_scanout = 1;
inline constexpr uint32_t tranche_flag_sampling = 2;

struct FeedbackTranche {
    dev_t target_device = 0;
    uint32_t flags = 0;
    FormatSet formats;  // in table order within the tranche (equal preference)
    bool scanout() const noexcept { return flags & tranche_flag_scanout; }
    bool sampling() const noexcept { return flags & tranche_flag_sampling; }
};

struct Feedback {
    // v4-v5: the main_device event's. v6 sends none; it is then the target device of the first
    // tranche with the sampling flag (the protocol asks clients to use such a device instead), and
    // main_device_sent is false.
    dev_t main_device = 0;
    bool main_device_sent = true;
    std::vector<FeedbackTranche> tranches;  // most preferred first
    // Every pair of every tranche, in preference order (a pair keeps its best tranche's place).
    FormatSet formats() const;
    std::string to_string() const;  // multi-line, device names through libdrm
};

// A table of (format, modifier) pairs as the protocol defines it (16 bytes an entry: u32 format,
// u32 padding, u64 modifier), copied out of the compositor's fd. Only the first 65536 entries are
// kept: a 16-bit tranche index reaches no further (so at most 1 MiB, whatever the size announced).
class FormatTable {
public:
    static constexpr size_t entry_bytes = 16;
    static constexpr size_t max_entries = size_t{1} << 16U;

    // Reads the table of `size` bytes from `fd` (which stays the caller's). Errors: a size that is
    // not a multiple of 16, an fd holding less than `size` bytes, a failing fstat or read.
    static Result<FormatTable> read(int fd, uint32_t size);

    size_t size() const noexcept { return entries_.size(); }
    const FormatModifier& at(size_t index) const { return entries_[index]; }  // index < size()

private:
    explicit FormatTable(std::vector<FormatModifier> entries) : entries_{std::move(entries)} {}
    std::vector<FormatModifier> entries_;
};

// The dev_t in an event's array, or nullopt when its size is not sizeof(dev_t).
std::optional<dev_t> dev_from_bytes(std::span<const uint8_t> bytes);

class FeedbackParser {
public:
    // `version`: the zwp_linux_dmabuf_v1 version bound (its rules for main_device and sampling).
    explicit FeedbackParser(uint32_t version = 5) : version_{version} {}

    // The events, in the order the compositor sends them.
    void format_table(UniqueFd fd, uint32_t size);  // closes fd once read
    void main_device(std::span<const uint8_t> device);
    void tranche_target_device(std::span<const uint8_t> device);
    void tranche_formats(std::span<const uint8_t> indices);  // u16 each, host byte order
    void tranche_flags(uint32_t flags);
    void tranche_done();
    // Ends the round: publishes it (current() holds it, generation() counts it) or rejects it, the
    // Error saying why (rejected() counts it, last_rejection() keeps the reason, current() stays).
    Result<void> done();

    const std::optional<Feedback>& current() const noexcept { return current_; }
    uint64_t generation() const noexcept { return generation_; }  // published rounds
    uint64_t rejected() const noexcept { return rejected_; }      // rounds refused as malformed
    const std::string& last_rejection() const noexcept { return last_rejection_; }
    // The table that tranche_formats indexes now (sent since the last `done`, or kept from an earlier batch), if any.
    const std::optional<FormatTable>& table() const noexcept { return table_; }

private:
    void reject(std::string why);

    uint32_t version_;
    std::optional<FormatTable> table_;
    Feedback pending_;
    FeedbackTranche pending_tranche_;
    bool have_main_device_ = false;
    std::string pending_fault_;  // non-empty: the round being received is rejected at done
    std::optional<Feedback> current_;
    uint64_t generation_ = 0;
    uint64_t rejected_ = 0;
    std::string last_rejection_;
};

}  // namespace dmafeed::wl

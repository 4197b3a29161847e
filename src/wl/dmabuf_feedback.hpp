// zwp_linux_dmabuf_feedback_v1 (v4+): a feedback object of the compositor's, its events forwarded
// to a FeedbackParser (wl/feedback_parser.hpp), which holds the protocol's rules and what the
// compositor is trusted with (nothing); `done` publishes one consistent Feedback, or rejects the
// round as a whole (logged once, counted) and the previous Feedback stays current.
#pragma once

#include "wl/feedback_parser.hpp"
#include "wl/proxy.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>

struct wl_array;
struct zwp_linux_dmabuf_feedback_v1;

namespace dmafeed::wl {

void destroy_dmabuf_feedback(zwp_linux_dmabuf_feedback_v1* p);

class DmabufFeedback {
public:
    using Callback = std::function<void(const Feedback&)>;

    // Takes ownership of `proxy` (from get_default_feedback or get_surface_feedback).
    // `on_done` runs on every published (valid) feedback.
    DmabufFeedback(zwp_linux_dmabuf_feedback_v1* proxy, Callback on_done);
    DmabufFeedback(const DmabufFeedback&) = delete;
    DmabufFeedback& operator=(const DmabufFeedback&) = delete;
    ~DmabufFeedback() = default;

    const std::optional<Feedback>& current() const noexcept { return parser_.current(); }
    uint64_t generation() const noexcept { return parser_.generation(); }  // published rounds
    uint64_t rejected() const noexcept { return parser_.rejected(); }      // rounds refused as malformed
    const std::string& last_rejection() const noexcept { return parser_.last_rejection(); }

    void handle_done() noexcept;
    void handle_format_table(int32_t fd, uint32_t size) noexcept;
    void handle_main_device(wl_array* device) noexcept;
    void handle_tranche_done() noexcept;
    void handle_tranche_target_device(wl_array* device) noexcept;
    void handle_tranche_formats(wl_array* indices) noexcept;
    void handle_tranche_flags(uint32_t flags) noexcept;

private:
    ProxyPtr<zwp_linux_dmabuf_feedback_v1, destroy_dmabuf_feedback> proxy_;
    Callback on_done_;
    FeedbackParser parser_;
};

// The dev_t in a Wayland array, or nullopt when its size is not sizeof(dev_t).
std::optional<dev_t> dev_from_array(const wl_array* array);

}  // namespace dmafeed::wl

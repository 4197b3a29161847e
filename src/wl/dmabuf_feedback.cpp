#include "wl/dmabuf_feedback.hpp"

#include "linux-dmabuf-v1-client-protocol.h"
#include "util/log.hpp"
#include "util/unique_fd.hpp"
#include "wl/listener.hpp"

#include <span>
#include <utility>

namespace dmafeed::wl {
namespace {

static_assert(tranche_flag_scanout == ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT);
static_assert(tranche_flag_sampling == ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SAMPLING);

constexpr zwp_linux_dmabuf_feedback_v1_listener feedback_listener{
    .done = on<&DmabufFeedback::handle_done>,
    .format_table = on<&DmabufFeedback::handle_format_table>,
    .main_device = on<&DmabufFeedback::handle_main_device>,
    .tranche_done = on<&DmabufFeedback::handle_tranche_done>,
    .tranche_target_device = on<&DmabufFeedback::handle_tranche_target_device>,
    .tranche_formats = on<&DmabufFeedback::handle_tranche_formats>,
    .tranche_flags = on<&DmabufFeedback::handle_tranche_flags>,
};

// An event's array as bytes (libwayland never passes a null array; an empty span if it did).
std::span<const uint8_t> bytes_of(const wl_array* array)
{
    if (!array || !array->data) return {};
    return {static_cast<const uint8_t*>(array->data), array->size};
}

}  // namespace

void destroy_dmabuf_feedback(zwp_linux_dmabuf_feedback_v1* p) { zwp_linux_dmabuf_feedback_v1_destroy(p); }

std::optional<dev_t> dev_from_array(const wl_array* array)
{
    if (!array) return std::nullopt;
    return dev_from_bytes(bytes_of(array));
}

DmabufFeedback::DmabufFeedback(zwp_linux_dmabuf_feedback_v1* proxy, Callback on_done)
    : proxy_{proxy}, on_done_{std::move(on_done)}, parser_{zwp_linux_dmabuf_feedback_v1_get_version(proxy)}
{
    zwp_linux_dmabuf_feedback_v1_add_listener(proxy_.get(), &feedback_listener, this);
}

void DmabufFeedback::handle_format_table(int32_t fd, uint32_t size) noexcept
{
    parser_.format_table(UniqueFd{fd}, size);  // read and closed: nothing of the compositor's is kept
}

void DmabufFeedback::handle_main_device(wl_array* device) noexcept { parser_.main_device(bytes_of(device)); }

void DmabufFeedback::handle_tranche_target_device(wl_array* device) noexcept
{
    parser_.tranche_target_device(bytes_of(device));
}

void DmabufFeedback::handle_tranche_formats(wl_array* indices) noexcept { parser_.tranche_formats(bytes_of(indices)); }

void DmabufFeedback::handle_tranche_flags(uint32_t flags) noexcept { parser_.tranche_flags(flags); }

void DmabufFeedback::handle_tranche_done() noexcept { parser_.tranche_done(); }

void DmabufFeedback::handle_done() noexcept
{
    if (auto r = parser_.done(); !r) {
        log::error("ignoring malformed dmabuf feedback from the compositor: %s", r.error().message().c_str());
        return;
    }
    if (on_done_) on_done_(*parser_.current());
}

}  // namespace dmafeed::wl

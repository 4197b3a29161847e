#include "wl/dmabuf_feedback.hpp"

#include "drm/device.hpp"
#include "linux-dmabuf-v1-client-protocol.h"
#include "util/log.hpp"
#include "util/unique_fd.hpp"
#include "wl/listener.hpp"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#include <utility>

namespace dmafeed::wl {
namespace {

constexpr size_t entry_size = 16;  // u32 format, u32 padding, u64 modifier

constexpr zwp_linux_dmabuf_feedback_v1_listener feedback_listener{
    .done = on<&DmabufFeedback::handle_done>,
    .format_table = on<&DmabufFeedback::handle_format_table>,
    .main_device = on<&DmabufFeedback::handle_main_device>,
    .tranche_done = on<&DmabufFeedback::handle_tranche_done>,
    .tranche_target_device = on<&DmabufFeedback::handle_tranche_target_device>,
    .tranche_formats = on<&DmabufFeedback::handle_tranche_formats>,
    .tranche_flags = on<&DmabufFeedback::handle_tranche_flags>,
};

}  // namespace

std::optional<dev_t> dev_from_array(const wl_array* array)
{
    if (!array || array->size != sizeof(dev_t)) return std::nullopt;
    dev_t dev;
    std::memcpy(&dev, array->data, sizeof dev);
    return dev;
}

bool FeedbackTranche::scanout() const noexcept
{
    return flags & ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT;
}

FormatSet Feedback::formats() const
{
    FormatSet all;
    for (const auto& t : tranches) {
        for (const auto& p : t.formats) all.add(p);
    }
    return all;
}

std::string Feedback::to_string() const
{
    std::string out = "main device " + drm::describe_device(main_device) + "\n";
    for (size_t i = 0; i < tranches.size(); ++i) {
        const auto& t = tranches[i];
        out += "tranche " + std::to_string(i) + ": target " + drm::describe_device(t.target_device) +
               (t.scanout() ? ", scanout" : "") + "\n  " + t.formats.to_string() + "\n";
    }
    return out;
}

Result<FormatTable> FormatTable::map(int fd, uint32_t size)
{
    if (size % entry_size != 0) {
        return Error{"format table size " + std::to_string(size) + " is not a multiple of 16"};
    }
    struct stat st{};
    if (fstat(fd, &st) != 0) {
        return Error::from_errno("fstat of the format table", errno);
    }
    if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) < size) {
        return Error{"format table fd holds " + std::to_string(st.st_size) + " bytes, the event announces " +
                     std::to_string(size)};
    }
    if (size == 0) {
        return FormatTable{nullptr, 0};
    }
    void* data = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
        return Error::from_errno("mmap of the format table", errno);
    }
    return FormatTable{data, size};
}

FormatTable::FormatTable(FormatTable&& o) noexcept
    : data_{std::exchange(o.data_, nullptr)}, bytes_{std::exchange(o.bytes_, 0)}, count_{std::exchange(o.count_, 0)}
{
}

FormatTable& FormatTable::operator=(FormatTable&& o) noexcept
{
    if (this != &o) {
        if (data_) munmap(const_cast<void*>(data_), bytes_);
        data_ = std::exchange(o.data_, nullptr);
        bytes_ = std::exchange(o.bytes_, 0);
        count_ = std::exchange(o.count_, 0);
    }
    return *this;
}

FormatTable::~FormatTable()
{
    if (data_) munmap(const_cast<void*>(data_), bytes_);
}

FormatModifier FormatTable::at(size_t index) const
{
    const auto* entry = static_cast<const unsigned char*>(data_) + index * entry_size;
    uint32_t format;
    uint64_t modifier;
    std::memcpy(&format, entry, sizeof format);
    std::memcpy(&modifier, entry + 8, sizeof modifier);
    return {DrmFormat{format}, DrmModifier{modifier}};
}

DmabufFeedback::DmabufFeedback(zwp_linux_dmabuf_feedback_v1* proxy, Callback on_done)
    : proxy_{proxy}, on_done_{std::move(on_done)}
{
    zwp_linux_dmabuf_feedback_v1_add_listener(proxy_, &feedback_listener, this);
}

DmabufFeedback::~DmabufFeedback()
{
    if (proxy_) zwp_linux_dmabuf_feedback_v1_destroy(proxy_);
}

void DmabufFeedback::reject(std::string why) noexcept
{
    if (pending_fault_.empty()) pending_fault_ = std::move(why);
}

void DmabufFeedback::handle_format_table(int32_t raw_fd, uint32_t size) noexcept
{
    UniqueFd fd{raw_fd};  // closed when this returns: the mapping stays valid
    auto table = FormatTable::map(fd.get(), size);
    if (!table) {
        table_.reset();
        reject(table.error().message());
        return;
    }
    table_ = std::move(table).value();
}

void DmabufFeedback::handle_main_device(wl_array* device) noexcept
{
    const auto dev = dev_from_array(device);
    if (!dev) {
        reject("main_device array has " + std::to_string(device ? device->size : 0) + " bytes, not sizeof(dev_t) = " +
               std::to_string(sizeof(dev_t)));
        return;
    }
    pending_.main_device = *dev;
    have_main_device_ = true;
}

void DmabufFeedback::handle_tranche_target_device(wl_array* device) noexcept
{
    const auto dev = dev_from_array(device);
    if (!dev) {
        reject("tranche_target_device array has " + std::to_string(device ? device->size : 0) + " bytes, not sizeof(dev_t)");
        return;
    }
    pending_tranche_.target_device = *dev;
}

void DmabufFeedback::handle_tranche_formats(wl_array* indices) noexcept
{
    if (!indices || indices->size % sizeof(uint16_t) != 0) {
        reject("tranche_formats array size is odd");
        return;
    }
    if (!table_) {
        reject("tranche_formats before any valid format table");
        return;
    }
    const size_t n = indices->size / sizeof(uint16_t);
    for (size_t i = 0; i < n; ++i) {
        uint16_t index;
        std::memcpy(&index, static_cast<const char*>(indices->data) + i * sizeof index, sizeof index);
        if (index >= table_->size()) {
            reject("tranche index " + std::to_string(index) + " is outside the format table (" +
                   std::to_string(table_->size()) + " entries)");
            return;
        }
        pending_tranche_.formats.add(table_->at(index));
    }
}

void DmabufFeedback::handle_tranche_flags(uint32_t flags) noexcept { pending_tranche_.flags = flags; }

void DmabufFeedback::handle_tranche_done() noexcept
{
    pending_.tranches.push_back(std::move(pending_tranche_));
    pending_tranche_ = {};
}

void DmabufFeedback::handle_done() noexcept
{
    if (pending_fault_.empty() && !have_main_device_) pending_fault_ = "no main_device event";
    if (pending_fault_.empty() && pending_.tranches.empty()) pending_fault_ = "no tranche";
    if (!pending_fault_.empty()) {
        ++rejected_;
        last_rejection_ = pending_fault_;
        log::error("ignoring malformed dmabuf feedback from the compositor: %s", pending_fault_.c_str());
    } else {
        current_ = std::move(pending_);
        ++generation_;
        if (on_done_) on_done_(*current_);
    }
    pending_ = {};
    pending_tranche_ = {};
    have_main_device_ = false;
    pending_fault_.clear();
}

}  // namespace dmafeed::wl

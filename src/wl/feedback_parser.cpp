#include "wl/feedback_parser.hpp"

#include "drm/device.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace dmafeed::wl {

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
    std::string out = "main device " + drm::describe_device(main_device) +
                      (main_device_sent ? "" : " (the first sampling tranche's; v6 sends no main_device)") + "\n";
    for (size_t i = 0; i < tranches.size(); ++i) {
        const auto& t = tranches[i];
        out += "tranche " + std::to_string(i) + ": target " + drm::describe_device(t.target_device) +
               (t.scanout() ? ", scanout" : "") + (t.sampling() ? ", sampling" : "") + "\n  " + t.formats.to_string() + "\n";
    }
    return out;
}

Result<FormatTable> FormatTable::read(int fd, uint32_t size)
{
    if (size % entry_bytes != 0) {
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
    // Read, not mapped: the compositor keeps the file and may shrink it at any time, and a mapping
    // faults (SIGBUS) on the pages past a file's end. What a read finds short is an error here.
    const size_t bytes = std::min<size_t>(size, max_entries * entry_bytes);
    std::vector<FormatModifier> entries(bytes / entry_bytes);
    uint8_t chunk[256 * entry_bytes];
    for (size_t got = 0; got < bytes;) {
        const ssize_t n = pread(fd, chunk, std::min(sizeof chunk, bytes - got), static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_errno("read of the format table", errno);
        // Whole entries only: a read that ends inside one is read again from the entry's start. A
        // file read asks for whole entries and gets all there is: less than one is its end.
        const size_t whole = static_cast<size_t>(n) / entry_bytes;
        if (whole == 0) {
            return Error{"format table fd holds " + std::to_string(got + static_cast<size_t>(n)) +
                         " bytes, the event announces " + std::to_string(size) + " (it shrank while read)"};
        }
        for (size_t i = 0; i < whole; ++i) {
            uint32_t format;
            uint64_t modifier;
            std::memcpy(&format, chunk + i * entry_bytes, sizeof format);
            std::memcpy(&modifier, chunk + i * entry_bytes + 8, sizeof modifier);
            entries[got / entry_bytes + i] = {DrmFormat{format}, DrmModifier{modifier}};
        }
        got += whole * entry_bytes;
    }
    return FormatTable{std::move(entries)};
}

std::optional<dev_t> dev_from_bytes(std::span<const uint8_t> bytes)
{
    if (bytes.size() != sizeof(dev_t)) return std::nullopt;
    dev_t dev;
    std::memcpy(&dev, bytes.data(), sizeof dev);
    return dev;
}

void FeedbackParser::reject(std::string why)
{
    if (pending_fault_.empty()) pending_fault_ = std::move(why);
}

void FeedbackParser::format_table(UniqueFd fd, uint32_t size)
{
    auto table = FormatTable::read(fd.get(), size);
    if (!table) {
        table_.reset();
        reject(table.error().message());
        return;
    }
    table_ = std::move(table).value();
}

void FeedbackParser::main_device(std::span<const uint8_t> device)
{
    const auto dev = dev_from_bytes(device);
    if (!dev) {
        reject("main_device array has " + std::to_string(device.size()) + " bytes, not sizeof(dev_t) = " +
               std::to_string(sizeof(dev_t)));
        return;
    }
    pending_.main_device = *dev;
    have_main_device_ = true;
}

void FeedbackParser::tranche_target_device(std::span<const uint8_t> device)
{
    const auto dev = dev_from_bytes(device);
    if (!dev) {
        reject("tranche_target_device array has " + std::to_string(device.size()) + " bytes, not sizeof(dev_t)");
        return;
    }
    pending_tranche_.target_device = *dev;
}

void FeedbackParser::tranche_formats(std::span<const uint8_t> indices)
{
    if (indices.size() % sizeof(uint16_t) != 0) {
        reject("tranche_formats array size " + std::to_string(indices.size()) + " is odd");
        return;
    }
    if (!table_) {
        reject("tranche_formats before any valid format table");
        return;
    }
    for (size_t i = 0; i < indices.size(); i += sizeof(uint16_t)) {
        uint16_t index;
        std::memcpy(&index, indices.data() + i, sizeof index);
        if (index >= table_->size()) {
            reject("tranche index " + std::to_string(index) + " is outside the format table (" +
                   std::to_string(table_->size()) + " entries)");
            return;
        }
        pending_tranche_.formats.add(table_->at(index));
    }
}

void FeedbackParser::tranche_flags(uint32_t flags) { pending_tranche_.flags = flags; }

void FeedbackParser::tranche_done()
{
    pending_.tranches.push_back(std::move(pending_tranche_));
    pending_tranche_ = {};
}

Result<void> FeedbackParser::done()
{
    if (pending_fault_.empty() && pending_.tranches.empty()) pending_fault_ = "no tranche";
    if (pending_fault_.empty() && version_ >= 6 && !have_main_device_) {
        const auto sampling = std::find_if(pending_.tranches.begin(), pending_.tranches.end(),
                                           [](const FeedbackTranche& t) { return t.sampling(); });
        if (sampling == pending_.tranches.end()) {
            pending_fault_ = "no tranche with the sampling flag (v6 requires one)";
        } else {
            pending_.main_device = sampling->target_device;
            pending_.main_device_sent = false;
        }
    }
    if (pending_fault_.empty() && version_ < 6 && !have_main_device_) pending_fault_ = "no main_device event";
    Result<void> out;
    if (!pending_fault_.empty()) {
        ++rejected_;
        last_rejection_ = pending_fault_;
        out = Error{std::move(pending_fault_)};
    } else {
        current_ = std::move(pending_);
        ++generation_;
    }
    pending_ = {};
    pending_tranche_ = {};
    have_main_device_ = false;
    pending_fault_.clear();
    return out;
}

}  // namespace dmafeed::wl

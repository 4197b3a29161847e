// libFuzzer target for linux-dmabuf feedback (wl::FeedbackParser), fed as a compositor would: the
// input is a sequence of events, each an opcode byte (taken modulo 8) and its arguments:
//   0 format_table   u8 mode, then the table: mode & 0x80: a generated table of 65536 + u8 % 8
//                    entries (the first and last 64 set, zeros between; one such table an
//                    input); else u8 % 32 entries of 16 input bytes each. The file holds the
//                    entries, then ((mode >> 2) & 7): 0 nothing more, 1 8 bytes, 2 16 bytes less,
//                    3 1 byte less, 4 u8 zero bytes more; the size announced is (mode & 3): 0 the
//                    entries', 1 the file's, 2 the entries' + 16 * (1 + u8 % 4), 3 any u32. With
//                    (mode & 0x60) == 0x60 the fd is a pipe instead (fstat says 0 bytes).
//   1 main_device    u8 n (n & 0x80: 8, else n % 17), then that many bytes
//   2 tranche_target_device   as main_device
//   3 tranche_formats  u8 n: (n & 0x3f) u16 indices (host order), one byte more when n & 0x40
//   4 tranche_flags  u32
//   5 tranche_done
//   6 done
//   7 the compositor shrinks its copy of the last table's file to u16 bytes
// An input of odd length is parsed as bound at v6 (no main_device needed; the first sampling
// tranche's device stands in for it), an even one at v5. A done ends every input. Invariants, beside no crash and no sanitizer report: each done publishes
// exactly when a model of the protocol's rules (below, written apart from the parser) says it must,
// and then exactly the model's Feedback, whose pairs are entries of the table of their round at
// indices inside it (the model takes no other); a rejected round leaves the current Feedback as it
// was, counts, and says why.
#include "fuzz_input.hpp"
#include "util/unique_fd.hpp"
#include "wl/feedback_parser.hpp"

#include <algorithm>
#include <fcntl.h>
#include <optional>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using dmafeed::DrmFormat;
using dmafeed::DrmModifier;
using dmafeed::FormatModifier;
using dmafeed::UniqueFd;
using dmafeed::fuzz::FuzzInput;
using dmafeed::wl::Feedback;
using dmafeed::wl::FeedbackParser;
using dmafeed::wl::FeedbackTranche;

constexpr size_t entry_bytes = 16;
constexpr size_t max_entries = 65536;  // what a u16 index reaches

// A format table's file: `size` bytes. A small table's are all in `data`; a generated table of
// `generated` entries has its first and last 64 entries set and zeros between (a hole of the file:
// cheap to write, and nothing to copy here).
struct TableFile {
    size_t size = 0;
    std::vector<uint8_t> data;
    size_t generated = 0;

    static bool set(size_t i, size_t n) { return i < 64 || (i + 64 >= n && i < n); }
    static FormatModifier generated_entry(size_t i)
    {
        return {DrmFormat{static_cast<uint32_t>(i + 1)}, DrmModifier{uint64_t{i} << 8U}};
    }
    // Entry i, which the file holds whole.
    FormatModifier entry(size_t i) const
    {
        if (generated) return set(i, generated) ? generated_entry(i) : FormatModifier{DrmFormat{0}, DrmModifier{0}};
        uint32_t format = 0;
        uint64_t modifier = 0;
        std::memcpy(&format, data.data() + i * entry_bytes, sizeof format);
        std::memcpy(&modifier, data.data() + i * entry_bytes + 8, sizeof modifier);
        return {DrmFormat{format}, DrmModifier{modifier}};
    }
    void write_to(int fd) const
    {
        FUZZ_CHECK(ftruncate(fd, static_cast<off_t>(size)) == 0, "ftruncate");
        if (!generated) {
            if (size) FUZZ_CHECK(pwrite(fd, data.data(), size, 0) == static_cast<ssize_t>(size), "pwrite");
            return;
        }
        for (size_t i = 0; i < generated; i = i == 63 ? generated - 64 : i + 1) {
            uint8_t bytes[entry_bytes] = {};
            const FormatModifier e = generated_entry(i);
            const uint32_t format = e.format.fourcc();
            const uint64_t modifier = e.modifier.value();
            std::memcpy(bytes, &format, sizeof format);
            std::memcpy(bytes + 8, &modifier, sizeof modifier);
            if (i * entry_bytes >= size) break;
            const size_t n = std::min(entry_bytes, size - i * entry_bytes);
            FUZZ_CHECK(pwrite(fd, bytes, n, static_cast<off_t>(i * entry_bytes)) == static_cast<ssize_t>(n), "pwrite");
        }
    }
};

// The table a model round indexes: the first `count` entries of a file.
struct ModelTable {
    TableFile file;
    size_t count = 0;
};

// The protocol's rules, as the parser's header states them.
struct Model {
    uint32_t version = 5;
    std::optional<ModelTable> table;
    bool fault = false;
    bool have_main_device = false;
    Feedback pending;
    FeedbackTranche tranche;
    std::optional<Feedback> current;
    uint64_t generation = 0, rejected = 0;
};

bool same(const Feedback& a, const Feedback& b)
{
    if (a.main_device != b.main_device || a.main_device_sent != b.main_device_sent || a.tranches.size() != b.tranches.size()) {
        return false;
    }
    for (size_t i = 0; i < a.tranches.size(); ++i) {
        const FeedbackTranche &x = a.tranches[i], &y = b.tranches[i];
        if (x.target_device != y.target_device || x.flags != y.flags || !(x.formats == y.formats)) return false;
    }
    return true;
}

bool same(const std::optional<Feedback>& a, const std::optional<Feedback>& b)
{
    return a.has_value() == b.has_value() && (!a || same(*a, *b));
}

void format_table(FuzzInput& in, FeedbackParser& parser, Model& model, UniqueFd& compositor_copy, int& big_tables)
{
    const uint8_t mode = in.u8();
    TableFile file;
    size_t entries = 0;
    if ((mode & 0x80) && big_tables < 1) {
        ++big_tables;
        entries = max_entries + in.u8() % 8;
        file.generated = entries;
    } else {
        entries = in.u8() % 32;
        file.data = in.bytes(entries * entry_bytes);
    }
    const size_t entry_size = entries * entry_bytes;
    file.size = entry_size;
    switch ((mode >> 2) & 7) {
    case 1: file.size += 8; break;
    case 2: file.size = file.size >= 16 ? file.size - 16 : 0; break;
    case 3: file.size = file.size ? file.size - 1 : 0; break;
    case 4: file.size += in.u8(); break;
    default: break;
    }
    if (!file.generated) file.data.resize(file.size);
    uint32_t announced = 0;
    switch (mode & 3) {
    case 0: announced = static_cast<uint32_t>(entry_size); break;
    case 1: announced = static_cast<uint32_t>(file.size); break;
    case 2: announced = static_cast<uint32_t>(entry_size + entry_bytes * (1 + in.u8() % 4)); break;
    case 3: announced = in.u32(); break;
    }

    UniqueFd fd;
    size_t fd_bytes = 0;  // what fstat says
    if ((mode & 0x60) == 0x60) {
        int p[2];
        FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2");
        UniqueFd write_end{p[1]};
        fd = UniqueFd{p[0]};
        (void)!write(write_end.get(), file.data.data(), std::min<size_t>(file.data.size(), 4096));
    } else {
        fd = UniqueFd{memfd_create("fuzz-format-table", MFD_CLOEXEC)};
        FUZZ_CHECK(fd.get() >= 0, "memfd_create");
        file.write_to(fd.get());
        fd_bytes = file.size;
        auto copy = fd.dup();
        FUZZ_CHECK(copy.ok(), "dup");
        compositor_copy = std::move(copy).value();
    }

    // The model: a size that is a multiple of 16 and no more than the fd holds is a table, of the
    // entries a 16-bit index reaches.
    if (announced % entry_bytes == 0 && announced <= fd_bytes) {
        model.table = ModelTable{std::move(file), std::min<size_t>(announced / entry_bytes, max_entries)};
    } else {
        model.table.reset();
        model.fault = true;
    }
    parser.format_table(std::move(fd), announced);
    FUZZ_CHECK(parser.table().has_value() == model.table.has_value(), "table %u bytes in a file of %zu", announced, fd_bytes);
    if (!model.table) return;
    FUZZ_CHECK(parser.table()->size() == model.table->count, "%zu entries, not %zu", parser.table()->size(), model.table->count);
    const size_t count = model.table->count;
    const auto check = [&](size_t i) {
        FUZZ_CHECK(parser.table()->at(i) == model.table->file.entry(i), "entry %zu of %zu differs", i, count);
    };
    if (count <= 64) {
        for (size_t i = 0; i < count; ++i) check(i);
    } else {
        for (const size_t i : {size_t{0}, size_t{63}, count / 2, count - 64, count - 1}) check(i);
    }
}

// A dev_t array: its bytes (mostly sizeof(dev_t) of them), and the dev_t when the size is right.
std::pair<std::vector<uint8_t>, std::optional<dev_t>> device(FuzzInput& in)
{
    const uint8_t n = in.u8();
    std::vector<uint8_t> array = in.bytes((n & 0x80) ? sizeof(dev_t) : n % 17);
    if (array.size() != sizeof(dev_t)) return {std::move(array), std::nullopt};
    dev_t dev;
    std::memcpy(&dev, array.data(), sizeof dev);
    return {std::move(array), dev};
}

void done(FeedbackParser& parser, Model& model)
{
    const auto sampling = std::find_if(model.pending.tranches.begin(), model.pending.tranches.end(),
                                       [](const FeedbackTranche& t) { return t.sampling(); });
    const bool stand_in = model.version >= 6 && !model.have_main_device && sampling != model.pending.tranches.end();
    const bool publish = !model.fault && (model.have_main_device || stand_in) && !model.pending.tranches.empty();
    if (stand_in) {
        model.pending.main_device = sampling->target_device;
        model.pending.main_device_sent = false;
    }
    const std::optional<Feedback> before = parser.current();
    const auto result = parser.done();
    FUZZ_CHECK(result.ok() == publish, "the parser %s a round that the model %s (%s)", result.ok() ? "published" : "rejected",
               publish ? "publishes" : "rejects", result.ok() ? "" : result.error().message().c_str());
    if (publish) {
        model.current = std::move(model.pending);
        ++model.generation;
        FUZZ_CHECK(same(parser.current(), model.current), "the published feedback is not the model's");
        (void)parser.current()->formats();
    } else {
        ++model.rejected;
        FUZZ_CHECK(same(parser.current(), before), "a rejected round changed the current feedback");
        FUZZ_CHECK(!result.error().message().empty() && parser.last_rejection() == result.error().message(),
                   "a rejection without its reason");
    }
    FUZZ_CHECK(parser.generation() == model.generation && parser.rejected() == model.rejected, "the counts are off");
    model.pending = {};
    model.tranche = {};
    model.fault = false;
    model.have_main_device = false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    FuzzInput in{data, size};
    Model model;
    model.version = size % 2 ? 6 : 5;
    FeedbackParser parser{model.version};
    UniqueFd compositor_copy;
    int big_tables = 0;
    for (int events = 0; events < 512 && !in.empty(); ++events) {
        switch (in.u8() % 8) {
        case 0: format_table(in, parser, model, compositor_copy, big_tables); break;
        case 1: {
            const auto [array, dev] = device(in);
            parser.main_device(array);
            if (dev) {
                model.pending.main_device = *dev;
                model.have_main_device = true;
            } else {
                model.fault = true;
            }
            break;
        }
        case 2: {
            const auto [array, dev] = device(in);
            parser.tranche_target_device(array);
            if (dev) {
                model.tranche.target_device = *dev;
            } else {
                model.fault = true;
            }
            break;
        }
        case 3: {
            const uint8_t n = in.u8();
            const size_t count = n & 0x3fU;
            const std::vector<uint8_t> array = in.bytes(count * 2 + ((n & 0x40) ? 1 : 0));
            parser.tranche_formats(array);
            if (array.size() % 2 || !model.table) {
                model.fault = true;
                break;
            }
            for (size_t i = 0; i < count; ++i) {
                uint16_t index;
                std::memcpy(&index, array.data() + 2 * i, sizeof index);
                if (index >= model.table->count) {
                    model.fault = true;
                    break;
                }
                model.tranche.formats.add(model.table->file.entry(index));
            }
            break;
        }
        case 4: {
            const uint32_t flags = in.u32();
            parser.tranche_flags(flags);
            model.tranche.flags = flags;
            break;
        }
        case 5:
            parser.tranche_done();
            model.pending.tranches.push_back(std::move(model.tranche));
            model.tranche = {};
            break;
        case 6: done(parser, model); break;
        case 7: {
            const uint16_t to = in.u16();
            // What the parser read is its own: a shrink afterwards changes nothing.
            if (compositor_copy) (void)!ftruncate(compositor_copy.get(), to);
            break;
        }
        }
    }
    done(parser, model);
    return 0;
}

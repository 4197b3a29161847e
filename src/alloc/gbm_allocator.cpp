#include "alloc/gbm_allocator.hpp"

#include "alloc/dmabuf_mapping.hpp"
#include "drm/device.hpp"
#include "drm/format_info.hpp"
#include "util/log.hpp"
#include "vk/dmabuf_import.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <xf86drm.h>

namespace dmafeed {

// ---------------------------------------------------------------------------------------------
// The host-testable decisions

namespace gbm {

std::vector<std::string> node_order(std::string_view wanted, std::string_view render, std::string_view primary)
{
    std::vector<std::string> nodes;
    for (std::string_view node : {wanted, render, primary}) {
        if (!node.empty() && std::find(nodes.begin(), nodes.end(), node) == nodes.end()) {
            nodes.emplace_back(node);
        }
    }
    return nodes;
}

Result<NodeChoice> choose_node(std::span<const std::string> nodes,
                               const std::function<Result<void>(const std::string& node)>& try_node)
{
    std::string failures;
    for (size_t i = 0; i < nodes.size(); ++i) {
        auto ok = try_node(nodes[i]);
        if (ok) {
            return NodeChoice{.index = i, .reason = failures};
        }
        failures += (failures.empty() ? "" : "; ") + nodes[i] + ": " + ok.error().message();
    }
    if (nodes.empty()) {
        return Error{"no DRM node to try"};
    }
    return Error{"no DRM node works for GBM: " + failures};
}

Result<CreationPlan> plan_creation(std::span<const DrmModifier> requested, uint32_t stride_align)
{
    if (requested.empty()) {
        return Error{"no modifier was requested"};
    }
    CreationPlan plan;
    for (DrmModifier m : requested) {
        if (m.is_implicit()) {
            plan.implicit = stride_align == 0;
        } else if ((stride_align == 0 || m.is_linear()) &&
                   std::find(plan.explicit_modifiers.begin(), plan.explicit_modifiers.end(), m) ==
                       plan.explicit_modifiers.end()) {
            plan.explicit_modifiers.push_back(m);
        }
    }
    if (plan.explicit_modifiers.empty() && !plan.implicit) {
        return Error{"an aligned stride (" + std::to_string(stride_align) +
                     ") needs LINEAR, which is not among the requested modifiers"};
    }
    return plan;
}

DrmModifier known_layout(DrmModifier reported, std::span<const DrmModifier> created_from)
{
    if (!reported.is_implicit()) {
        return reported;
    }
    if (created_from.empty() || (created_from.size() == 1 && created_from.front().is_linear())) {
        return modifier_linear;
    }
    return modifier_implicit;
}

}  // namespace gbm

namespace {

std::string modifier_list(std::span<const DrmModifier> mods)
{
    std::string out = "{";
    for (size_t i = 0; i < mods.size(); ++i) out += (i ? ", " : "") + name(mods[i]);
    return out + "}";
}

std::string size_string(uint32_t w, uint32_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// GBM does not always set errno on failure (a modifier the driver does not know gives errno 0).
std::string errno_text(int err)
{
    if (err == 0) return "GBM gave no reason (errno 0)";
    std::string text = std::strerror(err);
    if (const char* n = strerrorname_np(err)) text += std::string{" ("} + n + ")";
    return text;
}

// Size of a dma-buf; 0 when the fd cannot tell.
uint64_t dmabuf_size(int fd)
{
    const off_t end = lseek(fd, 0, SEEK_END);
    lseek(fd, 0, SEEK_SET);
    return end > 0 ? static_cast<uint64_t>(end) : 0;
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// GbmDevice

class GbmDevice {
public:
    static Result<std::shared_ptr<GbmDevice>> open(const std::string& node)
    {
        UniqueFd fd{::open(node.c_str(), O_RDWR | O_CLOEXEC)};
        if (!fd) return Error::from_errno("open", errno);
        std::string driver = "unknown driver";
        if (drmVersionPtr v = drmGetVersion(fd.get())) {
            driver = v->name;
            drmFreeVersion(v);
        }
        const bool render = drmGetNodeTypeFromFd(fd.get()) == DRM_NODE_RENDER;
        errno = 0;
        gbm_device* gbm = gbm_create_device(fd.get());
        if (!gbm) return Error{"gbm_create_device (kernel driver " + driver + "): " + errno_text(errno)};
        return std::shared_ptr<GbmDevice>{new GbmDevice{std::move(fd), gbm, node, std::move(driver), render}};
    }

    GbmDevice(const GbmDevice&) = delete;
    GbmDevice& operator=(const GbmDevice&) = delete;
    ~GbmDevice() { gbm_device_destroy(gbm_); }  // before fd_ closes

    gbm_device* get() const noexcept { return gbm_; }
    // The fd GBM works on (GEM handles of its bos belong to it).
    int fd() const noexcept { return gbm_device_get_fd(gbm_); }
    const std::string& node() const noexcept { return node_; }
    const std::string& driver() const noexcept { return driver_; }
    bool render_node() const noexcept { return render_; }

    // gbm_bo_create_with_modifiers2 with `modifiers` (none INVALID), or gbm_bo_create with
    // GBM_BO_USE_LINEAR when `modifiers` is empty. `err` (optional) gets the errno of a failure.
    Result<UniqueGbmBo> create(DrmFormat format, uint32_t width, uint32_t height, std::span<const DrmModifier> modifiers,
                               uint32_t flags, int* err = nullptr) const
    {
        std::vector<uint64_t> values;
        for (DrmModifier m : modifiers) values.push_back(m.value());
        errno = 0;
        UniqueGbmBo bo{modifiers.empty()
                           ? gbm_bo_create(gbm_, width, height, format.fourcc(), flags | GBM_BO_USE_LINEAR)
                           : gbm_bo_create_with_modifiers2(gbm_, width, height, format.fourcc(), values.data(),
                                                           static_cast<unsigned>(values.size()), flags)};
        const int saved = errno;
        if (bo) return bo;
        if (err) *err = saved;
        if (modifiers.empty()) return Error{"gbm_bo_create (implicit, GBM_BO_USE_LINEAR): " + errno_text(saved)};
        return Error{"gbm_bo_create_with_modifiers2 " + modifier_list(modifiers) + ": " + errno_text(saved)};
    }

private:
    GbmDevice(UniqueFd fd, gbm_device* gbm, std::string node, std::string driver, bool render)
        : fd_{std::move(fd)}, gbm_{gbm}, node_{std::move(node)}, driver_{std::move(driver)}, render_{render}
    {
    }
    UniqueFd fd_;
    gbm_device* gbm_ = nullptr;
    std::string node_;
    std::string driver_;
    bool render_ = false;
};

namespace {

// What GBM on `dev` creates of the table: (format, LINEAR) from {LINEAR}, (format, INVALID) from
// gbm_bo_create with GBM_BO_USE_LINEAR. An error when nothing.
Result<FormatSet> probe_formats(const GbmDevice& dev, uint32_t flags)
{
    FormatSet set;
    std::string first_failure;
    int first_errno = 0;
    for (const FormatInfo& info : known_formats()) {
        if (!gbm_device_is_format_supported(dev.get(), info.format.fourcc(), flags)) continue;
        for (const std::vector<DrmModifier>& list : {std::vector<DrmModifier>{modifier_linear}, std::vector<DrmModifier>{}}) {
            int err = 0;
            auto bo = dev.create(info.format, 16, 16, list, flags, &err);
            if (bo) {
                set.add(info.format, list.empty() ? modifier_implicit : modifier_linear);
            } else if (first_failure.empty()) {
                first_errno = err;
                first_failure = name(info.format) + " " + bo.error().message();
            }
            // A render node that refuses the first bo outright (EACCES: dumb buffers, kms_swrast)
            // refuses them all: probing every format would only cost time.
            if (set.empty() && dev.render_node() && first_errno == EACCES) break;
        }
        if (set.empty() && dev.render_node() && first_errno == EACCES) break;
    }
    if (set.empty()) {
        std::string msg = "GBM (kernel driver " + dev.driver() + ") creates none of the table's formats";
        if (!first_failure.empty()) msg += " (" + first_failure + ")";
        if (dev.render_node() && first_errno == EACCES) {
            msg += "; render nodes refuse dumb buffers, which display-only drivers such as kms_swrast allocate";
        }
        return Error{msg};
    }
    return set;
}

struct NodeList {
    std::vector<std::string> nodes;
    std::string device;  // for messages
};

Result<NodeList> nodes_to_try(const GbmAllocatorOptions& options)
{
    auto device_nodes = [](drmDevicePtr d, std::string_view wanted) {
        const auto node = [&](int type) {
            return (d->available_nodes & (1 << type)) ? std::string{d->nodes[type]} : std::string{};
        };
        return gbm::node_order(wanted, node(DRM_NODE_RENDER), node(DRM_NODE_PRIMARY));
    };
    NodeList out;
    if (!options.node.empty() || options.device) {
        dev_t dev = options.device.value_or(0);
        out.device = options.node;
        if (!options.node.empty()) {
            struct stat st{};
            if (stat(options.node.c_str(), &st) != 0) return Error::from_errno("DRM node " + options.node, errno);
            if (!S_ISCHR(st.st_mode)) return Error{"DRM node " + options.node + " is not a character device"};
            dev = st.st_rdev;
        } else {
            out.device = drm::describe_device(dev);
        }
        drmDevicePtr d = nullptr;
        if (drmGetDeviceFromDevId(dev, 0, &d) != 0 || !d) {
            return Error{(options.node.empty() ? "device " : "node " + options.node + ": ") + drm::describe_device(dev)};
        }
        out.nodes = device_nodes(d, options.node);
        drmFreeDevice(&d);
        return out;
    }
    out.device = "any DRM device";
    const int n = drmGetDevices2(0, nullptr, 0);
    if (n <= 0) return Error{"no DRM device (drmGetDevices2 found none)"};
    std::vector<drmDevicePtr> devices(static_cast<size_t>(n));
    const int got = drmGetDevices2(0, devices.data(), n);
    for (int i = 0; i < got; ++i) {
        for (std::string& node : device_nodes(devices[static_cast<size_t>(i)], {})) out.nodes.push_back(std::move(node));
    }
    if (got > 0) drmFreeDevices(devices.data(), got);
    if (out.nodes.empty()) return Error{"no DRM device with a render or primary node"};
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// GbmBuffer

GbmBuffer::GbmBuffer(std::shared_ptr<GbmDevice> gbm, UniqueGbmBo bo, DrmFormat format, uint32_t width, uint32_t height)
    : Buffer{format, DrmModifier{gbm_bo_get_modifier(bo.get())}, width, height}, gbm_{std::move(gbm)}, bo_{std::move(bo)}
{
}

Error GbmBuffer::read_only(const char* verb) const
{
    return Error{std::string{verb} + " " + dmafeed::name(format()) + " " + size_string(width(), height()) +
                 " (GBM bo): the dma-buf is read-only (exported without DRM_RDWR)"};
}

Result<void> GbmBuffer::write_region(std::span<const PlanePixels> planes, PixelRect region) const
{
    if (!writable_) return read_only("write");
    return Buffer::write_region(planes, region);
}

Result<Buffer::MappedPlanes> GbmBuffer::begin_cpu_write() const
{
    if (!writable_) return read_only("map");
    return Buffer::begin_cpu_write();
}

Result<std::vector<vk::ImageRegion>> GbmBuffer::upload_regions(std::span<const PlanePixels> planes) const
{
    if (fill_path_ != FillPath::vulkan) {
        return Error{"upload to " + dmafeed::name(format()) + " GBM bo: it is not imported into Vulkan (" + fill_reason_ +
                     "); use write_planes"};
    }
    return image_regions(*this, parts(), planes);
}

// ---------------------------------------------------------------------------------------------
// Import into Vulkan

Result<std::string> GbmAllocator::import_into_vulkan(GbmBuffer& buffer) const
{
    const DrmModifier mod = buffer.layout_modifier_;
    if (mod.is_implicit()) return Error{"the bo reports modifier INVALID and its layout is not otherwise known"};
    std::vector<vk::DmabufPlane> planes;
    for (const BufferPlane& p : buffer.planes()) planes.push_back({.fd = p.fd.get(), .offset = p.offset, .stride = p.stride});
    const vk::DmabufFrame frame{
        .format = buffer.format(), .width = buffer.width(), .height = buffer.height(), .modifier = mod, .planes = planes};
    auto imported = vk::import_dmabuf(*vulkan_, frame, usage_, extra_usage_);
    if (!imported) return std::move(imported).error();
    buffer.images_ = std::move(imported).value();
    const auto& parts = buffer.images_.parts();
    std::string how = "imported into " + vulkan_->info().name + " as " + dmafeed::name(mod);
    if (buffer.modifier() != mod) how += " (the bo reports " + dmafeed::name(buffer.modifier()) + "; it was created linear)";
    if (parts.size() > 1) how += ", one image per plane";
    if (!parts.empty() && parts.front().storage_view) how += ", storage images";
    return how;
}

// ---------------------------------------------------------------------------------------------
// GbmAllocator

GbmAllocator::GbmAllocator(std::shared_ptr<GbmDevice> gbm, const GbmAllocatorOptions& options, FormatSet supported,
                           std::string node_choice)
    : gbm_{std::move(gbm)},
      vulkan_{options.vulkan},
      usage_{options.usage},
      extra_usage_{options.extra_usage},
      gbm_flags_{options.gbm_flags},
      supported_{std::move(supported)},
      node_choice_{std::move(node_choice)}
{
}

GbmAllocator::~GbmAllocator() = default;

const std::string& GbmAllocator::node() const noexcept { return gbm_->node(); }
const std::string& GbmAllocator::kernel_driver() const noexcept { return gbm_->driver(); }

Result<std::unique_ptr<GbmAllocator>> GbmAllocator::create(const GbmAllocatorOptions& options)
{
    auto list = nodes_to_try(options);
    if (!list) return std::move(list).error().context("GBM allocator");
    std::shared_ptr<GbmDevice> chosen;
    FormatSet formats;
    auto choice = gbm::choose_node(list->nodes, [&](const std::string& node) -> Result<void> {
        auto dev = GbmDevice::open(node);
        if (!dev) return std::move(dev).error();
        auto set = probe_formats(**dev, options.gbm_flags);
        if (!set) return std::move(set).error();
        chosen = std::move(dev).value();
        formats = std::move(set).value();
        return {};
    });
    if (!choice) return std::move(choice).error().context("GBM allocator for " + list->device);
    if (!choice->reason.empty()) {
        log::info("GBM cannot create buffers on %s; using %s", choice->reason.c_str(), chosen->node().c_str());
    }
    log::debug("GBM on %s (kernel driver %s) creates %s", chosen->node().c_str(), chosen->driver().c_str(),
               formats.to_string().c_str());
    return std::unique_ptr<GbmAllocator>{new GbmAllocator{std::move(chosen), options, std::move(formats), choice->reason}};
}

void GbmAllocator::log_fill_path(const GbmBuffer& buffer, const std::string& what)
{
    const std::string key = dmafeed::name(buffer.format()) + "/" + dmafeed::name(buffer.layout_modifier()) + "/" +
                            std::string{fill_path_name(buffer.fill_path())};
    const bool first = logged_paths_.insert(key).second;
    const std::string line = what + ": bo modifier " + dmafeed::name(buffer.modifier()) + ", fill path " +
                             std::string{fill_path_name(buffer.fill_path())} + ": " + buffer.fill_path_reason();
    if (first) {
        log::info("%s", line.c_str());
    } else {
        log::debug("%s", line.c_str());
    }
}

Result<std::unique_ptr<Buffer>> GbmAllocator::allocate(const AllocationRequest& req)
{
    const std::string what = "allocate " + dmafeed::name(req.format) + " " + size_string(req.width, req.height) + " " +
                             modifier_list(req.modifiers) + " with GBM on " + node();
    const FormatInfo* info = format_info(req.format);
    if (!info) {
        return Error{what + ": dmafeed's format table does not know " + dmafeed::name(req.format) + " (" +
                     fourcc_string(req.format) + ")"};
    }
    if (auto ok = check_size(*info, req.width, req.height, false); !ok) return std::move(ok).error().context(what);
    if (req.plane_offset > 0) {
        return Error{what + ": GBM places the planes itself; a plane offset of " + std::to_string(req.plane_offset) +
                     " bytes needs the Vulkan allocator"};
    }
    auto plan = gbm::plan_creation(req.modifiers, req.stride_align);
    if (!plan) return std::move(plan).error().context(what);
    const auto creates = [&] {
        const auto mods = supported_.modifiers_for(req.format);
        if (mods.empty()) {
            std::string formats;
            for (DrmFormat f : supported_.formats()) formats += (formats.empty() ? "" : ", ") + dmafeed::name(f);
            return "GBM on this node creates no " + dmafeed::name(req.format) + " (it creates " + formats + ")";
        }
        return "GBM on this node creates " + dmafeed::name(req.format) + " with " + modifier_list(mods);
    };

    // Create the bo: for scanout with GBM_BO_USE_SCANOUT first, and without it where the device
    // refuses that (a render node, a format its display planes lack).
    const auto create = [&](std::span<const DrmModifier> modifiers) -> Result<UniqueGbmBo> {
        if (req.scanout) {
            auto made = gbm_->create(req.format, req.width, req.height, modifiers, gbm_flags_ | GBM_BO_USE_SCANOUT);
            if (made) return made;
            log::debug("%s: not with GBM_BO_USE_SCANOUT (%s); without it", what.c_str(), made.error().message().c_str());
        }
        return gbm_->create(req.format, req.width, req.height, modifiers, gbm_flags_);
    };
    UniqueGbmBo bo;
    std::vector<DrmModifier> created_from;
    std::string failures;
    const auto note = [&](std::string failure) { failures += (failures.empty() ? "" : "; ") + failure; };
    if (!plan->explicit_modifiers.empty()) {
        auto made = create(plan->explicit_modifiers);
        if (made) {
            const DrmModifier reported{gbm_bo_get_modifier(made->get())};
            if (!gbm::known_layout(reported, plan->explicit_modifiers).is_implicit()) {
                bo = std::move(made).value();
                created_from = plan->explicit_modifiers;
            } else {
                // Several modifiers and the bo does not say which: the layout is unknown.
                const bool has_linear = std::find(plan->explicit_modifiers.begin(), plan->explicit_modifiers.end(),
                                                  modifier_linear) != plan->explicit_modifiers.end();
                note("the bo from " + modifier_list(plan->explicit_modifiers) +
                     " reports INVALID, so its layout is not known");
                if (has_linear) {
                    log::debug("%s: the bo reports INVALID; creating it again from {LINEAR} alone", what.c_str());
                    const std::vector<DrmModifier> linear{modifier_linear};
                    auto again = create(linear);
                    if (again) {
                        bo = std::move(again).value();
                        created_from = linear;
                    } else {
                        note(again.error().message());
                    }
                }
            }
        } else {
            note(made.error().message());
        }
    }
    if (!bo && plan->implicit) {
        auto made = create({});
        if (made) {
            bo = std::move(made).value();
            created_from.clear();
        } else {
            note(made.error().message());
        }
    }
    if (!bo) return Error{what + ": " + failures + "; " + creates()};

    std::unique_ptr<GbmBuffer> buffer{new GbmBuffer{gbm_, std::move(bo), req.format, req.width, req.height}};
    buffer->layout_modifier_ = gbm::known_layout(buffer->modifier(), created_from);
    const bool linear = buffer->layout_modifier_.is_linear();

    // Planes.
    const int count = gbm_bo_get_plane_count(buffer->bo());
    if (count < 1 || count > 4 || (linear && static_cast<uint32_t>(count) != info->plane_count) ||
        static_cast<uint32_t>(count) < info->plane_count) {
        return Error{what + ": the bo has " + std::to_string(count) + " planes; " + dmafeed::name(req.format) + " has " +
                     std::to_string(info->plane_count)};
    }
    // Make the dma-buf a read-write file before GBM exports it (see the header).
    std::vector<UniqueFd> rw_exports;
    std::vector<uint32_t> exported;
    for (int p = 0; p < count; ++p) {
        const gbm_bo_handle handle = gbm_bo_get_handle_for_plane(buffer->bo(), p);
        if (handle.s32 <= 0 || std::find(exported.begin(), exported.end(), handle.u32) != exported.end()) continue;
        exported.push_back(handle.u32);
        int raw = -1;
        if (drmPrimeHandleToFD(gbm_->fd(), handle.u32, DRM_CLOEXEC | DRM_RDWR, &raw) == 0) {
            rw_exports.emplace_back(raw);
        } else {
            log::debug("%s: read-write export of plane %d: %s", what.c_str(), p, errno_text(errno).c_str());
        }
    }
    std::vector<struct stat> files;
    buffer->writable_ = true;
    for (int p = 0; p < count; ++p) {
        errno = 0;
        UniqueFd fd{gbm_bo_get_fd_for_plane(buffer->bo(), p)};
        if (!fd) return Error{what + ": gbm_bo_get_fd_for_plane(" + std::to_string(p) + "): " + errno_text(errno)};
        const int flags = fcntl(fd.get(), F_GETFL);
        buffer->writable_ = buffer->writable_ && flags >= 0 && (flags & O_ACCMODE) == O_RDWR;
        const auto plane = static_cast<uint32_t>(p);
        const uint32_t rows = plane < info->plane_count ? plane_height(*info, plane, req.height) : 0;
        BufferPlane bp{.fd = std::move(fd),
                       .offset = gbm_bo_get_offset(buffer->bo(), p),
                       .stride = gbm_bo_get_stride_for_plane(buffer->bo(), p),
                       .size = 0};
        bp.size = uint64_t{bp.stride} * rows;
        struct stat st{};
        if (fstat(bp.fd.get(), &st) != 0) return Error::from_errno(what + ": fstat of plane " + std::to_string(p), errno);
        const uint64_t size = dmabuf_size(bp.fd.get());
        if (std::none_of(files.begin(), files.end(), [&](const struct stat& f) { return same_file(f, st); })) {
            files.push_back(st);
            buffer->allocated_bytes_ += size;
        }
        if (linear) {
            const uint64_t row = min_stride(*info, plane, req.width);
            const uint64_t end = bp.offset + uint64_t{bp.stride} * (rows - 1) + row;
            if (bp.stride < row || end > size) {
                return Error{what + ": plane " + std::to_string(p) + " (offset " + std::to_string(bp.offset) + ", stride " +
                             std::to_string(bp.stride) + ") does not fit its " + std::to_string(size) + "-byte dma-buf"};
            }
        }
        if (req.stride_align > 0 && (bp.stride % req.stride_align != 0 || bp.offset % req.stride_align != 0)) {
            return Error{what + ": GBM chose stride " + std::to_string(bp.stride) + " and offset " + std::to_string(bp.offset) +
                         " for plane " + std::to_string(p) + ", not multiples of " + std::to_string(req.stride_align) +
                         " (GBM cannot be given strides)"};
        }
        buffer->planes_.push_back(std::move(bp));
    }
    rw_exports.clear();
    if (req.disjoint && info->plane_count > 1) {
        log::debug("%s: GBM places the planes itself; the disjoint request is not applied", what.c_str());
    }

    // Fill path.
    std::string no_import;
    if (vulkan_) {
        auto imported = import_into_vulkan(*buffer);
        if (imported) {
            buffer->fill_path_ = FillPath::vulkan;
            buffer->fill_reason_ = std::move(imported).value();
        } else {
            no_import = vulkan_->info().name + " cannot import it: " + imported.error().message();
        }
    } else {
        no_import = "no Vulkan device was given";
    }
    if (buffer->fill_path_ != FillPath::vulkan) {
        if (!linear) {
            return Error{what + ": no way to fill the buffer: " + no_import + "; a CPU mapping needs a LINEAR layout, and " +
                         (buffer->layout_modifier_.is_implicit() ? std::string{"this bo's layout is not known"}
                                                                 : "this bo's is " + dmafeed::name(buffer->layout_modifier_))};
        }
        if (!buffer->writable_) {
            return Error{what + ": no way to fill the buffer: " + no_import +
                         "; a CPU mapping needs a writable dma-buf, and this one is read-only"};
        }
        buffer->fill_path_ = FillPath::cpu_mapping;
        buffer->fill_reason_ = no_import;
    }
    log_fill_path(*buffer, what);
    return std::unique_ptr<Buffer>{std::move(buffer)};
}

}  // namespace dmafeed

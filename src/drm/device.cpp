#include "drm/device.hpp"

#include "util/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <xf86drm.h>

namespace dmafeed::drm {
namespace {

// Owns a drmDevicePtr.
class DrmDevice {
public:
    explicit DrmDevice(dev_t dev)
    {
        if (drmGetDeviceFromDevId(dev, 0, &dev_) != 0) {
            dev_ = nullptr;
        }
    }
    DrmDevice(const DrmDevice&) = delete;
    DrmDevice& operator=(const DrmDevice&) = delete;
    ~DrmDevice()
    {
        if (dev_) drmFreeDevice(&dev_);
    }
    drmDevicePtr get() const noexcept { return dev_; }

private:
    drmDevicePtr dev_ = nullptr;
};

std::string numbers(dev_t dev)
{
    return std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
}

// The node of `d` whose st_rdev is `dev`.
std::string node_for(const drmDevicePtr d, dev_t dev)
{
    for (int i = 0; i < DRM_NODE_MAX; ++i) {
        struct stat st{};
        if ((d->available_nodes & (1 << i)) && stat(d->nodes[i], &st) == 0 && st.st_rdev == dev) {
            return d->nodes[i];
        }
    }
    return {};
}

}  // namespace

bool same_device(dev_t a, dev_t b)
{
    const DrmDevice da{a};
    const DrmDevice db{b};
    return da.get() && db.get() && drmDevicesEqual(da.get(), db.get());
}

std::string describe_device(dev_t dev)
{
    const DrmDevice d{dev};
    if (!d.get()) {
        return numbers(dev) + " (not a DRM device)";
    }
    const std::string node = node_for(d.get(), dev);
    return (node.empty() ? std::string{"DRM device"} : node) + " (" + numbers(dev) + ")";
}

std::string node_path(dev_t dev, bool render)
{
    const DrmDevice d{dev};
    if (!d.get()) {
        return {};
    }
    const int want = render ? DRM_NODE_RENDER : DRM_NODE_PRIMARY;
    if (d.get()->available_nodes & (1 << want)) {
        return d.get()->nodes[want];
    }
    const int other = render ? DRM_NODE_PRIMARY : DRM_NODE_RENDER;
    if (d.get()->available_nodes & (1 << other)) {
        return d.get()->nodes[other];
    }
    return {};
}

std::string driver_name(dev_t dev)
{
    const std::string path = node_path(dev, true);
    if (path.empty()) return {};
    const UniqueFd fd{::open(path.c_str(), O_RDWR | O_CLOEXEC)};
    if (!fd) return {};
    drmVersionPtr version = drmGetVersion(fd.get());
    if (!version) return {};
    std::string name{version->name, static_cast<size_t>(version->name_len)};
    drmFreeVersion(version);
    return name;
}

}  // namespace dmafeed::drm

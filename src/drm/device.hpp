// DRM device identity: which node a dev_t is, and whether two dev_t name the same device (a
// primary node and a render node of one GPU are the same device). Compared with libdrm's
// drmDevicesEqual, never as raw numbers.
#pragma once

#include <string>
#include <sys/types.h>

namespace dmafeed::drm {

// True when both dev_t are nodes of one DRM device. False when either is not a DRM device.
bool same_device(dev_t a, dev_t b);

// "/dev/dri/renderD128 (226:128)", or "226:128 (not a DRM device)".
std::string describe_device(dev_t dev);

// The node path of `dev` preferring `render` or primary; empty when unknown.
std::string node_path(dev_t dev, bool render);

// The kernel driver of `dev` ("virtio_gpu", "i915"); empty when its node cannot be opened.
std::string driver_name(dev_t dev);

}  // namespace dmafeed::drm

#include "drm/syncobj.hpp"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <vector>
#include <xf86drm.h>

namespace dmafeed::drm {

Result<std::unique_ptr<SyncobjTimeline>> SyncobjTimeline::create(const std::string& node)
{
    UniqueFd fd{::open(node.c_str(), O_RDWR | O_CLOEXEC)};
    if (!fd) return Error::from_errno("open " + node, errno);
    uint64_t timeline = 0;
    if (drmGetCap(fd.get(), DRM_CAP_SYNCOBJ_TIMELINE, &timeline) != 0 || timeline == 0) {
        return Error{node + ": the driver has no timeline syncobjs (DRM_CAP_SYNCOBJ_TIMELINE)"};
    }
    uint32_t handle = 0;
    if (drmSyncobjCreate(fd.get(), 0, &handle) != 0) return Error::from_errno("drmSyncobjCreate on " + node, errno);
    return std::unique_ptr<SyncobjTimeline>{new SyncobjTimeline{std::move(fd), handle, node}};
}

SyncobjTimeline::~SyncobjTimeline()
{
    if (fd_) drmSyncobjDestroy(fd_.get(), handle_);
}

Result<UniqueFd> SyncobjTimeline::export_fd() const
{
    int out = -1;
    if (drmSyncobjHandleToFD(fd_.get(), handle_, &out) != 0) return Error::from_errno("drmSyncobjHandleToFD", errno);
    return UniqueFd{out};
}

Result<void> SyncobjTimeline::place_fence(uint64_t point, int sync_file)
{
    uint32_t temp = 0;
    if (drmSyncobjCreate(fd_.get(), 0, &temp) != 0) return Error::from_errno("drmSyncobjCreate", errno);
    Result<void> result;
    if (drmSyncobjImportSyncFile(fd_.get(), temp, sync_file) != 0) {
        result = Error::from_errno("drmSyncobjImportSyncFile", errno);
    } else if (drmSyncobjTransfer(fd_.get(), handle_, point, temp, 0, 0) != 0) {
        result = Error::from_errno("drmSyncobjTransfer to point " + std::to_string(point), errno);
    }
    drmSyncobjDestroy(fd_.get(), temp);
    return result;
}

Result<void> SyncobjTimeline::signal(uint64_t point)
{
    uint32_t handle = handle_;
    if (drmSyncobjTimelineSignal(fd_.get(), &handle, &point, 1) != 0) {
        return Error::from_errno("drmSyncobjTimelineSignal point " + std::to_string(point), errno);
    }
    return {};
}

Result<bool> SyncobjTimeline::signalled(uint64_t point) const
{
    uint32_t handle = handle_;
    uint64_t value = 0;
    if (drmSyncobjQuery(fd_.get(), &handle, &value, 1) != 0) return Error::from_errno("drmSyncobjQuery", errno);
    return value >= point;
}

Result<bool> SyncobjTimeline::wait_any(std::span<const uint64_t> points, std::chrono::milliseconds timeout) const
{
    if (points.empty()) return false;
    std::vector<uint32_t> handles(points.size(), handle_);
    std::vector<uint64_t> values(points.begin(), points.end());
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);  // the ioctl's timeout is an absolute CLOCK_MONOTONIC time
    const int64_t deadline = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec +
                             std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    uint32_t first = 0;
    if (drmSyncobjTimelineWait(fd_.get(), handles.data(), values.data(), static_cast<unsigned>(handles.size()), deadline,
                               DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, &first) != 0) {
        if (errno == ETIME || errno == ETIMEDOUT) return false;
        return Error::from_errno("drmSyncobjTimelineWait", errno);
    }
    return true;
}

}  // namespace dmafeed::drm

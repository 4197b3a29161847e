// One reusable command buffer on the device's queue, for work whose result the compositor reads:
// begin() waits (on the CPU) for the previous submission, then starts recording; submit() either
// returns at once with a sync_file that signals when the work is done (a binary semaphore exported
// as SYNC_FD, where the device can), or waits for the work and returns no fd.
// Used by vk::Uploader (copies) and render::PatternRenderer (compute).
#pragma once

#include "util/result.hpp"
#include "util/unique_fd.hpp"
#include "vk/device.hpp"
#include "vk/unique_handle.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

class Submitter {
public:
    // `what` names the work in errors ("upload", "pattern"). `device` must outlive the submitter.
    static Result<std::unique_ptr<Submitter>> create(const Device& device, std::string what);
    Submitter(const Submitter&) = delete;
    Submitter& operator=(const Submitter&) = delete;
    // Waits for the last submission before the members destroy the semaphore, the fence and the
    // pool; where the wait fails, they are leaked instead (the device may still be using them).
    ~Submitter();

    // The command buffer, reset and recording (ONE_TIME_SUBMIT).
    Result<VkCommandBuffer> begin();
    // Ends and submits what was recorded since begin(). fenced: a sync_file for the compositor
    // (no fd when the work had already finished or the device cannot export one: then it waited).
    Result<UniqueFd> submit(bool fenced);
    // Waits for the last submission, if any, for at most `gpu_timeout`: work that takes longer
    // means a hung device or driver, reported as an error rather than a process that never ends.
    Result<void> wait();

    static constexpr std::chrono::seconds gpu_timeout{20};

private:
    Submitter(const Device& device, std::string what) : device_{device}, what_{std::move(what)} {}
    const Device& device_;
    std::string what_;
    // In creation order: destroyed in reverse.
    UniqueCommandPool pool_;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;  // of pool_, freed with it
    UniqueFence fence_;
    bool in_flight_ = false;  // fence_ belongs to a submission not yet waited for
    UniqueSemaphore done_;    // exportable as SYNC_FD (when the device can)
};

}  // namespace dmafeed::vk

/* A C host that renders into dmafeed's frames with its own Vulkan commands, through the C API
 * (<dmafeed/dmafeed.h>, built with `pkg-config dmafeed` alone, which brings Vulkan with it): every
 * frame's images are acquired from VK_QUEUE_FAMILY_FOREIGN_EXT, cleared to one colour
 * (vkCmdClearColorImage), released to FOREIGN in GENERAL, and the submission's sync_file (a SYNC_FD
 * semaphore) goes to dmafeed_queue_fenced. Runs until N frames or SIGINT/SIGTERM, then prints
 * "frames N, fenced M, buffers B" and the stats. The vm suite runs it under the validation layer.
 *
 * Usage: dmafeed-vulkan-host RRGGBB [FRAMES]     (XRGB8888 against $WAYLAND_DISPLAY) */
#include "c_host.h"

#include <dlfcn.h>

int main(int argc, char** argv)
{
    unsigned long rgb = 0, frames = 0;
    if (!c_host_start("dmafeed-vulkan-host", argc, argv, "RRGGBB [FRAMES]", &rgb, &frames)) return 2;
    /* Under the validation layer (DMAFEED_VK_VALIDATION), the layer stays loaded: the loader
     * unloads it at vkDestroyInstance, and what it leaves unreachable would show in LeakSanitizer's
     * report at exit (the ASan/UBSan build's run) as "<unknown module>", out of reach of
     * tests/lsan.supp's entry for it, which matches the module's name. */
    if (getenv("DMAFEED_VK_VALIDATION")) (void)dlopen("libVkLayer_khronos_validation.so", RTLD_NOW | RTLD_NODELETE);

    dmafeed_config* config = c_host_config("dmafeed Vulkan host");
    if (!config) return 1;
    dmafeed_config_set_allocator(config, DMAFEED_ALLOCATOR_VULKAN);
    dmafeed_producer* p = c_host_create(config);
    if (!p) return 1;
    const dmafeed_vulkan* vk = dmafeed_get_vulkan(p);
    if (!vk) return c_host_fail("the producer has no Vulkan device", DMAFEED_OK);

    VkCommandPool pool = VK_NULL_HANDLE;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    VkSemaphore done = VK_NULL_HANDLE;
    const VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                         .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                         .queueFamilyIndex = vk->queue_family_index};
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, .flags = VK_FENCE_CREATE_SIGNALED_BIT};
    const VkExportSemaphoreCreateInfo export_info = {.sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
                                                     .handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT};
    const VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &export_info};
    if (vkCreateCommandPool(vk->device, &pci, NULL, &pool) != VK_SUCCESS) return c_host_fail("vkCreateCommandPool", DMAFEED_OK);
    const VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                             .commandPool = pool,
                                             .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                             .commandBufferCount = 1};
    if (vkAllocateCommandBuffers(vk->device, &cai, &cmd) != VK_SUCCESS) return c_host_fail("vkAllocateCommandBuffers", DMAFEED_OK);
    if (vkCreateFence(vk->device, &fci, NULL, &fence) != VK_SUCCESS) return c_host_fail("vkCreateFence", DMAFEED_OK);
    PFN_vkGetSemaphoreFdKHR get_fd = NULL;
    if (vk->exports_sync_fd) {
        if (vkCreateSemaphore(vk->device, &sci, NULL, &done) != VK_SUCCESS) return c_host_fail("vkCreateSemaphore", DMAFEED_OK);
        get_fd = (PFN_vkGetSemaphoreFdKHR)vkGetDeviceProcAddr(vk->device, "vkGetSemaphoreFdKHR");
        if (!get_fd) return c_host_fail("vkGetSemaphoreFdKHR is missing", DMAFEED_OK);
    }
    /* XRGB8888 is B8G8R8A8_UNORM; a clear colour is given as R, G, B, A whatever the memory order. */
    const VkClearColorValue colour = {.float32 = {(float)((rgb >> 16) & 0xff) / 255.0f, (float)((rgb >> 8) & 0xff) / 255.0f,
                                                  (float)(rgb & 0xff) / 255.0f, 1.0f}};
    const VkImageSubresourceRange range = {.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT, .levelCount = 1, .layerCount = 1};

    int status = 0;
    unsigned long n = 0, fenced = 0;
    struct c_host_buffers buffers = {{0}, 0};
    while (n < frames && !c_host_stop) {
        dmafeed_frame frame;
        dmafeed_frame_init(&frame);
        const dmafeed_result got = dmafeed_acquire(p, &frame, 1000);
        if (got < 0) { status = c_host_fail("acquire", got); break; }
        if (got != DMAFEED_OK) continue;
        if (frame.vulkan != vk || frame.image_count == 0) {
            fprintf(stderr, "dmafeed-vulkan-host: frame %llu has no Vulkan image of the producer's device\n",
                    (unsigned long long)frame.id);
            status = 1;
            break;
        }
        c_host_saw(&buffers, frame.buffer_id);

        if (vkWaitForFences(vk->device, 1, &fence, VK_TRUE, UINT64_MAX) != VK_SUCCESS) { status = c_host_fail("vkWaitForFences", DMAFEED_OK); break; }
        vkResetFences(vk->device, 1, &fence);
        vkResetCommandBuffer(cmd, 0);
        const VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                                .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        vkBeginCommandBuffer(cmd, &begin);
        for (uint32_t i = 0; i < frame.image_count; ++i) {
            const VkImageMemoryBarrier acquire = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                                  .srcAccessMask = 0,
                                                  .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                                  .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED, /* overwritten whole */
                                                  .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                                  .srcQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
                                                  .dstQueueFamilyIndex = vk->queue_family_index,
                                                  .image = frame.image[i],
                                                  .subresourceRange = range};
            vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0, NULL, 1,
                                 &acquire);
            vkCmdClearColorImage(cmd, frame.image[i], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
            const VkImageMemoryBarrier release = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                                  .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                                  .dstAccessMask = 0,
                                                  .oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                                  .newLayout = VK_IMAGE_LAYOUT_GENERAL,
                                                  .srcQueueFamilyIndex = vk->queue_family_index,
                                                  .dstQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
                                                  .image = frame.image[i],
                                                  .subresourceRange = range};
            vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, NULL, 0, NULL, 1,
                                 &release);
        }
        vkEndCommandBuffer(cmd);
        const VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                     .commandBufferCount = 1,
                                     .pCommandBuffers = &cmd,
                                     .signalSemaphoreCount = done ? 1u : 0u,
                                     .pSignalSemaphores = done ? &done : NULL};
        if (vkQueueSubmit(vk->queue, 1, &submit, fence) != VK_SUCCESS) { status = c_host_fail("vkQueueSubmit", DMAFEED_OK); break; }
        int fd = -1;
        if (done) {
            const VkSemaphoreGetFdInfoKHR info = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR,
                                                  .semaphore = done,
                                                  .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT};
            if (get_fd(vk->device, &info, &fd) != VK_SUCCESS) { status = c_host_fail("vkGetSemaphoreFdKHR", DMAFEED_OK); break; }
            ++fenced;
        } else {
            vkWaitForFences(vk->device, 1, &fence, VK_TRUE, UINT64_MAX); /* no sync_file: done before the commit */
        }
        const dmafeed_result r = c_host_queue(p, &frame, n, fd);
        if (r != DMAFEED_OK) { status = c_host_fail("queue", r); break; }
        ++n;
    }
    vkDeviceWaitIdle(vk->device);
    if (done) vkDestroySemaphore(vk->device, done, NULL);
    vkDestroyFence(vk->device, fence, NULL);
    vkDestroyCommandPool(vk->device, pool, NULL);
    c_host_report(p, n, fenced, &buffers);
    dmafeed_producer_destroy(p);
    return status;
}

#include "vulkan_fixture.hpp"

#include "alloc/dmabuf_mapping.hpp"
#include "drm/device.hpp"
#include "drm/format_info.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <unistd.h>
#include <vector>

namespace dmafeed::test {

Result<VulkanStack> VulkanStack::create(const vk::InstanceOptions& options, VkImageUsageFlags usage)
{
    VulkanStack s;
    auto instance = vk::Instance::create(options);
    if (!instance) return std::move(instance).error();
    s.instance = std::make_unique<vk::Instance>(std::move(instance).value());
    auto handles = s.instance->physical_devices();
    if (!handles) return std::move(handles).error();
    std::vector<vk::PhysicalDeviceInfo> infos;
    for (VkPhysicalDevice d : *handles) infos.push_back(vk::query_physical_device(d));
    auto choice = vk::select_device(infos, std::nullopt);
    if (!choice) return std::move(choice).error();
    auto device = vk::Device::create(infos[choice->index]);
    if (!device) return std::move(device).error();
    s.device = std::move(device).value();
    auto alloc = VulkanAllocator::create(*s.device, usage);
    if (!alloc) return std::move(alloc).error();
    s.allocator = std::move(alloc).value();
    auto up = vk::Uploader::create(*s.device);
    if (!up) return std::move(up).error();
    s.uploader = std::move(up).value();
    return s;
}

std::string fd_link(int fd)
{
    char buf[256] = {};
    const ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
}

uint64_t dmabuf_size(int fd) { return static_cast<uint64_t>(lseek(fd, 0, SEEK_END)); }

void check_round_trip(VulkanAllocator& allocator, vk::Uploader& uploader, const AllocationRequest& req)
{
    const std::string what = name(req.format) + " " + std::to_string(req.width) + "x" + std::to_string(req.height);
    auto allocated = allocator.allocate(req);
    ASSERT_TRUE(allocated.ok()) << allocated.error().message();
    auto& buffer = static_cast<VulkanBuffer&>(**allocated);
    const FormatInfo* info = format_info(req.format);
    ASSERT_NE(info, nullptr);
    ASSERT_EQ(buffer.planes().size(), info->plane_count) << what;

    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const BufferPlane& plane = buffer.planes()[p];
        EXPECT_EQ(fd_link(plane.fd.get()).rfind("/dmabuf:", 0), 0U) << what << " plane " << p << " is " << fd_link(plane.fd.get());
        const uint64_t rows = plane_height(*info, p, req.height);
        EXPECT_GE(plane.stride, min_stride(*info, p, req.width)) << what << " plane " << p;
        EXPECT_LE(plane.offset + plane.stride * (rows - 1) + min_stride(*info, p, req.width), dmabuf_size(plane.fd.get()))
            << what << " plane " << p << " does not fit its dma-buf";
        if (req.stride_align > 0) {
            EXPECT_EQ(plane.stride % req.stride_align, 0U) << what << " plane " << p;
            EXPECT_EQ(plane.offset % req.stride_align, 0U) << what << " plane " << p;
        }
    }

    // A pattern that differs per byte, row and plane.
    std::vector<std::vector<uint8_t>> pixels(info->plane_count);
    std::vector<PlanePixels> planes;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const uint32_t row = static_cast<uint32_t>(min_stride(*info, p, req.width));
        const uint32_t rows = plane_height(*info, p, req.height);
        pixels[p].resize(size_t{row} * rows);
        for (uint32_t y = 0; y < rows; ++y)
            for (uint32_t x = 0; x < row; ++x)
                pixels[p][size_t{y} * row + x] = static_cast<uint8_t>(x * 7 + y * 13 + p * 61 + 1);
        planes.push_back({pixels[p], row});
    }
    auto regions = buffer.upload_regions(planes);
    ASSERT_TRUE(regions.ok()) << regions.error().message();
    auto uploaded = uploader.upload(*regions);
    ASSERT_TRUE(uploaded.ok()) << uploaded.error().message();

    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const BufferPlane& plane = buffer.planes()[p];
        auto map = DmabufMapping::map(plane.fd.get(), dmabuf_size(plane.fd.get()), DmabufMapping::Access::read);
        ASSERT_TRUE(map.ok()) << map.error().message();
        EXPECT_TRUE(map->synced()) << "DMA_BUF_IOCTL_SYNC failed on a real dma-buf";
        const uint32_t row = planes[p].row_bytes;
        const uint32_t rows = plane_height(*info, p, req.height);
        size_t mismatches = 0;
        for (uint32_t y = 0; y < rows; ++y) {
            const uint8_t* got = map->bytes().data() + plane.offset + size_t{y} * plane.stride;
            mismatches += std::memcmp(got, pixels[p].data() + size_t{y} * row, row) != 0;
        }
        EXPECT_EQ(mismatches, 0U) << what << " plane " << p << ": rows differ from what Vulkan wrote";
    }
}

}  // namespace dmafeed::test

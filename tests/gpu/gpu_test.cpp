// The gpu tier: what only a real GPU shows, with no compositor. For every format dmafeed knows x
// every modifier the driver lists for it (tiled, compressed, with memory planes beyond the
// format's): the capability query, allocation with that modifier, its plane layouts, every fd,
// and the pixels as a compositor would see them (imported into a second image with the explicit
// modifier and layouts, read back) equal to the CPU packer's bytes, drawn by the GPU pattern shader
// where the pair allows storage and uploaded otherwise; disjoint planes where the driver exports
// them; plane offsets and dedicated allocations; all under the validation layer.
//
// Run by tools/gpu-check (meson suite `gpu`). Without a GPU the program prints why and exits 77.
#include "alloc/gbm_allocator.hpp"
#include "dmafeed/dmafeed.hpp"
#include "test_compositor.hpp"
#include "alloc/vulkan_allocator.hpp"
#include "drm/format_info.hpp"
#include "drm/sync_file.hpp"
#include "fd_count.hpp"
#include "gpu_context.hpp"
#include "import_readback.hpp"
#include "render/gpu_pattern.hpp"
#include "sources/pattern.hpp"
#include "vk/capabilities.hpp"
#include "vk/upload.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;

GpuContext* gpu = nullptr;
PairTable table;

constexpr uint32_t width = 256;
constexpr uint32_t height = 144;
constexpr VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
const sources::PatternSpec pattern{sources::PatternKind::smpte, {}};

std::string fd_link(int fd)
{
    char buf[256] = {};
    const ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
}

std::string path_name(bool per_plane) { return per_plane ? "per plane" : "image"; }

class Gpu : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        // Two allocators, as the producer has them: one that asks for STORAGE where it can (the GPU
        // patterns: YUV per plane), one that only uploads (YUV as one multi-planar image where the
        // driver exports it, disjoint where it can).
        auto allocator = VulkanAllocator::create(*gpu->device, usage, VK_IMAGE_USAGE_STORAGE_BIT, gpu->handle_type);
        ASSERT_TRUE(allocator.ok()) << allocator.error().message();
        allocator_ = std::move(allocator).value();
        auto upload_allocator = VulkanAllocator::create(*gpu->device, usage, 0, gpu->handle_type);
        ASSERT_TRUE(upload_allocator.ok()) << upload_allocator.error().message();
        upload_allocator_ = std::move(upload_allocator).value();
        for (VulkanAllocator* a : {allocator_.get(), upload_allocator_.get()}) {
            for (const vk::PairCapability& cap : a->capabilities().pairs) {
                const bool seen = std::any_of(pairs_.begin(), pairs_.end(), [&](const AllocatorPair& p) {
                    return p.cap->pair == cap.pair && p.cap->per_plane_images == cap.per_plane_images;
                });
                if (!seen) pairs_.push_back({&cap, a});
            }
        }
        auto uploader = vk::Uploader::create(*gpu->device);
        ASSERT_TRUE(uploader.ok()) << uploader.error().message();
        uploader_ = std::move(uploader).value();
        auto renderer = render::PatternRenderer::create(*gpu->device);
        ASSERT_TRUE(renderer.ok()) << renderer.error().message();
        renderer_ = std::move(renderer).value();
    }
    static void TearDownTestSuite()
    {
        renderer_.reset();
        uploader_.reset();
        pairs_.clear();
        upload_allocator_.reset();
        allocator_.reset();
    }
    void SetUp() override { errors_before_ = gpu->validation_error_count(); }
    void TearDown() override
    {
        const auto errors = gpu->validation_errors();
        for (size_t i = errors_before_; i < errors.size(); ++i) ADD_FAILURE() << "validation error: " << errors[i];
    }

    // What a buffer should hold: the CPU packer's frame of the test pattern, or, for formats the
    // packer has no pattern for (R8, GR88, R16, GR1616), bytes that differ per byte, row and plane.
    struct Reference {
        std::vector<std::vector<uint8_t>> planes;
        std::vector<uint32_t> row_bytes;
        bool is_pattern = false;
    };
    static Reference reference(const Buffer& buffer)
    {
        Reference ref;
        auto cpu = sources::PatternSource::create(pattern, buffer.format(), buffer.width(), buffer.height());
        const FormatInfo& info = *format_info(buffer.format());
        if (cpu) {
            ref.is_pattern = true;
            for (const PlanePixels& p : cpu->render(7, 700)) {
                ref.planes.emplace_back(p.data.begin(), p.data.end());
                ref.row_bytes.push_back(p.row_bytes);
            }
            return ref;
        }
        for (uint32_t p = 0; p < info.plane_count; ++p) {
            const uint32_t row = plane_width(info, p, buffer.width()) * info.planes[p].bytes_per_pixel;
            const uint32_t rows = plane_height(info, p, buffer.height());
            std::vector<uint8_t> bytes(size_t{row} * rows);
            for (uint32_t y = 0; y < rows; ++y) {
                for (uint32_t x = 0; x < row; ++x) bytes[size_t{y} * row + x] = static_cast<uint8_t>(x * 7 + y * 13 + p * 61 + 1);
            }
            ref.planes.push_back(std::move(bytes));
            ref.row_bytes.push_back(row);
        }
        return ref;
    }

    // Fills `buffer` with `ref`: the GPU pattern shader where `ref` is the pattern and the shader
    // can draw the buffer, else an upload of its bytes. Returns how ("gpu shader", "upload").
    static Result<std::string> fill(const VulkanBuffer& buffer, const Reference& ref)
    {
        if (ref.is_pattern && render::PatternRenderer::cannot_draw(*gpu->device, buffer, buffer.parts()).empty()) {
            const auto frame = sources::pattern_frame(pattern, buffer.width(), buffer.height(), 7, 700);
            auto fence = renderer_->render(buffer, buffer.parts(), frame, pixels::yuv_coefficients({}));
            if (!fence) return std::move(fence).error();
            if (fence->valid()) {
                auto done = drm::wait_fence(fence->get(), 20s);
                if (!done || !*done) return Error{"the render fence did not signal in 20 s"};
            }
            return std::string{"gpu shader"};
        }
        std::vector<PlanePixels> planes;
        for (size_t p = 0; p < ref.planes.size(); ++p) planes.push_back({ref.planes[p], ref.row_bytes[p]});
        auto regions = buffer.upload_regions(planes);
        if (!regions) return std::move(regions).error();
        if (auto up = uploader_->upload(*regions); !up) return std::move(up).error();
        return std::string{ref.is_pattern ? "upload" : "upload of a byte pattern"};
    }

    // Fills `buffer`, reads it back through an import and compares: "exact (how)" or what differs.
    static std::string round_trip(const VulkanBuffer& buffer, bool disjoint)
    {
        const Reference expected = reference(buffer);
        auto filled = fill(buffer, expected);
        if (!filled) return "not filled: " + filled.error().message();
        auto got = read_back_through_import(*gpu, buffer, disjoint);
        if (!got) return "read-back failed: " + got.error().message();
        for (size_t p = 0; p < got->size(); ++p) {
            const ReadPlane& plane = (*got)[p];
            for (uint32_t y = 0; y < plane.rows; ++y) {
                const uint8_t* g = plane.bytes.data() + size_t{y} * plane.row_bytes;
                const uint8_t* w = expected.planes[p].data() + size_t{y} * expected.row_bytes[p];
                if (std::memcmp(g, w, plane.row_bytes) != 0) {
                    uint32_t x = 0;
                    while (g[x] == w[x]) ++x;
                    return "differs: plane " + std::to_string(p) + " row " + std::to_string(y) + " byte " + std::to_string(x) +
                           " is " + std::to_string(g[x]) + ", expected " + std::to_string(w[x]);
                }
            }
        }
        return "exact (" + *filled + ")";
    }

    // Every (format, modifier, path) either allocator makes, with the allocator that makes it.
    struct AllocatorPair {
        const vk::PairCapability* cap = nullptr;
        VulkanAllocator* allocator = nullptr;
    };

    static Result<std::unique_ptr<Buffer>> allocate(const AllocatorPair& p, bool disjoint = false, uint32_t plane_offset = 0)
    {
        const vk::PairCapability& cap = *p.cap;
        return p.allocator->allocate({.format = cap.pair.format,
                                     .width = width,
                                     .height = height,
                                     .modifiers = {cap.pair.modifier},
                                     .stride_align = 0,
                                     .plane_offset = plane_offset,
                                     .disjoint = disjoint});
    }

    static inline std::unique_ptr<VulkanAllocator> allocator_;
    static inline std::unique_ptr<VulkanAllocator> upload_allocator_;
    static inline std::vector<AllocatorPair> pairs_;
    static inline std::unique_ptr<vk::Uploader> uploader_;
    static inline std::unique_ptr<render::PatternRenderer> renderer_;
    size_t errors_before_ = 0;
};

// The driver's own lists, queried raw, against what dmafeed's capability query makes of them.
TEST_F(Gpu, TheCapabilityQueryCoversEveryModifierTheDriverListsForEveryFormat)
{
    const vk::Device& dev = *gpu->device;
    size_t listed = 0, tiled = 0;
    for (const FormatInfo& info : known_formats()) {
        if (info.vk_format == VK_FORMAT_UNDEFINED) continue;
        for (const vk::DriverModifier& dm : vk::driver_modifiers(dev.physical_handle(), dev.info().api_version, info.vk_format)) {
            ++listed;
            if (!dm.modifier.is_linear()) ++tiled;
            PairRow& row = table.row(name(info.format), name(dm.modifier), path_name(false));
            row.memory_planes = dm.planes;
            // What the driver says of the whole image (the format's own VkFormat), whichever way
            // dmafeed makes the pair.
            const auto raw = vk::external_image_support(dev.physical_handle(), info.vk_format, dm.modifier, usage, 0,
                                                        gpu->handle_type);
            row.exportable = raw && (raw->features & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT);
            row.dedicated_only = row.exportable && (raw->features & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT);
            const auto raw_storage = vk::external_image_support(dev.physical_handle(), info.vk_format, dm.modifier,
                                                                usage | VK_IMAGE_USAGE_STORAGE_BIT, 0, gpu->handle_type);
            row.storage = row.exportable && raw_storage && (raw_storage->features & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT);
            const vk::PairCapability* cap = upload_allocator_->capabilities().find({info.format, dm.modifier});
            row.disjoint = cap && !cap->per_plane_images && cap->disjoint;
            row.importable = importable_for_read_back(dev, info.vk_format, dm.modifier.value(), gpu->handle_type, false);
            if (row.exportable && cap && cap->per_plane_images) row.pixels = "made per plane (next rows)";
            if (cap && !cap->per_plane_images) {
                EXPECT_EQ(cap->memory_planes, dm.planes) << row.format << " " << row.modifier;
            }
        }
    }
    for (const AllocatorPair& entry : pairs_) {
        const vk::PairCapability& cap = *entry.cap;
        if (!cap.per_plane_images) continue;
        PairRow& row = table.row(name(cap.pair.format), name(cap.pair.modifier), path_name(true));
        row.memory_planes = cap.memory_planes;
        row.exportable = true;
        row.storage = cap.storage;
        row.dedicated_only = cap.dedicated_only;
        const FormatInfo& info = *format_info(cap.pair.format);
        row.importable = true;
        for (uint32_t p = 0; p < info.plane_count; ++p) {
            row.importable = row.importable &&
                             importable_for_read_back(dev, info.planes[p].vk_format, cap.pair.modifier.value(), gpu->handle_type, false);
        }
    }
    std::printf("the driver lists %zu (format, modifier) pairs for dmafeed's formats, %zu of them not LINEAR; dmafeed can export %zu\n",
                listed, tiled, pairs_.size());
    EXPECT_GT(pairs_.size(), 0U) << "the driver exports no format with a DRM modifier";
    EXPECT_TRUE(allocator_->supported().contains({DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear}) ||
                allocator_->supported().modifiers_for(DrmFormat{DRM_FORMAT_XRGB8888}).size() > 0)
        << "XRGB8888, the format every compositor takes, cannot be exported";
}

TEST_F(Gpu, EveryExportablePairAllocatesWithItsModifierAndItsFdsAreWhatTheyClaim)
{
    const int fds_before = open_fd_count();
    for (const AllocatorPair& entry : pairs_) {
        const vk::PairCapability& cap = *entry.cap;
        const std::string what = name(cap.pair.format) + " " + name(cap.pair.modifier) + " " + path_name(cap.per_plane_images);
        const FormatInfo& info = *format_info(cap.pair.format);
        auto allocated = allocate(entry);
        ASSERT_TRUE(allocated.ok()) << what << ": " << allocated.error().message();
        const auto& buffer = static_cast<const VulkanBuffer&>(**allocated);
        EXPECT_EQ(buffer.modifier(), cap.pair.modifier) << what;
        const uint32_t images = cap.per_plane_images ? info.plane_count : 1;
        ASSERT_EQ(buffer.planes().size(), size_t{images} * cap.memory_planes) << what << ": one buffer plane per memory plane";
        std::string layout;
        for (size_t p = 0; p < buffer.planes().size(); ++p) {
            const BufferPlane& plane = buffer.planes()[p];
            layout += (p ? "; " : "") + std::string{"o="} + std::to_string(plane.offset) + " p=" + std::to_string(plane.stride);
            ASSERT_TRUE(plane.fd.valid()) << what << " plane " << p;
            EXPECT_NE(fcntl(plane.fd.get(), F_GETFD), -1) << what << " plane " << p;
            EXPECT_TRUE(fcntl(plane.fd.get(), F_GETFD) & FD_CLOEXEC) << what << " plane " << p << " is not close-on-exec";
            if (p < info.plane_count && cap.pair.modifier.is_linear()) {  // memory plane p is format plane p
                EXPECT_GE(plane.stride, min_stride(info, static_cast<uint32_t>(p), width)) << what << " plane " << p;
            }
            if (gpu->dma_buf()) {
                EXPECT_EQ(fd_link(plane.fd.get()).rfind("/dmabuf:", 0), 0U) << what << " plane " << p << " is " << fd_link(plane.fd.get());
                const off_t size = lseek(plane.fd.get(), 0, SEEK_END);
                EXPECT_GE(static_cast<uint64_t>(size), plane.offset + plane.size) << what << " plane " << p << ": the dma-buf is too small";
            }
        }
        table.row(name(cap.pair.format), name(cap.pair.modifier), path_name(cap.per_plane_images)).layout = layout;
    }
    EXPECT_EQ(open_fd_count(), fds_before) << "fds leaked";
    if (!gpu->dma_buf()) std::printf("fds are OPAQUE_FD, not dma-bufs: %s\n", gpu->why_no_dma_buf.c_str());
}

TEST_F(Gpu, EveryPairReadBackThroughAnImportEqualsTheCpuPacker)
{
    size_t exact = 0, checked = 0;
    for (const AllocatorPair& entry : pairs_) {
        const vk::PairCapability& cap = *entry.cap;
        const std::string what = name(cap.pair.format) + " " + name(cap.pair.modifier) + " " + path_name(cap.per_plane_images);
        PairRow& row = table.row(name(cap.pair.format), name(cap.pair.modifier), path_name(cap.per_plane_images));
        if (!row.importable) {
            row.pixels = "not importable for TRANSFER_SRC";
            continue;
        }
        auto allocated = allocate(entry);
        ASSERT_TRUE(allocated.ok()) << what << ": " << allocated.error().message();
        row.pixels = round_trip(static_cast<const VulkanBuffer&>(**allocated), false);
        ++checked;
        if (row.pixels.rfind("exact", 0) == 0) {
            ++exact;
        } else {
            ADD_FAILURE() << what << ": " << row.pixels;
        }
    }
    std::printf("%zu of %zu pairs read back exact through an import\n", exact, checked);
    EXPECT_GT(checked, 0U);
}

TEST_F(Gpu, DisjointPlanesAreOneMemoryEachAndReadBackExact)
{
    size_t tried = 0;
    // Disjoint multi-planar images where the driver exports them; per-plane YUV images, which a
    // disjoint request gives one memory (and dma-buf) each.
    for (const vk::PairCapability& cap : upload_allocator_->capabilities().pairs) {
        if (!cap.disjoint && !(cap.per_plane_images && format_info(cap.pair.format)->plane_count > 1)) continue;
        const std::string what = name(cap.pair.format) + " " + name(cap.pair.modifier) + " disjoint";
        ++tried;
        auto allocated = allocate({&cap, upload_allocator_.get()}, true);
        ASSERT_TRUE(allocated.ok()) << what << ": " << allocated.error().message();
        const auto& buffer = static_cast<const VulkanBuffer&>(**allocated);
        EXPECT_EQ(buffer.memories().size(), buffer.planes().size()) << what << ": one memory per plane";
        PairRow& row = table.row(name(cap.pair.format), name(cap.pair.modifier), path_name(cap.per_plane_images));
        if (!cap.per_plane_images && !importable_for_read_back(*gpu->device, format_info(cap.pair.format)->vk_format,
                                                               cap.pair.modifier.value(), gpu->handle_type, true)) {
            row.disjoint_pixels = "not importable disjoint";
            continue;
        }
        row.disjoint_pixels = round_trip(buffer, !cap.per_plane_images);
        EXPECT_EQ(row.disjoint_pixels.rfind("exact", 0), 0U) << what << ": " << row.disjoint_pixels;
    }
    if (tried == 0) GTEST_SKIP() << "the driver exports no YUV format, neither with disjoint planes nor per plane";
}

// A plane offset binds the image into memory it does not own: honoured exactly, or refused with a
// reason where the driver requires dedicated allocations.
TEST_F(Gpu, APlaneOffsetIsHonouredOrRefusedWithTheReason)
{
    const vk::PairCapability* cap = allocator_->capabilities().find({DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear});
    if (!cap) GTEST_SKIP() << "XRGB8888 LINEAR is not exportable";
    auto allocated = allocate({cap, allocator_.get()}, false, 65536);
    if (!allocated) {
        EXPECT_NE(allocated.error().message().find("dedicated"), std::string::npos) << allocated.error().message();
        std::printf("plane offset refused: %s\n", allocated.error().message().c_str());
        return;
    }
    const auto& buffer = static_cast<const VulkanBuffer&>(**allocated);
    EXPECT_EQ(buffer.planes()[0].offset, 65536U);
    const std::string pixels = round_trip(buffer, false);
    std::printf("XRGB8888 LINEAR at plane offset 65536: %s\n", pixels.c_str());
    EXPECT_EQ(pixels.rfind("exact", 0), 0U) << pixels;
}

// Dedicated allocations: where the driver requires one (VkMemoryDedicatedRequirements), every
// allocation path gives one; the validation layer reports any that does not
// (VUID-vkBindImageMemory-image-01445), and this fixture fails on any validation error.
TEST_F(Gpu, TheDriversDedicatedAllocationRequirementsAreMetOnEveryPath)
{
    size_t requiring = 0;
    for (const AllocatorPair& entry : pairs_) {
        const vk::PairCapability& cap = *entry.cap;
        auto allocated = allocate(entry);
        ASSERT_TRUE(allocated.ok()) << allocated.error().message();
        const auto& buffer = static_cast<const VulkanBuffer&>(**allocated);
        for (const VulkanImagePart& part : buffer.parts()) {
            VkMemoryDedicatedRequirements ded{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
            VkMemoryRequirements2 req{.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &ded};
            const VkImageMemoryRequirementsInfo2 info{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2, .image = part.image};
            vkGetImageMemoryRequirements2(gpu->device->handle(), &info, &req);
            if (!ded.requiresDedicatedAllocation) continue;
            ++requiring;
            ASSERT_EQ(buffer.memories().size(), buffer.memory_records().size());
            bool any_dedicated = false;
            for (const auto& rec : buffer.memory_records()) any_dedicated = any_dedicated || rec.dedicated;
            EXPECT_TRUE(any_dedicated) << name(cap.pair.format) << " " << name(cap.pair.modifier)
                                       << ": the image requires a dedicated allocation and got none";
        }
    }
    std::printf("%zu images required a dedicated allocation\n", requiring);
}

// GBM on the GPU's own render node, its bos imported into the Vulkan device and filled there: the
// allocator dmafeed falls back to when a compositor refuses Vulkan's buffers.
TEST_F(Gpu, GbmOnTheGpusRenderNodeIsImportedIntoVulkanAndFilled)
{
    const auto& info = gpu->device->info();
    if (!info.render_node) {
        GTEST_SKIP() << "the driver reports no DRM render node (VK_EXT_physical_device_drm), so there is no node to open GBM on";
    }
    if (!gpu->dma_buf()) GTEST_SKIP() << "GBM's bos are dma-bufs, which this driver cannot import: " << gpu->why_no_dma_buf;
    auto gbm = GbmAllocator::create({.node = {}, .device = *info.render_node, .vulkan = gpu->device.get(), .usage = usage});
    if (!gbm) GTEST_SKIP() << "no GBM backend for the render node: " << gbm.error().message();
    const DrmFormat xrgb{DRM_FORMAT_XRGB8888};
    const auto modifiers = allocator_->supported().modifiers_for(xrgb);
    ASSERT_FALSE(modifiers.empty());
    auto allocated = (*gbm)->allocate({.format = xrgb, .width = width, .height = height, .modifiers = modifiers});
    ASSERT_TRUE(allocated.ok()) << allocated.error().message();
    const auto& buffer = static_cast<const GbmBuffer&>(**allocated);
    ASSERT_EQ(buffer.fill_path(), FillPath::vulkan) << buffer.fill_path_reason();
    const Reference ref = reference(buffer);
    std::vector<PlanePixels> planes;
    for (size_t p = 0; p < ref.planes.size(); ++p) planes.push_back({ref.planes[p], ref.row_bytes[p]});
    auto regions = buffer.upload_regions(planes);
    ASSERT_TRUE(regions.ok()) << regions.error().message();
    ASSERT_TRUE(uploader_->upload(*regions).ok());
    std::printf("GBM bo on the render node: modifier %s, imported: %s\n", name(buffer.modifier()).c_str(),
                buffer.fill_path_reason().c_str());
}

// The library's Vulkan-host path, as a media pipeline uses it: a host clears a frame's image with
// its own commands on the producer's device and queues it; the buffer that reaches the compositor
// (the in-process test compositor: no display is needed) is imported as a compositor would and
// read back, every pixel the host's colour.
TEST_F(Gpu, TheLibrarysVulkanHostClearsAFrameAndTheCompositorsImportReadsItBack)
{
    if (!gpu->dma_buf()) GTEST_SKIP() << "the library hands its buffers over as dma-bufs: " << gpu->why_no_dma_buf;
    const DrmFormat xrgb{DRM_FORMAT_XRGB8888};
    FormatSet offered;
    for (const DrmModifier m : allocator_->supported().modifiers_for(xrgb)) offered.add(xrgb, m);
    test::Config comp_config;
    comp_config.dmabuf_version = 3;  // modifier events only: no main device, the library picks the GPU
    comp_config.formats = offered;
    comp_config.width = static_cast<int32_t>(width);
    comp_config.height = static_cast<int32_t>(height);
    auto compositor = TestCompositor::create(comp_config);
    ASSERT_TRUE(compositor.ok()) << compositor.error().message();

    dmafeed::Config config;
    config.display = (*compositor)->socket_name();
    config.allocator = dmafeed::AllocatorKind::vulkan;
    config.width = width;
    config.height = height;
    std::string error;
    auto producer = dmafeed::Producer::create(config, &error);
    ASSERT_NE(producer, nullptr) << error;
    dmafeed::Frame* frame = producer->acquire(5000, &error);
    ASSERT_NE(frame, nullptr) << error;
    ASSERT_NE(frame->vulkan, nullptr);
    ASSERT_EQ(frame->image_count, 1U);
    const dmafeed::VulkanDevice& vk = *frame->vulkan;

    // The host: its own pool, command buffer and fence on the producer's device and queue.
    VkCommandPool pool = VK_NULL_HANDLE;
    const VkCommandPoolCreateInfo pci{.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, .queueFamilyIndex = vk.queue_family_index};
    ASSERT_EQ(vkCreateCommandPool(vk.device, &pci, nullptr, &pool), VK_SUCCESS);
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    const VkCommandBufferAllocateInfo cai{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = pool,
                                          .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1};
    ASSERT_EQ(vkAllocateCommandBuffers(vk.device, &cai, &cmd), VK_SUCCESS);
    const VkCommandBufferBeginInfo begin{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                         .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    ASSERT_EQ(vkBeginCommandBuffer(cmd, &begin), VK_SUCCESS);
    const VkImageSubresourceRange range{.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT, .levelCount = 1, .layerCount = 1};
    const VkImage image = frame->image[0];
    const VkImageMemoryBarrier to_dst{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                      .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                      .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                      .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                      .image = image,
                                      .subresourceRange = range};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0, nullptr, 1, &to_dst);
    const VkClearColorValue colour{.float32 = {0x61 / 255.0F, 0x07 / 255.0F, 0xc8 / 255.0F, 1.0F}};
    vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
    const VkImageMemoryBarrier release{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                       .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                       .oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                       .newLayout = VK_IMAGE_LAYOUT_GENERAL,
                                       .srcQueueFamilyIndex = vk.queue_family_index,
                                       .dstQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
                                       .image = image,
                                       .subresourceRange = range};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, nullptr, 0, nullptr, 1,
                         &release);
    ASSERT_EQ(vkEndCommandBuffer(cmd), VK_SUCCESS);
    const VkSubmitInfo submit{.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    ASSERT_EQ(vkQueueSubmit(vk.queue, 1, &submit, VK_NULL_HANDLE), VK_SUCCESS);
    ASSERT_EQ(vkQueueWaitIdle(vk.queue), VK_SUCCESS);
    vkDestroyCommandPool(vk.device, pool, nullptr);
    ASSERT_TRUE(producer->queue(*frame, 0, &error)) << error;

    ASSERT_TRUE((*compositor)->wait_until([](const Records& r) {
        return std::any_of(r.commits.begin(), r.commits.end(), [](const CommitRecord& c) { return c.buffer != 0; });
    })) << "no commit with a buffer reached the compositor";
    const auto serial = (*compositor)->last_committed_buffer();
    ASSERT_TRUE(serial.has_value());
    const Records records = (*compositor)->records();
    const BufferRecord& buffer = records.buffers[*serial - 1];
    ASSERT_EQ(buffer.planes.size(), 1U);
    const PlaneRecord& plane = buffer.planes[0];
    ASSERT_TRUE(plane.fd && plane.fd->valid());
    auto got = read_back_dma_buf(*gpu, xrgb, width, height, plane.modifier,
                                 {.fd = plane.fd->get(), .offset = plane.offset, .stride = plane.stride});
    ASSERT_TRUE(got.ok()) << got.error().message();
    size_t wrong = 0;
    for (size_t i = 0; i + 3 < got->bytes.size(); i += 4) {
        if (got->bytes[i] != 0xc8 || got->bytes[i + 1] != 0x07 || got->bytes[i + 2] != 0x61) ++wrong;
    }
    EXPECT_EQ(wrong, 0U) << "of " << got->bytes.size() / 4 << " pixels (modifier " << name(plane.modifier) << ")";
    std::printf("library: %s; %zu pixels read back through the compositor's import\n", producer->describe().c_str(),
                got->bytes.size() / 4);
}

}  // namespace
}  // namespace dmafeed::test

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    auto ctx = dmafeed::test::GpuContext::open();
    if (!ctx) {
        std::printf("SKIP: %s\n", ctx.error().message().c_str());
        return 77;
    }
    dmafeed::test::gpu = ctx->get();
    std::printf("%s\n", dmafeed::test::gpu->summary.c_str());
    const int status = RUN_ALL_TESTS();
    const std::string md = dmafeed::test::table.markdown("### " + dmafeed::test::gpu->device->info().name + " (" +
                                                         dmafeed::test::gpu->device->info().driver + ")");
    std::printf("\n%s", md.c_str());
    if (const char* report = std::getenv("DMAFEED_GPU_REPORT")) {
        std::ofstream{report} << dmafeed::test::gpu->summary << "\n\n" << md;
    }
    const auto errors = dmafeed::test::gpu->validation_errors();
    std::printf("validation errors: %zu\n", errors.size());
    dmafeed::test::gpu = nullptr;
    ctx->reset();
    return status;
}

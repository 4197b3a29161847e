// dmafeed-conform's capturers (tools/conform/capture.hpp) against the test compositor's output: a
// client shows a known picture (a memfd dma-buf or a wl_shm buffer), and each capture protocol must
// give the output back exactly: the picture at (output_content_x, output_content_y), the background
// everywhere else. Also: which protocol is chosen, the errors that name what is missing or what
// failed, a resized output, Y_INVERT, and no file left open in this process.
#include "dmabuf_client.hpp"
#include "test_compositor.hpp"

#include "conform/capture.hpp"
#include "fd_count.hpp"

#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using conform::CaptureMethod;
using conform::Capturer;
using pixels::Rgb;
using pixels::RgbImage;

constexpr int32_t output_width = 64;
constexpr int32_t output_height = 48;
constexpr int32_t picture_width = 16;
constexpr int32_t picture_height = 10;

// The known picture: no two pixels alike, no pixel like the background.
Rgb picture(int32_t x, int32_t y)
{
    return {static_cast<uint8_t>(40 + x * 9), static_cast<uint8_t>(30 + y * 11),
            static_cast<uint8_t>(200 - x * 3 - y * 5)};
}

Rgb background(const Config& config)
{
    const uint32_t c = config.capture.background;
    return {static_cast<uint8_t>(c >> 16U), static_cast<uint8_t>(c >> 8U), static_cast<uint8_t>(c)};
}

// The bytes of the picture in a 32-bit RGB format (XBGR8888 and ABGR8888: R, G, B, A in memory; XRGB8888
// and ARGB8888: B, G, R, A), rows of width * 4 bytes.
std::function<uint8_t(size_t)> picture_bytes(uint32_t format)
{
    const bool red_first = format == DRM_FORMAT_XBGR8888 || format == DRM_FORMAT_ABGR8888;
    return [red_first](size_t i) -> uint8_t {
        const auto pixel = static_cast<int32_t>(i / 4);
        const Rgb c = picture(pixel % picture_width, pixel / picture_width);
        switch (i % 4) {
        case 0: return red_first ? c.r : c.b;
        case 1: return c.g;
        case 2: return red_first ? c.b : c.r;
        default: return 0xff;
        }
    };
}

// What is wrong with a capture of the output ("" when nothing): its size, then the first pixels
// that differ from the picture at its place or from the background elsewhere.
std::string output_differences(const RgbImage& got, const Config& config, int32_t width, int32_t height)
{
    if (got.width != static_cast<uint32_t>(width) || got.height != static_cast<uint32_t>(height)) {
        return "captured " + std::to_string(got.width) + "x" + std::to_string(got.height) + ", the output is " +
               std::to_string(width) + "x" + std::to_string(height);
    }
    std::string out;
    int wrong = 0;
    for (int32_t y = 0; y < height; ++y) {
        for (int32_t x = 0; x < width; ++x) {
            const int32_t px = x - output_content_x, py = y - output_content_y;
            const bool inside = px >= 0 && py >= 0 && px < picture_width && py < picture_height;
            const Rgb want = inside ? picture(px, py) : background(config);
            const Rgb have = got.at(static_cast<uint32_t>(x), static_cast<uint32_t>(y));
            if (have == want) continue;
            if (++wrong <= 5) {
                out += "(" + std::to_string(x) + "," + std::to_string(y) + "): " + std::to_string(have.r) + "," +
                       std::to_string(have.g) + "," + std::to_string(have.b) + " instead of " + std::to_string(want.r) +
                       "," + std::to_string(want.g) + "," + std::to_string(want.b) + "\n";
            }
        }
    }
    return wrong ? out + std::to_string(wrong) + " pixels differ" : "";
}

// A client of its own that shows the picture on a surface and keeps it there.
class PictureClient {
public:
    explicit PictureClient(TestCompositor& compositor) : client_{WaylandClient::connect(compositor)}
    {
        if (!client_) return;
        compositor_ = client_->bind<wl_compositor>(&wl_compositor_interface, 4);
        surface_.reset(wl_compositor_create_surface(compositor_.get()));
    }

    // A LINEAR memfd standing in for a dma-buf.
    bool show_dmabuf(uint32_t format)
    {
        auto dmabuf = client_->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, 4);
        if (!dmabuf) return false;
        UniqueFd fd = make_memfd(size_t{picture_width} * picture_height * 4, picture_bytes(format));
        ParamsObject params{dmabuf.get()};
        params.add(fd.get(), 0, 0, picture_width * 4, DRM_FORMAT_MOD_LINEAR);
        params.create_immed(picture_width, picture_height, format);
        buffer_ = std::move(params.buffer);
        return show();
    }

    // A wl_shm buffer 64 bytes into its pool, with a stride wider than its rows.
    bool show_shm(uint32_t shm_format, uint32_t fourcc)
    {
        auto shm = client_->bind<wl_shm>(&wl_shm_interface, 1);
        if (!shm) return false;
        constexpr int32_t offset = 64, stride = picture_width * 4 + 32;
        const auto rows = picture_bytes(fourcc);
        const size_t size = offset + size_t{stride} * picture_height;
        UniqueFd fd = make_memfd(size, [&](size_t i) -> uint8_t {
            if (i < offset || (i - offset) % stride >= picture_width * 4) return 0x55;
            const size_t row = (i - offset) / stride, column = (i - offset) % stride;
            return rows(row * picture_width * 4 + column);
        });
        Ptr<wl_shm_pool> pool{wl_shm_create_pool(shm.get(), fd.get(), static_cast<int32_t>(size))};
        buffer_.reset(wl_shm_pool_create_buffer(pool.get(), offset, picture_width, picture_height, stride, shm_format));
        return show();
    }

    explicit operator bool() const { return client_ && surface_; }

private:
    bool show()
    {
        wl_surface_attach(surface_.get(), buffer_.get(), 0, 0);
        wl_surface_damage_buffer(surface_.get(), 0, 0, INT32_MAX, INT32_MAX);
        wl_surface_commit(surface_.get());
        return client_->roundtrip();
    }

    std::unique_ptr<WaylandClient> client_;
    Ptr<wl_compositor> compositor_;
    Ptr<wl_surface> surface_;
    Ptr<wl_buffer> buffer_;
};

Config capture_config(const CaptureConfig& capture)
{
    Config config;
    config.output_width = output_width;
    config.output_height = output_height;
    config.shm = true;
    config.capture = capture;
    config.keep_plane_fds = false;  // so that the fd count can return to its baseline
    return config;
}

std::unique_ptr<TestCompositor> start(const Config& config)
{
    auto c = TestCompositor::create(config);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
    return c.ok() ? std::move(*c) : nullptr;
}

Result<std::unique_ptr<Capturer>> capturer_for(const TestCompositor& c, CaptureMethod method = CaptureMethod::automatic)
{
    return Capturer::create(c.socket_name(), 2000ms, method);
}

std::vector<std::string> capture_outcomes(const TestCompositor& c)
{
    std::vector<std::string> out;
    for (const CaptureRecord& r : c.records().captures) out.push_back(r.outcome);
    return out;
}

// --- every protocol ---------------------------------------------------------------------------------------

struct Protocol {
    const char* name;
    CaptureConfig capture;
    CaptureMethod method;
    std::string method_prefix;  // of Capturer::method()
    std::string failure;        // in the error of a capture that fails
    std::string success;        // CaptureRecord::outcome of one that works
};

void PrintTo(const Protocol& protocol, std::ostream* out)
{
    *out << protocol.name;
}

std::vector<Protocol> protocols()
{
    std::vector<Protocol> all{
        {"ext", {.image_copy = true}, CaptureMethod::ext_image_copy,
         "ext-image-copy-capture-v1 (output, wl_shm XRGB8888)", "ext_image_copy_capture_frame_v1 failed (reason unknown)",
         "ready"},
        {"wlr_v3", {.screencopy_version = 3}, CaptureMethod::wlr_screencopy,
         "zwlr_screencopy_manager_v1 v3 (output, wl_shm XRGB8888)", "zwlr_screencopy_frame_v1 failed", "ready"},
        {"wlr_v2", {.screencopy_version = 2}, CaptureMethod::wlr_screencopy,
         "zwlr_screencopy_manager_v1 v2 (output, wl_shm XRGB8888)", "zwlr_screencopy_frame_v1 failed", "ready"},
        {"wlr_v1", {.screencopy_version = 1}, CaptureMethod::wlr_screencopy,
         "zwlr_screencopy_manager_v1 v1 (output, wl_shm XRGB8888)", "zwlr_screencopy_frame_v1 failed", "ready"},
    };
#if DMAFEED_HAVE_WESTON_CAPTURE
    all.push_back({"weston", {.weston = true}, CaptureMethod::weston, "weston_capture_v1 (framebuffer)",
                   "weston_capture_v1 failed: injected capture failure", "complete"});
#endif
    return all;
}

class EveryProtocol : public ::testing::TestWithParam<Protocol> {
protected:
    void SetUp() override
    {
        config_ = capture_config(GetParam().capture);
        compositor_ = start(config_);
        ASSERT_TRUE(compositor_);
        client_ = std::make_unique<PictureClient>(*compositor_);
        ASSERT_TRUE(*client_);
    }

    Config config_;
    std::unique_ptr<TestCompositor> compositor_;
    std::unique_ptr<PictureClient> client_;
};

TEST_P(EveryProtocol, ReadsADmabufPictureOnTheBackground)
{
    ASSERT_TRUE(client_->show_dmabuf(DRM_FORMAT_XRGB8888));
    auto capturer = capturer_for(*compositor_);
    ASSERT_TRUE(capturer.ok()) << capturer.error().message();
    EXPECT_EQ((*capturer)->method(), GetParam().method_prefix);
    auto image = (*capturer)->capture();
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(output_differences(*image, config_, output_width, output_height), "");

    const auto captures = compositor_->records().captures;
    ASSERT_EQ(captures.size(), 1U);
    EXPECT_EQ(captures[0].outcome, GetParam().success);
    if (GetParam().method == CaptureMethod::wlr_screencopy) {
        EXPECT_EQ(captures[0].overlay_cursor, 0);
    }
    if (GetParam().method == CaptureMethod::ext_image_copy) {
        EXPECT_EQ(captures[0].options, 0U);
        EXPECT_EQ(captures[0].damage, (std::vector<Rect>{{0, 0, output_width, output_height}}));
    }
}

// XBGR8888 has the other byte order; the wl_shm buffer sits at an offset into its pool, with padded rows.
TEST_P(EveryProtocol, ReadsAWlShmPicture)
{
    ASSERT_TRUE(client_->show_shm(WL_SHM_FORMAT_XBGR8888, DRM_FORMAT_XBGR8888));
    auto capturer = capturer_for(*compositor_, GetParam().method);
    ASSERT_TRUE(capturer.ok()) << capturer.error().message();
    auto image = (*capturer)->capture();
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(output_differences(*image, config_, output_width, output_height), "");
    // Again, in the same buffer's place: the capturer is reusable.
    image = (*capturer)->capture();
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(output_differences(*image, config_, output_width, output_height), "");
}

TEST_P(EveryProtocol, CapturesInTheOtherByteOrderWhenThatIsWhatIsOffered)
{
    compositor_.reset();
    config_.capture.formats = {DrmFormat{DRM_FORMAT_ABGR8888}};
    compositor_ = start(config_);
    ASSERT_TRUE(compositor_);
    client_ = std::make_unique<PictureClient>(*compositor_);
    ASSERT_TRUE(client_->show_dmabuf(DRM_FORMAT_XRGB8888));
    auto capturer = capturer_for(*compositor_);
    ASSERT_TRUE(capturer.ok()) << capturer.error().message();
    if (GetParam().method != CaptureMethod::weston) {
        EXPECT_NE((*capturer)->method().find("wl_shm ABGR8888"), std::string::npos) << (*capturer)->method();
    }
    auto image = (*capturer)->capture();
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(output_differences(*image, config_, output_width, output_height), "");
}

TEST_P(EveryProtocol, FollowsAResizedOutput)
{
    ASSERT_TRUE(client_->show_dmabuf(DRM_FORMAT_XRGB8888));
    auto capturer = capturer_for(*compositor_);
    ASSERT_TRUE(capturer.ok()) << capturer.error().message();
    compositor_->set_output_size(80, 60);
    auto image = (*capturer)->capture();
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(output_differences(*image, config_, 80, 60), "");
    if (GetParam().method == CaptureMethod::ext_image_copy) {
        // The session's constraints changed under the frame's buffer: failed, then a new buffer.
        EXPECT_EQ(capture_outcomes(*compositor_), (std::vector<std::string>{"failed buffer_constraints", "ready"}));
    }
}

TEST_P(EveryProtocol, AFailedCaptureGivesTheCompositorsReason)
{
    ASSERT_TRUE(client_->show_dmabuf(DRM_FORMAT_XRGB8888));
    auto capturer = capturer_for(*compositor_);
    ASSERT_TRUE(capturer.ok()) << capturer.error().message();
    compositor_->set_capture_fault(CaptureFault::failed);
    const auto begun = std::chrono::steady_clock::now();
    auto image = (*capturer)->capture();
    ASSERT_FALSE(image.ok());
    EXPECT_NE(image.error().message().find(GetParam().failure), std::string::npos) << image.error().message();
    EXPECT_LT(std::chrono::steady_clock::now() - begun, 1s) << "a failure is not waited out";
    EXPECT_EQ(capture_outcomes(*compositor_), std::vector<std::string>{"failed"});

    compositor_->set_capture_fault(CaptureFault::none);
    image = (*capturer)->capture();
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(output_differences(*image, config_, output_width, output_height), "");
}

TEST_P(EveryProtocol, LeavesNoFileOpenInThisProcess)
{
    ASSERT_TRUE(client_->show_dmabuf(DRM_FORMAT_XRGB8888));
    const int before = open_fd_count();
    {
        auto capturer = capturer_for(*compositor_);
        ASSERT_TRUE(capturer.ok()) << capturer.error().message();
        for (int i = 0; i < 2; ++i) {
            auto image = (*capturer)->capture();
            ASSERT_TRUE(image.ok()) << image.error().message();
        }
    }
    // The compositor closes its copies of the capturer's fds as it handles the disconnect.
    EXPECT_TRUE(compositor_->wait_until([](const Records& r) { return r.clients_connected == 1; }));
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (open_fd_count() > before && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    EXPECT_LE(open_fd_count(), before) << open_fd_list();
}

INSTANTIATE_TEST_SUITE_P(Capture, EveryProtocol, ::testing::ValuesIn(protocols()),
                         [](const ::testing::TestParamInfo<Protocol>& param) { return std::string{param.param.name}; });

// --- one protocol's own behaviour ------------------------------------------------------------------------

// A compositor with `capture`, the picture shown, one capture: the capturer's method() and what
// differs from the output expected ("" when nothing), or an error.
std::string show_and_capture(const CaptureConfig& capture)
{
    const Config config = capture_config(capture);
    auto c = start(config);
    if (!c) return "no compositor";
    PictureClient client{*c};
    if (!client.show_dmabuf(DRM_FORMAT_XRGB8888)) return "the picture was not shown";
    auto capturer = capturer_for(*c);
    if (!capturer) return "error: " + capturer.error().message();
    auto image = (*capturer)->capture();
    if (!image) return "error: " + image.error().message();
    return (*capturer)->method() + "\n" + output_differences(*image, config, output_width, output_height);
}

TEST(Screencopy, YInvertedRowsAreTurnedBack)
{
    EXPECT_EQ(show_and_capture({.screencopy_version = 1, .y_invert = true}),
              "zwlr_screencopy_manager_v1 v1 (output, wl_shm XRGB8888)\n");
    EXPECT_EQ(show_and_capture({.screencopy_version = 3, .y_invert = true}),
              "zwlr_screencopy_manager_v1 v3 (output, wl_shm XRGB8888)\n");
}

// Formats it cannot read are passed over: the first of XRGB8888, ARGB8888, XBGR8888, ABGR8888 offered.
TEST(CaptureFormats, TheFirstReadableFormatIsPicked)
{
    const std::vector<DrmFormat> formats{DrmFormat{DRM_FORMAT_RGB565}, DrmFormat{DRM_FORMAT_ABGR8888},
                                         DrmFormat{DRM_FORMAT_XBGR8888}};
    EXPECT_EQ(show_and_capture({.image_copy = true, .formats = formats}),
              "ext-image-copy-capture-v1 (output, wl_shm XBGR8888)\n");
    EXPECT_EQ(show_and_capture({.screencopy_version = 3, .formats = formats}),
              "zwlr_screencopy_manager_v1 v3 (output, wl_shm XBGR8888)\n");
}

TEST(CaptureFormats, NoReadableFormatIsAnErrorNamingWhatWasOffered)
{
    const std::vector<DrmFormat> formats{DrmFormat{DRM_FORMAT_RGB565}};
    for (const CaptureConfig& capture : {CaptureConfig{.image_copy = true, .formats = formats},
                                         CaptureConfig{.screencopy_version = 3, .formats = formats}}) {
        auto c = start(capture_config(capture));
        ASSERT_TRUE(c);
        auto capturer = capturer_for(*c);
        ASSERT_FALSE(capturer.ok());
        const std::string message = capturer.error().message();
        EXPECT_EQ(message.rfind("none (", 0), 0U) << message;
        EXPECT_NE(message.find("offers wl_shm RGB565, which dmafeed-conform does not read"), std::string::npos)
            << message;
    }
}

TEST(ImageCopy, AStoppedSessionIsNamedAndStaysStopped)
{
    auto c = start(capture_config({.image_copy = true, .fault = CaptureFault::stopped}));
    ASSERT_TRUE(c);
    auto capturer = capturer_for(*c);
    ASSERT_TRUE(capturer.ok()) << capturer.error().message();
    for (int i = 0; i < 2; ++i) {
        auto image = (*capturer)->capture();
        ASSERT_FALSE(image.ok());
        const std::string message = image.error().message();
        EXPECT_NE(message.find("ext_image_copy_capture_session_v1 of the output stopped"), std::string::npos) << message;
    }
    // The second attempt asked for no frame: the session is gone.
    EXPECT_EQ(capture_outcomes(*c), std::vector<std::string>{"failed stopped"});
}

// --- which one ------------------------------------------------------------------------------------------------

std::string method_of(const CaptureConfig& capture, CaptureMethod method = CaptureMethod::automatic)
{
    auto c = start(capture_config(capture));
    if (!c) return "no compositor";
    auto capturer = capturer_for(*c, method);
    return capturer.ok() ? (*capturer)->method() : "error: " + capturer.error().message();
}

TEST(CaptureChoice, AutoTakesExtThenWlrThenWeston)
{
#if DMAFEED_HAVE_WESTON_CAPTURE
    const bool weston = true;
#else
    const bool weston = false;
#endif
    EXPECT_EQ(method_of({.screencopy_version = 3, .image_copy = true, .weston = weston}),
              "ext-image-copy-capture-v1 (output, wl_shm XRGB8888)");
    EXPECT_EQ(method_of({.screencopy_version = 3, .weston = weston}), "zwlr_screencopy_manager_v1 v3 (output, wl_shm XRGB8888)");
    if (weston) {
        EXPECT_EQ(method_of({.weston = true}), "weston_capture_v1 (framebuffer)");
    }
}

TEST(CaptureChoice, AForcedMethodIsUsedWhereOthersComeFirst)
{
    EXPECT_EQ(method_of({.screencopy_version = 3, .image_copy = true}, CaptureMethod::wlr_screencopy),
              "zwlr_screencopy_manager_v1 v3 (output, wl_shm XRGB8888)");
#if DMAFEED_HAVE_WESTON_CAPTURE
    EXPECT_EQ(method_of({.screencopy_version = 3, .image_copy = true, .weston = true}, CaptureMethod::weston),
              "weston_capture_v1 (framebuffer)");
#endif
}

TEST(CaptureChoice, AForcedMethodThatIsNotOfferedIsNamed)
{
    EXPECT_EQ(method_of({.screencopy_version = 3}, CaptureMethod::ext_image_copy),
              "error: none (--capture ext-image-copy: the compositor does not offer ext_image_copy_capture_manager_v1, "
              "ext_output_image_capture_source_manager_v1)");
    EXPECT_EQ(method_of({.image_copy = true}, CaptureMethod::wlr_screencopy),
              "error: none (--capture wlr-screencopy: the compositor does not offer zwlr_screencopy_manager_v1)");
    EXPECT_EQ(method_of({.image_copy = true}, CaptureMethod::weston),
              "error: none (--capture weston: the compositor does not offer weston_capture_v1)");
}

TEST(CaptureChoice, NothingOfferedSaysSo)
{
    const std::string got = method_of({});
    EXPECT_EQ(got.rfind("error: none (the compositor offers no capture protocol", 0), 0U) << got;
}

TEST(CaptureChoice, WithoutWlShmTheErrorNamesIt)
{
    Config config = capture_config({.screencopy_version = 3});
    config.shm = false;
    auto c = start(config);
    ASSERT_TRUE(c);
    auto capturer = capturer_for(*c);
    ASSERT_FALSE(capturer.ok());
    EXPECT_NE(capturer.error().message().find("zwlr_screencopy_manager_v1 needs wl_shm"), std::string::npos)
        << capturer.error().message();
}

TEST(CaptureChoice, MethodNamesRoundTrip)
{
    for (CaptureMethod m : {CaptureMethod::automatic, CaptureMethod::ext_image_copy, CaptureMethod::wlr_screencopy,
                            CaptureMethod::weston}) {
        EXPECT_EQ(conform::parse_capture_method(conform::capture_method_name(m)), m);
    }
    EXPECT_EQ(conform::parse_capture_method("ext-image-copy"), CaptureMethod::ext_image_copy);
    EXPECT_EQ(conform::parse_capture_method("screencopy"), std::nullopt);
}

// --- the test compositor's wl_shm and wl_output ------------------------------------------------------------

TEST(TestCompositorShm, ABufferPastItsPoolIsAnError)
{
    auto c = start(capture_config({}));
    ASSERT_TRUE(c);
    auto client = WaylandClient::connect(*c);
    ASSERT_TRUE(client);
    EXPECT_EQ(client->global_version("wl_output"), 4U);
    auto shm = client->bind<wl_shm>(&wl_shm_interface, 1);
    ASSERT_TRUE(shm);
    UniqueFd fd = make_memfd(4096);
    Ptr<wl_shm_pool> pool{wl_shm_create_pool(shm.get(), fd.get(), 4096)};
    Ptr<wl_buffer> buffer{wl_shm_pool_create_buffer(pool.get(), 0, 32, 33, 128, WL_SHM_FORMAT_XRGB8888)};
    EXPECT_FALSE(client->roundtrip());
    const auto error = client->protocol_error();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->interface, "wl_shm_pool");
    EXPECT_EQ(error->code, static_cast<uint32_t>(WL_SHM_ERROR_INVALID_STRIDE));
}

}  // namespace
}  // namespace dmafeed::test

#include "capture.hpp"

#include "drm/format.hpp"
#include "util/unique_fd.hpp"

#include <drm_fourcc.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client-protocol.h>

#if DMAFEED_HAVE_WESTON_CAPTURE
#include "weston-output-capture-client-protocol.h"
#endif

namespace dmafeed::conform {
namespace {

#if DMAFEED_HAVE_WESTON_CAPTURE

class WestonCapturer final : public Capturer {
public:
    WestonCapturer(std::unique_ptr<wl::Connection> connection, std::unique_ptr<wl::Registry> registry,
                   std::chrono::milliseconds timeout)
        : connection_{std::move(connection)}, registry_{std::move(registry)}, timeout_{timeout}
    {
    }
    ~WestonCapturer() override
    {
        if (source_) weston_capture_source_v1_destroy(source_);
        if (capture_) weston_capture_v1_destroy(capture_);
        if (shm_) wl_shm_destroy(shm_);
        if (output_) wl_output_destroy(output_);
    }

    Result<void> bind()
    {
        auto capture = registry_->bind(weston_capture_v1_interface, 1, 1);
        if (!capture) return std::move(capture).error();
        capture_ = static_cast<weston_capture_v1*>(*capture);
        auto output = registry_->bind(wl_output_interface, 1, 1);
        if (!output) return std::move(output).error().context("weston_capture_v1 needs an output");
        output_ = static_cast<wl_output*>(*output);
        auto shm = registry_->bind(wl_shm_interface, 1, 1);
        if (!shm) return std::move(shm).error().context("weston_capture_v1 needs wl_shm");
        shm_ = static_cast<wl_shm*>(*shm);
        source_ = weston_capture_v1_create(capture_, output_, WESTON_CAPTURE_V1_SOURCE_FRAMEBUFFER);
        static const weston_capture_source_v1_listener listener{
            .format = [](void* data, weston_capture_source_v1*, uint32_t format) { static_cast<WestonCapturer*>(data)->format_ = format; },
            .size =
                [](void* data, weston_capture_source_v1*, int32_t width, int32_t height) {
                    auto* self = static_cast<WestonCapturer*>(data);
                    self->width_ = width;
                    self->height_ = height;
                },
            .complete = [](void* data, weston_capture_source_v1*) { static_cast<WestonCapturer*>(data)->state_ = State::complete; },
            .retry = [](void* data, weston_capture_source_v1*) { static_cast<WestonCapturer*>(data)->state_ = State::retry; },
            .failed =
                [](void* data, weston_capture_source_v1*, const char* msg) {
                    auto* self = static_cast<WestonCapturer*>(data);
                    self->state_ = State::failed;
                    self->failure_ = msg ? msg : "(no message)";
                },
        };
        weston_capture_source_v1_add_listener(source_, &listener, this);
        return connection_->roundtrip(timeout_);
    }

    std::string method() const override { return "weston_capture_v1 (framebuffer)"; }

    Result<sources::RgbImage> capture() override
    {
        for (int attempt = 0; attempt < 5; ++attempt) {
            if (auto ok = connection_->roundtrip(timeout_); !ok) return std::move(ok).error().context("capture");
            if (width_ <= 0 || height_ <= 0 || format_ == 0) {
                return Error{"weston_capture_v1 sent no output size or format"};
            }
            const bool bgr = format_ == DRM_FORMAT_XRGB8888 || format_ == DRM_FORMAT_ARGB8888;
            const bool rgb = format_ == DRM_FORMAT_XBGR8888 || format_ == DRM_FORMAT_ABGR8888;
            if (!bgr && !rgb) {
                return Error{"weston_capture_v1 captures in " + name(DrmFormat{format_}) +
                             ", which dmafeed-conform does not read (it reads XRGB8888, ARGB8888, XBGR8888, ABGR8888)"};
            }
            const auto stride = static_cast<uint32_t>(width_) * 4;
            const size_t size = size_t{stride} * static_cast<size_t>(height_);
            UniqueFd fd{memfd_create("dmafeed-conform-capture", MFD_CLOEXEC)};
            if (!fd || ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return Error::from_errno("capture buffer", errno);
            void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
            if (map == MAP_FAILED) return Error::from_errno("mmap of the capture buffer", errno);
            // wl_shm has its own codes for these two; the others are the fourcc.
            uint32_t shm_format = format_;
            if (format_ == DRM_FORMAT_XRGB8888) shm_format = WL_SHM_FORMAT_XRGB8888;
            if (format_ == DRM_FORMAT_ARGB8888) shm_format = WL_SHM_FORMAT_ARGB8888;
            wl_shm_pool* pool = wl_shm_create_pool(shm_, fd.get(), static_cast<int32_t>(size));
            wl_buffer* buffer = wl_shm_pool_create_buffer(pool, 0, width_, height_, static_cast<int32_t>(stride), shm_format);
            wl_shm_pool_destroy(pool);
            state_ = State::waiting;
            weston_capture_source_v1_capture(source_, buffer);
            const auto deadline = std::chrono::steady_clock::now() + timeout_;
            Result<void> ok{};
            while (state_ == State::waiting && std::chrono::steady_clock::now() < deadline) {
                ok = connection_->dispatch(std::chrono::milliseconds{100});
                if (!ok) break;
            }
            sources::RgbImage image;
            if (state_ == State::complete) {
                image.width = static_cast<uint32_t>(width_);
                image.height = static_cast<uint32_t>(height_);
                image.rgb.resize(size_t{image.width} * image.height * 3);
                const auto* px = static_cast<const uint8_t*>(map);
                for (size_t i = 0; i < size_t{image.width} * image.height; ++i) {
                    image.rgb[i * 3 + 0] = px[i * 4 + (bgr ? 2 : 0)];
                    image.rgb[i * 3 + 1] = px[i * 4 + 1];
                    image.rgb[i * 3 + 2] = px[i * 4 + (bgr ? 0 : 2)];
                }
            }
            wl_buffer_destroy(buffer);
            munmap(map, size);
            if (!ok) return std::move(ok).error().context("capture");
            switch (state_) {
            case State::complete: return image;
            case State::retry: continue;  // the output changed size or format: ask again
            case State::failed: return Error{"weston_capture_v1 failed: " + failure_};
            case State::waiting:
                return Error{"weston_capture_v1 did not answer within " + std::to_string(timeout_.count()) + " ms"};
            }
        }
        return Error{"weston_capture_v1 asked to retry 5 times"};
    }

private:
    enum class State { waiting, complete, retry, failed };
    std::unique_ptr<wl::Connection> connection_;
    std::unique_ptr<wl::Registry> registry_;
    std::chrono::milliseconds timeout_;
    weston_capture_v1* capture_ = nullptr;
    weston_capture_source_v1* source_ = nullptr;
    wl_output* output_ = nullptr;
    wl_shm* shm_ = nullptr;
    uint32_t format_ = 0;
    int32_t width_ = 0, height_ = 0;
    State state_ = State::waiting;
    std::string failure_;
};

#endif

}  // namespace

Result<std::unique_ptr<Capturer>> Capturer::create(const std::string& display, std::chrono::milliseconds timeout)
{
    auto connection = wl::Connection::connect(display.empty() ? nullptr : display.c_str());
    if (!connection) return std::move(connection).error();
    auto registry = wl::Registry::create(**connection, timeout);
    if (!registry) return std::move(registry).error();
    const bool weston = (*registry)->find("weston_capture_v1") != nullptr;
#if DMAFEED_HAVE_WESTON_CAPTURE
    if (weston) {
        auto capturer = std::make_unique<WestonCapturer>(std::move(connection).value(), std::move(registry).value(), timeout);
        if (auto ok = capturer->bind(); !ok) return std::move(ok).error().context("none (weston_capture_v1)");
        return std::unique_ptr<Capturer>{std::move(capturer)};
    }
#endif
    for (const char* other : {"weston_capture_v1", "ext_image_copy_capture_manager_v1", "zwlr_screencopy_manager_v1"}) {
        if ((*registry)->find(other)) {
            return Error{std::string{"none ("} + other + " is offered, which this build does not speak)"};
        }
    }
    (void)weston;
    return Error{"none (the compositor offers no capture protocol; weston offers weston_capture_v1 when started with --debug)"};
}

}  // namespace dmafeed::conform

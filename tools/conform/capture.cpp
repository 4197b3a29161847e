#include "capture.hpp"

#include "drm/format.hpp"
#include "util/unique_fd.hpp"
#include "wl/connection.hpp"
#include "wl/listener.hpp"
#include "wl/proxy.hpp"
#include "wl/registry.hpp"

#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <drm_fourcc.h>
#include <functional>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>
#include <wayland-client-protocol.h>

#if DMAFEED_HAVE_WESTON_CAPTURE
#include "weston-output-capture-client-protocol.h"
#endif

namespace dmafeed::conform {
namespace {

// --- formats ---------------------------------------------------------------------------------------

// The formats a capture is read in, most preferred first.
constexpr std::array<uint32_t, 4> readable_formats{DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888,
                                                   DRM_FORMAT_ABGR8888};
constexpr const char* readable_list = "XRGB8888, ARGB8888, XBGR8888, ABGR8888";

// wl_shm has codes of its own for two formats; the others are their fourcc.
uint32_t shm_code(DrmFormat format)
{
    if (format.fourcc() == DRM_FORMAT_XRGB8888) return WL_SHM_FORMAT_XRGB8888;
    if (format.fourcc() == DRM_FORMAT_ARGB8888) return WL_SHM_FORMAT_ARGB8888;
    return format.fourcc();
}

DrmFormat from_shm_code(uint32_t code)
{
    if (code == WL_SHM_FORMAT_XRGB8888) return DrmFormat{DRM_FORMAT_XRGB8888};
    if (code == WL_SHM_FORMAT_ARGB8888) return DrmFormat{DRM_FORMAT_ARGB8888};
    return DrmFormat{code};
}

bool readable(DrmFormat format)
{
    return std::find(readable_formats.begin(), readable_formats.end(), format.fourcc()) != readable_formats.end();
}

// The most preferred readable format among `offered`.
std::optional<DrmFormat> pick_format(const std::vector<DrmFormat>& offered)
{
    for (const uint32_t want : readable_formats) {
        if (std::find(offered.begin(), offered.end(), DrmFormat{want}) != offered.end()) return DrmFormat{want};
    }
    return std::nullopt;
}

std::string names(const std::vector<DrmFormat>& formats)
{
    std::string out;
    for (const DrmFormat f : formats) out += (out.empty() ? "" : ", ") + name(f);
    return out.empty() ? "none" : out;
}

Error unreadable(std::string_view who, const std::vector<DrmFormat>& offered)
{
    return Error{std::string{who} + " offers wl_shm " + names(offered) +
                 ", which dmafeed-conform does not read (it reads " + readable_list + ")"};
}

// --- one capture's buffer --------------------------------------------------------------------------

void release_output(wl_output* p)
{
    if (wl_output_get_version(p) >= WL_OUTPUT_RELEASE_SINCE_VERSION) {
        wl_output_release(p);
    } else {
        wl_output_destroy(p);
    }
}

// A wl_shm buffer for one capture: a memfd mapped here, and a wl_buffer on it (destroyed first).
class ShmBuffer {
public:
    struct Layout {
        DrmFormat format{DRM_FORMAT_XRGB8888};
        uint32_t width = 0, height = 0, stride = 0;
    };

    static Result<std::unique_ptr<ShmBuffer>> create(wl_shm* shm, const Layout& layout)
    {
        if (!readable(layout.format)) return Error{"cannot read a capture in " + name(layout.format)};
        if (layout.width == 0 || layout.height == 0 || layout.width > 16384 || layout.height > 16384 ||
            layout.stride < layout.width * 4 || layout.stride > 4 * 16384 + 4096) {
            return Error{"a capture buffer of " + std::to_string(layout.width) + "x" + std::to_string(layout.height) +
                         " with stride " + std::to_string(layout.stride) + " is out of range"};
        }
        const size_t size = size_t{layout.stride} * layout.height;
        UniqueFd fd{memfd_create("dmafeed-conform-capture", MFD_CLOEXEC)};
        if (!fd || ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
            return Error::from_errno("capture buffer", errno);
        }
        void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
        if (map == MAP_FAILED) return Error::from_errno("mmap of the capture buffer", errno);
        std::unique_ptr<ShmBuffer> buffer{new ShmBuffer{layout, std::move(fd), map, size}};
        const wl::ProxyPtr<wl_shm_pool, wl_shm_pool_destroy> pool{
            wl_shm_create_pool(shm, buffer->fd_.get(), static_cast<int32_t>(size))};
        buffer->buffer_.reset(wl_shm_pool_create_buffer(pool.get(), 0, static_cast<int32_t>(layout.width),
                                                        static_cast<int32_t>(layout.height),
                                                        static_cast<int32_t>(layout.stride), shm_code(layout.format)));
        return buffer;
    }
    ShmBuffer(const ShmBuffer&) = delete;
    ShmBuffer& operator=(const ShmBuffer&) = delete;
    ~ShmBuffer()
    {
        buffer_.reset();
        munmap(map_, size_);
    }

    wl_buffer* buffer() const noexcept { return buffer_.get(); }
    const Layout& layout() const noexcept { return layout_; }

    // The pixels as RGB. `y_invert`: the rows are stored bottom-up.
    pixels::RgbImage to_rgb(bool y_invert) const
    {
        // XRGB8888 and ARGB8888 are B, G, R, X in memory; XBGR8888 and ABGR8888 R, G, B, X.
        const uint32_t fourcc = layout_.format.fourcc();
        const bool bgr = fourcc == DRM_FORMAT_XRGB8888 || fourcc == DRM_FORMAT_ARGB8888;
        pixels::RgbImage image;
        image.width = layout_.width;
        image.height = layout_.height;
        image.rgb.resize(size_t{image.width} * image.height * 3);
        const auto* bytes = static_cast<const uint8_t*>(map_);
        for (uint32_t y = 0; y < image.height; ++y) {
            const uint8_t* row = bytes + size_t{layout_.stride} * (y_invert ? image.height - 1 - y : y);
            uint8_t* out = image.rgb.data() + size_t{y} * image.width * 3;
            for (uint32_t x = 0; x < image.width; ++x) {
                out[x * 3 + 0] = row[x * 4 + (bgr ? 2 : 0)];
                out[x * 3 + 1] = row[x * 4 + 1];
                out[x * 3 + 2] = row[x * 4 + (bgr ? 0 : 2)];
            }
        }
        return image;
    }

private:
    ShmBuffer(const Layout& layout, UniqueFd fd, void* map, size_t size)
        : layout_{layout}, fd_{std::move(fd)}, map_{map}, size_{size}
    {
    }
    Layout layout_;
    UniqueFd fd_;
    void* map_;
    size_t size_;
    wl::ProxyPtr<wl_buffer, wl_buffer_destroy> buffer_;
};

// --- what every capturer shares ----------------------------------------------------------------------

// A capturer's connection, the first wl_output and wl_shm. Subclasses bind their protocol's
// globals in set_up(); their proxies are members of their own, so they go before these.
class OutputCapturer : public Capturer {
public:
    OutputCapturer(std::unique_ptr<wl::Connection> connection, std::unique_ptr<wl::Registry> registry,
                   std::chrono::milliseconds timeout)
        : connection_{std::move(connection)}, registry_{std::move(registry)}, timeout_{timeout}
    {
    }
    virtual Result<void> set_up() = 0;

protected:
    // Binds `interface` (v1 up to `max_version`) into `proxy`.
    template <class T, void (*Destroy)(T*)>
    Result<void> bind(wl::ProxyPtr<T, Destroy>& proxy, const wl_interface& interface, uint32_t max_version)
    {
        auto bound = registry_->bind(interface, 1, max_version);
        if (!bound) return std::move(bound).error();
        proxy.reset(static_cast<T*>(*bound));
        return {};
    }

    Result<void> bind_output_and_shm(std::string_view protocol)
    {
        if (auto ok = bind(output_, wl_output_interface, 4); !ok) {
            return std::move(ok).error().context(std::string{protocol} + " needs an output");
        }
        if (auto ok = bind(shm_, wl_shm_interface, 1); !ok) {
            return std::move(ok).error().context(std::string{protocol} + " needs wl_shm");
        }
        return {};
    }

    Result<std::unique_ptr<ShmBuffer>> make_buffer(const ShmBuffer::Layout& layout)
    {
        return ShmBuffer::create(shm_.get(), layout);
    }

    // Dispatches until `done()` holds: false when the timeout passed first.
    Result<bool> dispatch_until(const std::function<bool()>& done)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout_;
        while (!done()) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            if (auto ok = connection_->dispatch(std::min(left, std::chrono::milliseconds{100})); !ok) {
                return std::move(ok).error();
            }
        }
        return true;
    }

    Error no_answer(std::string_view who) const
    {
        return Error{std::string{who} + " did not answer within " + std::to_string(timeout_.count()) + " ms"};
    }

    std::unique_ptr<wl::Connection> connection_;
    std::unique_ptr<wl::Registry> registry_;
    std::chrono::milliseconds timeout_;
    wl::ProxyPtr<wl_output, release_output> output_;
    wl::ProxyPtr<wl_shm, wl_shm_destroy> shm_;  // bound at v1, which has no release request
};

// --- ext-image-copy-capture-v1 -------------------------------------------------------------------------

constexpr const char* ext_name = "ext-image-copy-capture-v1";

class ImageCopyCapturer final : public OutputCapturer {
public:
    using OutputCapturer::OutputCapturer;

    Result<void> set_up() override
    {
        if (auto ok = bind(source_manager_, ext_output_image_capture_source_manager_v1_interface, 1); !ok) return ok;
        if (auto ok = bind(manager_, ext_image_copy_capture_manager_v1_interface, 1); !ok) return ok;
        if (auto ok = bind_output_and_shm(ext_name); !ok) return ok;
        source_.reset(ext_output_image_capture_source_manager_v1_create_source(source_manager_.get(), output_.get()));
        // Options 0: no EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS.
        session_.reset(ext_image_copy_capture_manager_v1_create_session(manager_.get(), source_.get(), 0));
        ext_image_copy_capture_session_v1_add_listener(session_.get(), &session_listener_, this);
        auto answered = dispatch_until([this] { return generation_ > 0 || stopped_; });
        if (!answered) return std::move(answered).error();
        if (!*answered) return no_answer("ext_image_copy_capture_session_v1 (its buffer constraints)");
        if (stopped_) return Error{"the ext_image_copy_capture_session_v1 of the output stopped at once"};
        return choose_format();
    }

    std::string method() const override { return std::string{ext_name} + " (output, wl_shm " + name(format_) + ")"; }

    Result<pixels::RgbImage> capture() override
    {
        for (int attempt = 0; attempt < 5; ++attempt) {
            if (stopped_) return stopped();
            if (auto ok = choose_format(); !ok) return std::move(ok).error();
            auto buffer = make_buffer({format_, constraints_.width, constraints_.height, constraints_.width * 4});
            if (!buffer) return std::move(buffer).error();
            const uint64_t generation = generation_;
            frame_state_ = FrameState{};
            frame_.reset(ext_image_copy_capture_session_v1_create_frame(session_.get()));
            ext_image_copy_capture_frame_v1_add_listener(frame_.get(), &frame_listener_, this);
            ext_image_copy_capture_frame_v1_attach_buffer(frame_.get(), (*buffer)->buffer());
            ext_image_copy_capture_frame_v1_damage_buffer(frame_.get(), 0, 0, static_cast<int32_t>(constraints_.width),
                                                          static_cast<int32_t>(constraints_.height));
            ext_image_copy_capture_frame_v1_capture(frame_.get());
            auto answered = dispatch_until([this] { return frame_state_.outcome != Outcome::waiting || stopped_; });
            frame_.reset();
            if (!answered) return std::move(answered).error().context("capture");
            switch (frame_state_.outcome) {
            case Outcome::waiting: return stopped_ ? stopped() : no_answer("ext_image_copy_capture_frame_v1");
            case Outcome::ready:
                if (frame_state_.transform != WL_OUTPUT_TRANSFORM_NORMAL) {
                    return Error{"ext_image_copy_capture_frame_v1 was captured with wl_output transform " +
                                 std::to_string(frame_state_.transform) +
                                 ", which dmafeed-conform does not undo (it reads untransformed outputs)"};
                }
                return (*buffer)->to_rgb(false);
            case Outcome::failed: break;
            }
            if (frame_state_.reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED) return stopped();
            if (frame_state_.reason != EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS) {
                return Error{"ext_image_copy_capture_frame_v1 failed (reason " + reason_name(frame_state_.reason) +
                             ")"};
            }
            // The buffer no longer fits: new constraints come (or came) before the failure; read them.
            auto updated = dispatch_until([&] { return generation_ != generation || stopped_; });
            if (!updated) return std::move(updated).error().context("capture");
            if (!*updated) {
                return Error{"ext_image_copy_capture_frame_v1 failed (reason buffer_constraints), and no new "
                             "constraints came within " + std::to_string(timeout_.count()) + " ms"};
            }
        }
        return Error{"ext_image_copy_capture_frame_v1 failed (reason buffer_constraints) 5 times in a row"};
    }

private:
    struct Constraints {
        uint32_t width = 0, height = 0;
        std::vector<DrmFormat> formats;  // wl_shm formats
    };
    enum class Outcome { waiting, ready, failed };
    struct FrameState {
        Outcome outcome = Outcome::waiting;
        uint32_t reason = 0;
        uint32_t transform = WL_OUTPUT_TRANSFORM_NORMAL;
    };

    // The format of the next buffer, from the latest constraints.
    Result<void> choose_format()
    {
        auto format = pick_format(constraints_.formats);
        if (!format) return unreadable("ext_image_copy_capture_session_v1", constraints_.formats);
        format_ = *format;
        return {};
    }

    static std::string reason_name(uint32_t reason)
    {
        switch (reason) {
        case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN: return "unknown";
        case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS: return "buffer_constraints";
        case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED: return "stopped";
        default: return std::to_string(reason);
        }
    }
    Error stopped() const
    {
        return Error{"the ext_image_copy_capture_session_v1 of the output stopped (the output is gone, or capture was "
                     "ended)"};
    }

    void handle_buffer_size(uint32_t width, uint32_t height) noexcept
    {
        pending_.width = width;
        pending_.height = height;
    }
    void handle_shm_format(uint32_t format) noexcept { pending_.formats.push_back(from_shm_code(format)); }
    void handle_done() noexcept
    {
        constraints_ = std::exchange(pending_, {});
        ++generation_;
    }
    void handle_stopped() noexcept { stopped_ = true; }
    void handle_transform(uint32_t transform) noexcept { frame_state_.transform = transform; }
    void handle_ready() noexcept { frame_state_.outcome = Outcome::ready; }
    void handle_failed(uint32_t reason) noexcept
    {
        frame_state_.outcome = Outcome::failed;
        frame_state_.reason = reason;
    }

    static constexpr ext_image_copy_capture_session_v1_listener session_listener_{
        .buffer_size = wl::on<&ImageCopyCapturer::handle_buffer_size>,
        .shm_format = wl::on<&ImageCopyCapturer::handle_shm_format>,
        .dmabuf_device = wl::ignore,
        .dmabuf_format = wl::ignore,
        .done = wl::on<&ImageCopyCapturer::handle_done>,
        .stopped = wl::on<&ImageCopyCapturer::handle_stopped>,
    };
    static constexpr ext_image_copy_capture_frame_v1_listener frame_listener_{
        .transform = wl::on<&ImageCopyCapturer::handle_transform>,
        .damage = wl::ignore,
        .presentation_time = wl::ignore,
        .ready = wl::on<&ImageCopyCapturer::handle_ready>,
        .failed = wl::on<&ImageCopyCapturer::handle_failed>,
    };

    wl::ProxyPtr<ext_output_image_capture_source_manager_v1, ext_output_image_capture_source_manager_v1_destroy>
        source_manager_;
    wl::ProxyPtr<ext_image_copy_capture_manager_v1, ext_image_copy_capture_manager_v1_destroy> manager_;
    wl::ProxyPtr<ext_image_capture_source_v1, ext_image_capture_source_v1_destroy> source_;
    wl::ProxyPtr<ext_image_copy_capture_session_v1, ext_image_copy_capture_session_v1_destroy> session_;
    wl::ProxyPtr<ext_image_copy_capture_frame_v1, ext_image_copy_capture_frame_v1_destroy> frame_;
    Constraints pending_, constraints_;
    uint64_t generation_ = 0;  // batches of constraints received
    bool stopped_ = false;
    FrameState frame_state_;
    DrmFormat format_{DRM_FORMAT_XRGB8888};
};

// --- zwlr_screencopy_manager_v1 --------------------------------------------------------------------------

class ScreencopyCapturer final : public OutputCapturer {
public:
    using OutputCapturer::OutputCapturer;

    Result<void> set_up() override
    {
        if (auto ok = bind(manager_, zwlr_screencopy_manager_v1_interface, 3); !ok) return ok;
        if (auto ok = bind_output_and_shm("zwlr_screencopy_manager_v1"); !ok) return ok;
        // A frame that is described and never copied tells the format (for method()) up front.
        auto layout = start_frame();
        frame_.reset();
        if (!layout) return std::move(layout).error();
        format_ = layout->format;
        return {};
    }

    std::string method() const override
    {
        return "zwlr_screencopy_manager_v1 v" + std::to_string(zwlr_screencopy_manager_v1_get_version(manager_.get())) +
               " (output, wl_shm " + name(format_) + ")";
    }

    Result<pixels::RgbImage> capture() override
    {
        auto layout = start_frame();
        if (!layout) {
            frame_.reset();
            return std::move(layout).error();
        }
        format_ = layout->format;
        auto buffer = make_buffer(*layout);
        if (!buffer) {
            frame_.reset();
            return std::move(buffer).error();
        }
        zwlr_screencopy_frame_v1_copy(frame_.get(), (*buffer)->buffer());
        auto answered = dispatch_until([this] { return state_.outcome != Outcome::waiting; });
        frame_.reset();
        if (!answered) return std::move(answered).error().context("capture");
        switch (state_.outcome) {
        case Outcome::waiting: return no_answer("zwlr_screencopy_frame_v1");
        case Outcome::failed: return failed();
        case Outcome::ready: break;
        }
        return (*buffer)->to_rgb((state_.flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT) != 0);
    }

private:
    enum class Outcome { waiting, ready, failed };
    struct FrameState {
        std::vector<ShmBuffer::Layout> offers;  // buffer events
        bool buffer_done = false;
        uint32_t flags = 0;
        Outcome outcome = Outcome::waiting;
    };

    static Error failed() { return Error{"zwlr_screencopy_frame_v1 failed (the protocol carries no reason)"}; }

    // A new frame of the output (left in frame_), once its wl_shm buffers are described: at v3
    // every one (buffer_done), before that the one buffer event. The layout of the readable one.
    Result<ShmBuffer::Layout> start_frame()
    {
        state_ = FrameState{};
        frame_.reset(zwlr_screencopy_manager_v1_capture_output(manager_.get(), 0 /* overlay_cursor */, output_.get()));
        zwlr_screencopy_frame_v1_add_listener(frame_.get(), &listener_, this);
        const bool v3 =
            zwlr_screencopy_frame_v1_get_version(frame_.get()) >= ZWLR_SCREENCOPY_FRAME_V1_BUFFER_DONE_SINCE_VERSION;
        auto described = dispatch_until(
            [&] { return state_.outcome != Outcome::waiting || (v3 ? state_.buffer_done : !state_.offers.empty()); });
        if (!described) return std::move(described).error();
        if (state_.outcome == Outcome::failed) return failed();
        if (!*described) return no_answer("zwlr_screencopy_frame_v1 (its buffer events)");
        std::vector<DrmFormat> formats;
        for (const ShmBuffer::Layout& offer : state_.offers) formats.push_back(offer.format);
        const auto format = pick_format(formats);
        if (!format) return unreadable("zwlr_screencopy_frame_v1", formats);
        return *std::find_if(state_.offers.begin(), state_.offers.end(),
                             [&](const ShmBuffer::Layout& offer) { return offer.format == *format; });
    }

    void handle_buffer(uint32_t format, uint32_t width, uint32_t height, uint32_t stride) noexcept
    {
        state_.offers.push_back({from_shm_code(format), width, height, stride});
    }
    void handle_flags(uint32_t flags) noexcept { state_.flags = flags; }
    void handle_ready(uint32_t, uint32_t, uint32_t) noexcept { state_.outcome = Outcome::ready; }
    void handle_failed() noexcept { state_.outcome = Outcome::failed; }
    void handle_buffer_done() noexcept { state_.buffer_done = true; }

    static constexpr zwlr_screencopy_frame_v1_listener listener_{
        .buffer = wl::on<&ScreencopyCapturer::handle_buffer>,
        .flags = wl::on<&ScreencopyCapturer::handle_flags>,
        .ready = wl::on<&ScreencopyCapturer::handle_ready>,
        .failed = wl::on<&ScreencopyCapturer::handle_failed>,
        .damage = wl::ignore,
        .linux_dmabuf = wl::ignore,
        .buffer_done = wl::on<&ScreencopyCapturer::handle_buffer_done>,
    };

    wl::ProxyPtr<zwlr_screencopy_manager_v1, zwlr_screencopy_manager_v1_destroy> manager_;
    wl::ProxyPtr<zwlr_screencopy_frame_v1, zwlr_screencopy_frame_v1_destroy> frame_;
    FrameState state_;
    DrmFormat format_{DRM_FORMAT_XRGB8888};
};

// --- weston_capture_v1 ---------------------------------------------------------------------------------

#if DMAFEED_HAVE_WESTON_CAPTURE

class WestonCapturer final : public OutputCapturer {
public:
    using OutputCapturer::OutputCapturer;

    Result<void> set_up() override
    {
        if (auto ok = bind(capture_, weston_capture_v1_interface, 1); !ok) return ok;
        if (auto ok = bind_output_and_shm("weston_capture_v1"); !ok) return ok;
        source_.reset(weston_capture_v1_create(capture_.get(), output_.get(), WESTON_CAPTURE_V1_SOURCE_FRAMEBUFFER));
        weston_capture_source_v1_add_listener(source_.get(), &listener_, this);
        return connection_->roundtrip(timeout_);
    }

    std::string method() const override { return "weston_capture_v1 (framebuffer)"; }

    Result<pixels::RgbImage> capture() override
    {
        for (int attempt = 0; attempt < 5; ++attempt) {
            if (auto ok = connection_->roundtrip(timeout_); !ok) return std::move(ok).error().context("capture");
            if (width_ <= 0 || height_ <= 0 || format_.is_invalid()) {
                return Error{"weston_capture_v1 sent no output size or format"};
            }
            if (!readable(format_)) {
                return Error{"weston_capture_v1 captures in " + name(format_) +
                             ", which dmafeed-conform does not read (it reads " + readable_list + ")"};
            }
            const auto width = static_cast<uint32_t>(width_), height = static_cast<uint32_t>(height_);
            auto buffer = make_buffer({format_, width, height, width * 4});
            if (!buffer) return std::move(buffer).error();
            state_ = State::waiting;
            weston_capture_source_v1_capture(source_.get(), (*buffer)->buffer());
            auto answered = dispatch_until([this] { return state_ != State::waiting; });
            if (!answered) return std::move(answered).error().context("capture");
            switch (state_) {
            case State::complete: return (*buffer)->to_rgb(false);
            case State::retry: continue;  // the output changed size or format: ask again
            case State::failed: return Error{"weston_capture_v1 failed: " + failure_};
            case State::waiting: return no_answer("weston_capture_v1");
            }
        }
        return Error{"weston_capture_v1 asked to retry 5 times"};
    }

private:
    enum class State { waiting, complete, retry, failed };

    void handle_format(uint32_t format) noexcept { format_ = DrmFormat{format}; }
    void handle_size(int32_t width, int32_t height) noexcept
    {
        width_ = width;
        height_ = height;
    }
    void handle_complete() noexcept { state_ = State::complete; }
    void handle_retry() noexcept { state_ = State::retry; }
    void handle_failed(const char* message) noexcept
    {
        state_ = State::failed;
        failure_ = message ? message : "(no message)";
    }

    static constexpr weston_capture_source_v1_listener listener_{
        .format = wl::on<&WestonCapturer::handle_format>,
        .size = wl::on<&WestonCapturer::handle_size>,
        .complete = wl::on<&WestonCapturer::handle_complete>,
        .retry = wl::on<&WestonCapturer::handle_retry>,
        .failed = wl::on<&WestonCapturer::handle_failed>,
    };

    wl::ProxyPtr<weston_capture_v1, weston_capture_v1_destroy> capture_;
    wl::ProxyPtr<weston_capture_source_v1, weston_capture_source_v1_destroy> source_;
    DrmFormat format_{0};
    int32_t width_ = 0, height_ = 0;
    State state_ = State::waiting;
    std::string failure_;
};

#endif

// --- choosing one ----------------------------------------------------------------------------------------

struct Candidate {
    CaptureMethod method;
    std::string_view option;                  // --capture's value
    std::vector<const char*> globals;         // all must be offered
    std::string_view protocol;                // for messages
};

const std::array<Candidate, 3>& candidates()  // in the order `automatic` tries them
{
    static const std::array<Candidate, 3> all{{
        {CaptureMethod::ext_image_copy, "ext-image-copy",
         {"ext_image_copy_capture_manager_v1", "ext_output_image_capture_source_manager_v1"}, ext_name},
        {CaptureMethod::wlr_screencopy, "wlr-screencopy", {"zwlr_screencopy_manager_v1"}, "zwlr_screencopy_manager_v1"},
        {CaptureMethod::weston, "weston", {"weston_capture_v1"}, "weston_capture_v1"},
    }};
    return all;
}

using Connected = std::pair<std::unique_ptr<wl::Connection>, std::unique_ptr<wl::Registry>>;

Result<Connected> connect(const std::string& display, std::chrono::milliseconds timeout)
{
    auto connection = wl::Connection::connect(display.empty() ? nullptr : display.c_str());
    if (!connection) return std::move(connection).error();
    auto registry = wl::Registry::create(**connection, timeout);
    if (!registry) return std::move(registry).error();
    return Connected{std::move(connection).value(), std::move(registry).value()};
}

// The globals of `c` the compositor does not offer ("a, b"); empty when all are.
std::string missing(const wl::Registry& registry, const Candidate& c)
{
    std::string out;
    for (const char* global : c.globals) {
        if (!registry.find(global)) out += (out.empty() ? "" : ", ") + std::string{global};
    }
    return out;
}

Result<std::unique_ptr<Capturer>> set_up(const Candidate& c, Connected connected, std::chrono::milliseconds timeout)
{
    auto [connection, registry] = std::move(connected);
    std::unique_ptr<OutputCapturer> capturer;
    switch (c.method) {
    case CaptureMethod::ext_image_copy:
        capturer = std::make_unique<ImageCopyCapturer>(std::move(connection), std::move(registry), timeout);
        break;
    case CaptureMethod::wlr_screencopy:
        capturer = std::make_unique<ScreencopyCapturer>(std::move(connection), std::move(registry), timeout);
        break;
    case CaptureMethod::weston:
#if DMAFEED_HAVE_WESTON_CAPTURE
        capturer = std::make_unique<WestonCapturer>(std::move(connection), std::move(registry), timeout);
        break;
#else
        return Error{"weston_capture_v1 is offered, which this build does not speak: it was built without "
                     "libweston-14-protocols"};
#endif
    case CaptureMethod::automatic: break;
    }
    if (!capturer) return Error{"no capturer for this method"};
    if (auto ok = capturer->set_up(); !ok) return std::move(ok).error().context(c.protocol);
    return std::unique_ptr<Capturer>{std::move(capturer)};
}

}  // namespace

std::optional<CaptureMethod> parse_capture_method(std::string_view name)
{
    if (name == "auto") return CaptureMethod::automatic;
    for (const Candidate& c : candidates()) {
        if (c.option == name) return c.method;
    }
    return std::nullopt;
}

std::string_view capture_method_name(CaptureMethod method)
{
    for (const Candidate& c : candidates()) {
        if (c.method == method) return c.option;
    }
    return "auto";
}

Result<std::unique_ptr<Capturer>> Capturer::create(const std::string& display, std::chrono::milliseconds timeout,
                                                   CaptureMethod method)
{
    auto connected = connect(display, timeout);
    if (!connected) return std::move(connected).error();
    if (method != CaptureMethod::automatic) {
        const Candidate& c = *std::find_if(candidates().begin(), candidates().end(),
                                           [&](const Candidate& candidate) { return candidate.method == method; });
        const std::string absent = missing(*connected->second, c);
        const std::string asked = "none (--capture " + std::string{c.option} + ": ";
        if (!absent.empty()) return Error{asked + "the compositor does not offer " + absent + ")"};
        auto capturer = set_up(c, std::move(connected).value(), timeout);
        if (!capturer) return Error{asked + capturer.error().message() + ")"};
        return capturer;
    }
    // The first offered one that sets up; each after a failure gets a fresh connection.
    std::vector<const Candidate*> offered;
    for (const Candidate& c : candidates()) {
        if (missing(*connected->second, c).empty()) offered.push_back(&c);
    }
    std::vector<std::string> failures;
    for (const Candidate* c : offered) {
        if (!connected->first) {
            connected = connect(display, timeout);
            if (!connected) return std::move(connected).error();
        }
        auto capturer = set_up(*c, std::exchange(*connected, {}), timeout);
        if (capturer) return capturer;
        failures.push_back(capturer.error().message());
    }
    if (failures.empty()) {
        return Error{"none (the compositor offers no capture protocol: ext-image-copy-capture-v1, "
                     "zwlr_screencopy_manager_v1 or weston_capture_v1, which weston offers when started with --debug)"};
    }
    std::string all;
    for (const std::string& f : failures) all += (all.empty() ? "" : "; ") + f;
    return Error{"none (" + all + ")"};
}

}  // namespace dmafeed::conform

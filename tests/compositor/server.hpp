// The test compositor's server side: the protocol objects and the state they share. Everything here
// lives on the server thread, except RecordStore, which the test thread reads.
//
// Ownership: every protocol object is a heap object owned by its wl_resource and deleted in the
// resource's destroy callback. Objects point at each other with raw pointers; whoever dies first
// unlinks itself (a client's resources die in any order when it disconnects). Resources a
// surface holds for later (frame callbacks, presentation feedback) have their user data cleared
// before the surface destroys them.
#pragma once

#include "test_compositor.hpp"

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>
#include <wayland-server-core.h>

namespace dmafeed::test::detail {

uint64_t now_ns();

// Bytes [offset, offset + length) of a plane's fd (a memfd, a dma-buf, a wl_shm pool) mapped
// shared, after a check against the fd's size (fstat; else `size_hint`). A dma-buf's CPU access is
// bracketed with DMA_BUF_IOCTL_SYNC for the mapping's life.
class PlaneMapping {
public:
    static Result<PlaneMapping> map(int fd, uint64_t offset, uint64_t length, bool writable, int64_t size_hint = -1);
    PlaneMapping(PlaneMapping&& other) noexcept;
    PlaneMapping& operator=(PlaneMapping&&) = delete;
    ~PlaneMapping();
    uint8_t* data() const noexcept { return static_cast<uint8_t*>(map_) + offset_; }

private:
    PlaneMapping(int fd, void* map, size_t size, uint64_t offset, uint64_t sync)
        : fd_{fd}, map_{map}, size_{size}, offset_{offset}, sync_{sync}
    {
    }
    int fd_;
    void* map_;  // MAP_FAILED once moved from
    size_t size_;
    uint64_t offset_;
    uint64_t sync_;  // DMA_BUF_SYNC_READ or DMA_BUF_SYNC_RW
};

class RecordStore {
public:
    template <class F>
    void update(F&& f)
    {
        {
            std::lock_guard lock{mutex_};
            f(records_);
        }
        cv_.notify_all();
    }
    template <class F>
    auto read(F&& f) const
    {
        std::lock_guard lock{mutex_};
        return f(records_);
    }
    bool wait_until(const std::function<bool(const Records&)>& pred, std::chrono::milliseconds timeout) const;

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    Records records_;
};

// Appends per-frame records (Records::commits, frame_callbacks, presentations, releases), then
// drops the oldest beyond `kept` (Config::frame_records_kept) when that is set. The vector's
// capacity stops growing once it has held `kept` + one batch.
template <class T>
void append_frame_records(std::vector<T>& to, std::vector<T>&& from, const std::optional<size_t>& kept)
{
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    if (kept && to.size() > *kept) {
        to.erase(to.begin(), to.end() - static_cast<std::ptrdiff_t>(*kept));
    }
}

struct Server;
struct Surface;
struct XdgSurface;

struct ClientInfo;
// A wl_listener that knows its owner: the listener is the first member, so the address the
// signal passes is the slot's.
struct ClientListener {
    wl_listener listener;
    ClientInfo* owner;
};

struct ClientInfo {
    ClientListener destroy{};       // the client starts going away: resources still exist
    ClientListener destroy_late{};  // its resources are gone
    Server* server = nullptr;
    wl_client* client = nullptr;
    uint64_t serial = 0;
    bool dying = false;
};

struct PlaneIn {
    std::shared_ptr<UniqueFd> fd;
    uint32_t offset = 0;
    uint32_t stride = 0;
    DrmModifier modifier;
    int64_t size = -1;
};

struct Params {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    uint64_t serial = 0;
    uint64_t client = 0;
    std::array<std::optional<PlaneIn>, 4> planes;
    bool used = false;
};

struct Buffer {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    uint64_t serial = 0;
    int32_t width = 0;
    int32_t height = 0;
    DrmFormat format{DrmFormat{0}};
    bool failed = false;
    bool shm = false;  // a wl_shm buffer: fds holds its pool's fd
    // Plane 0 (fds[0]), where the output reads the pixels and captures write them.
    uint32_t offset = 0;
    uint32_t stride = 0;
    DrmModifier modifier;
    std::vector<std::shared_ptr<UniqueFd>> fds;  // keeps the dmabufs valid for the buffer's life
};

struct DmabufFeedbackObject {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    uint64_t client = 0;
    Surface* surface = nullptr;  // get_surface_feedback; null once the surface is gone
    bool per_surface = false;
};

// A sealed memfd holding one feedback's format table, and the indices of each tranche.
struct FeedbackTable {
    UniqueFd fd;
    uint32_t announced_size = 0;
    std::vector<std::vector<uint16_t>> tranche_indices;
};

struct FeedbackState {
    FeedbackConfig config;
    std::shared_ptr<FeedbackTable> table;
    uint64_t generation = 1;
    FormatSet formats;
};

struct SurfaceState {
    bool attached = false;
    Buffer* buffer = nullptr;
    int32_t dx = 0;
    int32_t dy = 0;
    std::vector<Rect> damage;
    std::vector<Rect> buffer_damage;
    std::vector<wl_resource*> frame_callbacks;
    std::vector<wl_resource*> presentation;
    std::optional<int32_t> scale;
    std::optional<int32_t> transform;
    std::optional<std::pair<int32_t, int32_t>> destination;  // wp_viewport.set_destination
    std::optional<std::pair<uint32_t, uint32_t>> coefficients;  // wp_color_representation_surface_v1
    // wp_color_management_surface_v1: set_image_description (a copy of the description and the
    // intent) or, with no description, unset_image_description; unset: no change.
    struct ImageDescriptionChange {
        std::optional<ImageDescriptionRecord> description;
        uint32_t render_intent = 0;
    };
    std::optional<ImageDescriptionChange> image_description;
    std::shared_ptr<UniqueFd> acquire_fence;  // explicit sync
    wl_resource* release = nullptr;           // explicit sync: a zwp_linux_buffer_release_v1
    struct Point {
        uint32_t handle = 0;  // the timeline's syncobj on the server's DRM fd
        uint64_t value = 0;
        wl_resource* timeline = nullptr;
    };
    std::optional<Point> acquire_point;  // syncobj
    std::optional<Point> release_point;
    bool fifo_set_barrier = false;   // wp_fifo_v1
    bool fifo_wait_barrier = false;
    std::optional<uint64_t> target_ns;  // wp_commit_timer_v1.set_timestamp (CLOCK_MONOTONIC)
};

// A committed content update: checked at its commit, applied then or, queued, at a later tick.
struct ContentUpdate {
    SurfaceState state;
    uint32_t acked_configure = 0;  // the xdg serial acked before its commit, 0: none new
    uint64_t commit_ns = 0;        // when the commit request came
};

struct Surface {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    uint64_t serial = 0;
    uint64_t client = 0;
    uint64_t last_commit = 0;  // the serial of its newest commit; 0: none
    SurfaceState pending;
    Buffer* buffer = nullptr;  // current
    int32_t scale = 1;
    int32_t transform = 0;
    std::vector<wl_resource*> frame_callbacks;  // committed, fired on tick
    struct Presentation {
        wl_resource* resource;
        uint64_t commit;
    };
    std::vector<Presentation> presentation;  // committed, presented on tick
    std::vector<Buffer*> release_on_present;
    XdgSurface* xdg = nullptr;
    wl_resource* sync = nullptr;  // its zwp_linux_surface_synchronization_v1
    wl_resource* viewport = nullptr;
    std::pair<int32_t, int32_t> destination{-1, -1};
    wl_resource* syncobj = nullptr;  // its wp_linux_drm_syncobj_surface_v1
    wl_resource* color_representation = nullptr;
    std::pair<uint32_t, uint32_t> coefficients{0, 0};  // (coefficients, range) in effect; 0: unset
    wl_resource* color_management = nullptr;    // its wp_color_management_surface_v1
    std::vector<wl_resource*> color_feedbacks;  // its wp_color_management_surface_feedback_v1s
    std::optional<ImageDescriptionRecord> image_description;  // in effect
    uint32_t render_intent = 0;
    wl_resource* fifo = nullptr;          // its wp_fifo_v1
    wl_resource* commit_timer = nullptr;  // its wp_commit_timer_v1
    bool fifo_barrier = false;  // set by an applied set_barrier, cleared at the end of the next tick
    // Committed updates waiting for a constraint (or for one ahead of them), oldest first. Their
    // frame callbacks and presentation feedback stay in their state until they apply.
    std::deque<ContentUpdate> queued;
};

// A zwp_linux_buffer_release_v1 waiting for its buffer's release.
struct BufferRelease {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    Buffer* buffer = nullptr;  // null until committed, and once the buffer is gone
};

struct XdgWmBase {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    std::vector<XdgSurface*> surfaces;
};

struct XdgToplevel;

struct XdgSurface {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    XdgWmBase* wm = nullptr;
    Surface* surface = nullptr;
    XdgToplevel* toplevel = nullptr;
    wl_resource* popup = nullptr;
    enum class Role { none, toplevel, popup };
    Role role = Role::none;  // stays once given, like a wl_surface role
    bool initial_commit_done = false;
    bool configured = false;            // a configure was acked
    std::vector<uint32_t> unacked;      // sent, not yet acked, ascending
    uint32_t acked_since_commit = 0;
    int32_t popup_width = 1;
    int32_t popup_height = 1;
};

struct XdgToplevel {
    Server* server = nullptr;
    wl_resource* resource = nullptr;
    XdgSurface* xdg = nullptr;
    bool fullscreen = false;
    bool maximized = false;
};

// server_shm.cpp: wl_shm's format codes (its own for ARGB8888 and XRGB8888, else the fourcc).
DrmFormat drm_format_of_shm(uint32_t shm_format);
uint32_t shm_format_of(DrmFormat format);

// server_capture.cpp
struct CaptureSession;
struct CaptureFrame;
struct WestonSource;

struct InjectedError {
    std::string interface;
    uint32_t code = 0;
    std::string message;
};

struct Server {
    // The display, its globals and (with auto_tick) the timer; no socket yet.
    static Result<std::unique_ptr<Server>> create(const Config& config, RecordStore& records);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();  // disconnects every client, destroys the display

    Result<std::string> add_socket();
    Result<UniqueFd> connect_fd();

    // --- server_core.cpp ---
    ClientInfo* client_info(wl_client* client) const;
    uint64_t client_serial(wl_client* client) const;
    bool client_dying(wl_client* client) const;
    // Posts a protocol error and records it.
    void post_error(wl_resource* resource, uint32_t code, const std::string& message);
    void disconnect_clients();
    void set_auto_tick(std::optional<std::chrono::nanoseconds> period);
    void tick();
    // Called by commit: posts the injected error if one is armed. True when it did.
    bool fire_injected_error(Surface* surface);

    // --- server_dmabuf.cpp ---
    Result<void> init_dmabuf();
    // A wl_buffer and its Buffer (plane 0 from record.planes), recorded: serial and object id are
    // filled in here. Null (no memory posted) when the resource cannot be made.
    Buffer* create_buffer(wl_client* client, uint32_t id, BufferRecord record,
                          std::vector<std::shared_ptr<UniqueFd>> fds);
    void set_default_feedback(FeedbackConfig config);
    void set_surface_feedback(FeedbackConfig config);
    // Whether params may use `pair` without an invalid_format error: any pair the format events or
    // any feedback has listed (see ever_advertised).
    bool advertised(const FormatModifier& pair) const;
    static Buffer* buffer_from_resource(wl_resource* resource);
    void release_buffer(Buffer* buffer);
    void release_all();
    void feedback_surface_lost(Surface* surface);

    // --- server_surface.cpp ---
    Result<void> init_surface();
    void surfaces_forget_buffer(Buffer* buffer);
    // Applies the queued updates whose constraints hold at `time`, presents (feedback, frame
    // callbacks, on_present releases), then clears the fifo barriers.
    void tick_surfaces(uint64_t tick, uint64_t time);
    // A fullscreen toplevel showing a buffer of the output's size in a Config::scanout pair.
    bool scanned_out(const Surface& surface) const;
    // Makes `update` the surface's current state and records it; `tick` 0: at its commit.
    void apply_update(Surface* surface, ContentUpdate update, uint64_t tick, uint64_t time);
    uint64_t queued_updates = 0;  // all surfaces
    bool surfaces_hidden = false;  // TestCompositor::set_surfaces_hidden

    // --- server_timing.cpp ---
    // wp_fifo_manager_v1 and wp_commit_timing_manager_v1 (Config::fifo_version,
    // Config::commit_timing_version).
    Result<void> init_timing();
    void timing_surface_lost(Surface* surface);

    // --- server_syncobj.cpp ---
    Result<void> init_syncobj();
    // At commit, before applying: false when it raised an error.
    bool syncobj_precommit(Surface* surface, const Buffer* next);
    // At commit: waits for the acquire point, ties the release point to the committed buffer.
    void syncobj_commit(Surface* surface, SurfaceState& pending, CommitRecord& record);
    // When `buffer` is released: signals its release points. True when wl_buffer.release is to
    // be skipped (syncobj surfaces, unless the config says otherwise).
    bool syncobj_buffer_released(Buffer* buffer);
    void syncobj_forget_buffer(Buffer* buffer);
    void syncobj_surface_lost(Surface* surface);
    UniqueFd drm_fd;  // Config::syncobj_node
    struct PendingRelease {
        Buffer* buffer;
        uint32_t handle;
        uint64_t value;
    };
    std::vector<PendingRelease> release_points;

    // --- server_viewporter.cpp ---
    Result<void> init_viewporter();
    void viewporter_surface_lost(Surface* surface);

    // --- server_color_representation.cpp ---
    Result<void> init_color_representation();
    // False (a protocol error was posted) when the YCbCr coefficients do not fit `next`'s format.
    bool color_representation_precommit(Surface* surface, const Buffer* next);
    void color_representation_surface_lost(Surface* surface);

    // --- server_color_management.cpp ---
    // wp_color_manager_v1 (Config::color_management).
    Result<void> init_color_management();
    // The surface's color management and feedback objects become inert.
    void color_management_surface_lost(Surface* surface);
    uint64_t next_image_description = 1;

    // --- server_sync.cpp ---
    Result<void> init_sync();
    // At commit: false when it raised an error (no buffer with a fence or release pending).
    bool sync_precommit(Surface* surface, const Buffer* next);
    // At commit, after the buffer is applied: the pending release now waits for that buffer.
    void sync_commit(Surface* surface, SurfaceState& pending);
    void sync_buffer_released(Buffer* buffer);
    void sync_forget_buffer(Buffer* buffer);
    void sync_surface_lost(Surface* surface);
    void signal_release_fences();

    // --- server_shm.cpp ---
    Result<void> init_shm();

    // --- server_capture.cpp ---
    // wl_output and the capture globals Config::capture asks for.
    Result<void> init_capture();
    void set_output_size(int32_t width, int32_t height);
    void capture_forget_buffer(Buffer* buffer);
    std::vector<wl_resource*> outputs;  // bound wl_output resources
    std::vector<CaptureSession*> capture_sessions;
    std::vector<CaptureFrame*> capture_frames;
    std::vector<WestonSource*> weston_sources;

    // --- server_xdg.cpp ---
    Result<void> init_xdg();
    // At commit, before the state is applied. False when it raised an error.
    bool xdg_precommit(Surface* surface);
    void xdg_postcommit(Surface* surface);
    void xdg_surface_lost(Surface* surface);
    void configure_all();
    void close_all();

    Config config;
    RecordStore& records;
    wl_display* display = nullptr;
    wl_event_loop* loop = nullptr;

    struct ClientCreated {
        wl_listener listener;  // first member
        Server* server;
    } client_created{};
    std::vector<ClientInfo*> clients;
    uint64_t next_client = 1;
    uint64_t next_surface = 1;
    uint64_t next_commit = 1;

    std::vector<Surface*> surfaces;
    std::vector<XdgToplevel*> toplevels;
    std::vector<DmabufFeedbackObject*> feedbacks;
    std::vector<Buffer*> buffers;
    std::vector<BufferRelease*> buffer_releases;
    std::vector<std::shared_ptr<UniqueFd>> unsignalled_release_fences;

    // Knobs
    std::unordered_set<FormatModifier> fail_pairs;
    bool withhold = false;
    std::vector<Buffer*> withheld;
    bool discard_presentation = false;
    std::optional<InjectedError> injected_error;
    uint64_t ticks = 0;

    FeedbackState default_feedback;
    FeedbackState surface_feedback;
    FormatSet v3_formats;
    // Every pair the format events or any feedback has listed. A client that creates a buffer with
    // a pair of an older feedback, racing a change, is not killed for it; fail_pairs makes such
    // pairs fail.
    FormatSet ever_advertised;

    bool surface_follows_default = true;
    int32_t configure_width = 0;
    int32_t configure_height = 0;

    UniqueFd timer_fd;
    wl_event_source* timer_source = nullptr;

private:
    Server(const Config& config, RecordStore& records);
    Result<void> init();
};

}  // namespace dmafeed::test::detail

// TestCompositor: an in-process Wayland compositor (libwayland-server) for the compositor tier.
//
// It runs its own thread with its own wl_event_loop, so a test can block in client calls
// (wl_display_roundtrip) while it serves them. It offers:
//   wl_compositor (v6: surfaces, regions, frame callbacks), xdg_wm_base (v6: toplevels with
//   configure/ack, fullscreen and maximized states), zwp_linux_dmabuf_v1 (v3, v4 or v5: format and
//   modifier events, or default and per-surface feedback with a sealed memfd format table;
//   params with the protocol's validation) and wp_presentation (CLOCK_MONOTONIC).
// wl_output (v4, always): one output of Config::output_width x output_height (set_output_size()
// resizes it). wl_shm (Config::shm; ARGB8888, XRGB8888, XBGR8888, ABGR8888): pools on the client's
// fd, and buffers that are shown and recorded like dma-buf ones (one LINEAR plane; params 0).
// Output capture (Config::capture, each off unless asked for; see CaptureConfig): what the output
// shows is its background with the current buffer of the surface that committed last drawn at
// (output_content_x, output_content_y), or at (0, 0) for a fullscreen toplevel, copied into the
// client's wl_shm buffer on request by
// zwlr_screencopy_manager_v1 (v1-v3), ext-image-copy-capture-v1 (output sources) or
// weston_capture_v1 (where this build has its protocol). Every capture is recorded (captures).
//
// A client connects by name (socket_name(), a socket in $XDG_RUNTIME_DIR; a private temporary
// directory is created and exported when the variable is unset) or through connect_fd().
//
// Time is the test's: frame callbacks, presentation feedback and on_present releases happen on
// tick(), on an automatic timer (Config::auto_tick / set_auto_tick), or right after each commit
// (Config::tick_on_commit).
//
// wp_linux_drm_syncobj_manager_v1 (Config::syncobj_node): timelines imported on that node; per
// commit the acquire point is waited for (up to 2 s, recorded) and the release point is signalled
// when the buffer is released. Errors: surface_exists, invalid_timeline, no_acquire_point,
// no_release_point, conflicting_points, no_buffer.
//
// zwp_linux_explicit_synchronization_v1 (Config::explicit_sync_version): acquire fences are
// recorded per commit (not waited for); release objects are answered when their buffer is released,
// immediately or with a fence (ReleaseFences). Errors: synchronization_exists, duplicate_fence,
// duplicate_release, no_surface, and no_buffer at a commit without a buffer.
//
// wp_fifo_manager_v1 (Config::fifo_version) and wp_commit_timing_manager_v1
// (Config::commit_timing_version), v1: content updates are queued. A commit is checked at once
// (protocol errors come at the commit); its update applies at once unless it waits: behind another
// queued update of its surface (updates apply in order), with wait_barrier while the surface's fifo
// barrier is set, or with a commit-timing target later than now (CLOCK_MONOTONIC, the presentation
// clock). An applied set_barrier sets the barrier. A tick (at time T) is a latching deadline: it
// applies queued updates from the head until one has wait_barrier while the barrier is set (also
// by an update applied at this tick: one fifo update a tick) or a target after T, presents as
// without these protocols (feedback at T, frame callbacks), and then clears every barrier: the
// content that set it has been shown for a refresh. So of fifo updates committed back to back
// after a tick, the first applies at its commit and is presented at the next tick (n), the others
// apply and are presented one a tick at n + 1, n + 2, ...; an update with a target applies and is
// presented at the first tick at or after the target. Frame callbacks and feedback of a queued
// update become active when it applies. A surface destroyed with queued updates drops them: their
// callbacks are destroyed, their feedback discarded (commit 0), their buffers never released (never
// used). Destroying the fifo or timer keeps the state set so far; a new one may then be made.
// Errors: wp_fifo_manager_v1 already_exists (a second get_fifo for a surface);
// wp_fifo_v1 surface_destroyed (set_barrier or wait_barrier once the surface is gone);
// wp_commit_timing_manager_v1 commit_timer_exists (a second get_timer); wp_commit_timer_v1
// invalid_timestamp (tv_nsec >= 1000000000), timestamp_exists (a second set_timestamp before the
// commit), surface_destroyed (set_timestamp once the surface is gone).
// set_surfaces_hidden(true): as for surfaces the compositor is not updating, ticks send no frame
// callbacks (they wait until shown), discard the feedback of current content, and wait_barrier is
// ignored (only targets and order hold updates back).
//
// wp_color_manager_v1 (Config::color_management, v1-v3; see ColorManagementConfig): the supported
// intents, features, named transfer functions and primaries on bind, then done. Every
// wp_image_description_v1 answers at once and is recorded (image_descriptions): ready (v1) or ready2
// (v2+) with its serial as identity, or failed. Parametric descriptions fail with cause unsupported
// as ColorManagementConfig::refuse says; ICC ones always do (profiles are not read); Windows-scRGB
// and Windows-BT.2100 ones are ready. The output's description (get_output, get_image_description)
// and the preferred one (get_preferred, get_preferred_parametric) are the same sRGB display, gamma
// 2.2, and the only ones whose information is given; preferred_changed and image_description_changed
// are never sent. A wp_color_management_surface_v1's image description (a copy) and intent are
// double-buffered; each commit records those in effect (CommitRecord::image_description,
// render_intent); unset_image_description or destroying it unsets them at the next commit. Errors:
// wp_color_manager_v1 unsupported_feature (create_parametric_creator, create_icc_creator,
// create_windows_scrgb, create_windows_bt2100 without the feature), surface_exists;
// wp_image_description_creator_params_v1 unsupported_feature (set_tf_power, set_primaries,
// set_luminances, set_mastering_display_primaries and set_mastering_luminance without their
// feature), already_set (any property set twice), invalid_tf (a name not advertised, an exponent
// outside [1, 10]), invalid_primaries_named, invalid_luminance (set_luminances: max or reference
// not above min; set_mastering_luminance: max not above min; at create: max_fall above max_cll and,
// for a version 1 creator only, max_cll or max_fall outside (min, max] of the target luminance),
// incomplete_set (create without tf or primaries); wp_image_description_creator_icc_v1
// incomplete_set, already_set, bad_fd, bad_size, out_of_file; wp_image_description_v1 not_ready
// (get_information on a failed one), no_information (on any but the output's and preferred);
// wp_color_management_surface_v1 image_description (set with one not ready), render_intent (an
// intent not advertised), inert (set or unset once the wl_surface is gone);
// wp_color_management_surface_feedback_v1 inert, unsupported_feature (get_preferred_parametric
// without the parametric feature).
//
// Threads: every knob may be called from any thread; it runs on the server thread and returns once
// it has been applied and the resulting events are flushed to the clients' sockets, so a client
// roundtrip after a knob sees its events. After stop() (or the compositor's end) knobs do nothing.
// Records are snapshots taken under a lock; wait_until() blocks until a predicate holds. Every
// record is kept unless Config::frame_records_kept bounds the per-frame ones for a long run.
//
// Buffers are identified by a serial (1, 2, ...: records().buffers[serial - 1]); params objects
// likewise (records().params[serial - 1]); surfaces, commits and clients have serials of their own.
// A protocol object id (wl_proxy_get_id) maps to a buffer serial with buffer_serial().
//
// zwp_linux_buffer_params_v1, in this order (the errors end the client, as the XML allows):
//   add:    already_used after create; plane_idx for an index > 3; plane_set for a second add of an
//           index; v5+: invalid_format when the modifier differs from an earlier plane's.
//   create: already_used the second time; incomplete without planes or with a gap below the highest
//           index; invalid_dimensions for width or height < 1; invalid_format for a (format,
//           modifier) no format event or feedback has ever listed (older feedbacks count, so a
//           client racing a feedback change is not killed); incomplete when the plane count does
//           not match the format (exactly, for LINEAR and INVALID; at least, for other modifiers,
//           which may add aux planes); out_of_bounds when offset + stride overflows 32 bits, the
//           offset is past the fd's size (lseek), a plane's rows run past it, or a LINEAR stride is
//           shorter than a row. Then, not client bugs: modifiers that differ before v5, or a
//           fail_pairs pair, give `failed` (create_immed: see ImmedFailure).
//
// The contents of a buffer are read through the recorded plane fds (memfds standing in for
// dma-bufs on the host, or real dma-bufs). Those fds are kept after the buffer is gone unless
// Config::keep_plane_fds is false, which lets fd-leak tests see the process return to its baseline.
#pragma once

#include "drm/format_set.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <drm_fourcc.h>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <vector>

namespace dmafeed::test {

struct Rect {
    int32_t x = 0;
    int32_t y = 0;
    int32_t width = 0;
    int32_t height = 0;
    friend bool operator==(const Rect&, const Rect&) = default;
};

// ---------------------------------------------------------------------------------------------
// Configuration

// One preference tranche of a dmabuf feedback.
struct FeedbackTranche {
    dev_t target_device = 0;
    uint32_t flags = 0;                   // tranche_flags: 1 = scanout, 2 = sampling (v6)
    std::vector<FormatModifier> formats;  // sent as 16-bit indices into the format table
};

// Deliberate faults in every round of a feedback, to test that a client rejects them.
struct HostileFeedback {
    bool table_size_too_large = false;      // format_table's size is 4096 bytes more than the memfd
    bool table_size_unaligned = false;      // memfd and announced size are 8 bytes past a multiple of 16
    bool index_out_of_range = false;        // the first tranche also lists index == number of entries
    bool main_device_wrong_size = false;    // main_device array of sizeof(dev_t) / 2 bytes
    bool target_device_wrong_size = false;  // tranche_target_device arrays of sizeof(dev_t) + 1 bytes
    friend bool operator==(const HostileFeedback&, const HostileFeedback&) = default;
};

struct FeedbackConfig {
    dev_t main_device = 0;
    std::vector<FeedbackTranche> tranches;  // most preferred first
    HostileFeedback hostile;

    // One tranche on `device` holding `formats` in their order.
    static FeedbackConfig single(dev_t device, const FormatSet& formats, uint32_t flags = 0);
    // Every pair of every tranche, in tranche order.
    FormatSet formats() const;
};

// What create_immed does with a buffer it cannot import (a fail_pairs pair); the protocol allows
// either.
enum class ImmedFailure {
    protocol_error,  // zwp_linux_buffer_params_v1.error.invalid_wl_buffer
    failed_event,    // an inert wl_buffer and a `failed` event
};

// When a buffer that is replaced on a surface gets wl_buffer.release.
enum class ReleasePolicy {
    on_replace,  // at the commit that replaces it (a compositor that copies, like weston with shm)
    on_present,  // at the tick that presents its replacement (a compositor that samples it)
};

// How zwp_linux_buffer_release_v1 objects are answered when their buffer is released.
enum class ReleaseFences {
    immediate,  // immediate_release
    fenced,     // fenced_release with an eventfd standing in for a dma_fence (no process on the host
                // can make a sync_file): unsignalled until signal_release_fences()
};

// The formats every test compositor advertises unless told otherwise: XRGB8888 and ARGB8888
// (LINEAR, INVALID), NV12 (LINEAR).
FormatSet default_formats();

// A capture that goes wrong on purpose (CaptureConfig::fault, TestCompositor::set_capture_fault).
enum class CaptureFault {
    none,
    failed,   // ext: failed(unknown); wlr: failed; weston: failed("injected capture failure")
    stopped,  // ext: the session's `stopped`, then failed(stopped); wlr and weston: as `failed`
};

// Where the surface that committed last is drawn on the output. Its buffer is drawn when it is
// XRGB8888, ARGB8888, XBGR8888 or ABGR8888 and LINEAR (dma-buf or wl_shm), opaque (alpha is
// ignored) and clipped to the output; any other buffer leaves the background.
inline constexpr int32_t output_content_x = 5;
inline constexpr int32_t output_content_y = 3;

// The capture globals to offer. Captures write into the client's wl_shm buffers: offer wl_shm
// too (Config::shm).
struct CaptureConfig {
    uint32_t screencopy_version = 0;  // zwlr_screencopy_manager_v1: 0 = not offered, 1..3
    // ext_image_copy_capture_manager_v1 and ext_output_image_capture_source_manager_v1.
    bool image_copy = false;
    bool weston = false;  // weston_capture_v1 (an error in create() when this build lacks it)
    // The formats a capture accepts, in this order: ext's shm_format events, wlr's buffer events
    // (v1-v2: the first only), weston's format event (the first only). A client's buffer must be
    // the output's size, one of these, with a stride of at least 4 x width.
    std::vector<DrmFormat> formats{DrmFormat{DRM_FORMAT_XRGB8888}};
    bool y_invert = false;  // wlr: the rows are written bottom-up and flags says Y_INVERT
    uint32_t background = 0x336699;  // 0xRRGGBB
    CaptureFault fault = CaptureFault::none;
};

// wp_color_manager_v1 (colour management). Every value is an enum value of the protocol, as plain
// numbers so that this header needs no generated one: wp_color_manager_v1.render_intent, .feature,
// .transfer_function and .primaries. On bind, each list is sent in its order (intents, features,
// named transfer functions, named primaries, then done), less what the bound version does not have:
// entries added in a later version (intent absolute_no_adaptation, transfer function
// compound_power_2_4: version 2; feature windows_bt2100, whose request is version 3's) and entries
// deprecated in it (transfer functions srgb and ext_srgb: version 1 only). What was not sent is not
// supported for that client: a request using it is the protocol's error.
struct ColorManagementConfig {
    uint32_t version = 2;  // the global's version, 1..3
    std::vector<uint32_t> intents{0};  // perceptual
    // parametric, set_primaries, set_luminances, set_mastering_display_primaries
    std::vector<uint32_t> features{1, 2, 4, 5};
    // gamma22, bt1886, st2084_pq, hlg, ext_linear, srgb (srgb reaches version 1 clients only)
    std::vector<uint32_t> tf_named{2, 1, 11, 13, 5, 9};
    std::vector<uint32_t> primaries_named{1, 6, 9};  // srgb, bt2020, display_p3
    // Parametric image descriptions the compositor declines: wp_image_description_v1.failed with
    // cause `unsupported` instead of ready (a graceful refusal, no protocol error).
    enum class Refuse {
        none,
        with_metadata,  // those with mastering primaries or luminance, max_cll or max_fall set
        all,
    };
    Refuse refuse = Refuse::none;
};

struct Config {
    uint32_t dmabuf_version = 4;          // zwp_linux_dmabuf_v1 global version: 3 to 6
    // A v3 global's format/modifier events; the default feedback when `feedback` is unset. (An
    // old-style bind of a v4+ global gets the default feedback's pairs as events.)
    FormatSet formats = default_formats();
    dev_t main_device = makedev(226, 128);
    // v4+: the default feedback; unset: FeedbackConfig::single(main_device, formats).
    std::optional<FeedbackConfig> feedback;
    // v4+: the feedback of get_surface_feedback objects; unset: the default feedback.
    std::optional<FeedbackConfig> surface_feedback;

    uint32_t compositor_version = 6;   // wl_compositor, 1..6
    uint32_t xdg_wm_base_version = 6;  // 1..7
    uint32_t presentation_version = 2;  // 1..2
    uint32_t viewporter_version = 0;  // wp_viewporter: 0 = not offered, 1
    // wp_color_representation_manager_v1 with these (coefficients, range) pairs (enum values of
    // wp_color_representation_surface_v1); unset: not offered.
    std::optional<std::vector<std::pair<uint32_t, uint32_t>>> color_representation;
    // wp_color_manager_v1; unset: not offered.
    std::optional<ColorManagementConfig> color_management;
    // wp_linux_drm_syncobj_manager_v1 on this DRM node (it needs a real DRM device with timeline
    // syncobjs: the vm suite's virtio guest); empty: not offered.
    std::string syncobj_node;
    // With syncobj, wl_buffer.release is undefined: when false, only release points are signalled.
    bool syncobj_sends_buffer_release = false;
    // zwp_linux_explicit_synchronization_v1: 0 = not offered, 1..2.
    uint32_t explicit_sync_version = 0;
    ReleaseFences release_fences = ReleaseFences::immediate;
    uint32_t fifo_version = 0;           // wp_fifo_manager_v1: 0 = not offered, 1
    uint32_t commit_timing_version = 0;  // wp_commit_timing_manager_v1: 0 = not offered, 1

    int32_t width = 640;  // size in xdg_toplevel.configure (0 x 0: the client picks)
    int32_t height = 480;
    // The output's size: its wl_output mode, captures, and the configure of a fullscreen or
    // maximized toplevel.
    int32_t output_width = 1920;
    int32_t output_height = 1080;
    bool shm = false;  // wl_shm
    CaptureConfig capture;

    std::chrono::nanoseconds refresh{16'666'667};  // wp_presentation_feedback.presented refresh
    uint32_t presentation_flags = 0x7;  // vsync | hw_clock | hw_completion
    // Direct scanout, as a DRM compositor does it: a fullscreen toplevel's buffer of the output's
    // size in one of these pairs is presented with ZERO_COPY (0x8) as well.
    std::vector<FormatModifier> scanout;
    // Tick on a timer (CLOCK_MONOTONIC, this period) as well as on tick().
    std::optional<std::chrono::nanoseconds> auto_tick;
    // Tick right after every commit as well (a compositor that repaints as soon as content comes):
    // a client runs as fast as it can, with no timer and no test thread in its loop.
    bool tick_on_commit = false;

    ReleasePolicy release_policy = ReleasePolicy::on_replace;
    ImmedFailure immed_failure = ImmedFailure::protocol_error;
    bool keep_plane_fds = true;  // keep params' plane fds in the records after the objects are gone
    // The per-frame records (commits, frame_callbacks, presentations, releases): every one (unset),
    // or only the newest N of each, so that a long run's memory stays flat. Records::totals counts
    // them all either way; last_committed_buffer() looks at the kept commits only. (Params and
    // buffers are all kept: they grow with buffers, not frames.)
    std::optional<size_t> frame_records_kept;
    bool listen = true;          // create a named socket (otherwise connect_fd() only)
};

// ---------------------------------------------------------------------------------------------
// Records

struct PlaneRecord {
    uint32_t plane_idx = 0;
    uint32_t offset = 0;
    uint32_t stride = 0;
    DrmModifier modifier;
    int64_t fd_size = -1;  // lseek(fd, 0, SEEK_END) when added; -1 when the fd cannot tell
    // The fd the client sent (the compositor's copy). Null once the params object and buffer are
    // gone when Config::keep_plane_fds is false.
    std::shared_ptr<const UniqueFd> fd;
};

enum class ParamsOutcome {
    pending,         // no create/create_immed yet
    created,         // `created` sent (create) or buffer made (create_immed)
    failed,          // `failed` sent
    protocol_error,  // the client got a zwp_linux_buffer_params_v1 error
    abandoned,       // destroyed before create
};

struct ParamsRecord {
    uint64_t serial = 0;
    uint64_t client = 0;
    uint32_t version = 0;
    std::vector<PlaneRecord> planes;  // in the order of the add requests that were accepted
    bool create_requested = false;
    bool immed = false;
    int32_t width = 0;
    int32_t height = 0;
    DrmFormat format;
    uint32_t flags = 0;
    ParamsOutcome outcome = ParamsOutcome::pending;
    uint32_t error_code = 0;  // with protocol_error
    std::string error_message;
    uint64_t buffer = 0;  // serial of the wl_buffer (created, or create_immed's inert buffer)
    std::optional<dev_t> sampling_device;  // v6: set_sampling_device's device
};

struct BufferRecord {
    uint64_t serial = 0;
    uint64_t client = 0;
    uint32_t object_id = 0;  // the wl_buffer's protocol id (the client's wl_proxy_get_id)
    uint64_t params = 0;     // 0: a wl_shm buffer (its plane's fd is the pool's)
    int32_t width = 0;
    int32_t height = 0;
    DrmFormat format;
    DrmModifier modifier;
    uint32_t flags = 0;
    bool failed = false;  // create_immed's inert buffer
    bool destroyed = false;
    std::vector<PlaneRecord> planes;  // sorted by plane index
};

// Where a wp_image_description_v1 came from.
enum class ImageDescriptionKind {
    parametric,      // wp_image_description_creator_params_v1.create
    icc,             // wp_image_description_creator_icc_v1.create (always failed: unsupported)
    windows_scrgb,   // create_windows_scrgb: ext_linear, srgb primaries
    windows_bt2100,  // create_windows_bt2100 (version 3): st2084_pq, bt2020 primaries
    output,          // wp_color_management_output_v1.get_image_description: gamma22, srgb primaries
    preferred,       // wp_color_management_surface_feedback_v1.get_preferred(_parametric): the same
    reference,       // wp_color_manager_v1.get_image_description (failed: no global here makes references)
};

// One wp_image_description_v1 as created, and the image description a commit applied. Enum values
// are wp_color_manager_v1's (transfer_function, primaries) and wp_image_description_v1.cause.
struct ImageDescriptionRecord {
    uint64_t serial = 0;  // 1, 2, ... in creation order (Records::image_descriptions[serial - 1]);
                          // a ready one's identity (ready or ready2) is its serial
    uint64_t client = 0;
    uint32_t version = 0;  // of the wp_image_description_v1: 1 gets ready, 2 and later ready2
    ImageDescriptionKind kind = ImageDescriptionKind::parametric;
    uint32_t tf_named = 0;         // 0: none (set_tf_power, or nothing set)
    uint32_t tf_power = 0;         // set_tf_power's eexp (exponent x 10000); 0: unset
    uint32_t primaries_named = 0;  // 0: none (set_primaries)
    std::optional<std::array<int32_t, 8>> primaries;  // set_primaries: r, g, b, white x and y (x 1M)
    std::optional<std::array<uint32_t, 3>> luminances;  // set_luminances: min (x 10000), max, reference
    std::optional<std::array<int32_t, 8>> mastering_primaries;  // set_mastering_display_primaries (x 1M)
    std::optional<std::array<uint32_t, 2>> mastering_luminance;  // set_mastering_luminance: min (x 10000), max
    std::optional<uint32_t> max_cll;
    std::optional<uint32_t> max_fall;
    bool ready = false;   // ready or ready2 sent
    bool failed = false;  // failed sent
    uint32_t failed_cause = 0;
    std::string failed_message;
    bool windows_scrgb = false;  // kind == windows_scrgb
    friend bool operator==(const ImageDescriptionRecord&, const ImageDescriptionRecord&) = default;
};

// A content update, recorded when it applies (Records::commits lists them in that order); serials
// count applied updates.
struct CommitRecord {
    uint64_t serial = 0;
    uint64_t client = 0;
    uint64_t surface = 0;
    uint32_t surface_object_id = 0;
    bool attached = false;  // this commit applied an attach (possibly of no buffer)
    uint64_t buffer = 0;    // the surface's buffer after the commit; 0: none
    int32_t dx = 0;         // attach offset (or wl_surface.offset)
    int32_t dy = 0;
    std::vector<Rect> damage;         // surface coordinates
    std::vector<Rect> buffer_damage;  // buffer coordinates
    int32_t buffer_scale = 1;
    int32_t buffer_transform = 0;
    uint32_t frame_callbacks = 0;         // requested with this commit
    uint32_t presentation_feedbacks = 0;  // requested with this commit
    uint32_t acked_configure = 0;         // xdg serial acked before this commit, 0: none new
    int32_t viewport_width = -1;          // wp_viewport destination in effect after the commit; -1: unset
    int32_t viewport_height = -1;
    uint32_t yuv_coefficients = 0;        // wp_color_representation in effect after the commit; 0: unset
    uint32_t yuv_range = 0;
    // wp_color_management_surface_v1: the image description in effect after the commit (a copy of
    // what set_image_description named) and its rendering intent (wp_color_manager_v1.render_intent;
    // 0 without a description); unset: none.
    std::optional<ImageDescriptionRecord> image_description;
    uint32_t render_intent = 0;
    bool acquire_fence = false;           // explicit sync: set_acquire_fence before this commit
    bool release_requested = false;       // explicit sync: get_release before this commit
    uint64_t acquire_point = 0;           // syncobj: the points set for this commit (0: none)
    uint64_t release_point = 0;
    bool acquire_signalled = false;       // syncobj: the acquire point signalled within 2 s of the commit
    uint64_t time_ns = 0;                 // the commit request (CLOCK_MONOTONIC)
    bool fifo_set_barrier = false;        // wp_fifo_v1 requests of this commit
    bool fifo_wait_barrier = false;
    uint64_t target_ns = 0;               // wp_commit_timer_v1 timestamp (CLOCK_MONOTONIC); 0: none
    uint64_t applied_ns = 0;              // when the update applied (CLOCK_MONOTONIC): time_ns or a tick's
    uint64_t applied_tick = 0;            // the tick (Records::ticks) that applied it; 0: at its commit
    bool queued = false;                  // it waited in the surface's queue
};

struct FrameCallbackRecord {
    uint64_t surface = 0;
    uint32_t time_ms = 0;  // the value sent in wl_callback.done
    uint64_t tick = 0;
};

struct PresentationRecord {
    uint64_t surface = 0;
    uint64_t commit = 0;     // the commit the feedback was requested with; 0: its update never applied
    bool presented = false;  // false: discarded
    uint64_t time_ns = 0;    // presented: the timestamp sent (CLOCK_MONOTONIC)
    uint32_t refresh_ns = 0;
    uint64_t seq = 0;  // the tick number
    uint32_t flags = 0;
};

struct ReleaseRecord {
    uint64_t buffer = 0;
    uint64_t time_ns = 0;
};

struct ConfigureRecord {
    uint64_t surface = 0;
    uint32_t serial = 0;
    int32_t width = 0;
    int32_t height = 0;
    bool fullscreen = false;
    bool maximized = false;
    bool acked = false;
};

struct FeedbackRecord {
    uint64_t client = 0;
    uint64_t surface = 0;     // 0: default feedback
    uint64_t generation = 0;  // which feedback config (1: the initial one; +1 per change)
    uint32_t table_size = 0;  // as announced
    size_t tranches = 0;
};

// One capture request and what it was answered with.
struct CaptureRecord {
    std::string protocol;  // "ext-image-copy-capture-v1", "zwlr_screencopy_manager_v1", "weston_capture_v1"
    uint64_t client = 0;
    // "ready" (weston: "complete"), "failed", "failed buffer_constraints", "failed stopped", "retry"
    std::string outcome;
    int32_t overlay_cursor = -1;  // wlr: capture_output's argument
    uint32_t options = 0;         // ext: create_session's options
    std::vector<Rect> damage;     // ext: damage_buffer before capture
    uint64_t buffer = 0;          // the client's buffer (serial); 0: none usable
};

struct ErrorRecord {
    uint64_t client = 0;
    std::string interface;
    uint32_t object_id = 0;
    uint32_t code = 0;
    std::string message;
};

// How many per-frame records there have been, kept or not (Config::frame_records_kept).
struct RecordTotals {
    uint64_t commits = 0;
    uint64_t frame_callbacks = 0;
    uint64_t presentations = 0;  // presented or discarded
    uint64_t presented = 0;
    uint64_t releases = 0;
};

struct Records {
    std::vector<ParamsRecord> params;  // by serial - 1
    std::vector<BufferRecord> buffers;  // by serial - 1
    // Per frame, oldest first; only the newest Config::frame_records_kept of each when that is set.
    std::vector<CommitRecord> commits;
    std::vector<FrameCallbackRecord> frame_callbacks;
    std::vector<PresentationRecord> presentations;
    std::vector<ReleaseRecord> releases;
    RecordTotals totals;
    std::vector<ConfigureRecord> configures;
    std::vector<FeedbackRecord> feedbacks;
    std::vector<ErrorRecord> errors;  // protocol errors the compositor raised
    std::vector<ImageDescriptionRecord> image_descriptions;  // every wp_image_description_v1, by serial - 1
    std::vector<CaptureRecord> captures;
    uint64_t fenced_releases = 0;     // explicit sync release events sent
    uint64_t immediate_releases = 0;
    uint64_t ticks = 0;
    uint64_t queued_updates = 0;     // content updates waiting now (all surfaces)
    uint64_t clients_connected = 0;  // now
    uint64_t clients_total = 0;      // ever
};

// One plane's bytes, read through its fd: `height` rows of `stride` bytes from the plane's offset
// (the plane's height for subsampled planes of formats the project knows).
struct PlaneContents {
    std::vector<uint8_t> bytes;
    uint32_t stride = 0;
    uint32_t rows = 0;
};

// ---------------------------------------------------------------------------------------------

namespace detail {
class Runner;
}

class TestCompositor {
public:
    // Creates the display, globals and socket, and starts the server thread.
    static Result<std::unique_ptr<TestCompositor>> create(Config config = {});
    TestCompositor(const TestCompositor&) = delete;
    TestCompositor& operator=(const TestCompositor&) = delete;
    ~TestCompositor();  // stop()

    const Config& config() const noexcept { return config_; }
    // For wl_display_connect; empty without Config::listen.
    const std::string& socket_name() const noexcept { return socket_name_; }
    // The client end of a new connection, for wl_display_connect_to_fd (which takes the fd).
    Result<UniqueFd> connect_fd();

    // --- knobs ---
    // Params with these (format, modifier) pairs get `failed` (create) or what
    // Config::immed_failure says (create_immed). Replaces the previous list.
    void fail_pairs(std::vector<FormatModifier> pairs);
    void set_immed_failure(ImmedFailure mode);
    // Replaces the default or surface feedback and re-sends it, with a new table memfd, to every
    // bound feedback object of that kind. set_feedback does both.
    void set_default_feedback(FeedbackConfig feedback);
    void set_surface_feedback(FeedbackConfig feedback);
    void set_feedback(FeedbackConfig feedback);
    // While withheld, releases are queued instead of sent. Turning it off does not send them.
    void withhold_releases(bool withhold);
    // Sends every queued release (of buffers still alive).
    void release_all();
    // Signals every fenced_release fence sent so far (ReleaseFences::fenced).
    void signal_release_fences();
    void set_release_policy(ReleasePolicy policy);
    // A repaint: presentation feedback of committed content (presented, or discarded for surfaces
    // without a buffer or while discarding), frame callbacks done, on_present releases.
    void tick();
    void set_auto_tick(std::optional<std::chrono::nanoseconds> period);
    void set_discard_presentation(bool discard);
    // Hidden surfaces (all of them): ticks send no frame callbacks (they wait until shown) and
    // discard the feedback of current content; wait_barrier is ignored. Queued updates held only by
    // a barrier apply at the next tick.
    void set_surfaces_hidden(bool hidden);
    // Sends a new configure to every toplevel: this size in the normal state.
    void set_configure_size(int32_t width, int32_t height);
    void send_close();  // xdg_toplevel.close to every toplevel
    // The output gets a new size: wl_output mode (and done), new buffer constraints to every
    // ext session, a new size to every weston capture source.
    void set_output_size(int32_t width, int32_t height);
    void set_capture_fault(CaptureFault fault);
    // At the next wl_surface.commit of any client, posts this error on that client's object of
    // `interface` ("wl_surface": the committing surface; "xdg_surface"/"xdg_toplevel": its role
    // objects; other names: the client's first object of that interface; none: an
    // implementation error on the display).
    void raise_protocol_error(std::string interface, uint32_t code, std::string message = "injected error");
    void disconnect_clients();
    // The compositor dies: clients are disconnected, the socket goes away. Records stay readable.
    void stop();
    bool running() const;

    // --- records ---
    Records records() const;
    // Waits until `pred` holds for the records (called under the records' lock: it must not call
    // back into the compositor). False on timeout.
    bool wait_until(const std::function<bool(const Records&)>& pred,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) const;
    // The serial of the newest buffer with this protocol id (of `client`, or of any client when 0).
    std::optional<uint64_t> buffer_serial(uint32_t object_id, uint64_t client = 0) const;
    // The buffer of the newest commit that had one.
    std::optional<uint64_t> last_committed_buffer() const;
    // A plane's bytes through mmap of its recorded fd.
    Result<PlaneContents> read_buffer(uint64_t buffer_serial, uint32_t plane = 0) const;
    Result<PlaneContents> read_last_committed_buffer(uint32_t plane = 0) const;

private:
    explicit TestCompositor(Config config);
    Config config_;
    std::string socket_name_;
    std::unique_ptr<detail::Runner> runner_;
};

}  // namespace dmafeed::test

// TestCompositor: the server thread, the command queue that runs knobs on it, and the test-side
// readers of the records.
#include "test_compositor.hpp"

#include "server.hpp"

#include "drm/format_info.hpp"
#include "util/log.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>
#include <wayland-server-core.h>

namespace dmafeed::test {

FormatSet default_formats()
{
    return FormatSet{
        {DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear},
        {DrmFormat{DRM_FORMAT_XRGB8888}, modifier_implicit},
        {DrmFormat{DRM_FORMAT_ARGB8888}, modifier_linear},
        {DrmFormat{DRM_FORMAT_ARGB8888}, modifier_implicit},
        {DrmFormat{DRM_FORMAT_NV12}, modifier_linear},
    };
}

FeedbackConfig FeedbackConfig::single(dev_t device, const FormatSet& formats, uint32_t flags)
{
    FeedbackConfig config;
    config.main_device = device;
    config.tranches.push_back({device, flags, formats.pairs()});
    return config;
}

FormatSet FeedbackConfig::formats() const
{
    FormatSet all;
    for (const FeedbackTranche& tranche : tranches) {
        for (const FormatModifier& pair : tranche.formats) {
            all.add(pair);
        }
    }
    return all;
}

namespace detail {

// Owns the records, the server and the thread the server runs on. The records come first: they
// outlive the server, and stay readable after stop().
class Runner {
public:
    static Result<std::unique_ptr<Runner>> start(const Config& config, std::string* socket_name)
    {
        std::unique_ptr<Runner> runner{new Runner};
        auto server = Server::create(config, runner->records_);
        if (!server) {
            return std::move(server).error();
        }
        runner->server_ = std::move(*server);
        if (config.listen) {
            auto name = runner->server_->add_socket();
            if (!name) {
                return std::move(name).error();
            }
            *socket_name = std::move(*name);
        }
        runner->wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!runner->wake_fd_) {
            return Error::from_errno("eventfd", errno);
        }
        runner->wake_source_ = wl_event_loop_add_fd(runner->server_->loop, runner->wake_fd_.get(), WL_EVENT_READABLE,
                                                    handle_wake, runner.get());
        if (!runner->wake_source_) {
            return Error{"wl_event_loop_add_fd failed"};
        }
        Runner* raw = runner.get();
        runner->thread_ = std::thread{[raw] { raw->thread_main(); }};
        return runner;
    }

    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;
    ~Runner()
    {
        if (thread_.joinable()) {
            stop();
        } else if (server_) {  // start() failed before the thread ran
            if (wake_source_) {
                wl_event_source_remove(wake_source_);
            }
            server_.reset();
        }
    }

    const RecordStore& records() const noexcept { return records_; }

    // Runs `fn` on the server thread and waits for it. False (not run) once the server is gone.
    bool run(const std::function<void(Server&)>& fn)
    {
        if (std::this_thread::get_id() == server_thread_.load()) {
            fn(*server_);
            return true;
        }
        std::packaged_task<void()> task{[&] { fn(*server_); }};
        std::future<void> done = task.get_future();
        {
            std::lock_guard lock{mutex_};
            if (!accepting_) {
                return false;
            }
            queue_.push_back(std::move(task));
        }
        const uint64_t one = 1;
        while (write(wake_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
        }
        done.get();
        return true;
    }

    void stop()
    {
        std::lock_guard lock{stop_mutex_};
        run([this](Server&) { quit_ = true; });
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    bool running() const
    {
        std::lock_guard lock{mutex_};
        return accepting_;
    }

private:
    Runner() = default;

    static int handle_wake(int fd, uint32_t, void* data) noexcept
    {
        uint64_t count = 0;
        while (read(fd, &count, sizeof count) < 0 && errno == EINTR) {
        }
        static_cast<Runner*>(data)->run_queue();
        return 0;
    }

    void run_queue()
    {
        std::deque<std::packaged_task<void()>> tasks;
        {
            std::lock_guard lock{mutex_};
            tasks.swap(queue_);
        }
        for (auto& task : tasks) {
            task();
        }
        wl_display_flush_clients(server_->display);
    }

    void thread_main()
    {
        server_thread_ = std::this_thread::get_id();
        while (!quit_) {
            wl_display_flush_clients(server_->display);
            if (wl_event_loop_dispatch(server_->loop, -1) < 0 && errno != EINTR) {
                log::error("test compositor: wl_event_loop_dispatch: errno %d", errno);
                break;
            }
        }
        {
            std::lock_guard lock{mutex_};
            accepting_ = false;
        }
        run_queue();  // whatever came in meanwhile
        wl_event_source_remove(wake_source_);
        wake_source_ = nullptr;
        server_.reset();  // clients and display die on this thread
    }

    RecordStore records_;
    std::unique_ptr<Server> server_;
    UniqueFd wake_fd_;
    wl_event_source* wake_source_ = nullptr;
    mutable std::mutex mutex_;
    std::deque<std::packaged_task<void()>> queue_;
    bool accepting_ = true;
    bool quit_ = false;  // server thread only
    std::mutex stop_mutex_;
    std::atomic<std::thread::id> server_thread_{};
    std::thread thread_;
};

}  // namespace detail

namespace {

// libwayland's sockets live in $XDG_RUNTIME_DIR; without one, the process gets a private directory.
Result<void> ensure_runtime_dir()
{
    static std::once_flag once;
    static std::string error;
    std::call_once(once, [] {
        const char* dir = std::getenv("XDG_RUNTIME_DIR");
        if (dir && *dir) {
            return;
        }
        std::error_code ec;
        std::string pattern = (std::filesystem::temp_directory_path(ec) / "dmafeed-test-runtime-XXXXXX").string();
        if (!mkdtemp(pattern.data())) {
            error = Error::from_errno("mkdtemp for XDG_RUNTIME_DIR", errno).message();
            return;
        }
        setenv("XDG_RUNTIME_DIR", pattern.c_str(), 1);
        static std::string created;
        created = pattern;
        std::atexit([] { rmdir(created.c_str()); });
    });
    if (!error.empty()) {
        return Error{error};
    }
    return {};
}

}  // namespace

TestCompositor::TestCompositor(Config config) : config_{std::move(config)} {}

TestCompositor::~TestCompositor()
{
    stop();
}

Result<std::unique_ptr<TestCompositor>> TestCompositor::create(Config config)
{
    if (config.listen) {
        if (auto r = ensure_runtime_dir(); !r) {
            return std::move(r).error();
        }
    }
    std::unique_ptr<TestCompositor> compositor{new TestCompositor{std::move(config)}};
    auto runner = detail::Runner::start(compositor->config_, &compositor->socket_name_);
    if (!runner) {
        return std::move(runner).error().context("test compositor");
    }
    compositor->runner_ = std::move(*runner);
    return compositor;
}

Result<UniqueFd> TestCompositor::connect_fd()
{
    std::optional<Result<UniqueFd>> result;
    if (!runner_->run([&](detail::Server& s) { result.emplace(s.connect_fd()); })) {
        return Error{"test compositor: connect_fd after stop()"};
    }
    return std::move(*result);
}

void TestCompositor::fail_pairs(std::vector<FormatModifier> pairs)
{
    runner_->run([&](detail::Server& s) { s.fail_pairs = {pairs.begin(), pairs.end()}; });
}

void TestCompositor::set_immed_failure(ImmedFailure mode)
{
    runner_->run([&](detail::Server& s) { s.config.immed_failure = mode; });
}

void TestCompositor::set_default_feedback(FeedbackConfig feedback)
{
    runner_->run([&](detail::Server& s) { s.set_default_feedback(std::move(feedback)); });
}

void TestCompositor::set_surface_feedback(FeedbackConfig feedback)
{
    runner_->run([&](detail::Server& s) { s.set_surface_feedback(std::move(feedback)); });
}

void TestCompositor::set_feedback(FeedbackConfig feedback)
{
    runner_->run([&](detail::Server& s) {
        s.set_surface_feedback(feedback);
        s.set_default_feedback(std::move(feedback));
    });
}

void TestCompositor::withhold_releases(bool withhold)
{
    runner_->run([&](detail::Server& s) { s.withhold = withhold; });
}

void TestCompositor::release_all()
{
    runner_->run([](detail::Server& s) { s.release_all(); });
}

void TestCompositor::signal_release_fences()
{
    runner_->run([](detail::Server& s) { s.signal_release_fences(); });
}

void TestCompositor::set_release_policy(ReleasePolicy policy)
{
    runner_->run([&](detail::Server& s) { s.config.release_policy = policy; });
}

void TestCompositor::tick()
{
    runner_->run([](detail::Server& s) { s.tick(); });
}

void TestCompositor::set_auto_tick(std::optional<std::chrono::nanoseconds> period)
{
    runner_->run([&](detail::Server& s) { s.set_auto_tick(period); });
}

void TestCompositor::set_discard_presentation(bool discard)
{
    runner_->run([&](detail::Server& s) { s.discard_presentation = discard; });
}

void TestCompositor::set_surfaces_hidden(bool hidden)
{
    runner_->run([&](detail::Server& s) { s.surfaces_hidden = hidden; });
}

void TestCompositor::set_configure_size(int32_t width, int32_t height)
{
    runner_->run([&](detail::Server& s) {
        s.configure_width = width;
        s.configure_height = height;
        s.configure_all();
    });
}

void TestCompositor::send_close()
{
    runner_->run([](detail::Server& s) { s.close_all(); });
}

void TestCompositor::set_output_size(int32_t width, int32_t height)
{
    runner_->run([&](detail::Server& s) { s.set_output_size(width, height); });
}

void TestCompositor::set_capture_fault(CaptureFault fault)
{
    runner_->run([&](detail::Server& s) { s.config.capture.fault = fault; });
}

void TestCompositor::raise_protocol_error(std::string interface, uint32_t code, std::string message)
{
    runner_->run([&](detail::Server& s) {
        s.injected_error = detail::InjectedError{std::move(interface), code, std::move(message)};
    });
}

void TestCompositor::disconnect_clients()
{
    runner_->run([](detail::Server& s) { s.disconnect_clients(); });
}

void TestCompositor::stop()
{
    if (runner_) {
        runner_->stop();
    }
}

bool TestCompositor::running() const
{
    return runner_ && runner_->running();
}

Records TestCompositor::records() const
{
    return runner_->records().read([](const Records& r) { return r; });
}

bool TestCompositor::wait_until(const std::function<bool(const Records&)>& pred,
                                std::chrono::milliseconds timeout) const
{
    return runner_->records().wait_until(pred, timeout);
}

std::optional<uint64_t> TestCompositor::buffer_serial(uint32_t object_id, uint64_t client) const
{
    return runner_->records().read([&](const Records& r) -> std::optional<uint64_t> {
        std::optional<uint64_t> destroyed;
        for (auto it = r.buffers.rbegin(); it != r.buffers.rend(); ++it) {
            if (it->object_id != object_id || (client != 0 && it->client != client)) {
                continue;
            }
            if (!it->destroyed) {
                return it->serial;
            }
            if (!destroyed) {
                destroyed = it->serial;
            }
        }
        return destroyed;
    });
}

std::optional<uint64_t> TestCompositor::last_committed_buffer() const
{
    return runner_->records().read([](const Records& r) -> std::optional<uint64_t> {
        for (auto it = r.commits.rbegin(); it != r.commits.rend(); ++it) {
            if (it->buffer != 0) {
                return it->buffer;
            }
        }
        return std::nullopt;
    });
}

Result<PlaneContents> TestCompositor::read_buffer(uint64_t buffer_serial, uint32_t plane) const
{
    auto record = runner_->records().read([&](const Records& r) -> std::optional<BufferRecord> {
        if (buffer_serial == 0 || buffer_serial > r.buffers.size()) {
            return std::nullopt;
        }
        return r.buffers[buffer_serial - 1];
    });
    if (!record) {
        return Error{log::format("read_buffer: no buffer %llu", static_cast<unsigned long long>(buffer_serial))};
    }
    const PlaneRecord* found = nullptr;
    for (const PlaneRecord& p : record->planes) {
        if (p.plane_idx == plane) {
            found = &p;
        }
    }
    if (!found) {
        return Error{log::format("read_buffer: buffer %llu has no plane %u",
                                 static_cast<unsigned long long>(buffer_serial), plane)};
    }
    if (!found->fd) {
        return Error{"read_buffer: the plane's fd is gone (Config::keep_plane_fds is off)"};
    }
    const FormatInfo* info = format_info(record->format);
    const uint32_t rows = info && plane < info->plane_count
                              ? plane_height(*info, plane, static_cast<uint32_t>(record->height))
                              : static_cast<uint32_t>(record->height);
    const uint64_t length = uint64_t{found->stride} * rows;
    auto mapped = detail::PlaneMapping::map(found->fd->get(), found->offset, length, false, found->fd_size);
    if (!mapped) {
        return std::move(mapped).error().context(
            log::format("read_buffer: plane %u (offset %u, %u rows of %u)", plane, found->offset, rows, found->stride));
    }
    PlaneContents contents;
    contents.bytes.assign(mapped->data(), mapped->data() + length);
    contents.stride = found->stride;
    contents.rows = rows;
    return contents;
}

Result<PlaneContents> TestCompositor::read_last_committed_buffer(uint32_t plane) const
{
    const std::optional<uint64_t> serial = last_committed_buffer();
    if (!serial) {
        return Error{"read_last_committed_buffer: no commit had a buffer"};
    }
    return read_buffer(*serial, plane);
}

}  // namespace dmafeed::test

#include "session.hpp"

#include "linux-dmabuf-v1-client-protocol.h"
#include "wl/globals.hpp"
#include "wl/proxy.hpp"
#include "wl/window.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client-core.h>
#include <wayland-client-protocol.h>

namespace dmafeed::conform {

Result<CaseConnection> CaseConnection::open(const std::string& display, std::chrono::milliseconds timeout)
{
    CaseConnection c;
    auto connection = wl::Connection::connect(display.empty() ? nullptr : display.c_str());
    if (!connection) return std::move(connection).error();
    c.connection = std::move(connection).value();
    auto registry = wl::Registry::create(*c.connection, timeout);
    if (!registry) return std::move(registry).error();
    c.registry = std::move(registry).value();
    auto dmabuf = wl::LinuxDmabuf::bind(*c.registry, wl::LinuxDmabuf::max_supported_version);
    if (!dmabuf) return std::move(dmabuf).error();
    c.dmabuf = std::move(dmabuf).value();
    if (auto ok = c.connection->roundtrip(timeout); !ok) return std::move(ok).error();
    return c;
}

std::string params_error_name(uint32_t code)
{
    switch (code) {
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED: return "already_used";
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX: return "plane_idx";
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET: return "plane_set";
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE: return "incomplete";
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT: return "invalid_format";
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS: return "invalid_dimensions";
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS: return "out_of_bounds";
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER: return "invalid_wl_buffer";
    case ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DEV_T_SIZE: return "invalid_dev_t_size";
    default: return std::to_string(code);
    }
}

namespace {

std::string display_error_name(uint32_t code)
{
    switch (code) {
    case WL_DISPLAY_ERROR_INVALID_OBJECT: return "invalid_object";
    case WL_DISPLAY_ERROR_INVALID_METHOD: return "invalid_method";
    case WL_DISPLAY_ERROR_NO_MEMORY: return "no_memory";
    case WL_DISPLAY_ERROR_IMPLEMENTATION: return "implementation";
    default: return std::to_string(code);
    }
}

}  // namespace

std::optional<std::string> connection_outcome(const wl::Connection& connection, std::string* message)
{
    wl_display* display = connection.display();
    const int err = wl_display_get_error(display);
    if (err == 0) {
        if (auto status = connection.status(); !status) {
            if (message) *message = status.error().message();
            return "disconnected";
        }
        return std::nullopt;
    }
    if (err != EPROTO) {
        if (message) *message = Error::from_errno("the connection broke", err).message();
        return "disconnected";
    }
    const wl_interface* iface = nullptr;
    uint32_t id = 0;
    const uint32_t code = wl_display_get_protocol_error(display, &iface, &id);
    const std::string interface = iface ? iface->name : "unknown";
    std::string name;
    if (interface == zwp_linux_buffer_params_v1_interface.name) {
        name = params_error_name(code);
    } else if (interface == wl_display_interface.name) {
        name = "wl_display." + display_error_name(code);
    } else {
        name = interface + "." + std::to_string(code);
    }
    if (message) {
        *message = "protocol error " + interface + "@" + std::to_string(id) + " code " + std::to_string(code) + " (" +
                   name + ")";
    }
    return "error " + name;
}

Result<TestBuffer> make_memfd_buffer(uint64_t size)
{
    const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    size = (size + page - 1) / page * page;
    UniqueFd memfd{memfd_create("dmafeed-conform", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!memfd) return Error::from_errno("memfd_create", errno);
    if (ftruncate(memfd.get(), static_cast<off_t>(size)) != 0) return Error::from_errno("ftruncate of a memfd", errno);
    return TestBuffer{std::move(memfd), size, "memfd"};
}

Result<TestBuffer> make_test_buffer(uint64_t size, bool allow_udmabuf)
{
    auto memfd = make_memfd_buffer(size);
    if (!memfd || !allow_udmabuf) return memfd;
    UniqueFd dev{::open("/dev/udmabuf", O_RDWR | O_CLOEXEC)};
    if (!dev) return memfd;
    // udmabuf needs the memfd sealed against shrinking.
    if (fcntl(memfd->fd.get(), F_ADD_SEALS, F_SEAL_SHRINK) != 0) return memfd;
    udmabuf_create create{};
    create.memfd = static_cast<uint32_t>(memfd->fd.get());
    create.flags = UDMABUF_FLAGS_CLOEXEC;
    create.offset = 0;
    create.size = memfd->size;
    const int fd = ioctl(dev.get(), UDMABUF_CREATE, &create);
    if (fd < 0) return memfd;
    return TestBuffer{UniqueFd{fd}, memfd->size, "udmabuf"};
}

Result<void> show_shm_frame(const std::string& display, std::chrono::milliseconds timeout)
{
    auto connection = wl::Connection::connect(display.c_str());
    if (!connection) return std::move(connection).error();
    auto globals = wl::Globals::bind(**connection, wl::LinuxDmabuf::max_supported_version, timeout);
    if (!globals) return std::move(globals).error();
    auto window = wl::Window::create(**connection, **globals, {.title = "dmafeed-conform", .app_id = "dmafeed-conform"},
                                     timeout);
    if (!window) return std::move(window).error();
    auto bound = (*globals)->registry().bind(wl_shm_interface, 1, 1);
    if (!bound) return std::move(bound).error();
    const wl::ProxyPtr<wl_shm, wl_shm_destroy> shm{static_cast<wl_shm*>(*bound)};  // v1: no release request
    constexpr int32_t side = 16;
    auto memory = make_memfd_buffer(side * side * 4);
    if (!memory) return std::move(memory).error();
    wl::ProxyPtr<wl_buffer, wl_buffer_destroy> buffer;
    {
        const wl::ProxyPtr<wl_shm_pool, wl_shm_pool_destroy> pool{
            wl_shm_create_pool(shm.get(), memory->fd.get(), static_cast<int32_t>(memory->size))};
        buffer.reset(wl_shm_pool_create_buffer(pool.get(), 0, side, side, side * 4, WL_SHM_FORMAT_XRGB8888));
    }
    (*window)->present(buffer.get(), side, side, side, side, 0);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Result<void> ok{};
    while (ok && (*window)->frame_pending() && std::chrono::steady_clock::now() < deadline) {
        ok = (*connection)->dispatch(std::chrono::milliseconds{100});
    }
    const bool shown = !(*window)->frame_pending();
    // The window, then the buffer, go before the roundtrip below, which makes sure the compositor
    // has let go of them.
    window->reset();
    buffer.reset();
    if (!ok) return ok;
    if (!shown) return Error{"no frame callback for the wl_shm frame within " + std::to_string(timeout.count()) + " ms"};
    return (*connection)->roundtrip(timeout);
}

std::optional<CaseResult> not_run(const Hooks& hooks, const std::string& id)
{
    if (!hooks.stop_reason) return std::nullopt;
    std::optional<std::string> why = hooks.stop_reason();
    if (!why) return std::nullopt;
    CaseRun run{id};
    return run.finish("not-run", "not run: " + *why);
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace dmafeed::conform

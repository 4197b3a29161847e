// The server's display, clients, protocol errors, ticks and the injected-error knob; plane mappings.
#include "server.hpp"

#include "util/log.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <wayland-server.h>

namespace dmafeed::test::detail {

uint64_t now_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {

// Begins or ends CPU access to a dma-buf; a no-op for other fds.
void dmabuf_sync(int fd, uint64_t flags)
{
    dma_buf_sync sync{.flags = flags};
    while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 && (errno == EINTR || errno == EAGAIN)) {
    }
}

}  // namespace

Result<PlaneMapping> PlaneMapping::map(int fd, uint64_t offset, uint64_t length, bool writable, int64_t size_hint)
{
    struct stat st{};
    uint64_t size = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        size = static_cast<uint64_t>(st.st_size);
    } else if (size_hint > 0) {
        size = static_cast<uint64_t>(size_hint);
    }
    if (size == 0 || offset + length > size) {
        return Error{log::format("%llu bytes at offset %llu do not fit in %llu bytes",
                                 static_cast<unsigned long long>(length), static_cast<unsigned long long>(offset),
                                 static_cast<unsigned long long>(size))};
    }
    void* map = mmap(nullptr, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        return Error::from_errno("mmap", errno);
    }
    const uint64_t sync = writable ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ;
    dmabuf_sync(fd, DMA_BUF_SYNC_START | sync);
    return PlaneMapping{fd, map, size, offset, sync};
}

PlaneMapping::PlaneMapping(PlaneMapping&& other) noexcept
    : fd_{other.fd_}, map_{std::exchange(other.map_, MAP_FAILED)}, size_{other.size_}, offset_{other.offset_},
      sync_{other.sync_}
{
}

PlaneMapping::~PlaneMapping()
{
    if (map_ != MAP_FAILED) {
        dmabuf_sync(fd_, DMA_BUF_SYNC_END | sync_);
        munmap(map_, size_);
    }
}

bool RecordStore::wait_until(const std::function<bool(const Records&)>& pred,
                             std::chrono::milliseconds timeout) const
{
    std::unique_lock lock{mutex_};
    return cv_.wait_for(lock, timeout, [&] { return pred(records_); });
}

namespace {

ClientInfo* owner_of(wl_listener* listener)
{
    return reinterpret_cast<ClientListener*>(listener)->owner;
}

void handle_client_destroy(wl_listener* listener, void*) noexcept
{
    ClientInfo* info = owner_of(listener);
    info->dying = true;
    info->server->records.update([](Records& r) { --r.clients_connected; });
}

void handle_client_destroy_late(wl_listener* listener, void*) noexcept
{
    ClientInfo* info = owner_of(listener);
    auto& clients = info->server->clients;
    clients.erase(std::remove(clients.begin(), clients.end(), info), clients.end());
    wl_list_remove(&info->destroy.listener.link);
    wl_list_remove(&info->destroy_late.listener.link);
    delete info;
}

void handle_client_created(wl_listener* listener, void* data) noexcept
{
    auto* created = reinterpret_cast<Server::ClientCreated*>(listener);
    Server* server = created->server;
    auto* info = new ClientInfo;
    info->server = server;
    info->client = static_cast<wl_client*>(data);
    info->serial = server->next_client++;
    info->destroy = {{{nullptr, nullptr}, handle_client_destroy}, info};
    info->destroy_late = {{{nullptr, nullptr}, handle_client_destroy_late}, info};
    wl_client_add_destroy_listener(info->client, &info->destroy.listener);
    wl_client_add_destroy_late_listener(info->client, &info->destroy_late.listener);
    server->clients.push_back(info);
    server->records.update([](Records& r) {
        ++r.clients_connected;
        ++r.clients_total;
    });
}

int handle_timer(int fd, uint32_t, void* data) noexcept
{
    uint64_t expirations = 0;
    if (read(fd, &expirations, sizeof expirations) == sizeof expirations && expirations > 0) {
        static_cast<Server*>(data)->tick();
    }
    return 0;
}

struct FindResource {
    const std::string* interface;
    wl_resource* found;
};

wl_iterator_result find_resource(wl_resource* resource, void* data) noexcept
{
    auto* find = static_cast<FindResource*>(data);
    if (*find->interface == wl_resource_get_class(resource)) {
        find->found = resource;
        return WL_ITERATOR_STOP;
    }
    return WL_ITERATOR_CONTINUE;
}

}  // namespace

Server::Server(const Config& cfg, RecordStore& store)
    : config{cfg}, records{store}, configure_width{cfg.width}, configure_height{cfg.height}
{
}

Server::~Server()
{
    if (timer_source) {
        wl_event_source_remove(timer_source);
    }
    if (display) {
        wl_display_destroy_clients(display);
        if (client_created.server) {
            wl_list_remove(&client_created.listener.link);
        }
        wl_display_destroy(display);
    }
}

Result<std::unique_ptr<Server>> Server::create(const Config& config, RecordStore& records)
{
    std::unique_ptr<Server> server{new Server{config, records}};
    if (auto r = server->init(); !r) {
        return std::move(r).error();
    }
    return server;
}

Result<void> Server::init()
{
    display = wl_display_create();
    if (!display) {
        return Error{"wl_display_create failed"};
    }
    loop = wl_display_get_event_loop(display);
    client_created = {{{nullptr, nullptr}, handle_client_created}, this};
    wl_display_add_client_created_listener(display, &client_created.listener);

    if (auto r = init_surface(); !r) {
        return r;
    }
    if (auto r = init_xdg(); !r) {
        return r;
    }
    if (auto r = init_dmabuf(); !r) {
        return r;
    }
    if (auto r = init_sync(); !r) {
        return r;
    }
    if (auto r = init_viewporter(); !r) {
        return r;
    }
    if (auto r = init_syncobj(); !r) {
        return r;
    }
    if (auto r = init_color_representation(); !r) {
        return r;
    }
    if (auto r = init_color_management(); !r) {
        return r;
    }
    if (auto r = init_timing(); !r) {
        return r;
    }
    if (auto r = init_shm(); !r) {
        return r;
    }
    if (auto r = init_capture(); !r) {
        return r;
    }
    set_auto_tick(config.auto_tick);
    return {};
}

Result<std::string> Server::add_socket()
{
    const char* name = wl_display_add_socket_auto(display);
    if (!name) {
        return Error::from_errno("wl_display_add_socket_auto", errno);
    }
    return std::string{name};
}

Result<UniqueFd> Server::connect_fd()
{
    int fds[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        return Error::from_errno("socketpair", errno);
    }
    UniqueFd server_end{fds[0]};
    UniqueFd client_end{fds[1]};
    if (!wl_client_create(display, server_end.get())) {
        return Error::from_errno("wl_client_create", errno);
    }
    (void)server_end.release();  // the wl_client owns it now
    return client_end;
}

ClientInfo* Server::client_info(wl_client* client) const
{
    for (ClientInfo* info : clients) {
        if (info->client == client) {
            return info;
        }
    }
    return nullptr;
}

uint64_t Server::client_serial(wl_client* client) const
{
    const ClientInfo* info = client_info(client);
    return info ? info->serial : 0;
}

bool Server::client_dying(wl_client* client) const
{
    const ClientInfo* info = client_info(client);
    return !info || info->dying;
}

void Server::post_error(wl_resource* resource, uint32_t code, const std::string& message)
{
    ErrorRecord error{
        .client = client_serial(wl_resource_get_client(resource)),
        .interface = wl_resource_get_class(resource),
        .object_id = wl_resource_get_id(resource),
        .code = code,
        .message = message,
    };
    log::debug("test compositor: %s@%u error %u: %s", error.interface.c_str(), error.object_id, code,
               message.c_str());
    records.update([&](Records& r) { r.errors.push_back(std::move(error)); });
    wl_resource_post_error(resource, code, "%s", message.c_str());
}

void Server::disconnect_clients()
{
    std::vector<wl_client*> all;
    for (const ClientInfo* info : clients) {
        if (!info->dying) {
            all.push_back(info->client);
        }
    }
    for (wl_client* client : all) {
        wl_client_destroy(client);
    }
}

void Server::set_auto_tick(std::optional<std::chrono::nanoseconds> period)
{
    if (timer_source) {
        wl_event_source_remove(timer_source);
        timer_source = nullptr;
    }
    timer_fd.reset();
    if (!period || period->count() <= 0) {
        return;
    }
    UniqueFd fd{timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
    if (!fd) {
        log::error("test compositor: timerfd_create: errno %d", errno);
        return;
    }
    const auto ns = period->count();
    itimerspec spec{};
    spec.it_interval.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_interval.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    spec.it_value = spec.it_interval;
    if (timerfd_settime(fd.get(), 0, &spec, nullptr) != 0) {
        log::error("test compositor: timerfd_settime: errno %d", errno);
        return;
    }
    timer_source = wl_event_loop_add_fd(loop, fd.get(), WL_EVENT_READABLE, handle_timer, this);
    timer_fd = std::move(fd);
}

void Server::tick()
{
    const uint64_t tick_number = ++ticks;
    const uint64_t time = now_ns();
    records.update([&](Records& r) { r.ticks = tick_number; });
    tick_surfaces(tick_number, time);
}

bool Server::fire_injected_error(Surface* surface)
{
    if (!injected_error) {
        return false;
    }
    const InjectedError error = std::move(*injected_error);
    injected_error.reset();

    wl_client* client = wl_resource_get_client(surface->resource);
    wl_resource* target = nullptr;
    if (error.interface == "wl_surface") {
        target = surface->resource;
    } else if (error.interface == "xdg_surface" && surface->xdg) {
        target = surface->xdg->resource;
    } else if (error.interface == "xdg_toplevel" && surface->xdg && surface->xdg->toplevel) {
        target = surface->xdg->toplevel->resource;
    } else if (error.interface == "xdg_wm_base" && surface->xdg && surface->xdg->wm) {
        target = surface->xdg->wm->resource;
    }
    if (!target) {
        FindResource find{&error.interface, nullptr};
        wl_client_for_each_resource(client, find_resource, &find);
        target = find.found;
    }
    if (target) {
        post_error(target, error.code, error.message);
    } else {
        records.update([&](Records& r) {
            r.errors.push_back({client_serial(client), "wl_display", 1, WL_DISPLAY_ERROR_IMPLEMENTATION,
                                error.message});
        });
        wl_client_post_implementation_error(client, "%s", error.message.c_str());
    }
    return true;
}

}  // namespace dmafeed::test::detail

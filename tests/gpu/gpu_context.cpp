#include "gpu_context.hpp"

#include "vk/physical_device.hpp"

#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

namespace dmafeed::test {
namespace {

bool env_is(const char* name, const char* value)
{
    const char* v = std::getenv(name);
    return v && std::strcmp(v, value) == 0;
}

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

std::string api_string(uint32_t v)
{
    return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
           std::to_string(VK_API_VERSION_PATCH(v));
}

}  // namespace

std::vector<std::string> GpuContext::validation_errors() const
{
    const std::lock_guard lock{mutex_};
    return errors_;
}

size_t GpuContext::validation_error_count() const
{
    const std::lock_guard lock{mutex_};
    return errors_.size();
}

Result<std::unique_ptr<GpuContext>> GpuContext::open()
{
    std::unique_ptr<GpuContext> ctx{new GpuContext};
    vk::InstanceOptions options{.validation = !env_is("DMAFEED_GPU_VALIDATION", "0")};
    GpuContext* raw = ctx.get();
    options.on_validation_message = [raw](const vk::ValidationMessage& m) {
        if (m.level != log::Level::error || m.suppressed) return;
        const std::lock_guard lock{raw->mutex_};
        raw->errors_.push_back("[" + m.id_name + "] " + m.text);
    };
    auto instance = vk::Instance::create(options);
    if (!instance) return Error{"no Vulkan instance: " + instance.error().message()};
    ctx->instance = std::make_unique<vk::Instance>(std::move(instance).value());
    auto handles = ctx->instance->physical_devices();
    if (!handles) return std::move(handles).error();

    const bool allow_cpu = env_is("DMAFEED_GPU_ALLOW_CPU", "1");
    std::string rejected;
    for (VkPhysicalDevice h : *handles) {
        const vk::PhysicalDeviceInfo info = vk::query_physical_device(h);
        const std::string label = info.name + " (" + info.driver + ", " + vk::device_type_name(info.type) + ")";
        if (info.type == VK_PHYSICAL_DEVICE_TYPE_CPU && !allow_cpu) {
            rejected += "\n  " + label + ": a CPU driver, not a GPU (DMAFEED_GPU_ALLOW_CPU=1 takes it)";
            continue;
        }
        const auto opaque_missing = info.missing(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT);
        if (!opaque_missing.empty()) {
            rejected += "\n  " + label + ": lacks " + join(opaque_missing);
            continue;
        }
        const auto dma_buf_missing = info.missing();
        if (!dma_buf_missing.empty() || env_is("DMAFEED_GPU_HANDLE", "opaque")) {
            ctx->handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
            if (!dma_buf_missing.empty()) {
                struct stat st{};
                ctx->why_no_dma_buf = "the driver exports no dma-buf: it lacks " + join(dma_buf_missing) +
                                      (stat("/dev/dri", &st) != 0 ? " (and this machine has no /dev/dri: on NVIDIA, dma-buf "
                                                                    "export needs the nvidia-drm kernel module)"
                                                                  : "");
            } else {
                ctx->why_no_dma_buf = "DMAFEED_GPU_HANDLE=opaque";
            }
        }
        auto device = vk::Device::create(info, ctx->handle_type);
        if (!device) {
            rejected += "\n  " + label + ": " + device.error().message();
            continue;
        }
        ctx->device = std::move(device).value();
        ctx->summary = "device: " + label + ", Vulkan " + api_string(info.api_version) + "\n";
        ctx->summary += "memory exported as: " +
                        std::string{ctx->dma_buf() ? "dma-buf" : "OPAQUE_FD (" + ctx->why_no_dma_buf + ")"} + "\n";
        ctx->summary += std::string{"validation layer: "} + (ctx->instance->validation_enabled() ? "on" : "not installed or off");
        return ctx;
    }
    if (handles->empty()) return Error{"no Vulkan device (is a Vulkan driver installed?)"};
    return Error{"no Vulkan GPU with DRM format modifiers and memory export:" + rejected};
}

PairRow& PairTable::row(const std::string& format, const std::string& modifier, const std::string& path)
{
    for (PairRow& r : rows_) {
        if (r.format == format && r.modifier == modifier && r.path == path) return r;
    }
    rows_.push_back({.format = format, .modifier = modifier, .path = path});
    return rows_.back();
}

std::string PairTable::markdown(const std::string& heading) const
{
    const auto yes = [](bool b) { return b ? "yes" : "no"; };
    const auto or_dash = [](const std::string& s) { return s.empty() ? std::string{"-"} : s; };
    std::string out = heading + "\n\n| format | modifier | path | memory planes | export | import | storage | disjoint | "
                                "dedicated only | layout (offset, pitch) | pixels | disjoint pixels |\n"
                                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (const PairRow& r : rows_) {
        out += "| " + r.format + " | " + r.modifier + " | " + r.path + " | " + std::to_string(r.memory_planes) + " | " +
               yes(r.exportable) + " | " + yes(r.importable) + " | " + yes(r.storage) + " | " + yes(r.disjoint) + " | " +
               yes(r.dedicated_only) + " | " + or_dash(r.layout) + " | " + or_dash(r.pixels) + " | " +
               or_dash(r.disjoint_pixels) + " |\n";
    }
    return out;
}

}  // namespace dmafeed::test

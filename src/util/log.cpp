#include "util/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace dmafeed::log {
namespace {

Level initial_level() noexcept
{
    const char* env = std::getenv("DMAFEED_DEBUG");
    return (env && std::strcmp(env, "1") == 0) ? Level::debug : Level::info;
}

std::atomic<Level>& current_level() noexcept
{
    static std::atomic<Level> lvl{initial_level()};
    return lvl;
}

// When the library was loaded (about when the process started): debug lines carry the time since.
const std::chrono::steady_clock::time_point loaded = std::chrono::steady_clock::now();

void default_sink(Level lvl, std::string_view message)
{
    if (level() == Level::debug) {
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - loaded).count();
        std::fprintf(stderr, "dmafeed: [%8.3f] %.*s: %.*s\n", t, static_cast<int>(level_name(lvl).size()),
                     level_name(lvl).data(), static_cast<int>(message.size()), message.data());
        return;
    }
    std::fprintf(stderr, "dmafeed: %.*s: %.*s\n", static_cast<int>(level_name(lvl).size()),
                 level_name(lvl).data(), static_cast<int>(message.size()), message.data());
}

Sink& sink() noexcept
{
    static Sink s{default_sink};
    return s;
}

std::string vformat(const char* fmt, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, fmt, copy);
    va_end(copy);
    if (n <= 0) {
        return {};
    }
    std::string out(static_cast<size_t>(n), '\0');
    std::vsnprintf(out.data(), out.size() + 1, fmt, args);
    return out;
}

void vwrite(Level lvl, const char* fmt, va_list args)
{
    if (lvl < level()) {
        return;
    }
    write(lvl, vformat(fmt, args));
}

}  // namespace

Sink set_sink(Sink s)
{
    return std::exchange(sink(), s ? std::move(s) : Sink{default_sink});
}

void set_level(Level lvl) noexcept { current_level().store(lvl); }
Level level() noexcept { return current_level().load(); }

std::string_view level_name(Level lvl) noexcept
{
    switch (lvl) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
    }
    return "?";
}

std::string format(const char* fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    std::string out = vformat(fmt, args);
    va_end(args);
    return out;
}

void write(Level lvl, std::string_view message)
{
    if (lvl >= level()) {
        sink()(lvl, message);
    }
}

#define DMAFEED_LOG_FN(name)              \
    void name(const char* fmt, ...)       \
    {                                     \
        va_list args;                     \
        va_start(args, fmt);              \
        vwrite(Level::name, fmt, args);   \
        va_end(args);                     \
    }
DMAFEED_LOG_FN(debug)
DMAFEED_LOG_FN(info)
DMAFEED_LOG_FN(warning)
DMAFEED_LOG_FN(error)
#undef DMAFEED_LOG_FN

}  // namespace dmafeed::log

// dmafeed_set_log_callback: the library's messages (util/log) go to the host's callback, from
// whichever thread logs them, or to standard error. The library's sink is installed when the
// library is loaded, before any producer or background thread exists, and never replaced: only
// the callback it forwards to changes, under a mutex.
#include "dmafeed/dmafeed.h"

#include "lib/c_enum.hpp"
#include "lib/errors.hpp"
#include "util/log.hpp"

#include <mutex>
#include <string>

namespace dmafeed::lib {
namespace {

struct Target {
    dmafeed_log_fn callback = nullptr;
    void* user = nullptr;
};

std::mutex target_mutex;
Target target;
log::Sink standard_error;  // the default sink, where messages go without a callback

dmafeed_log_level c_level(log::Level level) noexcept
{
    switch (level) {
    case log::Level::error: return DMAFEED_LOG_ERROR;
    case log::Level::warning: return DMAFEED_LOG_WARNING;
    case log::Level::info: return DMAFEED_LOG_INFO;
    case log::Level::debug: return DMAFEED_LOG_DEBUG;
    }
    return DMAFEED_LOG_DEBUG;
}

void forward(log::Level level, std::string_view message)
{
    Target t;
    {
        const std::lock_guard lock{target_mutex};
        t = target;
    }
    if (!t.callback) {
        standard_error(level, message);
        return;
    }
    try {
        const std::string text{message};  // NUL-terminated
        t.callback(t.user, c_level(level), text.c_str());
    } catch (const std::bad_alloc&) {
        // No memory to copy the message: it is lost (the sink runs in noexcept code).
    }
}

[[maybe_unused]] const bool installed = [] {
    standard_error = log::set_sink(forward);
    return true;
}();

}  // namespace
}  // namespace dmafeed::lib

extern "C" {

dmafeed_result dmafeed_set_log_callback(dmafeed_log_fn callback, void* user, dmafeed_log_level max_level)
{
    using namespace dmafeed;
    if (!lib::in_range(max_level, DMAFEED_LOG_ERROR, DMAFEED_LOG_DEBUG)) {
        return lib::fail(DMAFEED_ERROR_INVALID_ARGUMENT, "dmafeed_set_log_callback: max_level out of range");
    }
    constexpr log::Level levels[] = {log::Level::error, log::Level::warning, log::Level::info, log::Level::debug};
    log::set_level(levels[max_level - DMAFEED_LOG_ERROR]);
    const std::lock_guard lock{lib::target_mutex};
    lib::target = {callback, user};
    return DMAFEED_OK;
}

}  // extern "C"

#include "lib/errors.hpp"

#include <string>

namespace dmafeed::lib {
namespace {

thread_local std::string last_error;

}  // namespace

dmafeed_result fail(dmafeed_result code, std::string_view message) noexcept
{
    try {
        last_error.assign(message);
    } catch (...) {
        last_error.clear();  // no memory for the message: the code says it
    }
    return code;
}

}  // namespace dmafeed::lib

extern "C" {

const char* dmafeed_last_error(void) { return dmafeed::lib::last_error.c_str(); }

const char* dmafeed_result_name(dmafeed_result result)
{
    switch (result) {
    case DMAFEED_OK: return "DMAFEED_OK";
    case DMAFEED_TIMEOUT: return "DMAFEED_TIMEOUT";
    case DMAFEED_DROPPED: return "DMAFEED_DROPPED";
    case DMAFEED_ERROR_INVALID_ARGUMENT: return "DMAFEED_ERROR_INVALID_ARGUMENT";
    case DMAFEED_ERROR_INVALID_STATE: return "DMAFEED_ERROR_INVALID_STATE";
    case DMAFEED_ERROR_DISCONNECTED: return "DMAFEED_ERROR_DISCONNECTED";
    case DMAFEED_ERROR_NO_MEMORY: return "DMAFEED_ERROR_NO_MEMORY";
    case DMAFEED_ERROR_FAILED: return "DMAFEED_ERROR_FAILED";
    }
    return "unknown";
}

}  // extern "C"

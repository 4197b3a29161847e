// How the C API fails: a dmafeed_result code, and the message that dmafeed_last_error() gives the
// calling thread. No C++ exception leaves the library: every entry point that can throw runs
// inside guarded().
#pragma once

#include "dmafeed/dmafeed.h"

#include "util/result.hpp"

#include <exception>
#include <new>
#include <string_view>

namespace dmafeed::lib {

// Records `message` as the calling thread's last error and returns `code` (negative).
dmafeed_result fail(dmafeed_result code, std::string_view message) noexcept;

// The result of `fn` (a dmafeed_result), or DMAFEED_ERROR_NO_MEMORY / DMAFEED_ERROR_FAILED
// where it threw, with `what` in the message.
template <class Fn>
dmafeed_result guarded(std::string_view what, Fn&& fn) noexcept
{
    try {
        return fn();
    } catch (const std::bad_alloc&) {
        return fail(DMAFEED_ERROR_NO_MEMORY, what);
    } catch (const std::exception& e) {
        return fail(DMAFEED_ERROR_FAILED, e.what());
    } catch (...) {
        return fail(DMAFEED_ERROR_FAILED, what);
    }
}

}  // namespace dmafeed::lib

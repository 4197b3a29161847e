// What the C API's log callback received, for tests: dmafeed_set_log_callback(record_log, &logged, level).
#pragma once

#include "dmafeed/dmafeed.h"

#include <string>
#include <vector>

namespace dmafeed::test {

struct Logged {
    dmafeed_log_level level;
    std::string message;
};

// A dmafeed_log_fn; `user` is a std::vector<Logged>.
inline void record_log(void* user, dmafeed_log_level level, const char* message)
{
    static_cast<std::vector<Logged>*>(user)->push_back({level, message});
}

}  // namespace dmafeed::test

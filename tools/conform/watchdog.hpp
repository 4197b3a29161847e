// A case that never ends (a wait in the kernel or in a driver with no bound of its own) would hold
// the whole run until something outside kills it, with nothing said about where it stopped. The
// watchdog is armed for each case; when one runs past its limit it reports the case and where every
// thread of the process waits (/proc/self/task: state, wchan, the kernel stack where readable; the
// user-space stack of the thread that runs the case), calls `before_exit` (which stops a spawned
// compositor) and ends the process with exit status 3.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>

namespace dmafeed::conform {

class Watchdog {
public:
    static constexpr int stuck_exit_status = 3;

    Watchdog(std::chrono::milliseconds limit, std::function<void()> before_exit);
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    ~Watchdog();

    // From the thread that runs the case: its clock starts now.
    void arm(std::string_view case_id);
    void disarm();

private:
    void watch();
    [[noreturn]] void report_and_exit(const std::string& case_id, pid_t tid);

    const std::chrono::milliseconds limit_;
    const std::function<void()> before_exit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string case_id_;
    pid_t tid_ = 0;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace dmafeed::conform

// Logging with a replaceable sink.
//
// The default sink writes "dmafeed: <level>: <message>\n" to stderr. A host program (a media
// pipeline embedding the library) installs its own sink to route messages into its logger; tests
// install one to assert on what was logged. Messages are printf-formatted (checked by the compiler).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace dmafeed::log {

enum class Level { debug, info, warning, error };

using Sink = std::function<void(Level, std::string_view)>;

// Replaces the sink; an empty function restores the default. Returns the previous sink.
// Not thread-safe against concurrent logging: install the sink before starting threads.
Sink set_sink(Sink sink);
// Messages below this level are dropped before formatting. Default: info, or debug when the
// environment has DMAFEED_DEBUG=1 at the first log call.
void set_level(Level level) noexcept;
Level level() noexcept;
std::string_view level_name(Level level) noexcept;

// printf-style formatting into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

void write(Level level, std::string_view message);

void debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace dmafeed::log

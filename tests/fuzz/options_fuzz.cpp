// libFuzzer target for dmafeed's command line (cli::parse): the input is argv[1..], its arguments
// separated by NUL bytes. Invariants, beside no crash and no sanitizer report:
//  - an error is a message;
//  - accepted arguments are stable: to_args() of the options parses back to the same options (every
//    field compared), and to the same arguments again; the arguments given twice in a row parse to
//    the same options (every option is last-wins and idempotent).
#include "cli/options.hpp"
#include "fuzz_input.hpp"

#include <bit>
#include <string>
#include <vector>

namespace {

using dmafeed::cli::Options;

bool same(const Options& a, const Options& b)
{
    return a.width == b.width && a.height == b.height && a.format == b.format && a.modifier == b.modifier &&
           a.allocator == b.allocator && a.device == b.device && a.quick_start == b.quick_start &&
           std::bit_cast<uint64_t>(a.fps) == std::bit_cast<uint64_t>(b.fps) && a.frames == b.frames &&
           a.duration_s.has_value() == b.duration_s.has_value() &&
           (!a.duration_s || std::bit_cast<uint64_t>(*a.duration_s) == std::bit_cast<uint64_t>(*b.duration_s)) &&
           a.pattern.to_string() == b.pattern.to_string() && a.pattern_given == b.pattern_given &&
           a.render == b.render && a.render_given == b.render_given && a.yuv == b.yuv && a.yuv_given == b.yuv_given &&
           a.input == b.input && a.size_given == b.size_given && a.format_given == b.format_given &&
           a.fullscreen == b.fullscreen && a.title == b.title && a.app_id == b.app_id && a.sync == b.sync &&
           a.stride_align == b.stride_align && a.buffers == b.buffers && a.timeout_ms == b.timeout_ms &&
           a.json == b.json && a.measure_upload == b.measure_upload && a.list_formats == b.list_formats &&
           a.help == b.help && a.version == b.version;
}

dmafeed::Result<Options> parse(const std::vector<std::string>& args)
{
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return dmafeed::cli::parse(argv);
}

std::string joined(const std::vector<std::string>& args)
{
    std::string out;
    for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<std::string> args;
    if (size > 0) {
        const std::string_view text{reinterpret_cast<const char*>(data), size};
        for (size_t begin = 0;;) {
            const size_t end = std::min(text.find('\0', begin), text.size());
            args.emplace_back(text.substr(begin, end - begin));
            if (end == text.size()) break;
            begin = end + 1;
        }
    }
    auto options = parse(args);
    if (!options) {
        FUZZ_CHECK(!options.error().message().empty(), "an error without a message");
        return 0;
    }
    const std::vector<std::string> canonical = dmafeed::cli::to_args(*options);
    auto again = parse(canonical);
    FUZZ_CHECK(again.ok(), "to_args gave '%s', which parses as: %s", joined(canonical).c_str(),
               again.ok() ? "" : again.error().message().c_str());
    FUZZ_CHECK(same(*options, *again), "'%s' parses to other options", joined(canonical).c_str());
    FUZZ_CHECK(dmafeed::cli::to_args(*again) == canonical, "to_args of '%s' is not a fixed point", joined(canonical).c_str());

    std::vector<std::string> twice = args;
    twice.insert(twice.end(), args.begin(), args.end());
    auto doubled = parse(twice);
    FUZZ_CHECK(doubled.ok() && same(*options, *doubled), "the arguments given twice parse otherwise: %s",
               doubled.ok() ? "other options" : doubled.error().message().c_str());
    return 0;
}

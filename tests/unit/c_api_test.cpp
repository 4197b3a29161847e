// The C API's own behaviour (include/dmafeed/dmafeed.h), linked from its code (src/lib) without a
// compositor: versions, result names, the config's checks, NULL arguments, struct sizes, the log
// callback. tests/compositor/c_api_producer_test.cpp runs producers.
#include "dmafeed/dmafeed.h"

#include "c_log_recorder.hpp"
#include "lib/config.hpp"
#include "lib/sized_copy.hpp"
#include "util/log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using dmafeed::lib::copy_sized;
using dmafeed::test::Logged;
using dmafeed::test::record_log;

TEST(CApi, TheVersionIsTheHeaders)
{
    EXPECT_EQ(dmafeed_version(), DMAFEED_VERSION);
    EXPECT_STREQ(dmafeed_version_string(), DMAFEED_VERSION_STRING);
    EXPECT_EQ(DMAFEED_VERSION, DMAFEED_VERSION_ENCODE(DMAFEED_VERSION_MAJOR, DMAFEED_VERSION_MINOR, DMAFEED_VERSION_MICRO));
    EXPECT_EQ(std::to_string(DMAFEED_VERSION_MAJOR) + "." + std::to_string(DMAFEED_VERSION_MINOR) + "." +
                  std::to_string(DMAFEED_VERSION_MICRO),
              DMAFEED_VERSION_STRING);
}

TEST(CApi, EveryResultHasItsName)
{
    EXPECT_STREQ(dmafeed_result_name(DMAFEED_OK), "DMAFEED_OK");
    EXPECT_STREQ(dmafeed_result_name(DMAFEED_TIMEOUT), "DMAFEED_TIMEOUT");
    EXPECT_STREQ(dmafeed_result_name(DMAFEED_DROPPED), "DMAFEED_DROPPED");
    EXPECT_STREQ(dmafeed_result_name(DMAFEED_ERROR_INVALID_ARGUMENT), "DMAFEED_ERROR_INVALID_ARGUMENT");
    EXPECT_STREQ(dmafeed_result_name(DMAFEED_ERROR_INVALID_STATE), "DMAFEED_ERROR_INVALID_STATE");
    EXPECT_STREQ(dmafeed_result_name(DMAFEED_ERROR_DISCONNECTED), "DMAFEED_ERROR_DISCONNECTED");
    EXPECT_STREQ(dmafeed_result_name(DMAFEED_ERROR_NO_MEMORY), "DMAFEED_ERROR_NO_MEMORY");
    EXPECT_STREQ(dmafeed_result_name(DMAFEED_ERROR_FAILED), "DMAFEED_ERROR_FAILED");
    EXPECT_STREQ(dmafeed_result_name(static_cast<dmafeed_result>(-99)), "unknown");
}

TEST(CApi, ConfigSettersRefuseValuesOutOfRangeAndSayWhich)
{
    dmafeed_config* c = dmafeed_config_new();
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(dmafeed_config_set_buffers(c, 4), DMAFEED_OK);
    EXPECT_EQ(dmafeed_config_set_buffers(c, 1), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string{dmafeed_last_error()}.find("dmafeed_config_set_buffers (2 to 4)"), std::string::npos) << dmafeed_last_error();
    EXPECT_EQ(dmafeed_config_set_buffers(c, 5), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_config_set_allocator(c, DMAFEED_ALLOCATOR_UDMABUF), DMAFEED_OK);
    EXPECT_EQ(dmafeed_config_set_allocator(c, static_cast<dmafeed_allocator>(7)), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_config_set_sync(c, static_cast<dmafeed_sync>(-1)), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_config_set_sync(c, DMAFEED_SYNC_IMPLICIT), DMAFEED_OK);
    EXPECT_EQ(dmafeed_config_set_timeout_ms(c, 0), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_config_set_size(c, 640, 0), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_config_set_size(c, 0, 0), DMAFEED_OK);
    EXPECT_EQ(dmafeed_config_set_title(c, nullptr), DMAFEED_OK) << "NULL: the default";
    EXPECT_EQ(dmafeed_config_set_display(nullptr, "x"), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string{dmafeed_last_error()}.find("the config is NULL"), std::string::npos) << dmafeed_last_error();
    dmafeed_config_free(c);
    dmafeed_config_free(nullptr);
}

TEST(CApi, ColourSpaceSettersCheckWhatTheyAreGiven)
{
    using dmafeed::pixels::Primaries;
    using dmafeed::pixels::Transfer;
    dmafeed_config* c = dmafeed_config_new();
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->values.color.is_default());
    EXPECT_EQ(dmafeed_config_set_colorimetry(c, DMAFEED_PRIMARIES_DISPLAY_P3, DMAFEED_TRANSFER_ST2084_PQ), DMAFEED_OK);
    EXPECT_EQ(c->values.color.primaries, Primaries::display_p3);
    EXPECT_EQ(c->values.color.transfer, Transfer::st2084_pq);
    EXPECT_EQ(dmafeed_config_set_colorimetry(c, DMAFEED_PRIMARIES_DEFAULT, DMAFEED_TRANSFER_HLG), DMAFEED_OK);
    EXPECT_FALSE(c->values.color.primaries.has_value()) << "completed at creation: BT.2020 for HLG";
    EXPECT_EQ(c->values.color.transfer, Transfer::hlg);
    EXPECT_EQ(dmafeed_config_set_colorimetry(c, DMAFEED_PRIMARIES_BT2020, DMAFEED_TRANSFER_DEFAULT),
              DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string{dmafeed_last_error()}.find("primaries need a transfer function"), std::string::npos)
        << dmafeed_last_error();
    EXPECT_EQ(c->values.color.transfer, Transfer::hlg) << "a refused value changes nothing";
    EXPECT_EQ(dmafeed_config_set_colorimetry(c, static_cast<dmafeed_primaries>(10), DMAFEED_TRANSFER_SRGB),
              DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_config_set_colorimetry(c, DMAFEED_PRIMARIES_SRGB, static_cast<dmafeed_transfer>(-1)),
              DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_config_set_colorimetry(c, DMAFEED_PRIMARIES_DEFAULT, DMAFEED_TRANSFER_DEFAULT), DMAFEED_OK);
    EXPECT_TRUE(c->values.color.is_default());

    dmafeed_hdr_metadata m;
    dmafeed_hdr_metadata_init(&m);
    m.red_x = 0.708, m.red_y = 0.292, m.green_x = 0.170, m.green_y = 0.797, m.blue_x = 0.131, m.blue_y = 0.046;
    m.white_x = 0.3127, m.white_y = 0.3290, m.min_luminance = 0.005, m.max_luminance = 1000;
    m.max_cll = 900, m.max_fall = 300;
    EXPECT_EQ(dmafeed_config_set_hdr_metadata(c, &m), DMAFEED_OK) << dmafeed_last_error();
    ASSERT_TRUE(c->values.color.hdr.mastering.has_value());
    EXPECT_DOUBLE_EQ(c->values.color.hdr.mastering->red.x, 0.708);
    EXPECT_DOUBLE_EQ(c->values.color.hdr.mastering->max_luminance, 1000);
    EXPECT_EQ(c->values.color.hdr.max_cll, 900u);

    // A caller built against a header whose struct ended before max_cll: what lies beyond is 0.
    dmafeed_hdr_metadata older = m;
    older.struct_size = offsetof(dmafeed_hdr_metadata, max_cll);
    EXPECT_EQ(dmafeed_config_set_hdr_metadata(c, &older), DMAFEED_OK);
    EXPECT_EQ(c->values.color.hdr.max_cll, 0u);
    EXPECT_EQ(c->values.color.hdr.max_fall, 0u);

    dmafeed_hdr_metadata illegal = m;
    illegal.max_fall = 1000;
    EXPECT_EQ(dmafeed_config_set_hdr_metadata(c, &illegal), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string{dmafeed_last_error()}.find("MaxFALL 1000 is above MaxCLL 900"), std::string::npos)
        << dmafeed_last_error();
    illegal = m;
    illegal.min_luminance = 2000;
    EXPECT_EQ(dmafeed_config_set_hdr_metadata(c, &illegal), DMAFEED_ERROR_INVALID_ARGUMENT);
    illegal = m;
    illegal.white_y = 0;
    EXPECT_EQ(dmafeed_config_set_hdr_metadata(c, &illegal), DMAFEED_ERROR_INVALID_ARGUMENT);
    illegal = m;
    illegal.struct_size = 0;
    EXPECT_EQ(dmafeed_config_set_hdr_metadata(c, &illegal), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(c->values.color.hdr.max_fall, 0u) << "the older metadata is still in place";

    EXPECT_EQ(dmafeed_config_set_hdr_metadata(c, nullptr), DMAFEED_OK);
    EXPECT_TRUE(c->values.color.hdr.empty());
    dmafeed_config_free(c);
}

TEST(CApi, NullProducersAreRefusedAndAFenceIsClosedAnyway)
{
    dmafeed_frame frame;
    dmafeed_frame_init(&frame);
    EXPECT_EQ(dmafeed_acquire(nullptr, &frame, 0), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_wait_for_frame(nullptr), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_wait_background_set_ups(-1), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_wait_background_set_ups(0), DMAFEED_OK) << "no producer left a set-up running";
    EXPECT_EQ(dmafeed_dispatch(nullptr), DMAFEED_ERROR_INVALID_ARGUMENT);
    dmafeed_dmabuf dmabuf;
    dmafeed_dmabuf_init(&dmabuf);
    EXPECT_EQ(dmabuf.struct_size, sizeof dmabuf);
    EXPECT_EQ(dmafeed_frame_get_dmabuf(nullptr, &frame, &dmabuf), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_set_presented_callback(nullptr, nullptr, nullptr), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_get_fd(nullptr), -1);
    EXPECT_EQ(dmafeed_get_vulkan(nullptr), nullptr);
    EXPECT_EQ(dmafeed_describe(nullptr), nullptr);
    dmafeed_producer_destroy(nullptr);
    dmafeed_producer* p = reinterpret_cast<dmafeed_producer*>(&frame);
    EXPECT_EQ(dmafeed_producer_create(nullptr, &p), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(p, nullptr) << "set to NULL on failure";

    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    EXPECT_EQ(dmafeed_queue_fenced(nullptr, &frame, 0, fds[0]), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(fcntl(fds[0], F_GETFD), -1) << "the fence belongs to the library from the call on";
    close(fds[1]);
}

TEST(CApi, ACreateThatCannotConnectFailsWithTheReason)
{
    dmafeed_config* c = dmafeed_config_new();
    ASSERT_EQ(dmafeed_config_set_display(c, "dmafeed-no-such-socket"), DMAFEED_OK);
    dmafeed_producer* p = nullptr;
    EXPECT_EQ(dmafeed_producer_create(c, &p), DMAFEED_ERROR_FAILED);
    dmafeed_config_free(c);
    EXPECT_EQ(p, nullptr);
    EXPECT_NE(std::string{dmafeed_last_error()}.find("dmafeed-no-such-socket"), std::string::npos) << dmafeed_last_error();
}

// The library's view of a caller's struct: older (smaller), the same, or newer (larger).
struct Newer {
    dmafeed_stats stats;
    uint64_t later_field;
};

TEST(CApi, SizedStructsGetWhatTheCallerKnowsAndZerosBeyondTheLibrary)
{
    dmafeed_stats full;
    dmafeed_stats_init(&full);
    full.queued = 7;
    full.latency_p99_ms = 2.5;
    constexpr size_t first = dmafeed::lib::stats_size_1;

    dmafeed_stats same;
    dmafeed_stats_init(&same);
    ASSERT_EQ(copy_sized(&same, full, first, "stats"), DMAFEED_OK);
    EXPECT_EQ(same.queued, 7U);
    EXPECT_EQ(same.latency_p99_ms, 2.5);

    Newer newer{};
    newer.stats.struct_size = sizeof newer;
    newer.later_field = 0xdead;
    ASSERT_EQ(copy_sized(&newer.stats, full, first, "stats"), DMAFEED_OK);
    EXPECT_EQ(newer.stats.struct_size, sizeof newer) << "the caller's size stays";
    EXPECT_EQ(newer.stats.queued, 7U);
    EXPECT_EQ(newer.later_field, 0U) << "what this library does not know reads as zero";

    // A caller whose struct ends before latency_p99_ms (as a future first_size would allow): the
    // bytes after its struct_size are not written.
    std::vector<unsigned char> bytes(sizeof(dmafeed_stats), 0xab);
    auto* older = reinterpret_cast<dmafeed_stats*>(bytes.data());
    older->struct_size = offsetof(dmafeed_stats, latency_p99_ms);
    ASSERT_EQ(copy_sized(older, full, older->struct_size, "stats"), DMAFEED_OK);
    EXPECT_EQ(older->queued, 7U);
    EXPECT_EQ(bytes.back(), 0xab) << "written past the caller's struct_size";

    dmafeed_stats tiny{};
    tiny.struct_size = 8;
    EXPECT_EQ(copy_sized(&tiny, full, first, "dmafeed_get_stats"), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string{dmafeed_last_error()}.find("struct_size 8"), std::string::npos) << dmafeed_last_error();
    EXPECT_EQ(copy_sized<dmafeed_stats>(nullptr, full, first, "dmafeed_get_stats"), DMAFEED_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, HasFieldTellsWhatALibraryFilledIn)
{
    dmafeed_presented p{};
    p.struct_size = offsetof(dmafeed_presented, refresh_ns);  // a library that knew fields up to time_ns
    EXPECT_TRUE(DMAFEED_HAS_FIELD(&p, dmafeed_presented, time_ns));
    EXPECT_FALSE(DMAFEED_HAS_FIELD(&p, dmafeed_presented, refresh_ns));
    p.struct_size = sizeof p;
    EXPECT_TRUE(DMAFEED_HAS_FIELD(&p, dmafeed_presented, flags));
}

TEST(CApi, TheLogCallbackGetsTheLibrarysMessagesUpToItsLevel)
{
    std::vector<Logged> got;
    ASSERT_EQ(dmafeed_set_log_callback(record_log, &got, DMAFEED_LOG_WARNING), DMAFEED_OK);
    dmafeed::log::error("an error %d", 1);
    dmafeed::log::warning("a warning");
    dmafeed::log::info("not made: info is above warning");
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0].level, DMAFEED_LOG_ERROR);
    EXPECT_EQ(got[0].message, "an error 1");
    EXPECT_EQ(got[1].level, DMAFEED_LOG_WARNING);

    ASSERT_EQ(dmafeed_set_log_callback(record_log, &got, DMAFEED_LOG_DEBUG), DMAFEED_OK);
    dmafeed::log::debug("a debug line");
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[2].level, DMAFEED_LOG_DEBUG);

    EXPECT_EQ(dmafeed_set_log_callback(record_log, &got, static_cast<dmafeed_log_level>(0)), DMAFEED_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(dmafeed_set_log_callback(record_log, &got, static_cast<dmafeed_log_level>(5)), DMAFEED_ERROR_INVALID_ARGUMENT);

    // Without a callback, standard error again.
    ASSERT_EQ(dmafeed_set_log_callback(nullptr, nullptr, DMAFEED_LOG_INFO), DMAFEED_OK);
    testing::internal::CaptureStderr();
    dmafeed::log::warning("to stderr");
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(err, "dmafeed: warning: to stderr\n");
    EXPECT_EQ(got.size(), 3U);
}

}  // namespace

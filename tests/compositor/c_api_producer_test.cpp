// Producers of the C API against the test compositor: the log callback gets what the library says
// while a producer is created (nothing goes to standard error), and creation's failures are codes
// with the reason.
#include "dmafeed/dmafeed.h"

#include "c_log_recorder.hpp"
#include "test_compositor.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dmafeed::test {
namespace {

TEST(CApiProducer, TheLogCallbackGetsWhatCreationSaysAndStandardErrorNothing)
{
    auto compositor = TestCompositor::create({});
    ASSERT_TRUE(compositor.ok()) << compositor.error().message();
    std::vector<Logged> got;
    ASSERT_EQ(dmafeed_set_log_callback(record_log, &got, DMAFEED_LOG_DEBUG), DMAFEED_OK);
    dmafeed_config* c = dmafeed_config_new();
    ASSERT_EQ(dmafeed_config_set_display(c, (*compositor)->socket_name().c_str()), DMAFEED_OK);
    ASSERT_EQ(dmafeed_config_set_timeout_ms(c, 2000), DMAFEED_OK);
    testing::internal::CaptureStderr();
    dmafeed_producer* p = nullptr;
    const dmafeed_result r = dmafeed_producer_create(c, &p);
    const std::string err = testing::internal::GetCapturedStderr();
    dmafeed_config_free(c);
    const std::string why = dmafeed_last_error();
    dmafeed_producer_destroy(p);
    dmafeed_set_log_callback(nullptr, nullptr, DMAFEED_LOG_INFO);
    // Whether a producer can be made depends on the machine's allocators (the test compositor
    // takes no real dma-buf); either way creation logs (device choice, allocators not used).
    std::printf("dmafeed_producer_create: %s%s%s; %zu messages\n", dmafeed_result_name(r), r ? ": " : "", r ? why.c_str() : "",
                got.size());
    EXPECT_TRUE(r == DMAFEED_OK || r == DMAFEED_ERROR_FAILED) << dmafeed_result_name(r);
    EXPECT_EQ(p != nullptr, r == DMAFEED_OK);
    ASSERT_FALSE(got.empty()) << "no message reached the callback during creation";
    for (const Logged& l : got) std::printf("  %d %s\n", static_cast<int>(l.level), l.message.c_str());
    EXPECT_EQ(err, "") << "the library wrote to standard error with a log callback set";
}

TEST(CApiProducer, AColourSpaceTheCompositorCannotBeToldFailsCreationWithTheReason)
{
    auto compositor = TestCompositor::create({});  // no wp_color_manager_v1
    ASSERT_TRUE(compositor.ok()) << compositor.error().message();
    dmafeed_config* c = dmafeed_config_new();
    ASSERT_EQ(dmafeed_config_set_display(c, (*compositor)->socket_name().c_str()), DMAFEED_OK);
    ASSERT_EQ(dmafeed_config_set_timeout_ms(c, 2000), DMAFEED_OK);
    ASSERT_EQ(dmafeed_config_set_colorimetry(c, DMAFEED_PRIMARIES_DEFAULT, DMAFEED_TRANSFER_ST2084_PQ), DMAFEED_OK);
    dmafeed_hdr_metadata m;
    dmafeed_hdr_metadata_init(&m);
    m.max_cll = 1000;
    ASSERT_EQ(dmafeed_config_set_hdr_metadata(c, &m), DMAFEED_OK);
    dmafeed_producer* p = nullptr;
    EXPECT_EQ(dmafeed_producer_create(c, &p), DMAFEED_ERROR_FAILED);
    EXPECT_EQ(p, nullptr);
    EXPECT_NE(std::string{dmafeed_last_error()}.find("frames in BT.2020, PQ (SMPTE ST 2084), MaxCLL 1000: the compositor does "
                                                     "not offer wp_color_manager_v1"),
              std::string::npos)
        << dmafeed_last_error();
    dmafeed_config_free(c);
}

}  // namespace
}  // namespace dmafeed::test

// For tests that drive a raw libwayland client against the test compositor: the client died of a
// protocol error on `interface` with `code`, and the compositor recorded that one error.
#pragma once

#include "test_compositor.hpp"
#include "wayland_client.hpp"

#include <cstdint>
#include <gtest/gtest.h>

namespace dmafeed::test {

inline void expect_protocol_error(WaylandClient& client, const TestCompositor& compositor, const char* interface, uint32_t code)
{
    EXPECT_FALSE(client.roundtrip());
    const auto error = client.protocol_error();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->interface, interface);
    EXPECT_EQ(error->code, code);
    const Records records = compositor.records();
    ASSERT_EQ(records.errors.size(), 1U);
    EXPECT_EQ(records.errors[0].interface, interface);
    EXPECT_EQ(records.errors[0].code, code);
    EXPECT_EQ(records.errors[0].object_id, error->id);
}

}  // namespace dmafeed::test

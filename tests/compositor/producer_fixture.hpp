// What the producer tests of the compositor tier share: a test compositor started from a Config
// (a gtest failure when it cannot start), and a producer config for it whose buffers are memfds
// of 32 x 16 pixels, with every wait bounded at 2 s.
#pragma once

#include "memfd_allocator.hpp"
#include "test_compositor.hpp"

#include "producer/producer.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <memory>

namespace dmafeed::test {

inline std::unique_ptr<TestCompositor> start(Config config = {})
{
    auto c = TestCompositor::create(std::move(config));
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
    return c.ok() ? std::move(*c) : nullptr;
}

inline producer::ProducerConfig config_for(const TestCompositor& c, const MemfdFactory& memfd)
{
    producer::ProducerConfig config;
    config.display = c.socket_name();
    config.width = 32;
    config.height = 16;
    config.backends = memfd.factory();
    config.timeout = std::chrono::milliseconds{2000};
    return config;
}

}  // namespace dmafeed::test

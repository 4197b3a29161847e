#include "util/log.hpp"

#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

namespace log = dmafeed::log;

namespace {

class LogTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        previous_level_ = log::level();
        previous_sink_ = log::set_sink([this](log::Level lvl, std::string_view msg) {
            lines_.emplace_back(std::string{log::level_name(lvl)} + ":" + std::string{msg});
        });
    }
    void TearDown() override
    {
        log::set_sink(std::move(previous_sink_));
        log::set_level(previous_level_);
    }
    std::vector<std::string> lines_;

private:
    log::Sink previous_sink_;
    log::Level previous_level_{};
};

}  // namespace

TEST_F(LogTest, SinkReceivesFormattedMessages)
{
    log::set_level(log::Level::debug);
    log::info("modifier %s stride %u", "LINEAR", 256U);
    log::error("failed: %d", -5);
    ASSERT_EQ(lines_.size(), 2U);
    EXPECT_EQ(lines_[0], "info:modifier LINEAR stride 256");
    EXPECT_EQ(lines_[1], "error:failed: -5");
}

TEST_F(LogTest, LevelFiltersLowerMessages)
{
    log::set_level(log::Level::warning);
    log::debug("hidden");
    log::info("hidden");
    log::warning("shown");
    ASSERT_EQ(lines_.size(), 1U);
    EXPECT_EQ(lines_[0], "warning:shown");
}

TEST_F(LogTest, FormatHandlesLongStrings)
{
    const std::string big(5000, 'x');
    EXPECT_EQ(log::format("<%s>", big.c_str()), "<" + big + ">");
}

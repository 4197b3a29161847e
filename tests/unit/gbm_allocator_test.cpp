// The GBM allocator's decisions that need no DRM device: which nodes to try and in what order, how
// a request's modifier list becomes GBM calls, what a bo's layout is known to be; and that creating
// the allocator without a usable device fails with a message naming what was asked for.
#include "alloc/gbm_allocator.hpp"
#include "fd_count.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

using namespace dmafeed;

namespace {

const DrmModifier x_tiled{I915_FORMAT_MOD_X_TILED};
const DrmModifier y_tiled{I915_FORMAT_MOD_Y_TILED};

}  // namespace

TEST(GbmNodeOrder, RenderBeforePrimaryUnlessANodeIsWanted)
{
    EXPECT_EQ(gbm::node_order("", "/dev/dri/renderD128", "/dev/dri/card0"),
              (std::vector<std::string>{"/dev/dri/renderD128", "/dev/dri/card0"}));
    EXPECT_EQ(gbm::node_order("/dev/dri/card0", "/dev/dri/renderD128", "/dev/dri/card0"),
              (std::vector<std::string>{"/dev/dri/card0", "/dev/dri/renderD128"}));
    EXPECT_EQ(gbm::node_order("/dev/dri/renderD128", "/dev/dri/renderD128", "/dev/dri/card0"),
              (std::vector<std::string>{"/dev/dri/renderD128", "/dev/dri/card0"}));
}

TEST(GbmNodeOrder, MissingNodesAreLeftOut)
{
    EXPECT_EQ(gbm::node_order("", "", "/dev/dri/card0"), (std::vector<std::string>{"/dev/dri/card0"}));
    EXPECT_EQ(gbm::node_order("", "/dev/dri/renderD128", ""), (std::vector<std::string>{"/dev/dri/renderD128"}));
    EXPECT_TRUE(gbm::node_order("", "", "").empty());
}

TEST(GbmChooseNode, FirstWorkingNodeWinsAndTheFailuresBeforeItAreTheReason)
{
    const std::vector<std::string> nodes{"/dev/dri/renderD128", "/dev/dri/card0"};
    std::vector<std::string> tried;
    auto choice = gbm::choose_node(nodes, [&](const std::string& node) -> Result<void> {
        tried.push_back(node);
        if (node == "/dev/dri/renderD128") return Error{"gbm_bo_create: Permission denied (EACCES)"};
        return {};
    });
    ASSERT_TRUE(choice.ok()) << choice.error().message();
    EXPECT_EQ(choice->index, 1U);
    EXPECT_EQ(tried, nodes);
    EXPECT_EQ(choice->reason, "/dev/dri/renderD128: gbm_bo_create: Permission denied (EACCES)");
}

TEST(GbmChooseNode, TheFirstNodeWorkingNeedsNoReasonAndStopsTheSearch)
{
    const std::vector<std::string> nodes{"/dev/dri/renderD128", "/dev/dri/card0"};
    int calls = 0;
    auto choice = gbm::choose_node(nodes, [&](const std::string&) -> Result<void> {
        ++calls;
        return {};
    });
    ASSERT_TRUE(choice.ok());
    EXPECT_EQ(choice->index, 0U);
    EXPECT_TRUE(choice->reason.empty());
    EXPECT_EQ(calls, 1);
}

TEST(GbmChooseNode, NoWorkingNodeListsEveryNodeAndItsFailure)
{
    const std::vector<std::string> nodes{"/dev/dri/renderD128", "/dev/dri/card0"};
    auto choice = gbm::choose_node(nodes, [](const std::string& node) -> Result<void> {
        return Error{node == "/dev/dri/card0" ? "open: No such file or directory (ENOENT)" : "EACCES"};
    });
    ASSERT_FALSE(choice.ok());
    const std::string& msg = choice.error().message();
    EXPECT_NE(msg.find("/dev/dri/renderD128: EACCES"), std::string::npos) << msg;
    EXPECT_NE(msg.find("/dev/dri/card0: open: No such file or directory"), std::string::npos) << msg;
    EXPECT_FALSE(gbm::choose_node({}, [](const std::string&) -> Result<void> { return {}; }).ok());
}

TEST(GbmPlan, ExplicitModifiersKeepTheirOrderWithoutInvalid)
{
    const std::vector<DrmModifier> req{y_tiled, modifier_implicit, modifier_linear, y_tiled};
    auto plan = gbm::plan_creation(req, 0);
    ASSERT_TRUE(plan.ok()) << plan.error().message();
    EXPECT_EQ(plan->explicit_modifiers, (std::vector<DrmModifier>{y_tiled, modifier_linear}));
    EXPECT_TRUE(plan->implicit);
}

TEST(GbmPlan, OnlyInvalidMeansPlainGbmBoCreate)
{
    const std::vector<DrmModifier> req{modifier_implicit};
    auto plan = gbm::plan_creation(req, 0);
    ASSERT_TRUE(plan.ok());
    EXPECT_TRUE(plan->explicit_modifiers.empty());
    EXPECT_TRUE(plan->implicit);
}

TEST(GbmPlan, NoInvalidMeansNoImplicitFallback)
{
    const std::vector<DrmModifier> req{modifier_linear};
    auto plan = gbm::plan_creation(req, 0);
    ASSERT_TRUE(plan.ok());
    EXPECT_FALSE(plan->implicit);
}

TEST(GbmPlan, StrideAlignmentKeepsOnlyLinear)
{
    const std::vector<DrmModifier> req{x_tiled, modifier_implicit, modifier_linear};
    auto plan = gbm::plan_creation(req, 256);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan->explicit_modifiers, (std::vector<DrmModifier>{modifier_linear}));
    EXPECT_FALSE(plan->implicit);

    const std::vector<DrmModifier> tiled_only{x_tiled, modifier_implicit};
    auto bad = gbm::plan_creation(tiled_only, 256);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("LINEAR"), std::string::npos) << bad.error().message();
    EXPECT_NE(bad.error().message().find("256"), std::string::npos) << bad.error().message();
}

TEST(GbmPlan, AnEmptyListIsAnError)
{
    auto plan = gbm::plan_creation({}, 0);
    ASSERT_FALSE(plan.ok());
    EXPECT_NE(plan.error().message().find("no modifier"), std::string::npos);
}

TEST(GbmKnownLayout, AReportedModifierIsTheLayout)
{
    const std::vector<DrmModifier> list{x_tiled, modifier_linear};
    EXPECT_EQ(gbm::known_layout(x_tiled, list), x_tiled);
    EXPECT_EQ(gbm::known_layout(modifier_linear, list), modifier_linear);
}

TEST(GbmKnownLayout, InvalidFromLinearAloneOrTheLinearFlagIsLinear)
{
    const std::vector<DrmModifier> linear{modifier_linear};
    EXPECT_EQ(gbm::known_layout(modifier_implicit, linear), modifier_linear);
    EXPECT_EQ(gbm::known_layout(modifier_implicit, {}), modifier_linear);  // gbm_bo_create + GBM_BO_USE_LINEAR
}

TEST(GbmKnownLayout, InvalidFromSeveralModifiersIsUnknown)
{
    const std::vector<DrmModifier> list{x_tiled, modifier_linear};
    EXPECT_EQ(gbm::known_layout(modifier_implicit, list), modifier_implicit);
    const std::vector<DrmModifier> tiled{y_tiled};
    EXPECT_EQ(gbm::known_layout(modifier_implicit, tiled), modifier_implicit);
}

TEST(GbmAllocatorCreate, AMissingNodeIsNamedAndNothingLeaks)
{
    const int fds_before = test::open_fd_count();
    auto alloc = GbmAllocator::create({.node = "/nonexistent/dri/card7"});
    ASSERT_FALSE(alloc.ok());
    EXPECT_NE(alloc.error().message().find("/nonexistent/dri/card7"), std::string::npos) << alloc.error().message();
    EXPECT_NE(alloc.error().message().find("ENOENT"), std::string::npos) << alloc.error().message();
    EXPECT_EQ(test::open_fd_count(), fds_before);
}

TEST(GbmAllocatorCreate, ANodeThatIsNotADeviceIsRefused)
{
    auto alloc = GbmAllocator::create({.node = "/dev/null"});
    ASSERT_FALSE(alloc.ok());
    EXPECT_NE(alloc.error().message().find("/dev/null"), std::string::npos) << alloc.error().message();
}

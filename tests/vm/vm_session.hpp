// One weston per guest session: started by the first test that needs it (its DRM backend in the
// vkms set-ups, else headless), stopped (and checked for a clean exit) when the test program ends.
// Tests fail, with weston's version and log, if it died.
#pragma once

#include "weston_fixture.hpp"

#include <functional>
#include <gtest/gtest.h>
#include <string>

namespace dmafeed::test {

// "nodrm", "virtio", "sid-nodrm", ... from the VM rig ($DMAFEED_VM_SETUP); empty outside the VM.
std::string vm_setup();

// The shared weston; nullptr (and a gtest failure) when it cannot start.
Weston* shared_weston();

// Base fixture for tests that talk to weston: skips in the wrong set-up, fails if weston is gone.
// A test of set-up "nodrm" also runs in "sid-nodrm" (weston 16 instead of 14) when selected there.
class WestonTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    Weston* weston_ = nullptr;
    // The set-up this test belongs to; tests of another set-up are skipped.
    virtual const char* required_setup() const = 0;

    // Captures (the client must be running: weston shows nothing of a surface that is gone) until
    // `done` accepts a capture, for up to 60 s. The last capture is returned either way.
    Result<Image> capture_until(const std::string& name, const std::function<bool(const Image&)>& done);
};

}  // namespace dmafeed::test

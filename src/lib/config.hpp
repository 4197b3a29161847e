// dmafeed_config, the opaque configuration of the C API: a HostConfig that the setters
// (config.cpp) fill with checked values.
#pragma once

#include "lib/host_producer.hpp"

struct dmafeed_config {
    dmafeed::lib::HostConfig values;
};

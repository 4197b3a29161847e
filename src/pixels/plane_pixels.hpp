// CPU pixels of one plane of a format: what the packer and the sources produce, and what a Buffer
// writes into its planes.
#pragma once

#include <cstdint>
#include <span>

namespace dmafeed {

// CPU pixels of one format plane (NV12: 0 = Y, 1 = CbCr), `row_bytes` apart.
struct PlanePixels {
    std::span<const uint8_t> data;
    uint32_t row_bytes = 0;
};

}  // namespace dmafeed

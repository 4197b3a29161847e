// The transfer functions of HDR video (ITU-R BT.2100), in double precision: Perceptual Quantization
// (SMPTE ST 2084, "PQ"), which maps absolute display luminance up to 10000 cd/m² to a signal, and
// Hybrid Log-Gamma ("HLG"), which maps relative scene light to a signal. The signal E' is 0..1; a
// code of n bits is round((2^n - 1) * E') in full range (what RGB buffers hold) or
// round((219 * E' + 16) * 2^(n - 8)) in narrow range (BT.2100's video range, what published
// tables such as BT.2408's give).
//
//   PQ inverse EOTF:  E' = ((c1 + c2 * Y^m1) / (1 + c3 * Y^m1))^m2,  Y = L / 10000
//   PQ EOTF:          L = 10000 * (max(E'^(1/m2) - c1, 0) / (c2 - c3 * E'^(1/m2)))^(1/m1)
//     m1 = 2610/16384, m2 = 2523/4096 * 128, c1 = 3424/4096, c2 = 2413/4096 * 32, c3 = 2392/4096 * 32
//   HLG OETF:         E' = sqrt(3 * E) for E <= 1/12, else a * ln(12 * E - b) + c
//     a = 0.17883277, b = 1 - 4a, c = 0.5 - a * ln(4a)
#pragma once

#include <cstdint>

namespace dmafeed::pixels {

// The luminance of PQ's signal 1.0, in cd/m².
inline constexpr double pq_peak_luminance = 10000.0;

// ST 2084's inverse EOTF: display luminance in cd/m² (clamped to 0..10000) to the signal E'.
double pq_inverse_eotf(double luminance) noexcept;
// ST 2084's EOTF: the signal E' (clamped to 0..1) to display luminance in cd/m².
double pq_eotf(double signal) noexcept;
// BT.2100's HLG OETF: scene linear light E (clamped to 0..1, 1 = the brightest) to the signal E'.
double hlg_oetf(double scene) noexcept;
// Its inverse: the signal E' (clamped to 0..1) to scene linear light.
double hlg_inverse_oetf(double signal) noexcept;

// The signal as an n-bit code (1 <= bits <= 16), E' clamped to 0..1: full range,
// round((2^n - 1) * E'), and narrow range, round((219 * E' + 16) * 2^(n - 8)) (n >= 8).
uint32_t full_range_code(double signal, unsigned bits) noexcept;
uint32_t narrow_range_code(double signal, unsigned bits) noexcept;

}  // namespace dmafeed::pixels

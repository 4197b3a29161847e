// The HDR transfer functions (pixels/transfer.hpp) against values worked out by hand from ST 2084's
// and BT.2100's formulas, and against BT.2408's reference levels; the codes they give.
#include "pixels/transfer.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace dmafeed::pixels {
namespace {

TEST(PqInverseEotf, ReferenceLevels)
{
    // 0 cd/m²: Y^m1 = 0, so E' = c1^m2 = 0.8359375^78.84375 = exp(78.84375 * -0.1792013) = 7.3096e-7.
    EXPECT_NEAR(pq_inverse_eotf(0), 7.3096e-7, 1e-10);
    // 100 cd/m²: Y = 0.01, Y^m1 = exp(0.1593018 * ln 0.01) = 0.480172; (0.8359375 + 18.8515625 *
    // 0.480172) / (1 + 18.6875 * 0.480172) = 9.887923 / 9.973207 = 0.99144865; ^78.84375 = 0.508078.
    EXPECT_NEAR(pq_inverse_eotf(100), 0.508078, 1e-6);
    // BT.2408's HDR reference white, 203 cd/m², is "58 %" PQ: 0.580689.
    EXPECT_NEAR(pq_inverse_eotf(203), 0.580689, 1e-6);
    // 1000 cd/m², "75 %" PQ in BT.2408's tables: 0.751827.
    EXPECT_NEAR(pq_inverse_eotf(1000), 0.751827, 1e-6);
    EXPECT_NEAR(pq_inverse_eotf(0.1), 0.062337, 1e-6);
    EXPECT_NEAR(pq_inverse_eotf(1), 0.149946, 1e-6);
    EXPECT_NEAR(pq_inverse_eotf(10), 0.299699, 1e-6);
    EXPECT_NEAR(pq_inverse_eotf(400), 0.652579, 1e-6);
    EXPECT_NEAR(pq_inverse_eotf(4000), 0.902572, 1e-6);
    // 10000 cd/m²: Y = 1, (c1 + c2) / (1 + c3) = 19.6875 / 19.6875 = 1 exactly.
    EXPECT_EQ(pq_inverse_eotf(10000), 1.0);
    // Out of range: clamped.
    EXPECT_EQ(pq_inverse_eotf(20000), 1.0);
    EXPECT_EQ(pq_inverse_eotf(-5), pq_inverse_eotf(0));
}

TEST(PqEotf, InvertsTheInverseAndHitsTheEnds)
{
    EXPECT_EQ(pq_eotf(0), 0.0);  // E'^(1/m2) = 0 < c1: the numerator is clamped to 0
    // E' = 1: (1 - c1) / (c2 - c3) = 0.1640625 / 0.1640625 = 1, so exactly the peak.
    EXPECT_EQ(pq_eotf(1), pq_peak_luminance);
    EXPECT_NEAR(pq_eotf(0.5), 92.2457, 1e-4);  // half the signal is under 100 cd/m²
    EXPECT_NEAR(pq_eotf(0.75), 983.3779, 1e-4);
    for (const double l : {0.001, 0.1, 1.0, 10.0, 100.0, 203.0, 1000.0, 4000.0, 9999.0}) {
        EXPECT_NEAR(pq_eotf(pq_inverse_eotf(l)), l, l * 1e-9) << l;
    }
    // Monotonic over the whole signal.
    double previous = -1;
    for (int i = 0; i <= 1023; ++i) {
        const double l = pq_eotf(i / 1023.0);
        EXPECT_GT(l, previous) << i;
        previous = l;
    }
}

TEST(HlgOetf, ReferenceLevels)
{
    EXPECT_EQ(hlg_oetf(0), 0.0);
    // The two pieces meet at E = 1/12: sqrt(3/12) = 0.5, and a ln(12/12 - b) + c = a ln(4a) + 0.5 -
    // a ln(4a) = 0.5.
    EXPECT_NEAR(hlg_oetf(1.0 / 12.0), 0.5, 1e-15);
    EXPECT_NEAR(hlg_oetf(1.0 / 12.0 + 1e-12), 0.5, 1e-9);
    EXPECT_NEAR(hlg_oetf(1.0 / 48.0), 0.25, 1e-15);  // sqrt(3 / 48)
    // E = 1: a ln(12 - b) + c = 0.17883277 * ln 11.71533108 + 0.55991073 = 1 (to the constants' 8 digits).
    EXPECT_NEAR(hlg_oetf(1), 1.0, 1e-7);
    // BT.2408's HLG reference white is 75 % signal: scene light (exp((0.75 - c) / a) + b) / 12 = 0.264963.
    EXPECT_NEAR(hlg_oetf(0.264963), 0.75, 1e-6);
    EXPECT_NEAR(hlg_inverse_oetf(0.75), 0.264963, 1e-6);
    for (const double e : {0.0, 0.01, 1.0 / 12.0, 0.1, 0.5, 0.9, 1.0}) {
        EXPECT_NEAR(hlg_inverse_oetf(hlg_oetf(e)), e, 1e-12) << e;
    }
    EXPECT_EQ(hlg_oetf(2), hlg_oetf(1));  // clamped
}

TEST(SignalCodes, FullAndNarrowRange)
{
    // 100 cd/m²: 1023 * 0.508078 = 519.76 -> 520; narrow (219 * 0.508078 + 16) * 4 = 509.08 -> 509.
    EXPECT_EQ(full_range_code(pq_inverse_eotf(100), 10), 520u);
    EXPECT_EQ(narrow_range_code(pq_inverse_eotf(100), 10), 509u);
    // 203 cd/m²: 1023 * 0.580689 = 594.04 -> 594; narrow 572.68 -> 573, (573 - 64) / 876 = 58 %.
    EXPECT_EQ(full_range_code(pq_inverse_eotf(203), 10), 594u);
    EXPECT_EQ(narrow_range_code(pq_inverse_eotf(203), 10), 573u);
    // 1000 cd/m²: 769.12 -> 769; narrow 722.60 -> 723.
    EXPECT_EQ(full_range_code(pq_inverse_eotf(1000), 10), 769u);
    EXPECT_EQ(narrow_range_code(pq_inverse_eotf(1000), 10), 723u);
    // The ends: full range 0 and 1023, narrow 64 and 940 (BT.2100's 10-bit black and peak).
    EXPECT_EQ(full_range_code(0, 10), 0u);
    EXPECT_EQ(full_range_code(1, 10), 1023u);
    EXPECT_EQ(narrow_range_code(0, 10), 64u);
    EXPECT_EQ(narrow_range_code(1, 10), 940u);
    EXPECT_EQ(narrow_range_code(1, 8), 235u);
    EXPECT_EQ(full_range_code(0.5, 8), 128u);  // 127.5 rounds away from zero
    EXPECT_EQ(full_range_code(2, 12), 4095u);  // clamped
    // HLG's reference white, 75 %: 1023 * 0.75 = 767.25 -> 767.
    EXPECT_EQ(full_range_code(hlg_oetf(0.264963), 10), 767u);
}

}  // namespace
}  // namespace dmafeed::pixels

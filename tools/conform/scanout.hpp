// Scanout: whether the compositor shows a buffer without compositing it (wp_presentation's
// ZERO_COPY: on a DRM backend, a plane scans the dma-buf out). For every pair the compositor offers
// that an allocator here can make, a fullscreen window of the compositor's configured size (the
// output's) presents `frames` frames of the matrix's picture in the driver's own layout; the case
// records on how many ZERO_COPY came, then reads the output back (a capture made for the case:
// MatrixOptions::new_capturer) and compares it, as the matrix does. Case ids: scanout/<allocator>/<FORMAT>/<MODIFIER>. Outcomes: "zero-copy" (the last frame
// presented had ZERO_COPY, and the capture, where there is one, matches), "shown" (composited:
// presented without ZERO_COPY, the capture matches), "created" (composited, nothing to capture
// with), and the matrix's others ("wrong-pixels", "failed", "error <name>", "disconnected",
// "skipped", "tool-error"). The protocol asks for no ZERO_COPY: by default any of the first three
// passes; a compositor's table says where zero-copy is required.
#pragma once

#include "case.hpp"
#include "matrix.hpp"
#include "session.hpp"

#include <string>
#include <vector>

namespace dmafeed::conform {

struct ScanoutCase {
    std::string id;
    producer::Backend* backend = nullptr;
    FormatModifier pair;
};

// One case per (allocator, offered pair it can make), in the matrix's order.
std::vector<ScanoutCase> scanout_cases(const MatrixOptions& options);

// `frames` frames presented (at least 2); the outcome as the header says.
CaseResult run_scanout_case(const ScanoutCase& c, const MatrixOptions& options, int frames = 4);

std::vector<CaseResult> run_scanout(const MatrixOptions& options, const Hooks& hooks, const std::string& filter = "*");

}  // namespace dmafeed::conform

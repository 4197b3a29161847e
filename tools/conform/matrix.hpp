// The matrix: every pair the compositor offers that an allocator here can produce, in every layout
// variant and sync mode, each a buffer shown in a window of a fresh connection (a producer::Producer
// pinned to that pair, allocator, layout and sync), read back with the compositor's capture
// protocol and compared with what it should show (pixels.hpp).
//
// Layout variants (a variant an allocator cannot make is skipped with its reason):
//   tight          LINEAR: rows of exactly the pixels' bytes, planes back to back; other modifiers:
//                  the driver's layout
//   padded-stride  LINEAR: strides (and plane offsets) rounded up to 256 bytes
//   plane-offset   LINEAR: the first plane 4096 bytes into its dma-buf
//   odd-size       the size plus one column, less three rows (97x61 by default)
//   fd-per-plane   multi-planar formats: one dma-buf per plane (disjoint memory)
// Sync modes: implicit (fences on the dma-bufs), explicit (the compositor's explicit sync protocol;
// skipped where it offers none).
#pragma once

#include "capture.hpp"
#include "case.hpp"
#include "drm/format_set.hpp"
#include "producer/backends.hpp"
#include "producer/producer.hpp"
#include "session.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dmafeed::conform {

struct MatrixOptions {
    std::string display;
    FormatSet offered;  // what the compositor offers
    // The allocator backends here (made once; each case borrows one). Owned by the caller.
    std::vector<producer::Backend*> allocators;
    uint32_t width = 96;
    uint32_t height = 64;
    bool explicit_sync_offered = false;  // the compositor has syncobj or zwp_linux_explicit_synchronization_v1
    Capturer* capturer = nullptr;        // null: nothing to compare with
    // The scanout cases' capture, made after their frames and gone before the next case's: an
    // open capture session can itself stop a compositor from scanning out (wlroots locks the
    // output to rendering while an ext-image-copy-capture session of it lives). Unset: nothing to
    // compare with.
    std::function<Result<std::unique_ptr<Capturer>>()> new_capturer;
    std::chrono::milliseconds timeout{5000};
};

struct MatrixCase {
    std::string id;
    producer::Backend* backend = nullptr;
    FormatModifier pair;
    std::string layout;  // "tight", "padded-stride", ...
    bool explicit_sync = false;
};

// The allocator's short name in case ids: "vulkan", "gbm".
std::string allocator_id(producer::Backend& backend);
// Each allocator with each offered pair it can make: what the matrix and the scanout cases run,
// in that order (by allocator, then the compositor's order of pairs).
struct ProducedPair {
    producer::Backend* backend = nullptr;
    FormatModifier pair;
};
std::vector<ProducedPair> produced_pairs(const MatrixOptions& options);
// The outcome of a case whose producer failed with `e`: what ended the connection (a protocol
// error, a broken socket), `failed` where the compositor refused the buffer (`buffer` describes
// it), `skipped` where the allocator cannot make it here, else a tool error.
CaseResult producer_failure(CaseRun& run, const producer::Producer& p, const Error& e, const std::string& buffer);
// A producer's backends: `owner`, made once for the whole run, lent to it (a Vulkan device takes
// seconds to make under emulation; a connection is what each case must have fresh).
producer::BackendFactory lend(producer::Backend& owner);
// "plane 0 offset 0 stride 384; 1 dma-buf".
std::string layout_text(const Buffer& buffer);
// Every case, in run order: by allocator, pair (the compositor's order), layout, sync.
std::vector<MatrixCase> matrix_cases(const MatrixOptions& options);

CaseResult run_matrix_case(const MatrixCase& c, const MatrixOptions& options);

std::vector<CaseResult> run_matrix(const MatrixOptions& options, const Hooks& hooks, const std::string& filter = "*");

}  // namespace dmafeed::conform

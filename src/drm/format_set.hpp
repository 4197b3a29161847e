// FormatSet: (format, modifier) pairs in preference order.
//
// The compositor's dmabuf feedback lists pairs tranche by tranche, most preferred first; a device
// lists what it can export. A FormatSet keeps the order pairs were added in (a pair added again
// keeps its first place) and answers membership in O(1).
//
// DRM_FORMAT_MOD_INVALID means "implicit layout accepted" (the buffer may be sent without an
// explicit modifier). For membership it is a modifier like any other: a set holding
// (XRGB8888, INVALID) does not contain (XRGB8888, LINEAR), nor the other way round.
#pragma once

#include "drm/format.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <unordered_set>
#include <vector>

namespace dmafeed {

struct FormatModifier {
    DrmFormat format;
    DrmModifier modifier;
    friend constexpr bool operator==(const FormatModifier&, const FormatModifier&) = default;
    friend constexpr auto operator<=>(const FormatModifier&, const FormatModifier&) = default;
};

}  // namespace dmafeed

template <>
struct std::hash<dmafeed::FormatModifier> {
    std::size_t operator()(const dmafeed::FormatModifier& p) const noexcept
    {
        // Mix the 64-bit modifier with the fourcc (splitmix64 finaliser).
        uint64_t h = p.modifier.value() ^ (uint64_t{p.format.fourcc()} * 0x9e3779b97f4a7c15ULL);
        h = (h ^ (h >> 30U)) * 0xbf58476d1ce4e5b9ULL;
        h = (h ^ (h >> 27U)) * 0x94d049bb133111ebULL;
        return static_cast<std::size_t>(h ^ (h >> 31U));
    }
};

namespace dmafeed {

class FormatSet {
public:
    using const_iterator = std::vector<FormatModifier>::const_iterator;

    FormatSet() = default;
    FormatSet(std::initializer_list<FormatModifier> pairs);

    // Appends the pair unless it is already present. Returns whether it was added.
    bool add(DrmFormat format, DrmModifier modifier);
    bool add(const FormatModifier& pair) { return add(pair.format, pair.modifier); }
    // Removes the pair (e.g. after the compositor failed a buffer with it); the others keep their
    // order. Returns whether it was present. O(size).
    bool remove(DrmFormat format, DrmModifier modifier);
    void clear() noexcept;

    bool contains(DrmFormat format, DrmModifier modifier) const;
    bool contains(const FormatModifier& pair) const { return contains(pair.format, pair.modifier); }

    // The modifiers of `format`, in preference order; empty when the format is absent.
    std::vector<DrmModifier> modifiers_for(DrmFormat format) const;
    // Each format once, in the order of its first pair.
    std::vector<DrmFormat> formats() const;

    std::size_t size() const noexcept { return pairs_.size(); }
    bool empty() const noexcept { return pairs_.empty(); }
    const std::vector<FormatModifier>& pairs() const noexcept { return pairs_; }
    const_iterator begin() const noexcept { return pairs_.begin(); }
    const_iterator end() const noexcept { return pairs_.end(); }

    // The pairs present in both sets, in THIS set's order: call it on the compositor's set with
    // what the device can do to keep the compositor's preferences.
    FormatSet intersect(const FormatSet& other) const;

    // Same pairs in the same order (a reordering is a preference change).
    friend bool operator==(const FormatSet& a, const FormatSet& b) { return a.pairs_ == b.pairs_; }
    // Same pairs, in any order.
    bool same_pairs(const FormatSet& other) const;

    // "XRGB8888: LINEAR, INVALID; NV12: LINEAR": formats in first-appearance order, each with its
    // modifiers in order, named as name() does. "(empty)" for an empty set.
    std::string to_string() const;

private:
    std::vector<FormatModifier> pairs_;
    std::unordered_set<FormatModifier> index_;
};

}  // namespace dmafeed

#include "drm/format_set.hpp"

#include <algorithm>

namespace dmafeed {

FormatSet::FormatSet(std::initializer_list<FormatModifier> pairs)
{
    for (const FormatModifier& p : pairs) {
        add(p);
    }
}

bool FormatSet::add(DrmFormat format, DrmModifier modifier)
{
    const FormatModifier pair{format, modifier};
    if (!index_.insert(pair).second) {
        return false;
    }
    pairs_.push_back(pair);
    return true;
}

bool FormatSet::remove(DrmFormat format, DrmModifier modifier)
{
    const FormatModifier pair{format, modifier};
    if (index_.erase(pair) == 0) {
        return false;
    }
    pairs_.erase(std::find(pairs_.begin(), pairs_.end(), pair));
    return true;
}

void FormatSet::clear() noexcept
{
    pairs_.clear();
    index_.clear();
}

bool FormatSet::contains(DrmFormat format, DrmModifier modifier) const
{
    return index_.contains(FormatModifier{format, modifier});
}

std::vector<DrmModifier> FormatSet::modifiers_for(DrmFormat format) const
{
    std::vector<DrmModifier> out;
    for (const FormatModifier& p : pairs_) {
        if (p.format == format) {
            out.push_back(p.modifier);
        }
    }
    return out;
}

std::vector<DrmFormat> FormatSet::formats() const
{
    std::vector<DrmFormat> out;
    std::unordered_set<DrmFormat> seen;
    for (const FormatModifier& p : pairs_) {
        if (seen.insert(p.format).second) {
            out.push_back(p.format);
        }
    }
    return out;
}

FormatSet FormatSet::intersect(const FormatSet& other) const
{
    FormatSet out;
    for (const FormatModifier& p : pairs_) {
        if (other.contains(p)) {
            out.add(p);
        }
    }
    return out;
}

bool FormatSet::same_pairs(const FormatSet& other) const
{
    return index_ == other.index_;
}

std::string FormatSet::to_string() const
{
    if (pairs_.empty()) {
        return "(empty)";
    }
    std::string out;
    for (const DrmFormat format : formats()) {
        if (!out.empty()) {
            out += "; ";
        }
        out += name(format);
        out += ": ";
        bool first = true;
        for (const DrmModifier modifier : modifiers_for(format)) {
            if (!first) {
                out += ", ";
            }
            first = false;
            out += name(modifier);
        }
    }
    return out;
}

}  // namespace dmafeed

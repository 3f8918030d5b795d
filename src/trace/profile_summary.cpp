// SPDX-License-Identifier: MIT
// Summarizing a profile: a ledger of live blocks and the bytes each site holds, run once over
// every event and once more up to the peak.
#include "heapkit/trace/profile_summary.hpp"

#include <algorithm>
#include <unordered_map>

namespace heapkit::trace {
namespace {

// The live blocks (by slot) and the live bytes of each site (by the site's position).
class site_ledger {
public:
    explicit site_ledger(const profile& recording) : recording_(recording), blocks_(recording.sizes.slot_count) {}

    // Applies event `i`; returns the site position an allocation or realloc was charged to, or
    // npos (a free).
    std::size_t apply(std::size_t i) {
        const event& next = recording_.sizes.events[i];
        block& target = blocks_[next.slot];
        if (next.op == operation::free) {
            live_by_site_[target.site] -= target.size;
            live_ -= target.size;
            freed_ = target;
            target.live = false;
            return npos;
        }
        if (next.op == operation::resize) {
            live_by_site_[target.site] -= target.size;
            live_ -= target.size;
        }
        const std::uint32_t stack = recording_.context[i].stack;
        const std::size_t site = next.op == operation::resize && stack == 0 ? target.site : position_of(stack);
        target = {next.size, site, ++allocations_, true};
        live_by_site_[site] += next.size;
        live_ += next.size;
        return site;
    }

    // The block the last free freed, and whether no allocation came after its own.
    bool last_free_was_temporary() const { return freed_.serial == allocations_; }
    std::size_t last_freed_site() const { return freed_.site; }

    std::uint64_t live() const { return live_; }
    std::uint64_t live_at(std::size_t site) const { return live_by_site_[site]; }
    std::size_t site_count() const { return nodes_.size(); }
    std::uint32_t node_at(std::size_t site) const { return nodes_[site]; }
    // Calls visit(site position) for every live block.
    template <class Visit>
    void for_each_live_block(Visit visit) const {
        for (const block& each : blocks_)
            if (each.live) visit(each.site);
    }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    struct block {
        Size size = 0;
        std::size_t site = 0;
        std::uint64_t serial = 0;  // its allocation's number, from 1
        bool live = false;
    };
    std::size_t position_of(std::uint32_t node) {
        const auto [found, added] = position_.emplace(node, nodes_.size());
        if (added) {
            nodes_.push_back(node);
            live_by_site_.push_back(0);
        }
        return found->second;
    }

    const profile& recording_;
    std::vector<block> blocks_;
    std::unordered_map<std::uint32_t, std::size_t> position_;
    std::vector<std::uint32_t> nodes_;
    std::vector<std::uint64_t> live_by_site_;
    std::uint64_t live_ = 0;
    std::uint64_t allocations_ = 0;
    block freed_;
};

}  // namespace

profile_summary summarize(const profile& recording, std::size_t points) {
    profile_summary summary;
    const std::vector<event>& events = recording.sizes.events;
    site_ledger ledger(recording);
    std::vector<site_totals> sites;
    const std::uint64_t duration = recording.context.empty() ? 0 : recording.context.back().time_us;
    const bool timed = duration > 0;
    points = std::max<std::size_t>(points, 1);
    std::size_t bucket = 0;
    live_point pending{0, 0, 0};
    summary.timeline.push_back(pending);
    for (std::size_t i = 0; i < events.size(); ++i) {
        const std::size_t site = ledger.apply(i);
        if (site != site_ledger::npos) {
            if (site == sites.size()) sites.push_back({ledger.node_at(site)});
            site_totals& totals = sites[site];
            ++totals.allocations;
            totals.bytes_allocated += events[i].size;
            totals.own_peak = std::max(totals.own_peak, ledger.live_at(site));
            ++(events[i].op == operation::allocate ? summary.allocations : summary.resizes);
        } else {
            ++summary.frees;
            if (ledger.last_free_was_temporary()) {
                ++summary.temporary;
                ++sites[ledger.last_freed_site()].temporary;
            }
        }
        const std::uint64_t time = recording.context[i].time_us;
        if (ledger.live() > summary.peak_live) {
            summary.peak_live = ledger.live();
            summary.peak_event = i + 1;
            summary.peak_time_us = time;
        }
        const std::size_t here = timed ? static_cast<std::size_t>(static_cast<double>(time) / static_cast<double>(duration) *
                                                                  static_cast<double>(points - 1))
                                       : i * points / events.size();
        if (here != bucket && pending.event > summary.timeline.back().event) {
            summary.timeline.push_back(pending);
            pending.live = 0;
        }
        bucket = here;
        pending = {i + 1, time, std::max(pending.live, ledger.live())};
    }
    if (pending.event > summary.timeline.back().event) summary.timeline.push_back(pending);
    for (std::size_t site = 0; site < sites.size(); ++site) sites[site].leaked_bytes = ledger.live_at(site);
    ledger.for_each_live_block([&](std::size_t site) { ++sites[site].leaked_blocks; });
    for (const site_totals& site : sites) {
        summary.leaked_bytes += site.leaked_bytes;
        summary.leaked_blocks += site.leaked_blocks;
    }
    site_ledger at_peak(recording);  // the same sites in the same order: the same events, stopped sooner
    for (std::size_t i = 0; i < summary.peak_event; ++i) at_peak.apply(i);
    for (std::size_t site = 0; site < at_peak.site_count(); ++site) sites[site].live_at_peak = at_peak.live_at(site);
    summary.sites = std::move(sites);
    return summary;
}

std::vector<std::uint64_t> live_by_site_at(const profile& recording, std::uint64_t time_us) {
    site_ledger ledger(recording);
    for (std::size_t i = 0; i < recording.sizes.events.size() && recording.context[i].time_us <= time_us; ++i) ledger.apply(i);
    std::vector<std::uint64_t> live(recording.nodes.size(), 0);
    for (std::size_t site = 0; site < ledger.site_count(); ++site) live[ledger.node_at(site)] = ledger.live_at(site);
    return live;
}

std::string site_text(const profile& recording, std::uint32_t node, std::size_t depth) {
    if (node == 0) return "(no stack recorded)";
    std::string text;
    std::size_t shown = 0;
    for (const std::uint32_t frame : recording.stack_frames(node)) {
        if (shown++ == depth) break;
        text += (text.empty() ? "" : " < ") + recording.frame_text(frame);
    }
    return text;
}

}  // namespace heapkit::trace

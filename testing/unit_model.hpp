// SPDX-License-Identifier: MIT
// A brute-force model of an offset allocator for differential tests: two flags per unit (in a
// span, used), free runs found by scanning, every policy written from the words of docs/PROTOCOL.md. Slow on purpose, and
// sharing no code with the allocators it checks.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "heapkit/offset/error.hpp"
#include "heapkit/offset/fit.hpp"
#include "heapkit/offset/memory_allocator.hpp"
#include "heapkit/offset/placement_constraints.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit::test {

class unit_model {
public:
    // Addresses [0, capacity), all in a span.
    unit_model(Size capacity, Fit fit) : used_(capacity, false), in_span_(capacity, true), fit_(fit) {}

    // Spans: add units in no span (size 0 invalid_size; any unit past the addresses or already in a
    // span invalid_address), remove units of one span that are all free (a unit in no span, or
    // the range leaving the span it starts in: invalid_address; a used unit: invalid_free).
    errc try_add_span(Offset start, Size size) {
        if (size == 0) return errc::invalid_size;
        if (start >= addresses() || size > addresses() - start) return errc::invalid_address;
        for (Offset unit = start; unit < start + size; ++unit) {
            if (in_span_[unit]) return errc::invalid_address;
        }
        for (Offset unit = start; unit < start + size; ++unit) in_span_[unit] = true;
        return errc::ok;
    }
    errc try_remove_span(Offset start, Size size) {
        if (size == 0) return errc::invalid_size;
        if (!in_span(start) || size > span_units_from(start)) return errc::invalid_address;
        for (Offset unit = start; unit < start + size; ++unit) {
            if (used_[unit]) return errc::invalid_free;
        }
        for (Offset unit = start; unit < start + size; ++unit) in_span_[unit] = false;
        return errc::ok;
    }
    // The spans as maximal runs.
    std::vector<free_block> spans() const {
        return runs_where([&](Offset unit) { return in_span_[unit]; });
    }

    result<Offset> try_allocate(Size size, Size alignment = 1) { return allocate(size, alignment, std::nullopt); }
    result<Offset> try_allocate_for(Owner owner, Size size, Size alignment = 1) { return allocate(size, alignment, owner); }
    errc try_free(Offset address, Size size) { return free(address, size); }
    errc try_free(Offset address) { return free(address, std::nullopt); }
    result<Offset> try_reallocate(Offset address, Size new_size, Size alignment = 1) {
        return reallocate(address, new_size, alignment);
    }

    // Constrained placement, read from the definitions: every address of every free run is tried.
    result<Offset> try_allocate(Size size, const constraints& wanted) {
        if (size == 0) return errc::invalid_size;
        if (wanted.alignment == 0 || (wanted.alignment & (wanted.alignment - 1)) != 0) return errc::invalid_alignment;
        if (wanted.phase >= wanted.alignment) return errc::invalid_constraint;
        if (wanted.nocross != 0 && ((wanted.nocross & (wanted.nocross - 1)) != 0 || wanted.nocross < size))
            return errc::invalid_constraint;
        if (wanted.min_address > wanted.max_address || wanted.max_address - wanted.min_address < size)
            return errc::invalid_constraint;
        const std::optional<Offset> address =
            choose_where([&](const free_block& run) { return satisfying_start(run, size, wanted); });
        if (!address) return errc::out_of_memory;
        const Size lowest_phase_bit = wanted.phase & (~wanted.phase + 1);
        mark(*address, size, true);
        live_[*address] = {size, std::nullopt, wanted.phase == 0 ? wanted.alignment : lowest_phase_bit};
        rover_ = *address + size;
        return *address;
    }

    // Exactly [address, +size), checked in free's order.
    result<Offset> try_allocate_at(Offset address, Size size) {
        if (const errc kind = range_error(address, size); kind != errc::ok) return kind;
        if (free_units_from(address) < size) return errc::out_of_memory;
        mark(address, size, true);
        live_[address] = {size, std::nullopt, 1};
        return address;
    }

    // A free that takes effect when complete(e) is called with e >= epoch.
    errc try_free_after(Offset address, Size size, std::uint64_t epoch) {
        if (const errc kind = range_error(address, size); kind != errc::ok) return kind;
        const auto found = live_.find(address);
        if (found == live_.end() || found->second.size != size) return errc::invalid_free;
        queued_.push_back({address, size, epoch});
        live_.erase(found);
        return errc::ok;
    }
    Size complete(std::uint64_t epoch) {
        Size released = 0;
        for (auto at = queued_.begin(); at != queued_.end();) {
            if (at->epoch <= epoch) {
                mark(at->address, at->size, false);
                released += at->size;
                at = queued_.erase(at);
            } else {
                ++at;
            }
        }
        return released;
    }
    Size queued_memory() const {
        Size units = 0;
        for (const queued_free& waiting : queued_) units += waiting.size;
        return units;
    }
    std::vector<free_block> free_blocks() const { return free_runs(); }
    std::vector<allocation> allocations() const {
        std::vector<allocation> live;
        for (const auto& [address, entry] : live_) live.push_back({address, entry.size, entry.owner, entry.alignment});
        return live;
    }
    std::size_t allocation_count() const { return live_.size(); }
    // Units in spans.
    Size capacity() const {
        Size units = 0;
        for (const free_block& span : spans()) units += span.size;
        return units;
    }
    // The addresses the model knows: [0, addresses()).
    Size addresses() const { return used_.size(); }
    void validate() const {}  // the model is its own specification

    // Moves the block at `from` to `to` as the facade's relocate does: errc::invalid_free when no
    // block starts at `from`, invalid_address when [to, +size) is outside, not free once the block
    // has left, or not a multiple of the block's alignment.
    errc relocate(Offset from, Offset to) {
        const auto found = live_.find(from);
        if (found == live_.end()) return errc::invalid_free;
        const record moved = found->second;
        if (!in_span(to) || moved.size > span_units_from(to) || to % moved.alignment != 0) return errc::invalid_address;
        mark(from, moved.size, false);
        if (free_units_from(to) < moved.size) {
            mark(from, moved.size, true);
            return errc::invalid_address;
        }
        live_.erase(found);
        mark(to, moved.size, true);
        live_[to] = moved;
        return errc::ok;
    }

    Size free_owner(Owner owner) {
        Size freed = 0;
        for (auto at = live_.begin(); at != live_.end();) {
            if (at->second.owner == owner) {
                freed += at->second.size;
                mark(at->first, at->second.size, false);
                at = live_.erase(at);
            } else {
                ++at;
            }
        }
        return freed;
    }

private:
    result<Offset> allocate(Size size, Size alignment, std::optional<Owner> owner) {
        if (size == 0) return errc::invalid_size;
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) return errc::invalid_alignment;
        const std::optional<Offset> address = choose(size, alignment);
        if (!address) return errc::out_of_memory;
        mark(*address, size, true);
        live_[*address] = {size, owner, alignment};
        rover_ = *address + size;
        return *address;
    }

    errc free(Offset address, std::optional<Size> size) {
        if (!in_span(address)) return errc::invalid_address;
        if (size && *size == 0) return errc::invalid_size;
        if (size && *size > span_units_from(address)) return errc::invalid_address;
        const auto found = live_.find(address);
        if (found == live_.end() || (size && found->second.size != *size)) return errc::invalid_free;
        mark(address, found->second.size, false);
        live_.erase(found);
        return errc::ok;
    }

    result<Offset> reallocate(Offset address, Size new_size, Size alignment) {
        if (!in_span(address)) return errc::invalid_address;
        if (new_size == 0) return errc::invalid_size;
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) return errc::invalid_alignment;
        const auto found = live_.find(address);
        if (found == live_.end()) return errc::invalid_free;
        const Size old_size = found->second.size;
        // In place, the block is aligned as asked where its address allows, else as before.
        const Size kept_alignment = address % alignment == 0 ? alignment : found->second.alignment;
        if (new_size <= old_size) {
            mark(address + new_size, old_size - new_size, false);
            found->second = {new_size, found->second.owner, kept_alignment};
            return address;
        }
        if (address % alignment == 0 && free_units_from(address + old_size) >= new_size - old_size) {
            mark(address + old_size, new_size - old_size, true);
            found->second = {new_size, found->second.owner, kept_alignment};
            return address;
        }
        const std::optional<Owner> owner = found->second.owner;
        const result<Offset> moved = allocate(new_size, alignment, owner);
        if (moved) free(address, old_size);
        return moved;
    }

    std::vector<free_block> free_runs() const {
        return runs_where([&](Offset unit) { return in_span_[unit] && !used_[unit]; });
    }

    // The maximal runs of units where has(unit) holds.
    template <class Has>
    std::vector<free_block> runs_where(Has has) const {
        std::vector<free_block> runs;
        for (Offset unit = 0; unit < addresses(); ++unit) {
            if (!has(unit)) continue;
            if (!runs.empty() && runs.back().start + runs.back().size == unit) {
                ++runs.back().size;
            } else {
                runs.push_back({unit, 1});
            }
        }
        return runs;
    }

    bool in_span(Offset unit) const { return unit < addresses() && in_span_[unit]; }
    // Units from `unit` to the end of its span.
    Size span_units_from(Offset unit) const {
        Size count = 0;
        while (in_span(unit + count)) ++count;
        return count;
    }
    // free's checks of [address, +size) in the seed's order.
    errc range_error(Offset address, Size size) const {
        if (!in_span(address)) return errc::invalid_address;
        if (size == 0) return errc::invalid_size;
        if (size > span_units_from(address)) return errc::invalid_address;
        return errc::ok;
    }

    struct record {
        Size size;
        std::optional<Owner> owner;
        Size alignment;  // what it was placed for
    };

    static std::optional<Offset> aligned_start(const free_block& run, Size size, Size alignment) {
        const Offset start = (run.start + alignment - 1) / alignment * alignment;
        if (start + size > run.start + run.size) return std::nullopt;
        return start;
    }

    // The lowest address of `run` that satisfies every constraint, tried one by one.
    static std::optional<Offset> satisfying_start(const free_block& run, Size size, const constraints& wanted) {
        for (Offset at = run.start; at + size <= run.start + run.size; ++at) {
            const bool crosses = wanted.nocross != 0 && at / wanted.nocross != (at + size - 1) / wanted.nocross;
            if (at % wanted.alignment == wanted.phase && !crosses && at >= wanted.min_address && at + size <= wanted.max_address)
                return at;
        }
        return std::nullopt;
    }

    std::optional<Offset> choose(Size size, Size alignment) const {
        return choose_where([&](const free_block& run) { return aligned_start(run, size, alignment); });
    }

    // The policy's choice among the runs where start_in(run) finds a start.
    template <class StartIn>
    std::optional<Offset> choose_where(StartIn start_in) const {
        std::optional<free_block> chosen;
        std::optional<Offset> chosen_start;
        const std::vector<free_block> runs = free_runs();
        auto consider = [&](const free_block& run, bool better) {
            const std::optional<Offset> start = start_in(run);
            if (start && (!chosen || better)) {
                chosen = run;
                chosen_start = start;
            }
        };
        switch (fit_) {
            case Fit::first:
                for (const free_block& run : runs) consider(run, false);
                break;
            case Fit::next:
                for (const free_block& run : runs) {
                    if (run.start >= rover_) consider(run, false);
                }
                for (const free_block& run : runs) consider(run, false);
                break;
            case Fit::best:
                for (const free_block& run : runs) consider(run, chosen && run.size < chosen->size);
                break;
            case Fit::worst:
                for (const free_block& run : runs) consider(run, chosen && run.size > chosen->size);
                break;
        }
        return chosen_start;
    }

    Size free_units_from(Offset unit) const {
        Size count = 0;
        while (in_span(unit + count) && !used_[unit + count]) ++count;
        return count;
    }

    void mark(Offset start, Size size, bool used) {
        for (Size unit = 0; unit < size; ++unit) used_[start + unit] = used;
    }

    struct queued_free {
        Offset address;
        Size size;
        std::uint64_t epoch;
    };

    std::vector<bool> used_;           // one flag per unit
    std::vector<bool> in_span_;        // whether the unit is managed
    std::vector<queued_free> queued_;  // frees waiting for their epoch
    std::map<Offset, record> live_;    // live allocations by address
    Offset rover_ = 0;                 // end of the last successful placement
    Fit fit_;
};

}  // namespace heapkit::test

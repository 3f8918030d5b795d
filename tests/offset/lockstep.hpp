// SPDX-License-Identifier: MIT
// Differential driver: runs the same random calls (allocate with alignments and owners, right
// and wrong frees, free without size, reallocate, free_owner, constrained allocate, allocate_at,
// deferred frees and their completion, and, where both can, spans added and removed) on two allocators with the facade's interface, and
// asserts identical results and free blocks after every step, with validate() on both.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "allocator_snapshot.hpp"
#include "heapkit/offset/memory_allocator.hpp"
#include "heapkit/offset/placement_constraints.hpp"

namespace heapkit::test {

class random_calls {
public:
    random_calls(std::uint64_t seed, Size capacity) : random_(seed), capacity_(capacity) {}

    // Mostly sizes spread evenly over the powers of two up to capacity / 8 (so that many blocks
    // are live at once), some up to the whole capacity.
    Size size() {
        if (pick(8) == 0) return between(1, capacity_);
        const Size limit = std::max<Size>(1, capacity_ / 8);
        const auto exponent = static_cast<unsigned>(pick(static_cast<std::size_t>(std::bit_width(limit))));
        return std::min(limit, between(Size{1} << exponent, (Size{1} << exponent) * 2 - 1));
    }
    Size alignment() { return pick(3) == 0 ? Size{1} << pick(7) : 1; }
    // Constraints for a request of `size`: each part present at random, now and then one that no
    // address can meet (a phase too large, a nocross too small or not a power of two, an empty window).
    constraints constraints_for(Size size) {
        constraints wanted;
        wanted.alignment = pick(2) == 0 ? Size{1} << pick(6) : 1;
        if (pick(2) == 0) wanted.phase = between(0, wanted.alignment - 1);
        // A boundary up to twice the capacity (2^63 at most), a window reaching a unit past the end.
        const auto widest = std::min<std::size_t>(63, static_cast<std::size_t>(std::bit_width(capacity_)));
        if (pick(3) == 0) wanted.nocross = Size{1} << pick(widest + 1);
        if (pick(3) == 0) wanted.min_address = between(0, capacity_);
        if (pick(3) == 0) wanted.max_address = between(wanted.min_address, capacity_ == ~Size{0} ? capacity_ : capacity_ + 1);
        if (pick(40) == 0) wanted.phase = wanted.alignment;
        if (pick(40) == 0) wanted.nocross = 3;
        if (pick(40) == 0) wanted.nocross = std::bit_floor(std::max<Size>(size, 2) - 1);
        if (pick(40) == 0) wanted.max_address = wanted.min_address;
        return wanted;
    }
    Offset address() { return between(0, capacity_ + 2); }
    // Mostly a part of a gap between `spans`, sometimes any range (which may overlap a span or be
    // empty); inside [0, limit) always.
    free_block gap_part(const std::vector<free_block>& spans, Size limit) {
        std::vector<free_block> gaps;
        Offset from = 0;
        for (const free_block& span : spans) {
            if (span.start > from) gaps.push_back({from, span.start - from});
            from = span.start + span.size;
        }
        if (from < limit) gaps.push_back({from, limit - from});
        if (gaps.empty() || pick(8) == 0) {  // inside [0, limit): the model knows no address past it
            const Offset start = between(0, limit - 1);
            return {start, pick(10) == 0 ? 0 : between(1, limit - start)};
        }
        return part_of(gaps);
    }
    // Mostly a part of a free block, sometimes any range (past the limit, too).
    free_block free_part(const std::vector<free_block>& free, Size limit) {
        if (free.empty() || pick(8) == 0) return {address(), pick(10) == 0 ? 0 : between(1, limit)};
        return part_of(free);
    }
    // A part of one of `ranges` (not empty): from its start or from inside it, to its end or short of it.
    free_block part_of(const std::vector<free_block>& ranges) {
        const free_block& range = ranges[pick(ranges.size())];
        const Offset start = pick(2) == 0 ? range.start : between(range.start, range.start + range.size - 1);
        const Size most = range.start + range.size - start;
        return {start, pick(2) == 0 ? most : between(1, most)};
    }
    std::size_t pick(std::size_t count) { return std::uniform_int_distribution<std::size_t>(0, count - 1)(random_); }
    Size between(Size low, Size high) { return std::uniform_int_distribution<Size>(low, high)(random_); }

private:
    std::mt19937_64 random_;
    Size capacity_;
};

inline void expect_same(const result<Offset>& got, const result<Offset>& want, const std::string& call) {
    ASSERT_EQ(got.error(), want.error()) << call;
    if (want) {
        ASSERT_EQ(*got, *want) << call;
    }
}

// What a lockstep run did, so that a test can insist it exercised something.
struct lockstep_counts {
    std::size_t placed = 0;         // successful allocations and moves
    std::size_t freed = 0;          // successful frees
    std::size_t most_live = 0;      // the largest number of live allocations at once
    std::size_t constrained = 0;    // successful constrained allocations
    std::size_t deferred = 0;       // successful frees after an epoch
    std::size_t spans_changed = 0;  // successful add_span and remove_span
};

// Whether both allocators can add and remove spans.
template <class Reference, class Subject>
constexpr bool both_take_spans = requires(Reference& reference, Subject& subject) {
    reference.try_add_span(Offset{}, Size{});
    subject.try_add_span(Offset{}, Size{});
};

template <class Reference, class Subject>
lockstep_counts lockstep(Reference& reference, Subject& subject, Size capacity, std::uint64_t seed, std::size_t operations) {
    random_calls next(seed, capacity);
    lockstep_counts counts;
    std::map<Offset, Size> live;  // the reference's live allocations
    auto refresh_live = [&] {
        live.clear();
        for (const allocation& block : reference.allocations()) live[block.address] = block.size;
    };
    auto some_live = [&]() -> Offset {
        if (live.empty()) return next.address();
        auto at = live.lower_bound(next.between(0, capacity - 1));
        return at == live.end() ? live.begin()->first : at->first;
    };
    std::uint64_t epoch = 0;  // the last epoch completed
    for (std::size_t step = 0; step < operations; ++step) {
        std::string call;
        switch (next.pick(both_take_spans<Reference, Subject> ? 16 : 14)) {
            case 0:
            case 1:
            case 2:
            case 3:
            case 4: {
                const bool owned = next.pick(5) == 0;
                const Owner owner = next.pick(3);
                const Size size = next.size();
                const Size alignment = next.alignment();
                call = "allocate(" + std::to_string(size) + ", " + std::to_string(alignment) + ")";
                if (owned) call += " for owner " + std::to_string(owner);
                auto allocate = [&](auto& allocator) {
                    return owned ? allocator.try_allocate_for(owner, size, alignment) : allocator.try_allocate(size, alignment);
                };
                const result<Offset> want = allocate(reference);
                expect_same(allocate(subject), want, call);
                if (want) {
                    live[*want] = size;
                    ++counts.placed;
                }
                break;
            }
            case 5:
            case 6: {
                const Offset address = some_live();
                const bool right_size = next.pick(4) != 0 && live.contains(address);
                const Size size = right_size ? live[address] : next.between(0, capacity + 1);
                call = "free(" + std::to_string(address) + ", " + std::to_string(size) + ")";
                const errc want = reference.try_free(address, size);
                EXPECT_EQ(subject.try_free(address, size), want) << call;
                if (want == errc::ok) {
                    live.erase(address);
                    ++counts.freed;
                }
                break;
            }
            case 7: {
                const Offset address = next.pick(3) == 0 ? next.address() : some_live();
                call = "free(" + std::to_string(address) + ")";
                const errc want = reference.try_free(address);
                EXPECT_EQ(subject.try_free(address), want) << call;
                if (want == errc::ok) {
                    live.erase(address);
                    ++counts.freed;
                }
                break;
            }
            case 8: {
                const Offset address = some_live();
                const Size size = next.pick(8) == 0 ? 0 : next.size();
                const Size alignment = next.alignment();
                call = "reallocate(" + std::to_string(address) + ", " + std::to_string(size) + ", " + std::to_string(alignment) +
                       ")";
                const result<Offset> want = reference.try_reallocate(address, size, alignment);
                expect_same(subject.try_reallocate(address, size, alignment), want, call);
                if (want) {
                    live.erase(address);
                    live[*want] = size;
                    ++counts.placed;
                }
                break;
            }
            case 9: {
                const Owner owner = next.pick(4);
                call = "free_owner(" + std::to_string(owner) + ")";
                EXPECT_EQ(subject.free_owner(owner), reference.free_owner(owner)) << call;
                refresh_live();
                break;
            }
            case 10: {
                const Size size = next.size();
                const constraints wanted = next.constraints_for(size);
                call = "allocate(" + std::to_string(size) + ", {alignment " + std::to_string(wanted.alignment) + ", phase " +
                       std::to_string(wanted.phase) + ", nocross " + std::to_string(wanted.nocross) + ", window [" +
                       std::to_string(wanted.min_address) + ", " + std::to_string(wanted.max_address) + ")})";
                const result<Offset> want = reference.try_allocate(size, wanted);
                expect_same(subject.try_allocate(size, wanted), want, call);
                if (want) {
                    live[*want] = size;
                    ++counts.placed;
                    ++counts.constrained;
                }
                break;
            }
            case 11: {
                const Offset address = next.address();
                const Size size = next.pick(10) == 0 ? 0 : next.size();
                call = "allocate_at(" + std::to_string(address) + ", " + std::to_string(size) + ")";
                const result<Offset> want = reference.try_allocate_at(address, size);
                expect_same(subject.try_allocate_at(address, size), want, call);
                if (want) {
                    live[*want] = size;
                    ++counts.placed;
                }
                break;
            }
            case 12: {
                const Offset address = some_live();
                const Size size = next.pick(6) != 0 && live.contains(address) ? live[address] : next.between(0, capacity + 1);
                const std::uint64_t after = epoch + next.pick(4);
                call = "free_after(" + std::to_string(address) + ", " + std::to_string(size) + ", " + std::to_string(after) + ")";
                const errc want = reference.try_free_after(address, size, after);
                EXPECT_EQ(subject.try_free_after(address, size, after), want) << call;
                if (want == errc::ok) {
                    live.erase(address);
                    ++counts.deferred;
                }
                break;
            }
            case 13: {
                epoch += next.pick(3);
                call = "complete(" + std::to_string(epoch) + ")";
                EXPECT_EQ(subject.complete(epoch), reference.complete(epoch)) << call;
                EXPECT_EQ(subject.queued_memory(), reference.queued_memory()) << call;
                break;
            }
            case 14:
            case 15:
                if constexpr (both_take_spans<Reference, Subject>) {
                    const bool adding = next.pick(2) == 0;
                    const free_block range =
                        adding ? next.gap_part(reference.spans(), capacity) : next.free_part(free_blocks_of(reference), capacity);
                    call = std::string(adding ? "add_span(" : "remove_span(") + std::to_string(range.start) + ", " +
                           std::to_string(range.size) + ")";
                    const errc want = adding ? reference.try_add_span(range.start, range.size)
                                             : reference.try_remove_span(range.start, range.size);
                    EXPECT_EQ(
                        adding ? subject.try_add_span(range.start, range.size) : subject.try_remove_span(range.start, range.size),
                        want)
                        << call;
                    EXPECT_EQ(subject.spans(), reference.spans()) << call;
                    EXPECT_EQ(subject.capacity(), reference.capacity()) << call;
                    if (want == errc::ok) ++counts.spans_changed;
                }
                break;
        }
        if (::testing::Test::HasFailure()) return counts;
        counts.most_live = std::max(counts.most_live, live.size());
        EXPECT_NO_THROW(reference.validate()) << "after step " << step << ": " << call;
        EXPECT_NO_THROW(subject.validate()) << "after step " << step << ": " << call;
        EXPECT_EQ(free_blocks_of(subject), free_blocks_of(reference)) << "after step " << step << ": " << call;
        if (::testing::Test::HasFailure()) return counts;
        if (subject.allocation_count() != reference.allocation_count()) {
            ADD_FAILURE() << "allocation counts differ after " << call;
            return counts;
        }
    }
    return counts;
}

}  // namespace heapkit::test

// SPDX-License-Identifier: MIT
// Random run for allocators that place blocks by their own rule (tlsf, buddy), where no other
// allocator can predict the addresses: allocate, free and reallocate at random, keep the live
// set, call validate() after every step, and let the test check each placement and each
// out_of_memory against its own rule.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "heapkit/offset/error.hpp"
#include "lockstep.hpp"

namespace heapkit::test {

// What the run did, so that a test can insist it pressed against the capacity.
struct own_choice_counts {
    std::size_t placed = 0;
    std::size_t out_of_memory = 0;
};

// on_placed(size, alignment, address) checks a successful allocate; on_out_of_memory(size,
// alignment) checks a failed allocate or reallocate (a failed reallocate has alignment 1).
template <class Allocator, class OnPlaced, class OnOutOfMemory>
own_choice_counts random_own_choice_run(Allocator& allocator, Size capacity, std::uint64_t seed, std::size_t operations,
                                        OnPlaced on_placed, OnOutOfMemory on_out_of_memory) {
    random_calls next(seed, capacity);
    own_choice_counts counts;
    std::map<Offset, Size> live;
    for (std::size_t step = 0; step < operations && !::testing::Test::HasFailure(); ++step) {
        SCOPED_TRACE("step " + std::to_string(step));
        if (next.pick(5) < 3 || live.empty()) {
            const Size size = next.size();
            const Size alignment = next.alignment();
            const result<Offset> got = allocator.try_allocate(size, alignment);
            if (got) {
                on_placed(size, alignment, *got);
                live[*got] = size;
                ++counts.placed;
            } else {
                EXPECT_EQ(got.error(), errc::out_of_memory);
                on_out_of_memory(size, alignment);
                ++counts.out_of_memory;
            }
        } else {
            auto victim = live.lower_bound(next.between(0, capacity - 1));
            if (victim == live.end()) victim = live.begin();
            if (next.pick(4) == 0) {
                const Size size = next.size();
                const result<Offset> moved = allocator.try_reallocate(victim->first, size);
                if (moved) {
                    live.erase(victim);
                    live[*moved] = size;
                } else {
                    on_out_of_memory(size, 1);
                }
            } else {
                EXPECT_EQ(allocator.try_free(victim->first, victim->second), errc::ok);
                live.erase(victim);
            }
        }
        EXPECT_NO_THROW(allocator.validate());
        EXPECT_EQ(allocator.allocation_count(), live.size());
    }
    return counts;
}

}  // namespace heapkit::test

// SPDX-License-Identifier: MIT
// The steady-state workload of `heapkit bench` and the Google Benchmark grid: fill an offset
// allocator to N live blocks (sizes log-uniform in 16..16384 units), then free a random live
// block and allocate a fresh one, again and again: through the seed's checked free(address, size)
// (free_by::address), or through allocate_handle and free(handle) (free_by::handle). Allocations
// by address may carry placement constraints (constrain()), to price them against plain ones.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "heapkit/offset/memory_allocator.hpp"
#include "heapkit/offset/placement_constraints.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit::trace {

// How the workload names the blocks it frees.
enum class free_by { address, handle };

// 2^30 units, or 2^34 above 100k live blocks, so that no allocation of the workload fails.
inline Size pair_workload_capacity(std::size_t live) { return live > 100000 ? Size{1} << 34 : Size{1} << 30; }

template <class Allocator, free_by Naming = free_by::address>
class pair_workload {
public:
    pair_workload(Allocator& allocator, std::uint64_t seed) : allocator_(allocator), random_state_(seed | 1) {
        // Quantiles of the log-uniform distribution, so that drawing a size costs a table read.
        for (std::size_t i = 0; i < size_table_.size(); ++i) {
            const double unit = (static_cast<double>(i) + 0.5) / static_cast<double>(size_table_.size());
            size_table_[i] = static_cast<Size>(std::exp(std::log(16.0) + unit * (std::log(16384.0) - std::log(16.0))));
        }
    }

    // Every later allocation asks for `wanted` (alignment, phase, boundary, window): list and tree.
    void constrain(const constraints& wanted) requires(Naming == free_by::address && Allocator::names_blocks) {
        wanted_ = wanted;
    }

    // Allocates `live` blocks.
    void fill(std::size_t live) {
        blocks_.reserve(live);
        while (blocks_.size() < live) {
            block fresh{0, next_size(), {}};
            place(fresh);
            blocks_.push_back(fresh);
        }
    }

    // Frees a random live block and allocates a new one, `pairs` times. Throws out_of_memory if
    // the range is too small for the workload.
    void run(std::size_t pairs) {
        for (std::size_t pair = 0; pair < pairs; ++pair) {
            block& victim = blocks_[next_random() % blocks_.size()];
            if constexpr (Naming == free_by::handle) {
                allocator_.free(victim.handle);
            } else {
                allocator_.free(victim.address, victim.size);
            }
            victim.size = next_size();
            place(victim);
        }
    }

private:
    struct no_handle_kept {};
    struct block {
        Offset address;
        Size size;
        // Only when freeing by handle, so that the address workload's array stays 16-byte blocks.
        [[no_unique_address]] std::conditional_t<Naming == free_by::handle, allocation_handle, no_handle_kept> handle;
    };

    void place(block& fresh) {
        if constexpr (Naming == free_by::handle) {
            const handled_allocation placed = allocator_.allocate_handle(fresh.size);
            fresh.address = placed.address;
            fresh.handle = placed.handle;
        } else if constexpr (Allocator::names_blocks) {
            fresh.address = wanted_ ? allocator_.allocate(fresh.size, *wanted_) : allocator_.allocate(fresh.size);
        } else {
            fresh.address = allocator_.allocate(fresh.size);
        }
    }

    std::uint64_t next_random() noexcept {  // xorshift64: a few cycles, outside the allocator's cost
        random_state_ ^= random_state_ << 13;
        random_state_ ^= random_state_ >> 7;
        random_state_ ^= random_state_ << 17;
        return random_state_;
    }

    Size next_size() noexcept { return size_table_[next_random() % size_table_.size()]; }

    Allocator& allocator_;
    std::vector<block> blocks_;
    std::array<Size, 4096> size_table_{};  // log-uniform sizes in 16..16384
    std::uint64_t random_state_;
    std::optional<constraints> wanted_;  // what every allocation asks for, if anything
};

}  // namespace heapkit::trace

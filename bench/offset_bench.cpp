// SPDX-License-Identifier: MIT
// Google Benchmark grid of the offset allocators: one checked free plus one allocate at steady
// state (heapkit/trace/pair_workload.hpp) with 1k, 10k, 100k and 1M live blocks (tlsf and tree
// also freeing by handle; list and tree also with placement constraints: a 64 KiB boundary, a
// phase of 2 in 64, a window over the middle half), and the buddy system freeing 1M blocks in
// random order.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "heapkit/offset/allocators.hpp"
#include "heapkit/offset/resource_arena.hpp"
#include "heapkit/trace/pair_workload.hpp"

namespace {

template <class Allocator, heapkit::trace::free_by Naming = heapkit::trace::free_by::address>
void free_allocate_pair(benchmark::State& state, heapkit::Fit fit) {
    const auto live = static_cast<std::size_t>(state.range(0));
    Allocator allocator(heapkit::trace::pair_workload_capacity(live), fit);
    heapkit::trace::pair_workload<Allocator, Naming> workload(allocator, 1);
    workload.fill(live);
    workload.run(live);  // reach a steady state
    for (auto _ : state) workload.run(1);
    state.SetItemsProcessed(state.iterations());
    state.counters["metadata_per_block"] = static_cast<double>(allocator.metadata_bytes()) / static_cast<double>(live);
}

void list_first(benchmark::State& state) { free_allocate_pair<heapkit::list_allocator>(state, heapkit::Fit::first); }
void tree_first(benchmark::State& state) { free_allocate_pair<heapkit::tree_allocator>(state, heapkit::Fit::first); }
void tree_best(benchmark::State& state) { free_allocate_pair<heapkit::tree_allocator>(state, heapkit::Fit::best); }
void tlsf(benchmark::State& state) { free_allocate_pair<heapkit::tlsf_allocator>(state, heapkit::Fit::first); }
void tlsf_by_handle(benchmark::State& state) {
    free_allocate_pair<heapkit::tlsf_allocator, heapkit::trace::free_by::handle>(state, heapkit::Fit::first);
}
void tree_first_by_handle(benchmark::State& state) {
    free_allocate_pair<heapkit::tree_allocator, heapkit::trace::free_by::handle>(state, heapkit::Fit::first);
}
void buddy(benchmark::State& state) { free_allocate_pair<heapkit::buddy_allocator>(state, heapkit::Fit::first); }

// The pair with every allocation constrained: `wanted` in a range of `capacity` units.
template <class Allocator>
void constrained_pair(benchmark::State& state, const heapkit::constraints& wanted) {
    const auto live = static_cast<std::size_t>(state.range(0));
    Allocator allocator(heapkit::trace::pair_workload_capacity(live));
    heapkit::trace::pair_workload<Allocator> workload(allocator, 1);
    workload.constrain(wanted);
    workload.fill(live);
    workload.run(live);
    for (auto _ : state) workload.run(1);
    state.SetItemsProcessed(state.iterations());
}
constexpr heapkit::constraints no_64k_crossing{.nocross = 65536};
constexpr heapkit::constraints phase_2_of_64{.alignment = 64, .phase = 2};
// The middle half of the range the workload gets for `live` blocks.
heapkit::constraints middle_half(std::int64_t live) {
    const heapkit::Size capacity = heapkit::trace::pair_workload_capacity(static_cast<std::size_t>(live));
    return {.min_address = capacity / 4, .max_address = capacity / 4 * 3};
}
void list_nocross(benchmark::State& state) { constrained_pair<heapkit::list_allocator>(state, no_64k_crossing); }
void tree_nocross(benchmark::State& state) { constrained_pair<heapkit::tree_allocator>(state, no_64k_crossing); }
void tree_phase(benchmark::State& state) { constrained_pair<heapkit::tree_allocator>(state, phase_2_of_64); }
void tree_window(benchmark::State& state) { constrained_pair<heapkit::tree_allocator>(state, middle_half(state.range(0))); }

// Frees N one-unit buddy blocks in random order (all of them live first): the free lists grow to
// most of N nodes before they merge back. Should cost about as much per free as the pair above.
void buddy_free_all(benchmark::State& state) {
    const auto blocks = static_cast<heapkit::Size>(state.range(0));
    std::vector<heapkit::Offset> addresses(blocks);
    for (auto _ : state) {
        state.PauseTiming();
        heapkit::buddy_allocator allocator(blocks);
        for (heapkit::Offset& address : addresses) address = allocator.allocate(1);
        std::shuffle(addresses.begin(), addresses.end(), std::mt19937_64(1));
        state.ResumeTiming();
        for (const heapkit::Offset address : addresses) allocator.free(address, 1);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(blocks));
}

// vmem's common case: threads that each keep 64 small blocks (1 to 8 quanta of 16 units) live
// and replace a random one per iteration, on one shared arena: locked (every call takes the
// arena's lock) or quantum-cached (magazines per slot, the arena's lock only on a depot or miss).
template <heapkit::Size CacheMax>
void arena_replace(benchmark::State& state) {
    static heapkit::resource_arena arena({.quantum = 16, .cache_max = CacheMax});
    static const bool spanned = (arena.add_span(0, heapkit::Size{1} << 32), true);
    (void)spanned;
    std::mt19937_64 random(static_cast<std::uint64_t>(state.thread_index()) + 1);
    std::vector<std::pair<heapkit::Offset, heapkit::Size>> live;
    for (int i = 0; i < 64; ++i) {
        const heapkit::Size size = 16 * (1 + random() % 8);
        live.emplace_back(arena.allocate(size), size);
    }
    for (auto _ : state) {
        auto& victim = live[random() % live.size()];
        arena.free(victim.first, victim.second);
        victim.second = 16 * (1 + random() % 8);
        victim.first = arena.allocate(victim.second);
    }
    for (const auto& [address, size] : live) arena.free(address, size);
    state.SetItemsProcessed(state.iterations());
}
void arena_locked(benchmark::State& state) { arena_replace<0>(state); }
void arena_cached(benchmark::State& state) { arena_replace<128>(state); }

BENCHMARK(list_first)->Arg(1000)->Arg(10000);
BENCHMARK(tree_first)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(tree_best)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(tlsf)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(tlsf_by_handle)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(tree_first_by_handle)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(buddy)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(list_nocross)->Arg(1000)->Arg(10000);
BENCHMARK(tree_nocross)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(tree_phase)->Arg(1000)->Arg(10000)->Arg(100000);  // 1M: near misses make the fill take minutes
BENCHMARK(tree_window)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(buddy_free_all)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(arena_locked)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(arena_cached)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

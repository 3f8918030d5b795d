// SPDX-License-Identifier: MIT
// Google Benchmark grid of the offset allocators: one checked free plus one allocate at steady
// state (heapkit/trace/pair_workload.hpp) with 1k, 10k, 100k and 1M live blocks.
#include <benchmark/benchmark.h>

#include "heapkit/offset/allocators.hpp"
#include "heapkit/trace/pair_workload.hpp"

namespace {

template <class Allocator>
void free_allocate_pair(benchmark::State& state, heapkit::Fit fit) {
    const auto live = static_cast<std::size_t>(state.range(0));
    Allocator allocator(heapkit::trace::pair_workload_capacity(live), fit);
    heapkit::trace::pair_workload<Allocator> workload(allocator, 1);
    workload.fill(live);
    workload.run(live);  // reach a steady state
    for (auto _ : state) workload.run(1);
    state.SetItemsProcessed(state.iterations());
}

void list_first(benchmark::State& state) { free_allocate_pair<heapkit::list_allocator>(state, heapkit::Fit::first); }
void tree_first(benchmark::State& state) { free_allocate_pair<heapkit::tree_allocator>(state, heapkit::Fit::first); }
void tree_best(benchmark::State& state) { free_allocate_pair<heapkit::tree_allocator>(state, heapkit::Fit::best); }
void tlsf(benchmark::State& state) { free_allocate_pair<heapkit::tlsf_allocator>(state, heapkit::Fit::first); }
void buddy(benchmark::State& state) { free_allocate_pair<heapkit::buddy_allocator>(state, heapkit::Fit::first); }

BENCHMARK(list_first)->Arg(1000)->Arg(10000);
BENCHMARK(tree_first)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(tree_best)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(tlsf)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);
BENCHMARK(buddy)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000);

}  // namespace

BENCHMARK_MAIN();

// SPDX-License-Identifier: MIT
// Google Benchmark of the real-memory heaps: one free plus one allocate of a mixed size
// (log-uniform 8..4096 bytes, first byte written) with 1000 live blocks per thread, for glibc
// malloc, std::pmr pools, boundary_tag_heap, locked_heap, thread_arenas and debug_heap.
// Multi-threaded rows share one heap between the threads; each thread has its own blocks.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <memory_resource>
#include <vector>

#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/debug_heap.hpp"
#include "heapkit/heap/locked_heap.hpp"
#include "heapkit/heap/thread_arenas.hpp"

namespace {

constexpr std::size_t live_blocks = 1000;
constexpr std::size_t heap_bytes = std::size_t{64} << 20;

// Draws sizes from a table of log-uniform quantiles and slots from xorshift: a few cycles each.
class mixed_workload {
public:
    explicit mixed_workload(std::uint64_t seed) : state_(seed | 1) {
        for (std::size_t i = 0; i < sizes_.size(); ++i) {
            const double unit = (static_cast<double>(i) + 0.5) / static_cast<double>(sizes_.size());
            sizes_[i] = static_cast<std::size_t>(std::exp(std::log(8.0) + unit * (std::log(4096.0) - std::log(8.0))));
        }
    }
    std::uint64_t next() noexcept {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }
    std::size_t size() noexcept { return sizes_[next() % sizes_.size()]; }

private:
    std::uint64_t state_;
    std::array<std::size_t, 1024> sizes_{};
};

template <class Allocate, class Release>
void free_allocate_pairs(benchmark::State& state, Allocate allocate, Release release) {
    struct slot {
        void* pointer;
        std::size_t size;
    };
    mixed_workload workload(1 + static_cast<std::uint64_t>(state.thread_index()));
    std::vector<slot> slots(live_blocks);
    for (slot& s : slots) {
        s.size = workload.size();
        s.pointer = allocate(s.size);
    }
    for (auto _ : state) {
        slot& victim = slots[workload.next() % live_blocks];
        release(victim.pointer, victim.size);
        victim.size = workload.size();
        victim.pointer = allocate(victim.size);
        *static_cast<volatile char*>(victim.pointer) = 1;
    }
    for (const slot& s : slots) release(s.pointer, s.size);
    state.SetItemsProcessed(state.iterations());
}

template <heapkit::heap Heap>
void on_heap(benchmark::State& state, Heap& heap) {
    free_allocate_pairs(
        state, [&heap](std::size_t size) { return heap.allocate(size, 16); },
        [&heap](void* pointer, std::size_t) { heap.deallocate(pointer); });
}

std::span<std::byte> shared_memory() {
    static std::vector<std::byte> memory(heap_bytes);
    return memory;
}

void glibc_malloc(benchmark::State& state) {
    free_allocate_pairs(
        state, [](std::size_t size) { return std::malloc(size); }, [](void* pointer, std::size_t) { std::free(pointer); });
}

void pmr_unsynchronized_pool(benchmark::State& state) {
    std::pmr::unsynchronized_pool_resource pool;
    free_allocate_pairs(
        state, [&pool](std::size_t size) { return pool.allocate(size, 16); },
        [&pool](void* pointer, std::size_t size) { pool.deallocate(pointer, size, 16); });
}

void pmr_synchronized_pool(benchmark::State& state) {
    static std::pmr::synchronized_pool_resource pool;
    free_allocate_pairs(
        state, [](std::size_t size) { return pool.allocate(size, 16); },
        [](void* pointer, std::size_t size) { pool.deallocate(pointer, size, 16); });
}

void boundary_tag(benchmark::State& state) {
    std::vector<std::byte> memory(heap_bytes);
    heapkit::boundary_tag_heap heap(memory);
    on_heap(state, heap);
}

void locked_boundary_tag(benchmark::State& state) {
    static heapkit::locked_heap<heapkit::boundary_tag_heap> heap(shared_memory());
    on_heap(state, heap);
}

void arenas(benchmark::State& state) {
    static heapkit::thread_arenas heap(heapkit::arena_options{.region_bytes = std::size_t{8} << 20});
    on_heap(state, heap);
}

void debug_heap(benchmark::State& state) {
    std::vector<std::byte> memory(heap_bytes);
    heapkit::debug_options options;
    options.backtrace_depth = static_cast<std::size_t>(state.range(0));
    options.stack_walk = state.range(1) != 0 ? heapkit::os::stack_walk::frame_pointers : heapkit::os::stack_walk::unwind_tables;
    heapkit::debug_heap<heapkit::boundary_tag_heap> heap(options, std::span(memory));
    on_heap(state, heap);
}

BENCHMARK(glibc_malloc)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(pmr_unsynchronized_pool);
BENCHMARK(pmr_synchronized_pool)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(boundary_tag);
BENCHMARK(locked_boundary_tag)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(arenas)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(debug_heap)->ArgNames({"backtrace_depth", "frame_pointers"})->Args({0, 0})->Args({8, 0})->Args({8, 1});

}  // namespace

BENCHMARK_MAIN();

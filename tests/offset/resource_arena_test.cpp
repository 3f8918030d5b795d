// SPDX-License-Identifier: MIT
// resource_arena: spans imported from a source arena when dry and given back when wholly free,
// quantum caches that hand back the last address freed and give everything back on reap, and
// threads sharing a cached arena over a source without two live allocations ever sharing a
// unit. Built and run under TSan by `make test`.
#include "heapkit/offset/resource_arena.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "../test_seed.hpp"

namespace heapkit {
namespace {

TEST(ResourceArena, ImportsFromItsSourceWhenDryAndGivesWhollyFreeSpansBack) {
    resource_arena parent({.quantum = 16});
    parent.add_span(0, 1 << 20);
    resource_arena child({.quantum = 16, .source = &parent, .import_size = 4096});
    EXPECT_EQ(child.capacity(), 0u);
    const Offset first = child.allocate(100);  // 112 units
    EXPECT_EQ(child.imported_span_count(), 1u);
    EXPECT_EQ(parent.free_memory(), (1u << 20) - 4096);
    const Offset big = child.allocate(10000);  // does not fit the first import: a second, of its size
    EXPECT_EQ(child.imported_span_count(), 2u);
    EXPECT_EQ(first % 16, 0u);
    child.free(first, 100);
    EXPECT_EQ(child.imported_span_count(), 1u);  // the first span went back at once
    child.free(big, 10000);
    EXPECT_EQ(child.imported_span_count(), 0u);
    EXPECT_EQ(child.capacity(), 0u);
    EXPECT_EQ(parent.free_memory(), 1u << 20);
    child.validate();
    parent.validate();
    EXPECT_THROW(child.allocate(2 << 20), out_of_memory);  // neither has room
    EXPECT_THROW(child.allocate(0), invalid_size);
}

TEST(ResourceArena, QuantumCachesReuseTheLastFreedAddressAndReapGivesEverythingBack) {
    resource_arena arena({.quantum = 8, .cache_max = 64, .magazine_rounds = 4});
    arena.add_span(0, 4096);
    std::vector<Offset> held;
    for (int i = 0; i < 20; ++i) held.push_back(arena.allocate(24));
    for (const Offset address : held) arena.free(address, 24);
    EXPECT_EQ(arena.cached_memory(), 20u * 24);
    EXPECT_EQ(arena.free_memory(), 4096u - 20 * 24);  // cached units stay allocated below
    EXPECT_EQ(arena.allocate(24), held.back());       // LIFO: the warmest address
    arena.free(held.back(), 24);
    const Offset large = arena.allocate(1000);  // past cache_max: the tree, under the lock
    arena.free(large, 1000);
    arena.reap();
    EXPECT_EQ(arena.cached_memory(), 0u);
    EXPECT_EQ(arena.free_memory(), 4096u);
    arena.validate();
    EXPECT_THROW(resource_arena({.quantum = 3}), invalid_alignment);
    EXPECT_THROW(resource_arena({.quantum = 1, .cache_max = 65}), invalid_size);
}

TEST(ResourceArena, ThreadsShareACachedArenaOverASourceWithoutOverlap) {
    const std::uint64_t seed = test::test_seed("ResourceArena.ThreadsShareACachedArenaOverASourceWithoutOverlap");
    constexpr Size units = 1 << 16;
    resource_arena parent({.quantum = 16});
    parent.add_span(0, units);
    {
        resource_arena child({.quantum = 16, .cache_max = 256, .magazine_rounds = 8, .source = &parent, .import_size = 2048});
        std::vector<std::atomic<unsigned char>> owner(units / 16);  // who holds each quantum: 0 for nobody
        std::atomic<std::size_t> overlaps{0};
        const auto worker = [&](unsigned number) {
            std::mt19937_64 random(seed + number);
            std::vector<std::pair<Offset, Size>> live;
            for (int step = 0; step < 20000; ++step) {
                if (live.size() < 40 && random() % 2 == 0) {
                    const Size size = random() % 8 == 0 ? 300 + random() % 2000 : 1 + random() % 256;
                    try {
                        const Offset address = child.allocate(size);
                        for (Offset unit = address / 16; unit < (address + size + 15) / 16; ++unit) {
                            unsigned char nobody = 0;
                            if (!owner[unit].compare_exchange_strong(nobody, static_cast<unsigned char>(number + 1))) ++overlaps;
                        }
                        live.emplace_back(address, size);
                    } catch (const out_of_memory&) {}
                } else if (!live.empty()) {
                    const std::size_t victim = random() % live.size();
                    const auto [address, size] = live[victim];
                    live[victim] = live.back();
                    live.pop_back();
                    for (Offset unit = address / 16; unit < (address + size + 15) / 16; ++unit) owner[unit].store(0);
                    child.free(address, size);
                }
            }
            for (const auto& [address, size] : live) {
                for (Offset unit = address / 16; unit < (address + size + 15) / 16; ++unit) owner[unit].store(0);
                child.free(address, size);
            }
        };
        std::vector<std::thread> threads;
        for (unsigned number = 0; number < 4; ++number) threads.emplace_back(worker, number);
        for (std::thread& thread : threads) thread.join();
        EXPECT_EQ(overlaps.load(), 0u) << "seed " << seed;
        child.reap();
        child.validate();
        EXPECT_EQ(child.cached_memory(), 0u);
        EXPECT_EQ(child.imported_span_count(), 0u) << "every span went back once wholly free";
    }
    EXPECT_EQ(parent.free_memory(), units);
    parent.validate();
}

}  // namespace
}  // namespace heapkit

// SPDX-License-Identifier: MIT
// The zero-size blocks of heapkit's malloc (malloc/zero_size_blocks.hpp), compiled in: distinct
// addresses that fault when touched, each freed once, reused only after the others, from many
// threads at once (TSan runs this binary in make test).
#include "zero_size_blocks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>

#include "fault_status.hpp"

namespace heapkit::malloc_layer {
namespace {

void expect_valid() {
    const char* broken = zero_size_validate();
    EXPECT_EQ(broken, nullptr) << broken;
}

TEST(ZeroSizeBlocks, AreDistinctSixteenByteSlotsFreedOnce) {
    std::vector<void*> blocks;
    std::set<std::uintptr_t> seen;
    for (int i = 0; i < 1000; ++i) {
        void* block = zero_size_allocate();
        ASSERT_NE(block, nullptr);
        EXPECT_TRUE(zero_size_owns(block));
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % 16, 0u);
        EXPECT_TRUE(seen.insert(reinterpret_cast<std::uintptr_t>(block)).second) << "handed out twice";
        blocks.push_back(block);
        if (i % 100 == 0) expect_valid();
    }
    for (void* block : blocks) {
        zero_size_check_live(block, misuse::realloc_of_freed, misuse::foreign_realloc);
        zero_size_free(block);
    }
    expect_valid();
    int local = 0;
    EXPECT_FALSE(zero_size_owns(&local));
    EXPECT_FALSE(zero_size_owns(nullptr));
}

TEST(ZeroSizeBlocks, AFreedAddressComesBackOnlyAfterTheOthers) {
    void* first = zero_size_allocate();
    zero_size_free(first);
    for (int i = 0; i < 10000; ++i) {
        void* next = zero_size_allocate();
        ASSERT_NE(next, first);
        zero_size_free(next);
    }
    expect_valid();
}

TEST(ZeroSizeBlocks, ThreadsAllocateAndFreeAtOnce) {
    std::vector<std::thread> threads;
    std::vector<std::vector<void*>> held(4);
    for (std::size_t t = 0; t < held.size(); ++t) {
        threads.emplace_back([&held, t] {
            for (int round = 0; round < 2000; ++round) {
                held[t].push_back(zero_size_allocate());
                if (round % 3 == 0) {
                    zero_size_free(held[t].back());
                    held[t].pop_back();
                }
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    std::vector<void*> all;
    for (const std::vector<void*>& blocks : held) all.insert(all.end(), blocks.begin(), blocks.end());
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "one slot live for two threads";
    expect_valid();
    for (void* block : all) zero_size_free(block);
    expect_valid();
}

TEST(ZeroSizeBlocksDeathTest, TouchingOneFaultsAndMisusesAreVerdicts) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    auto* block = static_cast<volatile char*>(zero_size_allocate());
    ASSERT_NE(block, nullptr);
    EXPECT_EXIT(block[0] = 'x', died_of_a_fault, fault_report);
    EXPECT_EXIT(static_cast<void>(block[0]), died_of_a_fault, fault_report);
    void* freed = const_cast<char*>(block);
    zero_size_free(freed);
    EXPECT_DEATH(zero_size_free(freed), "^heapkit: double free of 0x[0-9a-f]+\n$");
    EXPECT_DEATH(zero_size_check_live(freed, misuse::realloc_of_freed, misuse::foreign_realloc),
                 "^heapkit: realloc of a block that is not live: 0x");
    EXPECT_DEATH(zero_size_free(static_cast<char*>(freed) + 1), "^heapkit: free of a pointer heapkit never handed out: 0x");
    EXPECT_DEATH(zero_size_free(static_cast<char*>(freed) + (std::size_t{1} << 23)),
                 "^heapkit: free of a pointer heapkit never handed out: 0x")
        << "a slot far above any handed out";
}

}  // namespace
}  // namespace heapkit::malloc_layer

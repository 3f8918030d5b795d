// SPDX-License-Identifier: MIT
// The medium thread cache on its own (malloc/medium_cache.cpp compiled into the test), over
// blocks of a local boundary_tag_heap: classes served, limits, drain, a random sequence against a
// model, and the double-free line. Randomized tests print their seed; HEAPKIT_SEED=N replays.
#include "medium_cache.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <vector>

#include "freed_block.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"
#include "slab_classes.hpp"

namespace heapkit::malloc_layer {
namespace {

std::vector<void*> drained;
void keep_drained(void* block) { drained.push_back(block); }

class MediumCache : public testing::Test {
protected:
    MediumCache() : memory_(std::size_t{64} << 20), heap_(std::span(memory_)) { empty_cache(); }
    ~MediumCache() override { empty_cache(); }

    void empty_cache() {
        drained.clear();
        medium_cache_drain(keep_drained);
        drained.clear();
    }

    // A heap block of at least `bytes` usable bytes.
    void* block_of(std::size_t bytes) { return heap_.allocate(bytes); }

    static void expect_valid() {
        const char* broken = medium_cache_validate();
        ASSERT_EQ(broken, nullptr) << broken;
    }

    std::vector<std::byte> memory_;
    boundary_tag_heap heap_;
};

TEST_F(MediumCache, ServesAnyRequestOfTheClassWithTheBlockFreedBeforeTheLast) {
    const std::size_t klass = size_class_of(40000);  // 40960
    void* first = block_of(size_class_bytes(klass));
    void* second = block_of(size_class_bytes(klass) + 100);  // larger: still this class's at most
    void* third = block_of(size_class_bytes(klass));
    ASSERT_TRUE(medium_cache_put(first, boundary_tag_heap::usable_size(first)));
    EXPECT_EQ(medium_cache_take(klass), nullptr) << "the last block freed is not the next one taken";
    ASSERT_TRUE(medium_cache_put(second, boundary_tag_heap::usable_size(second)));
    ASSERT_TRUE(medium_cache_put(third, boundary_tag_heap::usable_size(third)));
    EXPECT_TRUE(medium_cache_holds(first));
    expect_valid();
    EXPECT_EQ(medium_cache_take(klass), second);
    EXPECT_FALSE(medium_cache_holds(second));
    expect_valid();
    EXPECT_EQ(medium_cache_take(klass), first);
    EXPECT_EQ(medium_cache_take(klass), nullptr);
    EXPECT_EQ(medium_cache_take(klass + 1), nullptr);
    EXPECT_TRUE(medium_cache_holds(third));
    void* other = block_of(size_class_bytes(klass + 1));  // cached last, in another class
    ASSERT_TRUE(medium_cache_put(other, boundary_tag_heap::usable_size(other)));
    EXPECT_EQ(medium_cache_take(klass), third) << "no longer the thread's last one cached";
    expect_valid();
}

TEST_F(MediumCache, ABlockBetweenClassesServesTheSmallerOne) {
    const std::size_t klass = size_class_of(20000);  // 20480; the next is 24576
    void* block = block_of(22000);
    void* last = block_of(22000);
    ASSERT_TRUE(medium_cache_put(block, boundary_tag_heap::usable_size(block)));
    ASSERT_TRUE(medium_cache_put(last, boundary_tag_heap::usable_size(last)));
    EXPECT_EQ(medium_cache_take(klass + 1), nullptr);
    EXPECT_EQ(medium_cache_take(klass), block);
}

TEST_F(MediumCache, RefusesSlabSizesAndFullClasses) {
    void* small = block_of(slab_max_bytes - 64);
    EXPECT_FALSE(medium_cache_put(small, boundary_tag_heap::usable_size(small)));
    const std::size_t klass = size_class_of(20000);
    std::size_t accepted = 0;
    for (int i = 0; i < 40; ++i) {
        void* block = block_of(size_class_bytes(klass));
        if (medium_cache_put(block, boundary_tag_heap::usable_size(block))) ++accepted;
    }
    EXPECT_EQ(accepted, medium_cached_per_class);  // 32 blocks of 20 KiB are 640 KiB: the count binds
    const std::size_t top = size_class_of(medium_cached_max_bytes);
    accepted = 0;
    for (int i = 0; i < 12; ++i) {
        void* block = block_of(size_class_bytes(top));
        if (medium_cache_put(block, boundary_tag_heap::usable_size(block))) ++accepted;
    }
    EXPECT_EQ(accepted, 8u);  // 2 MiB worth of 256 KiB blocks
    void* huge = block_of(medium_cached_max_bytes * 2);
    EXPECT_FALSE(medium_cache_put(huge, boundary_tag_heap::usable_size(huge)));  // would waste half
    expect_valid();
}

// A thread caches at most medium_cached_bytes_per_thread in all: past it, a class with room
// refuses too.
TEST_F(MediumCache, AThreadCachesAtMostItsBudget) {
    std::size_t cached = 0;
    bool refused_with_room = false;
    for (std::size_t klass = cached_class_count; klass-- > slab_class_count && !refused_with_room;) {
        for (int i = 0; i < 40; ++i) {
            void* block = block_of(size_class_bytes(klass));
            ASSERT_NE(block, nullptr);
            if (medium_cache_put(block, boundary_tag_heap::usable_size(block))) {
                cached += size_class_bytes(klass);
                continue;
            }
            refused_with_room = i < 2;  // every class keeps 2 at least: a refusal that soon is the budget's
            break;
        }
        expect_valid();
    }
    EXPECT_TRUE(refused_with_room);
    EXPECT_LE(cached, medium_cached_bytes_per_thread);
    EXPECT_GT(cached + size_class_bytes(cached_class_count - 1), medium_cached_bytes_per_thread);
}

TEST_F(MediumCache, DrainHandsBackEveryBlockUnmarked) {
    std::vector<void*> put;
    for (std::size_t bytes : {21000u, 30000u, 70000u, 70000u, 200000u}) {  // each at least its class
        void* block = block_of(bytes);
        ASSERT_TRUE(medium_cache_put(block, boundary_tag_heap::usable_size(block)));
        put.push_back(block);
    }
    drained.clear();
    medium_cache_drain(keep_drained);
    EXPECT_EQ(std::multiset<void*>(drained.begin(), drained.end()), std::multiset<void*>(put.begin(), put.end()));
    for (void* block : put) EXPECT_FALSE(freed_block::is_freed(block));  // the heap may hand it out again
    for (std::size_t klass = slab_class_count; klass < cached_class_count; ++klass) EXPECT_EQ(medium_cache_take(klass), nullptr);
    expect_valid();
}

TEST_F(MediumCache, RandomPutsAndTakesMatchAModel) {
    const char* chosen = std::getenv("HEAPKIT_SEED");
    const std::uint64_t seed = chosen != nullptr ? std::strtoull(chosen, nullptr, 10) : std::random_device{}();
    std::printf("RandomPutsAndTakesMatchAModel: seed %llu (replay with HEAPKIT_SEED=%llu)\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    std::mt19937_64 random(seed);
    std::map<std::size_t, std::vector<void*>> model;  // class -> blocks, last put at the back
    void* last_put = nullptr;                         // the thread's last block cached
    std::size_t model_bytes = 0;                      // the bytes of the classes of the blocks cached
    std::vector<void*> spare;
    for (int step = 0; step < 20000; ++step) {
        const std::size_t klass = slab_class_count + random() % (cached_class_count - slab_class_count);
        if (random() % 2 == 0) {
            void* block = nullptr;
            if (!spare.empty() && random() % 2 == 0) {
                block = spare.back();
                spare.pop_back();
            } else {
                block = heap_.try_allocate(size_class_bytes(klass));
                if (block == nullptr) continue;
            }
            const std::size_t usable = boundary_tag_heap::usable_size(block);
            std::size_t serves = size_class_of(usable);
            if (size_class_bytes(serves) > usable) --serves;
            if (medium_cache_put(block, usable)) {
                model[serves].push_back(block);
                model_bytes += size_class_bytes(serves);
                last_put = block;
            } else {
                EXPECT_TRUE(model[serves].size() >= 2 || model_bytes + size_class_bytes(serves) > medium_cached_bytes_per_thread)
                    << "refused a block for a class with fewer than 2, within the thread's budget";
                heap_.deallocate(block);
            }
        } else {
            void* taken = medium_cache_take(klass);
            std::vector<void*>& expected = model[klass];
            const bool pass_last = !expected.empty() && expected.back() == last_put;
            if (expected.size() < (pass_last ? 2u : 1u)) {
                EXPECT_EQ(taken, nullptr);
            } else {
                const auto at = expected.end() - (pass_last ? 2 : 1);
                EXPECT_EQ(taken, *at);
                expected.erase(at);
                model_bytes -= size_class_bytes(klass);
                EXPECT_GE(boundary_tag_heap::usable_size(taken), size_class_bytes(klass));
                spare.push_back(taken);
            }
        }
        if (step % 500 == 0) expect_valid();
        if (testing::Test::HasFailure()) return;
    }
}

TEST_F(MediumCache, SecondFreeEndsTheProgram) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    void* block = block_of(50000);
    ASSERT_TRUE(medium_cache_put(block, boundary_tag_heap::usable_size(block)));
    EXPECT_DEATH(medium_cache_put(block, boundary_tag_heap::usable_size(block)), "^heapkit: double free of 0x[0-9a-f]+");
}

TEST_F(MediumCache, AWriteIntoACachedBlockEndsTheProgramWhenItIsTaken) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const std::size_t klass = size_class_of(40000);  // 40960
    auto* block = static_cast<unsigned char*>(block_of(size_class_bytes(klass)));
    ASSERT_TRUE(medium_cache_put(block, boundary_tag_heap::usable_size(block)));
    void* last = block_of(size_class_bytes(klass));
    ASSERT_TRUE(medium_cache_put(last, boundary_tag_heap::usable_size(last)));
    EXPECT_DEATH(
        {
            block[9] ^= 1;
            medium_cache_take(klass);
        },
        "^heapkit: write after free \\(or an overflow\\) into the freed block at 0x[0-9a-f]+");
    EXPECT_EQ(medium_cache_take(klass), block);
}

}  // namespace
}  // namespace heapkit::malloc_layer

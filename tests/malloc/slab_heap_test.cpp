// SPDX-License-Identifier: MIT
// The slabs on their own (malloc/slab_heap.cpp compiled into the test, not preloaded): a shadow
// model of every live block, frees by other threads, full pages coming back through notices,
// heaps handed on at thread exit, and the fatal lines. Randomized tests print their seed;
// HEAPKIT_SEED=N replays one. Built also under ASan+UBSan and TSan.
#include "slab_heap.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fault_status.hpp"
#include "slab_classes.hpp"

namespace heapkit::malloc_layer {
namespace {

// What process_heap does once for the preloaded library: a thread's heap is handed on at its exit.
const bool exit_key_made = [] {
    pthread_key_t key;
    if (pthread_key_create(&key, slab_abandon_thread) != 0) return false;
    slab_set_exit_key(static_cast<unsigned>(key));
    return true;
}();

std::uint64_t seed_for(const char* test) {
    const char* chosen = std::getenv("HEAPKIT_SEED");
    const std::uint64_t seed = chosen != nullptr ? std::strtoull(chosen, nullptr, 10) : std::random_device{}();
    std::printf("%s: seed %llu (replay with HEAPKIT_SEED=%llu)\n", test, static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(seed));
    return seed;
}

void expect_valid() {
    const char* broken = slab_validate();
    ASSERT_EQ(broken, nullptr) << broken;
}

// The byte block `address` of request `size` is filled with: the whole block for some, only the
// first byte for others (a block that is never written must be freeable too).
unsigned char fill_byte(std::uintptr_t address) { return static_cast<unsigned char>(address >> 4 ^ address >> 12); }

struct live_block {
    std::size_t size;         // requested
    std::size_t block_bytes;  // its class's
    bool filled;
    allocation_kind family = allocation_kind::malloc;
};

struct taken {
    void* block;
    std::size_t block_bytes;
    allocation_kind family = allocation_kind::malloc;
};

void fill(void* block, const live_block& shape) {
    auto* bytes = static_cast<unsigned char*>(block);
    const unsigned char value = fill_byte(reinterpret_cast<std::uintptr_t>(block));
    if (shape.filled)
        std::memset(bytes, value, shape.size);
    else
        bytes[0] = value;
}

bool intact(const void* block, const live_block& shape) {
    const auto* bytes = static_cast<const unsigned char*>(block);
    const unsigned char value = fill_byte(reinterpret_cast<std::uintptr_t>(block));
    return std::all_of(bytes, bytes + (shape.filled ? shape.size : 1), [&](unsigned char b) { return b == value; });
}

// One thread's blocks, checked against the model: no two live blocks overlap, contents survive.
class shadow_model {
public:
    // `fast`: slab_allocate_fast first (it serves any class; alignment comes from the class),
    // slab_allocate where it declines.
    void* allocate(std::size_t size, std::size_t alignment, bool filled, bool fast = false,
                   allocation_kind family = allocation_kind::malloc) {
        const std::size_t klass = size_class_of(size, alignment);
        void* block = fast ? slab_allocate_fast(klass, family) : nullptr;
        if (block == nullptr) block = slab_allocate(klass, family);
        EXPECT_NE(block, nullptr);
        if (block == nullptr) return nullptr;
        const auto address = reinterpret_cast<std::uintptr_t>(block);
        EXPECT_TRUE(slab_owns(block));
        EXPECT_EQ(address % alignment, 0u) << "size " << size << " alignment " << alignment;
        const std::size_t bytes = slab_block_bytes(block, misuse::usable_size_of_freed);
        EXPECT_EQ(bytes, size_class_bytes(klass));
        EXPECT_GE(bytes, size);
        if (auto after = live_.lower_bound(address); after != live_.end()) {
            EXPECT_GE(after->first, address + bytes) << "overlaps the next block";
        }
        if (auto before = live_.lower_bound(address); before != live_.begin()) {
            --before;
            EXPECT_LE(before->first + slab_block_bytes(reinterpret_cast<void*>(before->first), misuse::usable_size_of_freed),
                      address)
                << "overlaps the previous block";
        }
        const live_block shape{size, bytes, filled, family};
        fill(block, shape);
        live_.emplace(address, shape);
        return block;
    }

    // Takes a random live block out of the model (checking its contents) for the caller to free;
    // {nullptr, 0} when none is left.
    taken take(std::mt19937_64& random) {
        if (live_.empty()) return {nullptr, 0};
        auto chosen = live_.lower_bound(random() & ((std::uint64_t{1} << 47) - 1));
        if (chosen == live_.end()) chosen = live_.begin();
        void* block = reinterpret_cast<void*>(chosen->first);
        EXPECT_TRUE(intact(block, chosen->second)) << "block " << block << " was overwritten";
        const taken out{block, chosen->second.block_bytes, chosen->second.family};
        live_.erase(chosen);
        return out;
    }

    // Frees every block left (checked) with slab_free.
    void free_all(std::mt19937_64& random) {
        for (taken each = take(random); each.block != nullptr; each = take(random))
            EXPECT_EQ(slab_free(each.block, each.family), each.block_bytes);
    }

    std::size_t size() const { return live_.size(); }

private:
    std::map<std::uintptr_t, live_block> live_;
};

// Frees through slab_free_fast where it accepts the block, else slab_free; the block's bytes.
std::size_t free_either_way(const taken& each, bool fast) {
    if (fast && slab_free_fast(each.block, each.family)) return each.block_bytes;
    return slab_free(each.block, each.family);
}

std::size_t random_size(std::mt19937_64& random) {
    const std::uint64_t pick = random() % 8;
    return pick < 5 ? random() % 129 : 1 + random() % slab_max_bytes;
}

TEST(SizeClasses, PageSizedRecordsWithAHeaderWasteAtMostAnEighth) {
    // sqlite's page cache (4096-byte pages and their headers), and the class edges around them.
    EXPECT_EQ(size_class_bytes(size_class_of(4096)), 4096u);
    EXPECT_EQ(size_class_bytes(size_class_of(4104)), 4608u);
    EXPECT_EQ(size_class_bytes(size_class_of(4368)), 4608u);
    EXPECT_EQ(size_class_bytes(size_class_of(4609)), 5120u);
    EXPECT_EQ(size_class_bytes(size_class_of(8200)), 9216u);
    EXPECT_EQ(size_class_bytes(size_class_of(16384)), 16384u);
    EXPECT_EQ(size_class_bytes(size_class_of(16385)), 20480u);  // the thread caches' classes: four per doubling
    for (std::size_t size = 4097; size <= slab_max_bytes; ++size) {
        const std::size_t bytes = size_class_bytes(size_class_of(size));
        ASSERT_LE(8 * (bytes - size), bytes) << size;
    }
}

TEST(SlabHeap, CensusCountsBlocksOutWhileAnotherThreadAllocates) {
    // The census reads every thread's pages while their owners write them (under TSan in
    // `make test`: the reads and the owners' writes must not race).
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        while (!stop.load()) {
            const slab_totals seen = slab_census();
            ASSERT_LE(seen.in_use_bytes, seen.mapped_bytes);
        }
    });
    const std::size_t klass = size_class_of(1000);
    const slab_totals before = slab_census();
    std::vector<void*> blocks;
    for (int i = 0; i < 500; ++i) blocks.push_back(slab_allocate(klass, allocation_kind::malloc));
    const slab_totals with_blocks = slab_census();
    EXPECT_EQ(with_blocks.in_use_bytes - before.in_use_bytes, 500 * size_class_bytes(klass));
    EXPECT_GE(with_blocks.mapped_bytes, with_blocks.in_use_bytes);
    for (void* block : blocks) slab_free(block, allocation_kind::malloc);
    EXPECT_EQ(slab_census().in_use_bytes, before.in_use_bytes);
    stop = true;
    reader.join();
}

TEST(SlabHeap, PurgingUnusedPagesFromAnotherThreadNeverTouchesBlocksInUse) {
    // The owner empties and refills pages over and over (each batch retires them, the next takes
    // them back) while another thread gives back the memory of every unused page at once (age 0):
    // a page the owner took back must keep what is written in it. Under TSan in `make test`.
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> purging_rounds{0};
    std::thread purger([&] {
        while (!stop.load()) {
            slab_purge_aged(0);
            purging_rounds.fetch_add(1);
        }
    });
    const std::size_t klass = size_class_of(4096);
    std::vector<unsigned char*> blocks(1600);
    for (int round = 0; round < 200; ++round) {
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            blocks[i] = static_cast<unsigned char*>(slab_allocate(klass, allocation_kind::malloc));
            ASSERT_NE(blocks[i], nullptr);
            std::memset(blocks[i], static_cast<int>((i + static_cast<std::size_t>(round)) % 251 + 1), 4096);
        }
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            const auto expected = static_cast<unsigned char>((i + static_cast<std::size_t>(round)) % 251 + 1);
            ASSERT_TRUE(blocks[i][0] == expected && blocks[i][2048] == expected && blocks[i][4095] == expected)
                << "round " << round << ", block " << i << ": a page in use lost its contents";
            slab_free(blocks[i], allocation_kind::malloc);
        }
    }
    stop = true;
    purger.join();
    EXPECT_GT(purging_rounds.load(), 0u);
    EXPECT_EQ(slab_validate(), nullptr);
}

TEST(SlabHeap, AnExitedThreadsPagesComeBackWhenOthersFreeItsBlocks) {
    // A thread allocates and exits; this one frees its blocks (each a remote free into a heap no
    // thread owns now); slab_collect_abandoned (the purge thread's round) collects them and
    // retires the pages they emptied.
    const std::size_t klass = size_class_of(100);
    const slab_totals before = slab_census();
    std::vector<void*> blocks(20000);
    std::thread([&] {
        for (void*& block : blocks) block = slab_allocate(klass, allocation_kind::malloc);
    }).join();
    for (void* block : blocks) slab_free(block, allocation_kind::malloc);
    const slab_totals freed = slab_census();
    EXPECT_GE(freed.in_use_bytes, before.in_use_bytes + blocks.size() * size_class_bytes(klass))
        << "the owner is gone: nobody has collected them yet";
    slab_collect_abandoned();
    const slab_totals collected = slab_census();
    EXPECT_LE(collected.in_use_bytes, before.in_use_bytes);
    EXPECT_LE(collected.in_use_pages, before.in_use_pages);
    EXPECT_EQ(slab_validate(), nullptr);
}

TEST(SlabHeap, ShadowModelGrowsShrinksAndReusesPages) {
    std::mt19937_64 random(seed_for("ShadowModelGrowsShrinksAndReusesPages"));
    shadow_model model;
    constexpr std::size_t alignments[] = {16, 16, 16, 32, 64, 256, 4096, slab_max_bytes};
    for (int phase = 0; phase < 6; ++phase) {
        // Grow to a few thousand blocks (dozens of pages) and churn there, then shrink to none:
        // pages retire and are purged, and the next phase carves pages that held other classes'
        // blocks before.
        const std::size_t target = 1000 + random() % 4000;
        for (int step = 0; step < 200000; ++step) {
            const bool grow = step < 100000 ? model.size() < target || random() % 2 == 0 : random() % 3 == 0;
            const bool fast = random() % 2 == 0;  // the fast paths interleaved with the full ones
            if (grow) {
                const auto family = static_cast<allocation_kind>(random() % 3);  // malloc, new, new[]
                model.allocate(random_size(random), alignments[random() % std::size(alignments)], random() % 2 == 0, fast,
                               family);
            } else if (const taken each = model.take(random); each.block != nullptr) {
                EXPECT_EQ(free_either_way(each, fast), each.block_bytes);
            }
            if (step % 10000 == 0) expect_valid();
        }
        model.free_all(random);
        expect_valid();
        if (testing::Test::HasFailure()) return;
    }
}

// Each thread allocates filled blocks, hands half of them to the next thread and frees what the
// previous one handed it (every such free is remote); then the threads exit and a new round's
// threads take over their heaps, with blocks of the old round still out.
TEST(SlabHeap, OtherThreadsFreesComeBackAndHeapsAreHandedOn) {
    const std::uint64_t seed = seed_for("OtherThreadsFreesComeBackAndHeapsAreHandedOn");
    constexpr int threads = 4;
    struct handed {
        void* block;
        live_block shape;
    };
    struct mailbox {
        std::mutex mutex;
        std::vector<handed> blocks;
    };
    mailbox mailboxes[threads];
    for (int round = 0; round < 3; ++round) {
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                std::mt19937_64 random(seed + static_cast<std::uint64_t>(round * threads + t));
                shadow_model mine;
                for (int step = 0; step < 40000; ++step) {
                    const std::uint64_t pick = random() % 8;
                    if (pick < 4) {
                        mine.allocate(random_size(random), 16, true, false, static_cast<allocation_kind>(random() % 3));
                    } else if (pick < 6) {
                        if (const taken each = mine.take(random); each.block != nullptr) {
                            EXPECT_EQ(slab_free(each.block, each.family), each.block_bytes);
                        }
                    } else if (pick == 6) {
                        const std::size_t size = random_size(random);
                        void* block = slab_allocate(size_class_of(size), allocation_kind::malloc);
                        ASSERT_NE(block, nullptr);
                        const live_block shape{size, size_class_bytes(size_class_of(size)), true};
                        fill(block, shape);
                        const std::lock_guard hold(mailboxes[(t + 1) % threads].mutex);
                        mailboxes[(t + 1) % threads].blocks.push_back({block, shape});
                    } else {
                        std::vector<handed> received;
                        {
                            const std::lock_guard hold(mailboxes[t].mutex);
                            received.swap(mailboxes[t].blocks);
                        }
                        for (const handed& each : received) {
                            EXPECT_TRUE(intact(each.block, each.shape)) << "handed block " << each.block << " was overwritten";
                            EXPECT_EQ(slab_free(each.block, allocation_kind::malloc), each.shape.block_bytes);
                        }
                    }
                    if (step % 4000 == 0) expect_valid();
                }
                mine.free_all(random);
                expect_valid();
            });
        }
        for (std::thread& worker : workers) worker.join();
    }
    for (mailbox& each : mailboxes) {  // into heaps whose threads have exited
        for (const handed& block : each.blocks) {
            EXPECT_TRUE(intact(block.block, block.shape));
            slab_free(block.block, allocation_kind::malloc);
        }
    }
}

// A thread fills three pages of one class; another thread frees every block; when the first
// allocates as many again it gets exactly those blocks back: the two full pages returned through
// their notices, the third through its remote list, and no page was added.
TEST(SlabHeap, FullPagesComeBackWhenAnotherThreadFrees) {
    constexpr std::size_t block_bytes = 1024;
    constexpr std::size_t blocks = 3 * (std::size_t{64} << 10) / block_bytes;
    const std::size_t klass = size_class_of(block_bytes);
    std::vector<void*> first;
    std::set<void*> second;
    std::atomic<int> stage{0};
    std::thread owner([&] {
        for (std::size_t i = 0; i < blocks; ++i) first.push_back(slab_allocate(klass, allocation_kind::malloc));
        expect_valid();
        stage = 1;
        while (stage.load() != 2) std::this_thread::yield();
        for (std::size_t i = 0; i < blocks; ++i) second.insert(slab_allocate(klass, allocation_kind::malloc));
        expect_valid();
        for (void* block : second) slab_free(block, allocation_kind::malloc);
    });
    while (stage.load() != 1) std::this_thread::yield();
    for (void* block : first) EXPECT_EQ(slab_free(block, allocation_kind::malloc), block_bytes);
    stage = 2;
    owner.join();
    EXPECT_EQ(second, std::set<void*>(first.begin(), first.end()));
}

// A thread's first allocation after another thread exited comes from the exited thread's heap,
// also when that thread never left the fast path (it took the heap over with room to spare).
TEST(SlabHeap, ExitedThreadsHeapGoesToTheNextThread) {
    ASSERT_TRUE(exit_key_made);
    constexpr std::uintptr_t segment_mask = ~((std::uintptr_t{4} << 20) - 1);
    const auto segment = [](void* block) { return reinterpret_cast<std::uintptr_t>(block) & segment_mask; };
    void* first = nullptr;
    std::thread([&] { first = slab_allocate(size_class_of(100), allocation_kind::malloc); }).join();
    void* second = nullptr;
    std::thread([&] {
        second = slab_allocate(size_class_of(100), allocation_kind::malloc);
    }).join();  // one fast-path call, then exit
    void* third = nullptr;
    std::thread([&] {
        third = slab_allocate(size_class_of(100), allocation_kind::malloc);
        expect_valid();
        slab_free(first, allocation_kind::malloc);  // now local frees: the heap is this thread's
        slab_free(second, allocation_kind::malloc);
        expect_valid();
        slab_free(third, allocation_kind::malloc);
    }).join();
    EXPECT_EQ(segment(second), segment(first));
    EXPECT_EQ(segment(third), segment(first));
}

TEST(SlabHeap, OwnsOnlyItsSegments) {
    static long not_a_block[4];
    EXPECT_FALSE(slab_owns(not_a_block));
    EXPECT_FALSE(slab_owns(reinterpret_cast<void*>(~std::uintptr_t{0} - 15)));
    void* block = slab_allocate(0, allocation_kind::malloc);
    EXPECT_TRUE(slab_owns(block));
    slab_free(block, allocation_kind::malloc);
}

TEST(SlabHeap, FastPathsDeclineWhatTheFullPathsMustJudge) {
    const std::size_t klass = size_class_of(48);
    void* first = slab_allocate(klass, allocation_kind::malloc);  // the thread's heap and a current page for the class
    void* second = slab_allocate_fast(klass, allocation_kind::malloc);
    if (second == nullptr) second = slab_allocate(klass, allocation_kind::malloc);
    void* third = slab_allocate(klass, allocation_kind::malloc);
    EXPECT_FALSE(slab_free_fast(static_cast<char*>(second) + 16, allocation_kind::malloc)) << "a pointer inside a block";
    std::size_t on_the_stack = 0;
    EXPECT_FALSE(slab_free_fast(&on_the_stack, allocation_kind::malloc)) << "a pointer outside the slabs";
    void* others = nullptr;
    std::thread([&] { others = slab_allocate(klass, allocation_kind::malloc); }).join();
    EXPECT_FALSE(slab_free_fast(others, allocation_kind::malloc)) << "another thread's block";
    EXPECT_EQ(slab_free(others, allocation_kind::malloc), size_class_bytes(klass));
    EXPECT_TRUE(slab_free_fast(second, allocation_kind::malloc));
    EXPECT_FALSE(slab_free_fast(second, allocation_kind::malloc)) << "a double free";
    void* fourth = slab_allocate(klass, allocation_kind::malloc);
    EXPECT_NE(fourth, second) << "a block freed is not the next one taken";
    for (void* block : {first, third, fourth})
        EXPECT_EQ(free_either_way({block, size_class_bytes(klass)}, true), size_class_bytes(klass));
    expect_valid();
}

// Freed blocks wait on the page's local list until the blocks to hand out run dry: a loop of one
// malloc and one free takes the block it just freed again only when its batch of blocks has run
// dry, and cycles through that one batch (about 4 KiB), never more.
TEST(SlabHeap, AFreedBlockComesBackOnlyAfterTheOthers) {
    const std::size_t klass = size_class_of(32);
    const std::size_t batch = 4096 / size_class_bytes(klass);
    // Blocks until a page starts (its blocks carved in address order from its start; earlier tests
    // may have left this class's pages in any state), then half of that page's second batch.
    std::vector<void*> pinned;
    for (std::size_t run = 0; run < batch * 3 / 2;) {
        auto* block = static_cast<char*>(slab_allocate(klass, allocation_kind::malloc));
        ASSERT_NE(block, nullptr);
        const bool page_start = reinterpret_cast<std::uintptr_t>(block) % (std::size_t{64} << 10) == 0;
        const bool next = run > 0 && block == static_cast<char*>(pinned.back()) + size_class_bytes(klass);
        run = page_start ? 1 : next ? run + 1 : 0;
        pinned.push_back(block);
    }
    std::set<void*> seen;
    void* previous = nullptr;
    std::size_t again = 0;
    const int steps = 1000;
    for (int i = 0; i < steps; ++i) {
        void* block = slab_allocate(klass, allocation_kind::malloc);
        ASSERT_NE(block, nullptr);
        again += block == previous ? 1 : 0;
        seen.insert(block);
        slab_free(block, allocation_kind::malloc);
        previous = block;
        if (i % 97 == 0) expect_valid();
    }
    EXPECT_LE(again, steps / (batch / 2 - 1) + 1) << "the block just freed is taken at once only when the free list ran dry";
    EXPECT_LE(seen.size(), batch) << "the loop cycles through one carved batch";
    for (void* block : pinned) slab_free(block, allocation_kind::malloc);
    expect_valid();
}

TEST(SlabHeapDeathTest, DoubleFreeEndsTheProgram) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    void* block = slab_allocate(size_class_of(48), allocation_kind::malloc);
    slab_free(block, allocation_kind::malloc);
    EXPECT_DEATH(slab_free(block, allocation_kind::malloc), "^heapkit: double free of 0x[0-9a-f]+\n$");
}

TEST(SlabHeapDeathTest, AFreeByAnotherFamilyIsTheMismatchedLine) {
    void* by_new = slab_allocate(size_class_of(4), allocation_kind::new_object);
    EXPECT_DEATH(slab_free(by_new, allocation_kind::malloc),
                 "^heapkit: mismatched free \\(allocated by new, freed by free\\) of 0x[0-9a-f]+\n$");
    void* by_malloc = slab_allocate(size_class_of(4), allocation_kind::malloc);
    EXPECT_DEATH(slab_free(by_malloc, allocation_kind::new_object),
                 "^heapkit: mismatched free \\(allocated by malloc, freed by delete\\) of 0x[0-9a-f]+\n$");
    void* by_new_array = slab_allocate(size_class_of(40), allocation_kind::new_array);
    EXPECT_DEATH(slab_free(by_new_array, allocation_kind::new_object),
                 "^heapkit: mismatched free \\(allocated by new\\[\\], freed by delete\\) of 0x[0-9a-f]+\n$");
    EXPECT_FALSE(slab_free_fast(by_new, allocation_kind::new_array)) << "the fast path leaves the verdict to slab_free";
    EXPECT_DEATH(slab_realloc_bytes(by_new_array),
                 "^heapkit: mismatched free \\(allocated by new\\[\\], freed by free\\) of 0x[0-9a-f]+\n$");
    EXPECT_DEATH(slab_realloc_bytes(static_cast<char*>(by_malloc) + 16), "^heapkit: realloc of a block that is not live: 0x");
    EXPECT_EQ(slab_realloc_bytes(by_malloc), size_class_bytes(size_class_of(4)));
    slab_free(by_new, allocation_kind::new_object);
    slab_free(by_malloc, allocation_kind::malloc);
    slab_free(by_new_array, allocation_kind::new_array);
}

TEST(SlabHeap, FamiliesNeverShareAPage) {
    constexpr std::size_t slab_page = std::size_t{64} << 10;
    const std::size_t klass = size_class_of(32);
    std::set<std::uintptr_t> pages[3];
    std::vector<taken> blocks;
    for (int i = 0; i < 3000; ++i) {
        const auto family = static_cast<allocation_kind>(i % 3);
        void* block = slab_allocate(klass, family);
        ASSERT_NE(block, nullptr);
        pages[i % 3].insert(reinterpret_cast<std::uintptr_t>(block) / slab_page);
        blocks.push_back({block, size_class_bytes(klass), family});
    }
    for (const std::uintptr_t page : pages[0]) EXPECT_TRUE(!pages[1].count(page) && !pages[2].count(page));
    for (const std::uintptr_t page : pages[1]) EXPECT_FALSE(pages[2].count(page));
    for (const taken& each : blocks) EXPECT_EQ(slab_free(each.block, each.family), each.block_bytes);
    expect_valid();
}

TEST(SlabHeapDeathTest, PointerInsideABlockEndsTheProgram) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    auto* block = static_cast<char*>(slab_allocate(size_class_of(64), allocation_kind::malloc));
    EXPECT_DEATH(slab_free(block + 16, allocation_kind::malloc),
                 "^heapkit: free of a pointer heapkit never handed out: 0x[0-9a-f]+\n$");
    EXPECT_DEATH(slab_block_bytes(block + 16, misuse::realloc_of_freed), "^heapkit: realloc of a block that is not live: 0x");
    char* carved = block + size_class_bytes(size_class_of(64));  // carved with it, never handed out
    EXPECT_DEATH(slab_free(carved, allocation_kind::malloc), "^heapkit: free of a pointer heapkit never handed out: 0x");
    EXPECT_DEATH(slab_block_bytes(carved, misuse::realloc_of_freed), "^heapkit: realloc of a block that is not live: 0x");
    slab_free(block, allocation_kind::malloc);
    EXPECT_DEATH(slab_block_bytes(block, misuse::realloc_of_freed), "^heapkit: realloc of a block that is not live: 0x");
}

// A segment's pages past those in use (and their batch) are PROT_NONE: a write a megabyte past a
// block faults there. The death test's child runs this test alone, on a fresh heap.
TEST(SlabHeapDeathTest, AWriteAMegabytePastABlockFaults) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            auto* block = static_cast<volatile char*>(slab_allocate(size_class_of(64), allocation_kind::malloc));
            block[std::size_t{1} << 20] = 'x';
        },
        died_of_a_fault, fault_report);
}

// A write after free (or an overflow into a freed neighbour) that reaches a freed block's key or
// its link is the verdict when the block is taken again, not a wild link followed.
TEST(SlabHeapDeathTest, AFreedBlockWrittenBeforeItsReuseEndsTheProgram) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const std::size_t klass = size_class_of(32);
    void* kept = slab_allocate(klass, allocation_kind::malloc);  // the page stays in use
    void* below = slab_allocate(klass, allocation_kind::malloc);
    auto* freed = static_cast<unsigned char*>(slab_allocate(klass, allocation_kind::malloc));
    slab_free(below, allocation_kind::malloc);
    slab_free(freed, allocation_kind::malloc);  // the head of its page's list, linked to `below`
    const char* verdict = "^heapkit: write after free \\(or an overflow\\) into the freed block at 0x[0-9a-f]+\n$";
    // The page's other blocks are handed out first; then the freed ones, each checked as it is taken.
    std::vector<void*> taken;
    const auto take_until = [&](const void* wanted) {
        for (std::size_t i = 0; i <= (std::size_t{64} << 10) / size_class_bytes(klass); ++i) {
            taken.push_back(slab_allocate(klass, allocation_kind::malloc));
            if (taken.back() == wanted) return true;
        }
        return false;
    };
    EXPECT_DEATH(
        {
            freed[12] ^= 1;
            take_until(nullptr);
        },
        verdict)
        << "its key changed";
    EXPECT_DEATH(
        {
            freed[2] ^= 1;
            take_until(nullptr);
        },
        verdict)
        << "its link sent to another page";
    EXPECT_TRUE(take_until(freed)) << "untouched, it is taken as usual once the page's other blocks are";
    EXPECT_EQ(slab_allocate(klass, allocation_kind::malloc), below) << "and the block freed before it next";
    for (void* block : taken) slab_free(block, allocation_kind::malloc);
    for (void* block : {kept, below}) slab_free(block, allocation_kind::malloc);
    EXPECT_EQ(slab_validate(), nullptr);
}

}  // namespace
}  // namespace heapkit::malloc_layer

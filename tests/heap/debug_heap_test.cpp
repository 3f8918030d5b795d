// SPDX-License-Identifier: MIT
// debug_heap: one planted bug per kind of misuse, each report checked for kind, address, size
// and site; the leak report and snapshot series; the default handler's line; and a seeded stress
// with validate() after every step.
#include "heapkit/heap/debug_heap.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "../test_seed.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/offset_heap.hpp"
#include "shadow_heap.hpp"

namespace heapkit {
namespace {

struct DebugHeap : ::testing::Test {
    static debug_options recording(std::vector<debug_report>& into) {
        debug_options options;
        options.handler = [&into](const debug_report& report) { into.push_back(report); };
        return options;
    }
    void expect_one(debug_issue issue, const void* address, std::size_t size, unsigned line) {
        ASSERT_EQ(reports.size(), 1u) << "expected exactly one report";
        EXPECT_EQ(reports[0].issue, issue) << issue_name(reports[0].issue);
        EXPECT_EQ(reports[0].address, address);
        EXPECT_EQ(reports[0].size, size);
        ASSERT_NE(reports[0].site, nullptr);
        EXPECT_EQ(reports[0].site->location.line, line);
        reports.clear();
    }

    alignas(16) std::byte memory[256 * 1024];
    std::vector<debug_report> reports;
    debug_heap<boundary_tag_heap> heap{recording(reports), std::span(memory)};
};

TEST_F(DebugHeap, CatchesADoubleFreeWithTheBlocksSite) {
    const unsigned line = __LINE__ + 1;  // the allocation's line
    void* p = heap.allocate(24);
    heap.deallocate(p);
    heap.deallocate(p);
    expect_one(debug_issue::double_free, p, 24, line);
    heap.validate();
}

TEST_F(DebugHeap, ADoubleFreeNamesWhereTheBlockWasFirstFreed) {
    void* p = heap.allocate(24);
    const unsigned freed_line = __LINE__ + 1;  // the first free's line
    heap.deallocate(p);
    heap.deallocate(p);
    ASSERT_EQ(reports.size(), 1u);
    ASSERT_NE(reports[0].freed_site, nullptr);
    EXPECT_EQ(reports[0].freed_site->location.line, freed_line);
    EXPECT_NE(reports[0].message().find("; freed at "), std::string::npos) << reports[0].message();
}

// Over a heap that keeps nothing in its blocks, as heapkit's malloc uses in debug mode: an
// overflow that runs over the next block's front canary is still named as the first block's
// overflow, and no overflow, however long, breaks the debug heap's own records.
struct DebugHeapOutOfBand : ::testing::Test {
    alignas(64) std::byte memory[64 * 1024];
    std::vector<debug_report> reports;
    debug_heap<offset_heap<tlsf_allocator>> heap{DebugHeap::recording(reports), memory, sizeof memory};
};

TEST_F(DebugHeapOutOfBand, AnOverflowIntoTheNextBlockIsNamedAsTheFirstBlocksOverflow) {
    const unsigned line = __LINE__ + 1;  // the allocation's line
    auto* p = static_cast<char*>(heap.allocate(8));
    auto* q = static_cast<char*>(heap.allocate(8));
    ASSERT_GT(q, p);
    ASSERT_LE(q - p, 64) << "the blocks are not neighbours, so the test would prove nothing";
    std::memset(p, 'x', static_cast<std::size_t>(q - p));  // up to q's first byte
    heap.deallocate(q);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].issue, debug_issue::overflow) << issue_name(reports[0].issue);
    EXPECT_EQ(reports[0].address, p);
    EXPECT_EQ(reports[0].site->location.line, line);
}

TEST_F(DebugHeapOutOfBand, ALongOverflowIsReportedAndTheHeapStaysSound) {
    std::vector<char*> blocks;
    for (int i = 0; i < 20; ++i) blocks.push_back(static_cast<char*>(heap.allocate(16)));
    std::memset(blocks[0], 'x', 16 + 19 * 48);  // over most of the blocks after it
    heap.validate();
    EXPECT_FALSE(reports.empty());
    for (const debug_report& report : reports) EXPECT_TRUE(report.issue == debug_issue::overflow) << report.message();
    reports.clear();
    for (char* block : blocks) heap.deallocate(block);
    for (std::size_t i = 0; i < 200; ++i) heap.deallocate(heap.allocate(i % 50 + 1));  // the heap still works
    heap.validate();
    EXPECT_EQ(heap.live_count(), 0u);
}

TEST_F(DebugHeap, CatchesAForeignPointer) {
    int on_stack = 0;
    heap.deallocate(&on_stack);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].issue, debug_issue::foreign_pointer);
    EXPECT_EQ(reports[0].address, &on_stack);
    EXPECT_EQ(reports[0].size, 0u);
    EXPECT_EQ(reports[0].site, nullptr);
}

TEST_F(DebugHeap, CatchesAnInteriorPointerNamingTheBlockItPointsInto) {
    const unsigned line = __LINE__ + 1;  // the allocation's line
    auto* p = static_cast<std::byte*>(heap.allocate(100));
    heap.deallocate(p + 8);
    expect_one(debug_issue::interior_pointer, p, 100, line);
    EXPECT_EQ(heap.live_count(), 1u);  // the block was left alone
    heap.deallocate(p);
    EXPECT_TRUE(reports.empty());
}

TEST_F(DebugHeap, CatchesAnOverflowByOneByte) {
    const unsigned line = __LINE__ + 1;  // the allocation's line
    auto* p = static_cast<char*>(heap.allocate(24));
    p[24] = static_cast<char>(~p[24]);  // the canary is random: change whatever is there
    heap.validate();
    expect_one(debug_issue::overflow, p, 24, line);
    heap.deallocate(p);
    expect_one(debug_issue::overflow, p, 24, line);
}

// A string copied without room for its terminator: the NUL lands on the back canary, which never
// holds a zero byte, so every such overflow is caught (a random canary let 1 in 256 through).
TEST_F(DebugHeap, CatchesEveryTerminatingNulOnePastTheEnd) {
    std::vector<char*> blocks;  // all live at once, so that each has a canary of its own
    for (int i = 0; i < 1500; ++i) blocks.push_back(static_cast<char*>(heap.allocate(9)));
    for (char* p : blocks) {
        std::memcpy(p, "overflow", 9);
        p[9] = '\0';
    }
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        heap.deallocate(blocks[i]);
        ASSERT_EQ(reports.size(), 1u) << "block " << i << ": the NUL past the end went unnoticed";
        EXPECT_EQ(reports[0].issue, debug_issue::overflow);
        reports.clear();
    }
}

TEST_F(DebugHeap, CatchesAnUnderflowByOneByte) {
    const unsigned line = __LINE__ + 1;  // the allocation's line
    auto* p = static_cast<char*>(heap.allocate(40, 64));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);
    p[-1] = static_cast<char>(~p[-1]);
    heap.deallocate(p);
    expect_one(debug_issue::underflow, p, 40, line);
}

TEST_F(DebugHeap, CatchesAWriteAfterFreeInValidateAndWhenTheBlockLeavesQuarantine) {
    const unsigned line = __LINE__ + 1;  // the allocation's line
    auto* p = static_cast<char*>(heap.allocate(32));
    heap.deallocate(p);
    p[5] = 'x';  // the block is still the debug heap's (quarantined), so this is no real UB
    heap.validate();
    expect_one(debug_issue::write_after_free, p, 32, line);
    for (int i = 0; i < 1100; ++i) heap.deallocate(heap.allocate(8));  // pushes p out of quarantine
    expect_one(debug_issue::write_after_free, p, 32, line);
    heap.validate();
}

TEST_F(DebugHeap, FillsFreshAndFreedBlocksWithNamedPatterns) {
    auto* p = static_cast<unsigned char*>(heap.allocate(16));
    for (int i = 0; i < 16; ++i) ASSERT_EQ(p[i], static_cast<unsigned char>(debug_fill::allocated));
    heap.deallocate(p);
    for (int i = 0; i < 16; ++i) ASSERT_EQ(p[i], static_cast<unsigned char>(debug_fill::freed));
    EXPECT_EQ(heap.quarantine_count(), 1u);
}

TEST_F(DebugHeap, LeakReportListsExactlyTheLeakedBlocksBySite) {
    std::vector<void*> kept_a, kept_b;
    unsigned line_a = 0, line_b = 0;
    for (int i = 0; i < 5; ++i) {
        line_a = __LINE__ + 1;  // the allocation's line
        void* a = heap.allocate(10);
        line_b = __LINE__ + 1;  // the allocation's line
        void* b = heap.allocate(1000);
        if (i % 2 == 0)
            kept_a.push_back(a);
        else
            heap.deallocate(a);
        if (i == 3)
            kept_b.push_back(b);
        else
            heap.deallocate(b);
    }
    const std::vector<leak_record> leaks = heap.leaks();
    ASSERT_EQ(leaks.size(), 2u);
    EXPECT_EQ(leaks[0].site->location.line, line_b);  // most bytes first
    EXPECT_EQ(leaks[0].bytes, 1000u);
    EXPECT_EQ(std::set<const void*>(leaks[0].blocks.begin(), leaks[0].blocks.end()),
              std::set<const void*>(kept_b.begin(), kept_b.end()));
    EXPECT_EQ(leaks[1].site->location.line, line_a);
    EXPECT_EQ(leaks[1].bytes, 30u);
    EXPECT_EQ(std::vector<const void*>(leaks[1].blocks.begin(), leaks[1].blocks.end()),
              std::vector<const void*>(kept_a.begin(), kept_a.end()));
    EXPECT_EQ(heap.report_leaks(), 2u);
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[1].issue, debug_issue::leak);
    EXPECT_EQ(reports[1].count, 3u);
    EXPECT_NE(reports[1].message().find("leak of 30 bytes in 3 blocks"), std::string::npos) << reports[1].message();
}

TEST_F(DebugHeap, SnapshotSeriesNamesTheSiteThatKeepsGrowing) {
    std::vector<live_snapshot> series;
    std::vector<void*> particles;
    unsigned growing_line = 0;
    for (int frame = 0; frame < 6; ++frame) {
        void* scratch = heap.allocate(4096);     // freed every frame
        growing_line = __LINE__ + 1;             // the allocation's line
        particles.push_back(heap.allocate(48));  // never freed: the logical leak
        void* buffer = heap.allocate(256);
        heap.deallocate(buffer);
        heap.deallocate(scratch);
        series.push_back(heap.snapshot());
    }
    const std::vector<site_growth> growing = growing_sites(series);
    ASSERT_EQ(growing.size(), 1u);
    EXPECT_EQ(growing[0].site->location.line, growing_line);
    EXPECT_EQ(growing[0].first_bytes, 48u);
    EXPECT_EQ(growing[0].last_bytes, 6u * 48);
}

TEST_F(DebugHeap, RecordsTheStackOfEverySite) {
    void* p = heap.allocate(8);
    const allocation_site* site = heap.site_of(p);
    ASSERT_NE(site, nullptr);
    EXPECT_GT(site->frames.size(), 0u);
    for (const std::string& frame : site->symbolized_frames()) EXPECT_FALSE(frame.empty());
    EXPECT_NE(site->where().find("debug_heap_test.cpp"), std::string::npos) << site->where();
}

[[gnu::noinline]] const allocation_site* site_of_a_fresh_block(debug_heap<boundary_tag_heap>& heap) {
    return heap.site_of(heap.allocate(8));
}

TEST(DebugHeapStacks, BothWalksFindTheSameInnermostFrame) {
    alignas(16) static std::byte memory[2][16 * 1024];
    debug_options tables, pointers;
    pointers.stack_walk = os::stack_walk::frame_pointers;
    debug_heap<boundary_tag_heap> unwound(tables, std::span(memory[0]));
    debug_heap<boundary_tag_heap> walked(pointers, std::span(memory[1]));
    const allocation_site* by_tables = site_of_a_fresh_block(unwound);
    const allocation_site* by_pointers = site_of_a_fresh_block(walked);
    ASSERT_GT(by_tables->frames.size(), 0u);
    ASSERT_GT(by_pointers->frames.size(), 0u);
    // The return address into the caller of heapkit's stack capture, never heapkit's own frames.
    EXPECT_EQ(by_tables->frames[0], by_pointers->frames[0]);
    EXPECT_EQ(by_tables->symbolized_frames()[0].find("capture_backtrace"), std::string::npos)
        << by_tables->symbolized_frames()[0];
}

TEST_F(DebugHeap, ReallocateMovesAndKeepsTheContents) {
    auto* p = static_cast<char*>(heap.allocate(10));
    std::memcpy(p, "abcdefghij", 10);
    auto* q = static_cast<char*>(heap.reallocate(p, 20));
    EXPECT_NE(p, q);
    EXPECT_EQ(std::string(q, 10), "abcdefghij");
    EXPECT_EQ(heap.usable_size(q), 20u);
    EXPECT_EQ(heap.usable_size(p), 0u);
    heap.validate();
    EXPECT_TRUE(reports.empty());
}

TEST(DebugHeapDefaultHandler, PrintsOneLineAndAborts) {
    alignas(16) static std::byte memory[16 * 1024];
    debug_heap<boundary_tag_heap> heap(debug_options{}, std::span(memory));
    void* p = heap.allocate(24);
    heap.deallocate(p);
    EXPECT_DEATH(heap.deallocate(p),
                 "heapkit: double free of the 24-byte block at 0x[0-9a-f]+ allocated at .*debug_heap_test.cpp:[0-9]+");
}

TEST(DebugHeapStress, RandomOperationsStayCleanAndValid) {
    const std::uint64_t seed = test::test_seed("DebugHeapStress.RandomOperationsStayCleanAndValid");
    std::vector<std::byte> memory(1 << 20);
    std::vector<debug_report> reports;
    debug_options options;
    options.handler = [&reports](const debug_report& report) { reports.push_back(report); };
    options.quarantine_blocks = 64;
    debug_heap<boundary_tag_heap> heap(options, std::span(memory));
    test::shadow_heap shadow;
    std::mt19937_64 random(seed);
    const std::size_t operations = test::test_operations(20'000);
    for (std::size_t step = 0; step < operations; ++step) {
        const std::size_t size = random() % 500;
        if (random() % 2 == 0 || shadow.empty()) {
            if (void* p = heap.try_allocate(size, std::size_t{1} << (random() % 8))) shadow.add(p, size, step);
        } else {
            void* victim = shadow.pick(random);
            shadow.check_and_remove(victim);
            heap.deallocate(victim);
        }
        heap.validate();
        ASSERT_TRUE(reports.empty()) << reports[0].message() << " at step " << step;
        ASSERT_EQ(heap.live_count(), shadow.count());
    }
}

}  // namespace
}  // namespace heapkit

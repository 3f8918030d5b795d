// SPDX-License-Identifier: MIT
// `heapkit shell` and `heapkit demo` driven through the real binary: the protocol of docs/PROTOCOL.md,
// line for line, including the issue's acceptance command.
#include <gtest/gtest.h>

#include <string>

#include "run_heapkit.hpp"

namespace {

using heapkit::test::run_heapkit;
using heapkit::test::run_result;

// `text` with every run of spaces collapsed to one, to compare tables without their padding.
std::string single_spaced(const std::string& text) {
    std::string collapsed;
    for (const char c : text) {
        if (c != ' ' || collapsed.empty() || collapsed.back() != ' ') collapsed += c;
    }
    return collapsed;
}

std::string shell(const std::string& arguments, const std::string& script) {
    const run_result run = run_heapkit("shell " + arguments, script);
    EXPECT_EQ(run.exit_status, 0);
    return run.output;
}

TEST(Shell, TheIssuesAcceptanceScript) {
    EXPECT_EQ(shell("--capacity 100",
                    "allocate 20\nallocate 30\nallocate 40\nfree 20 30\nallocate 25\nfree 0 20\nfree 20 25\nfree_blocks\nmap\n"),
              "0\n20\n50\nok\n20\nok\nok\n0:50 90:10\n[Free(0-49)] [Allocated(50-89)] [Free(90-99)]\n");
}

TEST(Shell, EveryIndexServesTheProtocol) {
    const std::string script =
        "allocate 20\nallocate 30\nallocate 40\nfree 20 30\nallocate 25\nfree 0 20\nfree 20 25\nfree_blocks\nmap\n";
    const std::string seed_answers = "0\n20\n50\nok\n20\nok\nok\n0:50 90:10\n[Free(0-49)] [Allocated(50-89)] [Free(90-99)]\n";
    EXPECT_EQ(shell("--capacity 100 --index tree", script), seed_answers);
    EXPECT_EQ(shell("--capacity 100 --index tlsf", script), seed_answers);
    // The buddy system rounds each request up to a power of two: 20 and 30 take blocks of 32
    // (the tile 64:32 first), leaving 36 units for 40.
    EXPECT_EQ(shell("--capacity 100 --index buddy", script),
              "64\n0\nerror out_of_memory: cannot allocate 40 units: memory is exhausted (36 units free)\n"
              "error invalid_free: cannot free address 20: no allocation starts there\n32\n"
              "error invalid_free: cannot free 20 units at 0: the allocation there has 30 units\n"
              "error invalid_free: cannot free address 20: no allocation starts there\n96:4\n"
              "[Allocated(0-31)] [Allocated(32-63)] [Allocated(64-95)] [Free(96-99)]\n");
}

TEST(Shell, QueriesOfAFreshAllocator) {
    EXPECT_EQ(shell("--capacity 64", "free_memory\nlargest_free_block\nfree_blocks\nmap\n"), "64\n64\n0:64\n[Free(0-63)]\n");
}

TEST(Shell, ErrorsNameTheirKindAndTheShellGoesOn) {
    const std::string output = shell("--capacity 100",
                                     "allocate 0\nallocate -5\nallocate 4 3\nallocate 200\nfree -1 4\nfree 0 -4\n"
                                     "free 0 4\nfree 99999999999999999999999 1\nallocate 99999999999999999999999\n"
                                     "allocate 4 -8\nallocate 4\n");
    EXPECT_EQ(output,
              "error invalid_size: allocation size must be positive, got 0\n"
              "error invalid_size: allocation size must be positive, got -5\n"
              "error invalid_alignment: alignment 3 is not a power of two\n"
              "error out_of_memory: cannot allocate 200 units: memory is exhausted (100 units free)\n"
              "error invalid_address: address -1 is outside [0, 100)\n"
              "error invalid_size: free size must be positive, got -4\n"
              "error invalid_free: cannot free address 0: no allocation starts there\n"
              "error invalid_address: address above 2^64 - 1 is outside [0, 100)\n"
              "error invalid_size: allocation size must be at most 2^64 - 1, got a larger number\n"
              "error invalid_alignment: alignment -8 is not a power of two\n"
              "0\n");
}

TEST(Shell, ParseErrors) {
    EXPECT_EQ(shell("--capacity 10", "allocate\nallocate x\nallocate 1 2 3\nfree 1\nfrob\nmap now\nallocate 1O\nfree_memory\n"),
              "error parse: usage: allocate SIZE [ALIGNMENT] [phase=P] [nocross=N] [min=LO] [max=HI]\n"
              "error parse: 'x' is not a whole number\n"
              "error parse: usage: allocate SIZE [ALIGNMENT] [phase=P] [nocross=N] [min=LO] [max=HI]\n"
              "error parse: usage: free ADDRESS SIZE\n"
              "error parse: unknown command 'frob'; help lists the commands\n"
              "error parse: usage: map takes no arguments\n"
              "error parse: '1O' is not a whole number\n"
              "10\n");
}

TEST(Shell, CommentsBlankLinesAndWhitespace) {
    EXPECT_EQ(shell("--capacity 10", "# comment\n\n   \n  allocate\t4  \r\n  # indented comment\nfree_blocks\n"), "0\n4:6\n");
}

TEST(Shell, FitOptionChoosesThePolicy) {
    // Free blocks 0:10 and 30:10 with the rover at 30; then 5:5 and 30:10 (or 0:10 and 35:5).
    const std::string script = "allocate 10\nallocate 10\nallocate 10\nfree 0 10\nallocate 5\nallocate 5\n";
    EXPECT_EQ(shell("--capacity 40 --fit first", script), "0\n10\n20\nok\n0\n5\n");
    EXPECT_EQ(shell("--capacity 40 --fit best", script), "0\n10\n20\nok\n0\n5\n");
    EXPECT_EQ(shell("--capacity 40 --fit worst", script), "0\n10\n20\nok\n0\n30\n");
    EXPECT_EQ(shell("--capacity 40 --fit next --index list", script), "0\n10\n20\nok\n30\n35\n");
}

TEST(Shell, BadOptionsFailWithUsage) {
    EXPECT_NE(run_heapkit("shell --capacity 0 --index tlsf", "").exit_status, 0);  // only list and tree start with no span
    EXPECT_NE(run_heapkit("shell --capacity 0 --index buddy", "").exit_status, 0);
    EXPECT_NE(run_heapkit("shell --capacity -4", "").exit_status, 0);
    EXPECT_NE(run_heapkit("shell", "").exit_status, 0);
    EXPECT_NE(run_heapkit("shell --capacity 10 --fit random", "").exit_status, 0);
    EXPECT_NE(run_heapkit("shell --capacity 10 --index heap", "").exit_status, 0);
    EXPECT_NE(run_heapkit("shell --capacity 10 --index tlsf --fit best", "").exit_status, 0);  // tlsf has its own rule
    EXPECT_EQ(run_heapkit("shell --capacity 10 --index buddy --fit first", "").exit_status, 0);
    EXPECT_NE(run_heapkit("", "").exit_status, 0);
}

TEST(Shell, MaximumCapacity) {
    EXPECT_EQ(shell("--capacity 18446744073709551615",
                    "allocate 18446744073709551615\nfree_memory\nfree 0 18446744073709551615\nlargest_free_block\n"),
              "0\n0\nok\n18446744073709551615\n");
}

TEST(Demo, PlaysTheSeedsExampleWithItsAddressesAndMaps) {
    const run_result run = run_heapkit("demo", "");
    EXPECT_EQ(run.exit_status, 0);
    for (const char* expected :
         {"allocate(20) -> 0 [Allocated(0-19)] [Free(20-99)]\n",
          "allocate(30) -> 20 [Allocated(0-19)] [Allocated(20-49)] [Free(50-99)]\n",
          "allocate(40) -> 50 [Allocated(0-19)] [Allocated(20-49)] [Allocated(50-89)] [Free(90-99)]\n",
          "free(20, 30) -> ok [Allocated(0-19)] [Free(20-49)] [Allocated(50-89)] [Free(90-99)]\n",
          "allocate(25) -> 20 [Allocated(0-19)] [Allocated(20-44)] [Free(45-49)] [Allocated(50-89)] [Free(90-99)]\n",
          "free(0, 20) -> ok [Free(0-19)] [Allocated(20-44)] [Free(45-49)] [Allocated(50-89)] [Free(90-99)]\n",
          "free(20, 25) -> ok [Free(0-49)] [Allocated(50-89)] [Free(90-99)]\n",
          "allocate(50) -> error out_of_memory: cannot allocate 50 units: memory is fragmented (60 units free, "
          "largest free block 10 units)"}) {
        EXPECT_NE(single_spaced(run.output).find(expected), std::string::npos) << "missing: " << expected << "\n" << run.output;
    }
}

TEST(Shell, CompactSlidesBlocksDownAndPrintsTheMoves) {
    const std::string script =
        "allocate 10\nallocate 10\nallocate 30\nallocate 10\nfree 0 10\nfree 20 30\ncompact\nfree_blocks\ncompact\n";
    const std::string answers = "0\n10\n20\n50\nok\nok\n10->0:10 50->10:10\n20:80\n\n";
    EXPECT_EQ(shell("--capacity 100", script), answers);
    EXPECT_EQ(shell("--capacity 100 --index tree", script), answers);
}

TEST(Shell, MakeRoomMovesOnlyWhatIsInTheWay) {
    // Free 0:10 20:30 60:10 80:20; 40 units need one 10-unit block moved: the lowest cheapest
    // window is [0, 40), so the block at 10 goes to 40, the part of the hole at 20 outside it.
    EXPECT_EQ(shell("--capacity 100",
                    "allocate 10\nallocate 10\nallocate 30\nallocate 10\nallocate 10\nallocate 10\nallocate 20\n"
                    "free 0 10\nfree 20 30\nfree 60 10\nfree 80 20\nmake_room 40\nallocate 40\nmake_room 31\nmake_room 0\n"),
              "0\n10\n20\n50\n60\n70\n80\nok\nok\nok\nok\n10->40:10\n0\n"
              "error out_of_memory: no compaction plan found that makes room for 31 units (30 free)\n"
              "error invalid_size: allocation size must be positive, got 0\n");
}

TEST(Shell, CompactionNeedsAnIndexThatPlacesAtAnAddress) {
    EXPECT_EQ(shell("--capacity 100 --index tlsf", "compact\nmake_room 5\n"),
              "error unsupported: compact needs --index list or tree (an index that can place a block at a chosen address)\n"
              "error unsupported: make_room needs --index list or tree (an index that can place a block at a chosen address)\n");
}

TEST(Shell, EachIndexDoesWhatItCanOfConstraintsAndDeferredFrees) {
    const std::string at_an_address = " needs --index list or tree (an index that can place a block at a chosen address)\n";
    const std::string under_constraints = " needs --index list, tree or tlsf (an index that searches under constraints)\n";
    // tlsf searches under constraints but cannot place a block at a chosen address.
    EXPECT_EQ(shell("--capacity 64 --index tlsf",
                    "allocate 8 8 phase=0 max=64\nallocate 8 8 phase=1\nexplain 8 nocross=16\nallocate_at 32 8\n"
                    "free_after 0 8 3\nqueued_memory\ncomplete 3\nqueued_memory\nfree_memory\n"),
              "0\n9\nfits 17\nerror unsupported: allocate_at" + at_an_address + "ok\n8\nok\n0\n56\n");
    // Constraints that ask only an alignment are an ordinary allocate; deferred frees work on every index.
    EXPECT_EQ(shell("--capacity 64 --index buddy",
                    "allocate 8 8 phase=0 max=64\nallocate 8 8 phase=1\nexplain 8\nallocate_at 32 8\n"
                    "free_after 0 8 3\nqueued_memory\ncomplete 3\nqueued_memory\nfree_memory\n"),
              "0\nerror unsupported: allocate with constraints" + under_constraints + "error unsupported: explain" +
                  under_constraints + "error unsupported: allocate_at" + at_an_address + "ok\n8\nok\n0\n64\n");
}

TEST(Shell, OutOfMemoryCountsWhatEachConstraintRefused) {
    EXPECT_EQ(shell("--capacity 100", "allocate 50\nallocate 30 8 phase=1 nocross=32 max=90\nexplain 10 min=95\n"),
              "0\nerror out_of_memory: cannot allocate 30 units aligned to 8 at phase 1, not crossing a multiple of 32, ending "
              "at or below 90: no free block has a place that meets the constraints (50 units free, largest free block 50 "
              "units); 1 free block is large enough but refused: 1 where it would cross a boundary\n"
              "no: cannot allocate 10 units, at or above 95: no free block has a place that meets the constraints (50 units "
              "free, largest free block 50 units); 1 free block is large enough but refused: 1 outside the window\n");
    EXPECT_EQ(shell("--capacity 30", "allocate 10\nallocate 10\nfree_after 0 10 2\nallocate_at 5 1\nallocate_at 15 1\n"),
              "0\n10\nok\nerror out_of_memory: cannot allocate [5, +1): [0, +10) waits for a deferred free (epoch 2)\n"
              "error out_of_memory: cannot allocate [15, +1): the allocation [10, +10) is in the way\n");
}

TEST(Shell, CapacityZeroStartsWithNoSpanAndAddSpanMakesMemory) {
    for (const char* index : {"list", "tree"}) {
        EXPECT_EQ(
            shell(std::string("--capacity 0 --index ") + index,
                  "spans\nfree_memory\nallocate 1\nadd_span 100 50\nadd_span 200 10\nspans\nallocate 60\nallocate 40\n"
                  "allocate 20\nmap\nfree 150 1\nfree 140 20\nremove_span 100 50\nfree 100 40\nremove_span 100 50\n"
                  "spans\nfree_blocks\nfree_memory\n"),
            "\n0\nerror out_of_memory: cannot allocate 1 unit: memory is exhausted (0 units free)\nok\nok\n100:50 200:10\n"
            "error out_of_memory: cannot allocate 60 units: memory is fragmented (60 units free, largest free block 50 units)\n"
            "100\n"
            "error out_of_memory: cannot allocate 20 units: memory is fragmented (20 units free, largest free block 10 "
            "units)\n[Allocated(100-139)] [Free(140-149)] [Free(200-209)]\n"
            "error invalid_address: address 150 is in no span\n"
            "error invalid_address: range of 20 units at 140 passes the end of its span [100, +50)\n"
            "error invalid_free: cannot remove the span [100, +50): the allocation [100, +40) is inside it\nok\nok\n"
            "200:10\n200:10\n10\n")
            << index;
    }
}

TEST(Shell, SpansGrowTheRangeMergeWhenTheyTouchAndRefuseOverlaps) {
    EXPECT_EQ(shell("--capacity 10",
                    "add_span 10 10\nspans\nallocate 20\nfree 0 20\nadd_span 5 10\nadd_span 18446744073709551610 6\n"
                    "add_span 0 0\nadd_span -1 5\nremove_span 30 1\nremove_span 15 10\nremove_span 5 5\nspans\nfree_blocks\n"
                    "compact\nallocate 6 max=5\nallocate 3 max=5\nremove_span 0 5\nremove_span 10 10\nspans\nallocate 1\n"),
              "ok\n0:20\n0\nok\nerror invalid_address: cannot add the span [5, +10): it overlaps the span [0, +20)\n"
              "error invalid_address: cannot add the span [18446744073709551610, +6): it passes 2^64 - 1, the end of the "
              "address space\nerror invalid_size: span size must be positive, got 0\n"
              "error invalid_address: a span at -1 of 5 units is outside [0, 2^64 - 1)\n"
              "error invalid_address: cannot remove the span [30, +1): address 30 is in no span\n"
              "error invalid_address: cannot remove the span [15, +10): it passes the end of the span [0, +20)\nok\n"
              "0:5 10:10\n0:5 10:10\nerror unsupported: compact needs the range to be one span from 0, without gaps\n"
              "error invalid_constraint: the window [0, 5) cannot hold 6 units\n0\n"
              "error invalid_free: cannot remove the span [0, +5): the allocation [0, +3) is inside it\nok\n0:5\n3\n");
    EXPECT_EQ(shell("--capacity 10 --index tlsf", "add_span 10 10\nremove_span 0 5\nspans\n"),
              "error unsupported: add_span needs --index list or tree (an index that can place a block at a chosen address)\n"
              "error unsupported: remove_span needs --index list or tree (an index that can place a block at a chosen "
              "address)\n0:10\n");
}

TEST(Shell, TheRingIndexAllocatesAtTheTopAndWraps) {
    EXPECT_EQ(shell("--capacity 100 --index ring",
                    "allocate 40\nallocate 40\nallocate 30\nfree 0 40\nallocate 30\nmap\nfree_after 40 40 1\nallocate 1\n"
                    "complete 1\nallocate 50\nfree_blocks\n"),
              "0\n40\nerror out_of_memory: cannot allocate 30 units: memory is exhausted (20 units free)\nok\n0\n"
              "[Allocated(0-29)] [Free(30-39)] [Allocated(40-79)] [Free(80-99)]\nok\n"
              "30\nok\n31\n81:19\n");  // wrapped, the top runs to the oldest (40); once it is freed, to the end
}

}  // namespace

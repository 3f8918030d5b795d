// SPDX-License-Identifier: MIT
// os::capture_backtrace by the unwind tables (the cached CFI walk) against glibc's backtrace(3),
// frame for frame: through recursion of varied frame shapes, through libc's qsort (code with no
// frame pointers), on a second thread, again once every rule is cached, and through a caller's memo.
#include <execinfo.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <thread>
#include <vector>

#include "heapkit/heap/detail/os.hpp"

namespace heapkit {
namespace {

constexpr std::size_t depth = 24;

struct two_stacks {
    std::vector<void*> ours;
    std::vector<void*> glibcs;
};

// Both stacks taken from the same frame. Their first entries differ (each is the return address
// of its own call), and under a sanitizer backtrace(3) is intercepted, adding the interceptor's
// frame: so the comparison starts at the caller of this function in both.
[[gnu::noinline]] two_stacks capture_both(os::unwind_memo* memo) {
    std::array<void*, depth> ours{};
    std::array<void*, depth + 4> glibcs{};
    const std::size_t our_count = os::capture_backtrace(ours, 0, os::stack_walk::unwind_tables, memo);
    const int glibc_count = ::backtrace(glibcs.data(), static_cast<int>(glibcs.size()));
    two_stacks both;
    if (our_count < 2) return both;
    both.ours.assign(ours.begin() + 1, ours.begin() + static_cast<std::ptrdiff_t>(our_count));
    const auto glibc_end = glibcs.begin() + std::max(glibc_count, 0);
    const auto caller = std::find(glibcs.begin(), glibc_end, both.ours.front());  // this function's caller
    both.glibcs.assign(caller, glibc_end);
    const std::size_t common = std::min(both.ours.size(), both.glibcs.size());
    both.ours.resize(common);
    both.glibcs.resize(common);
    return both;
}

// Recursion whose frames differ: some keep a variable-sized array (a frame-pointer-based CFA),
// some are plain. `memo`, where given, goes to the walk.
[[gnu::noinline]] two_stacks descend(int levels, int shape, os::unwind_memo* memo = nullptr) {
    if (levels == 0) return capture_both(memo);
    if (shape % 3 == 0) {
        volatile char* scratch = static_cast<volatile char*>(__builtin_alloca(static_cast<std::size_t>(16 + levels * 8)));
        scratch[0] = 1;
        two_stacks result = descend(levels - 1, shape + 1, memo);
        result.ours.reserve(result.ours.size() + static_cast<std::size_t>(scratch[0]));
        return result;
    }
    two_stacks result = descend(levels - 1, shape + 1, memo);
    asm volatile("" ::: "memory");  // no tail call
    return result;
}

// On x86-64 every stack of these tests is the cached walk's own work, not backtrace(3)'s.
void expect_no_fallback(std::size_t before) {
#if defined(__x86_64__)
    EXPECT_EQ(os::backtrace_fallbacks(), before) << "the cached walk gave up and backtrace(3) answered";
#else
    (void)before;
#endif
}

TEST(StackCapture, UnwindTablesGiveBacktracesFramesThroughVariedFrames) {
    const std::size_t fallbacks = os::backtrace_fallbacks();
    for (int round = 0; round < 2; ++round) {  // the second round runs on cached rules
        const two_stacks both = descend(10, round);
        ASSERT_GE(both.ours.size(), 10u) << "round " << round;
        EXPECT_EQ(both.ours, both.glibcs) << "round " << round;
    }
    expect_no_fallback(fallbacks);
}

// A caller's memo of rules, cold, then warm, then holding other stacks' rules: the same frames.
TEST(StackCapture, AMemoOfRulesGivesTheSameFrames) {
    const std::size_t fallbacks = os::backtrace_fallbacks();
    os::unwind_memo memo;
    for (int round = 0; round < 6; ++round) {
        const two_stacks both = descend(10 + round % 3, round, &memo);
        ASSERT_GE(both.ours.size(), 10u) << "round " << round;
        EXPECT_EQ(both.ours, both.glibcs) << "round " << round;
    }
    expect_no_fallback(fallbacks);
}

two_stacks from_comparator;
int compare_and_capture(const void* a, const void* b) {
    if (from_comparator.ours.empty()) from_comparator = capture_both(nullptr);
    return *static_cast<const int*>(a) - *static_cast<const int*>(b);
}

TEST(StackCapture, UnwindTablesWalkThroughLibcWithoutFramePointers) {
    std::vector<int> numbers{5, 3, 9, 1, 7, 2, 8};
    from_comparator = {};
    const std::size_t fallbacks = os::backtrace_fallbacks();
    std::qsort(numbers.data(), numbers.size(), sizeof(int), compare_and_capture);
    ASSERT_GE(from_comparator.ours.size(), 3u);  // qsort's frames, this test, gtest's
    EXPECT_EQ(from_comparator.ours, from_comparator.glibcs);
    expect_no_fallback(fallbacks);
}

TEST(StackCapture, UnwindTablesOnAnotherThreadStopWithinItsStack) {
    two_stacks both;
    const std::size_t fallbacks = os::backtrace_fallbacks();
    std::thread worker([&both] { both = descend(6, 0); });
    worker.join();
    ASSERT_GE(both.ours.size(), 6u);
    EXPECT_EQ(both.ours, both.glibcs);
    expect_no_fallback(fallbacks);
}

}  // namespace
}  // namespace heapkit

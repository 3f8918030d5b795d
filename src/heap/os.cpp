// SPDX-License-Identifier: MIT
// Linux/glibc implementations of heapkit::os: the cached unwind-table walk (cfi_unwinder.hpp,
// backtrace(3) where it cannot go) or a frame-pointer walk, both bounded by the thread's stack from
// pthread_getattr_np(3); sysconf(3), sched_getcpu(3), getrandom(2). describe_frame is in
// frame_names.cpp.
#include "heapkit/heap/detail/os.hpp"

#include <execinfo.h>
#include <pthread.h>
#include <sched.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include "cfi_unwinder.hpp"

namespace heapkit::os {

namespace {

std::atomic<std::size_t> fallbacks{0};  // captures the cached walk handed to backtrace(3)

}  // namespace

// Kept in one word of thread-local storage (the malloc layer's budget of it is small): the top
// page number above, the size in pages below.
stack_bounds thread_stack() noexcept {
    constexpr unsigned size_bits = 29;
    thread_local const std::uint64_t packed = [] {
        pthread_attr_t attributes;
        void* low = nullptr;
        std::size_t size = 0;
        if (::pthread_getattr_np(::pthread_self(), &attributes) != 0) return std::uint64_t{0};
        ::pthread_attr_getstack(&attributes, &low, &size);
        ::pthread_attr_destroy(&attributes);
        const std::uintptr_t page = page_bytes();
        const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(low) + page - 1) / page;
        const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(low) + size) / page;
        if (end <= first) return std::uint64_t{0};
        const std::uint64_t pages = std::min<std::uint64_t>(end - first, (std::uint64_t{1} << size_bits) - 1);
        return std::uint64_t{end} << size_bits | pages;
    }();
    const std::uintptr_t page = page_bytes();
    const std::uintptr_t end = (packed >> size_bits) * page;
    return {end - (packed & ((std::uint64_t{1} << size_bits) - 1)) * page, end};
}

std::size_t backtrace_fallbacks() noexcept { return fallbacks.load(std::memory_order_relaxed); }

std::size_t capture_backtrace(std::span<void*> frames, std::size_t skip, stack_walk walk, unwind_memo* memo) noexcept {
    if (frames.empty()) return 0;  // backtrace(3) unwinds even for one frame: skip it
    const stack_bounds stack = thread_stack();
    if (walk == stack_walk::frame_pointers) {
        // Each frame record is {caller's frame pointer, return address} (x86-64 and AArch64
        // alike); this function's own record holds the return address into its caller, the
        // second entry backtrace(3) would give. A record is followed only while it lies above the
        // previous one and inside the stack, so every read is of this thread's live stack.
        // The walk is written here, not in a helper, so that no tail call can remove this frame.
        auto record = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
        std::size_t written = 0;
        for (std::size_t depth = 0; written < frames.size(); ++depth) {
            if (record < stack.low || record % sizeof(void*) != 0 || record + 2 * sizeof(void*) > stack.high) break;
            void* const* words = reinterpret_cast<void* const*>(record);
            if (depth >= skip) frames[written++] = words[1];
            const auto caller = reinterpret_cast<std::uintptr_t>(words[0]);
            if (caller <= record) break;
            record = caller;
        }
        return written;
    }
#if defined(__x86_64__)
    {  // the unwind tables, through the cache of frame rules, from this very instruction
        std::uintptr_t pc = 0, sp = 0, bp = 0;
        __asm__ volatile("leaq 0(%%rip), %0\n\tmovq %%rsp, %1\n\tmovq %%rbp, %2" : "=r"(pc), "=r"(sp), "=r"(bp));
        std::size_t written = 0;
        if (sp >= stack.low &&
            detail::walk({pc, sp, bp}, {sp, stack.high}, frames, skip, written, memo) == detail::walk_result::complete)
            return written;
    }
    fallbacks.fetch_add(1, std::memory_order_relaxed);
#endif
    constexpr std::size_t max_frames = 64;
    void* stack_frames[max_frames];
    const std::size_t wanted = std::min(max_frames, frames.size() + skip + 4);  // + this function and interceptors
    const auto captured = static_cast<std::size_t>(::backtrace(stack_frames, static_cast<int>(wanted)));
    // The frames before our caller's are backtrace's own and, under a sanitizer, its interceptor:
    // find the caller by its return address rather than counting.
    std::size_t callers = 1;
    for (std::size_t i = 0; i < captured; ++i) {
        if (stack_frames[i] == __builtin_return_address(0)) {
            callers = i;
            break;
        }
    }
    std::size_t written = 0;
    for (std::size_t i = callers + skip; i < captured && written < frames.size(); ++i) frames[written++] = stack_frames[i];
    return written;
}

[[gnu::hot]] std::size_t page_bytes() noexcept {
    static constinit std::atomic<std::size_t> bytes{0};  // no guard: two threads would store the same
    std::size_t known = bytes.load(std::memory_order_relaxed);
    if (known == 0) {
        known = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        bytes.store(known, std::memory_order_relaxed);
    }
    return known;
}

std::int64_t monotonic_seconds() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return now.tv_sec;
}

[[gnu::hot]] std::int64_t monotonic_milliseconds() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

unsigned current_cpu() noexcept {
    const int cpu = ::sched_getcpu();
    if (cpu >= 0) return static_cast<unsigned>(cpu);
    return static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
}

[[gnu::hot]] std::uint64_t random_secret() noexcept {
    std::uint64_t secret = 0;
    if (::getrandom(&secret, sizeof secret, 0) == static_cast<ssize_t>(sizeof secret)) return secret;
    const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return now ^ (reinterpret_cast<std::uintptr_t>(&secret) * 0x9E3779B97F4A7C15ull);
}

}  // namespace heapkit::os

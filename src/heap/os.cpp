// SPDX-License-Identifier: MIT
// Linux/glibc implementations of heapkit::os: backtrace(3) or a frame-pointer walk bounded by
// pthread_getattr_np(3), dladdr(3) with demangling, sysconf(3), sched_getcpu(3), getrandom(2).
#include "heapkit/heap/detail/os.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <sched.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <thread>

namespace heapkit::os {

namespace {

// The highest address of the calling thread's stack, looked up once per thread.
std::uintptr_t stack_top() noexcept {
    thread_local const std::uintptr_t top = [] {
        pthread_attr_t attributes;
        void* low = nullptr;
        std::size_t size = 0;
        if (::pthread_getattr_np(::pthread_self(), &attributes) != 0) return std::uintptr_t{0};
        ::pthread_attr_getstack(&attributes, &low, &size);
        ::pthread_attr_destroy(&attributes);
        return reinterpret_cast<std::uintptr_t>(low) + size;
    }();
    return top;
}

}  // namespace

std::size_t capture_backtrace(std::span<void*> frames, std::size_t skip, stack_walk walk) noexcept {
    if (frames.empty()) return 0;  // backtrace(3) unwinds even for one frame: skip it
    if (walk == stack_walk::frame_pointers) {
        // Each frame record is {caller's frame pointer, return address} (x86-64 and AArch64
        // alike); this function's own record holds the return address into its caller, the
        // second entry backtrace(3) would give. A record is followed only while it lies above the
        // previous one and below the stack's top, so every read is of this thread's live stack.
        // The walk is written here, not in a helper, so that no tail call can remove this frame.
        const std::uintptr_t top = stack_top();
        auto record = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
        std::size_t written = 0;
        for (std::size_t depth = 0; written < frames.size(); ++depth) {
            if (record == 0 || record % sizeof(void*) != 0 || record + 2 * sizeof(void*) > top) break;
            void* const* words = reinterpret_cast<void* const*>(record);
            if (depth >= skip) frames[written++] = words[1];
            const auto caller = reinterpret_cast<std::uintptr_t>(words[0]);
            if (caller <= record) break;
            record = caller;
        }
        return written;
    }
    constexpr std::size_t max_frames = 64;
    void* stack[max_frames];
    const std::size_t wanted = std::min(max_frames, frames.size() + skip + 4);  // + this function and interceptors
    const auto captured = static_cast<std::size_t>(::backtrace(stack, static_cast<int>(wanted)));
    // The frames before our caller's are backtrace's own and, under a sanitizer, its interceptor:
    // find the caller by its return address rather than counting.
    std::size_t callers = 1;
    for (std::size_t i = 0; i < captured; ++i) {
        if (stack[i] == __builtin_return_address(0)) {
            callers = i;
            break;
        }
    }
    std::size_t written = 0;
    for (std::size_t i = callers + skip; i < captured && written < frames.size(); ++i) frames[written++] = stack[i];
    return written;
}

std::string describe_frame(const void* return_address) {
    char buffer[64];
    Dl_info info{};
    if (::dladdr(return_address, &info) == 0) {
        std::snprintf(buffer, sizeof buffer, "%p", return_address);
        return buffer;
    }
    const std::string binary = info.dli_fname != nullptr && info.dli_fname[0] != '\0' ? info.dli_fname : "?";
    if (info.dli_sname == nullptr || info.dli_saddr == nullptr) {  // module+offset, as addr2line -e takes it
        const auto offset = static_cast<const char*>(return_address) - static_cast<const char*>(info.dli_fbase);
        std::snprintf(buffer, sizeof buffer, "+0x%tx", offset);
        return binary + buffer;
    }
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> demangled(abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status),
                                                                &std::free);
    const std::string name = status == 0 && demangled ? demangled.get() : info.dli_sname;
    const auto offset = static_cast<const char*>(return_address) - static_cast<const char*>(info.dli_saddr);
    std::snprintf(buffer, sizeof buffer, "+0x%tx", offset);
    return name + buffer + " (" + binary + ")";
}

std::size_t page_bytes() noexcept {
    static const auto bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return bytes;
}

std::int64_t monotonic_seconds() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return now.tv_sec;
}

unsigned current_cpu() noexcept {
    const int cpu = ::sched_getcpu();
    if (cpu >= 0) return static_cast<unsigned>(cpu);
    return static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
}

std::uint64_t random_secret() noexcept {
    std::uint64_t secret = 0;
    if (::getrandom(&secret, sizeof secret, 0) == static_cast<ssize_t>(sizeof secret)) return secret;
    const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return now ^ (reinterpret_cast<std::uintptr_t>(&secret) * 0x9E3779B97F4A7C15ull);
}

}  // namespace heapkit::os

// SPDX-License-Identifier: MIT
// Linux/glibc implementations of heapkit::os: backtrace(3), dladdr(3) with demangling,
// sched_getcpu(3), getrandom(2).
#include "heapkit/heap/detail/os.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <sched.h>
#include <sys/random.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <thread>

namespace heapkit::os {

std::size_t capture_backtrace(std::span<void*> frames, std::size_t skip) noexcept {
    if (frames.empty()) return 0;  // backtrace(3) unwinds even for one frame: skip it
    constexpr std::size_t max_frames = 64;
    void* stack[max_frames];
    const std::size_t wanted = std::min(max_frames, frames.size() + skip + 1);  // + this function
    const auto captured = static_cast<std::size_t>(::backtrace(stack, static_cast<int>(wanted)));
    std::size_t written = 0;
    for (std::size_t i = skip + 1; i < captured && written < frames.size(); ++i) frames[written++] = stack[i];
    return written;
}

std::string describe_frame(const void* return_address) {
    char buffer[64];
    Dl_info info{};
    if (::dladdr(return_address, &info) == 0) {
        std::snprintf(buffer, sizeof buffer, "%p", return_address);
        return buffer;
    }
    const std::string binary = info.dli_fname != nullptr ? info.dli_fname : "?";
    if (info.dli_sname == nullptr || info.dli_saddr == nullptr) {
        std::snprintf(buffer, sizeof buffer, "%p", return_address);
        return std::string(buffer) + " (" + binary + ")";
    }
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> demangled(
        abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status), &std::free);
    const std::string name = status == 0 && demangled ? demangled.get() : info.dli_sname;
    const auto offset = static_cast<const char*>(return_address) - static_cast<const char*>(info.dli_saddr);
    std::snprintf(buffer, sizeof buffer, "+0x%tx", offset);
    return name + buffer + " (" + binary + ")";
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

// SPDX-License-Identifier: MIT
// Statistics counters, the exit summary and the trace writer, none of which allocates.
#include "recorder.hpp"

#include <errno.h>  // program_invocation_short_name
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "environment.hpp"
#include "profile_writer.hpp"

namespace heapkit::malloc_layer {

namespace {

struct counters {
    std::atomic<std::uint64_t> allocations{0};
    std::atomic<std::uint64_t> frees{0};
    std::atomic<std::uint64_t> resizes{0};
    std::atomic<std::uint64_t> live_bytes{0};  // usable bytes of live blocks
    std::atomic<std::uint64_t> peak_bytes{0};
    std::atomic<std::uint64_t> live_blocks{0};
    std::atomic<std::uint64_t> by_path[3] = {0, 0, 0};  // allocations by allocation_path
};
counters totals;

pthread_mutex_t trace_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards trace_buffer and trace_used
char trace_buffer[64 << 10];
std::size_t trace_used = 0;
std::atomic<bool> tracing{false};
std::atomic<bool> counting{false};
std::atomic<bool> profile_on{false};

void flush_trace_locked() noexcept {
    const int fd = settings().trace_fd;
    std::size_t written = 0;
    while (written < trace_used) {
        const ssize_t step = ::write(fd, trace_buffer + written, trace_used - written);
        if (step <= 0) break;
        written += static_cast<std::size_t>(step);
    }
    trace_used = 0;
}

// Appends one formatted line ("a ID SIZE", ...) to the trace.
template <class... Numbers>
void trace_line(const char* format, Numbers... numbers) noexcept {
    if (!tracing.load(std::memory_order_relaxed)) return;
    pthread_mutex_lock(&trace_mutex);
    if (sizeof trace_buffer - trace_used < 128) flush_trace_locked();
    trace_used +=
        static_cast<std::size_t>(std::snprintf(trace_buffer + trace_used, sizeof trace_buffer - trace_used, format, numbers...));
    pthread_mutex_unlock(&trace_mutex);
}

unsigned long long id_of(const void* pointer) noexcept {
    return static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(pointer));
}

void add_live(std::uint64_t bytes) noexcept {
    const std::uint64_t now = totals.live_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    std::uint64_t peak = totals.peak_bytes.load(std::memory_order_relaxed);
    while (now > peak && !totals.peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {}
}

unsigned long long allocations_by(allocation_path path) noexcept {
    return totals.by_path[static_cast<std::size_t>(path)].load(std::memory_order_relaxed);
}

void at_exit() noexcept {
    finish_profile();
    if (tracing.load()) {
        pthread_mutex_lock(&trace_mutex);
        flush_trace_locked();
        pthread_mutex_unlock(&trace_mutex);
    }
    if (counting.load()) {  // both lines in one write, so that processes sharing a file keep them together
        char lines[768];
        const int length = std::snprintf(
            lines, sizeof lines,
            "heapkit: %llu allocations, %llu frees, %llu reallocs; peak in use %llu bytes; at exit %llu bytes in %llu blocks"
            " (pid %d, %s)\nheapkit: allocations by path: %llu slab, %llu heap, %llu mmap\n",
            static_cast<unsigned long long>(totals.allocations.load()), static_cast<unsigned long long>(totals.frees.load()),
            static_cast<unsigned long long>(totals.resizes.load()), static_cast<unsigned long long>(totals.peak_bytes.load()),
            static_cast<unsigned long long>(totals.live_bytes.load()), static_cast<unsigned long long>(totals.live_blocks.load()),
            static_cast<int>(::getpid()), program_invocation_short_name, allocations_by(allocation_path::slab),
            allocations_by(allocation_path::heap), allocations_by(allocation_path::mmap));
        const std::size_t bytes = std::min(static_cast<std::size_t>(length), sizeof lines - 1);
        [[maybe_unused]] const ssize_t written = ::write(settings().report_fd, lines, bytes);
    }
}

}  // namespace

[[gnu::hot]] bool recording() noexcept {
    static std::atomic<bool> read{false};
    if (!read.load(std::memory_order_acquire)) {
        const environment_settings& found = settings();
        counting.store(found.stats, std::memory_order_relaxed);
        tracing.store(found.trace_fd >= 0, std::memory_order_relaxed);
        profile_on.store(profiling(), std::memory_order_relaxed);
        read.store(true, std::memory_order_release);
    }
    return counting.load(std::memory_order_relaxed) || tracing.load(std::memory_order_relaxed) ||
           profile_on.load(std::memory_order_relaxed);
}

void register_exit_work() noexcept {
    static std::atomic<bool> registered{false};
    if (recording() && !registered.exchange(true)) std::atexit(at_exit);
}

void stop_tracing_in_child() noexcept {
    stop_profiling_in_child();
    profile_on.store(false, std::memory_order_relaxed);
    tracing.store(false, std::memory_order_relaxed);
    pthread_mutex_init(&trace_mutex, nullptr);
    trace_used = 0;
}

void record_allocate(const void* pointer, std::size_t usable_bytes, std::size_t size, std::size_t alignment,
                     allocation_path path) noexcept {
    if (counting.load(std::memory_order_relaxed)) {
        totals.allocations.fetch_add(1, std::memory_order_relaxed);
        totals.by_path[static_cast<std::size_t>(path)].fetch_add(1, std::memory_order_relaxed);
        totals.live_blocks.fetch_add(1, std::memory_order_relaxed);
        add_live(usable_bytes);
    }
    if (profile_on.load(std::memory_order_relaxed)) profile_allocate(pointer, size, alignment);
    if (alignment > 16) {
        trace_line("a %llu %llu %llu\n", id_of(pointer), static_cast<unsigned long long>(size == 0 ? 1 : size),
                   static_cast<unsigned long long>(alignment));
    } else {
        trace_line("a %llu %llu\n", id_of(pointer), static_cast<unsigned long long>(size == 0 ? 1 : size));
    }
}

void record_free_coming(const void* pointer) noexcept {
    if (profile_on.load(std::memory_order_relaxed)) profile_free(pointer);
}

void record_free(const void* pointer, std::size_t usable_bytes) noexcept {
    if (counting.load(std::memory_order_relaxed)) {
        totals.frees.fetch_add(1, std::memory_order_relaxed);
        totals.live_blocks.fetch_sub(1, std::memory_order_relaxed);
        totals.live_bytes.fetch_sub(usable_bytes, std::memory_order_relaxed);
    }
    trace_line("f %llu\n", id_of(pointer));
}

void record_resize(const void* old_pointer, std::size_t old_usable_bytes, const void* pointer, std::size_t usable_bytes,
                   std::size_t size) noexcept {
    if (counting.load(std::memory_order_relaxed)) {
        totals.resizes.fetch_add(1, std::memory_order_relaxed);
        totals.live_bytes.fetch_sub(old_usable_bytes, std::memory_order_relaxed);
        add_live(usable_bytes);
    }
    if (profile_on.load(std::memory_order_relaxed)) profile_resize(old_pointer, pointer, size);
    if (pointer == old_pointer) {
        trace_line("r %llu %llu\n", id_of(pointer), static_cast<unsigned long long>(size));
    } else {  // moved: the new block is live before the old one goes, as in realloc
        trace_line("a %llu %llu\nf %llu\n", id_of(pointer), static_cast<unsigned long long>(size), id_of(old_pointer));
    }
}

bool read_statistics(heapkit_malloc_statistics& out) noexcept {
    out = {};
    if (!counting.load(std::memory_order_relaxed)) return false;
    out.allocations = totals.allocations.load(std::memory_order_relaxed);
    out.frees = totals.frees.load(std::memory_order_relaxed);
    out.reallocs = totals.resizes.load(std::memory_order_relaxed);
    out.from_slabs = allocations_by(allocation_path::slab);
    out.from_heap = allocations_by(allocation_path::heap);
    out.from_mmap = allocations_by(allocation_path::mmap);
    out.peak_bytes = totals.peak_bytes.load(std::memory_order_relaxed);
    out.live_bytes = totals.live_bytes.load(std::memory_order_relaxed);
    out.live_blocks = totals.live_blocks.load(std::memory_order_relaxed);
    return true;
}

}  // namespace heapkit::malloc_layer

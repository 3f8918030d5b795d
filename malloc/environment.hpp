// SPDX-License-Identifier: MIT
// The HEAPKIT_* variables, read once from the environment without allocating:
// HEAPKIT_DEBUG=1 puts every block under the debug heap's checks, HEAPKIT_STATS=1 prints a
// summary at exit, HEAPKIT_TRACE=FILE records every allocation in the trace format of
// docs/PROTOCOL.md, HEAPKIT_LOG=FILE sends every report (verdicts, leaks, the summary) there
// instead of stderr ("%p" in a FILE becomes the process id, for programs that start others),
// HEAPKIT_GUARD puts blocks against guard pages (guard_pages.hpp), HEAPKIT_DEBUG_EXITCODE and
// HEAPKIT_SUPPRESS shape debug mode's leak report, HEAPKIT_PROFILE=FILE and HEAPKIT_PROFILE_SAMPLE=N
// record a profile (profile_writer.hpp); HEAPKIT_PURGE_THREAD=0 leaves freed memory to be given
// back at calls only (background_purge.hpp); HEAPKIT_PURGE_DELAY_MS, HEAPKIT_ARENAS and
// HEAPKIT_MEDIUM_CACHE tune how long freed memory is kept, how many arenas and whether threads
// cache medium blocks; HEAPKIT_RUN=1 (set by `heapkit run`) has the library say
// at exit when no call ever reached it. Any other HEAPKIT_* variable, and a value that cannot be
// read, is reported once.
#pragma once

#include <atomic>
#include <cstddef>

namespace heapkit::malloc_layer {

struct environment_settings {
    bool debug = false;  // HEAPKIT_DEBUG=1
    bool stats = false;  // HEAPKIT_STATS=1
    int log_fd = -1;     // HEAPKIT_LOG=FILE, opened for appending; -1: none
    int report_fd = -1;  // where reports go: log_fd, else with debug or stats a duplicate of stderr taken at start
                         // (programs may close stderr at exit); -1: stderr
    int trace_fd = -1;   // HEAPKIT_TRACE=FILE, opened; -1: not tracing
    // HEAPKIT_GUARD=all|sample:N[:left]: one allocation in guard_every against a guard page (0:
    // none, 1: all), at the page's start with :left, else at its end.
    unsigned long guard_every = 0;
    bool guard_left = false;
    int leak_exit_code = 0;        // HEAPKIT_DEBUG_EXITCODE=N (1-255): the exit status when blocks were lost; 0: unchanged
    char suppressions[4096] = {};  // HEAPKIT_SUPPRESS=FILE: leak sites to leave out of the report; empty: none
    char profile_path[4096] = {};  // HEAPKIT_PROFILE=FILE, "%p" replaced (profile_writer.hpp opens it); empty: none
    unsigned long long profile_sample_bytes = 0;  // HEAPKIT_PROFILE_SAMPLE=N: one allocation per N bytes; 0: every one
    bool purge_thread = true;                     // HEAPKIT_PURGE_THREAD=0: no background purge (background_purge.hpp)
    unsigned purge_delay_ms = 1000;               // HEAPKIT_PURGE_DELAY_MS=N: how long freed memory is kept before it goes back
    unsigned arenas = 8;                          // HEAPKIT_ARENAS=N (1 to 8): medium arenas dealt to threads
    bool medium_cache = true;                     // HEAPKIT_MEDIUM_CACHE=0: no thread caches of medium blocks
};

// The settings, read on the first call (which also reports unknown variables). Thread-safe.
const environment_settings& settings() noexcept;

// A yes/no answer worked out by `read` on the first call, then one relaxed load: for the checks
// on malloc's hot path. Constant-initialisable (malloc runs before dynamic initialisers); two
// threads that both arrive first both call `read`, which must give the same answer.
class cached_flag {
public:
    constexpr explicit cached_flag(bool (*read)() noexcept) noexcept : read_(read) {}
    bool get() noexcept {
        const int known = state_.load(std::memory_order_relaxed);
        return known < 0 ? read_once() : known == 1;
    }
    // Whether it has been read and is on: a fast path's test, which sends the unread case on to get().
    bool known_on() const noexcept { return state_.load(std::memory_order_relaxed) == 1; }

private:
    [[gnu::noinline]] bool read_once() noexcept {  // out of line, so that get() inlines to a load
        const bool on = read_();
        state_.store(on ? 1 : 0, std::memory_order_relaxed);
        return on;
    }
    std::atomic<int> state_{-1};  // -1: not read yet, 0 no, 1 yes
    bool (*read_)() noexcept;
};

}  // namespace heapkit::malloc_layer

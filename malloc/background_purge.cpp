// SPDX-License-Identifier: MIT
// The purge thread: wake, sleep a second, trim the arenas, the large-mapping cache and the slab
// pages unused for a second, collect the blocks freed into exited threads' heaps, again while
// anything waits, then end.
#include "background_purge.hpp"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <atomic>

#include "environment.hpp"
#include "large_blocks.hpp"
#include "medium_arenas.hpp"
#include "slab_heap.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t purge_stack_bytes = std::size_t{64} << 10;

constinit std::atomic<bool> running{false};
constinit std::atomic<bool> gave_up{false};  // pthread_create refused once: do not retry at every free

// One round: what has stayed unused for a second goes back; whether anything still waits.
bool purge_round() noexcept {
    const bool arenas_wait = arena_trim_idle();
    const bool mappings_wait = large_drop_expired();
    const bool pages_wait = slab_purge_aged(settings().purge_delay_ms);
    const bool abandoned_wait = slab_collect_abandoned();
    return arenas_wait || mappings_wait || pages_wait || abandoned_wait;
}

void* purge_loop(void*) noexcept {
    for (;;) {
        timespec second{1, 0};
        while (nanosleep(&second, &second) != 0) {}
        if (purge_round()) continue;
        running.store(false, std::memory_order_seq_cst);
        // A tier that woke the thread between the round and the store found it running and left
        // its work to it: look once more, and go on when it is there and no new thread took over.
        bool stopped = false;
        if (!purge_round() || !running.compare_exchange_strong(stopped, true, std::memory_order_seq_cst)) return nullptr;
    }
}

}  // namespace

[[gnu::hot]] void wake_background_purge() noexcept {
    if (running.load(std::memory_order_relaxed) || gave_up.load(std::memory_order_relaxed) || !settings().purge_thread) return;
    bool stopped = false;
    if (!running.compare_exchange_strong(stopped, true, std::memory_order_seq_cst)) return;
    sigset_t every_signal, saved;
    sigfillset(&every_signal);
    pthread_sigmask(SIG_SETMASK, &every_signal, &saved);  // inherited: the program's signals never land here
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, purge_stack_bytes);
    pthread_t thread;
    const int refused = pthread_create(&thread, &attributes, purge_loop, nullptr);
    pthread_attr_destroy(&attributes);
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    if (refused != 0) {
        gave_up.store(true, std::memory_order_relaxed);
        running.store(false, std::memory_order_relaxed);
    }
}

void forget_background_purge_in_child() noexcept { running.store(false, std::memory_order_relaxed); }

}  // namespace heapkit::malloc_layer

// SPDX-License-Identifier: MIT
// The stacks of the threads alive, for the leak scan: a thread's stack bounds are noted at its
// first allocation in debug mode and forgotten at its exit (a pthread key's destructor, which waits
// while a scan holds the table, so a stack scanned is never one being freed). A fixed table of 4096
// threads in static storage; a thread past that is not noted. O(1) to note and forget.
#pragma once

#include <cstdint>

namespace heapkit::malloc_layer {

// Notes the calling thread's stack once (later calls cost one thread-local read). Called inside
// the debug lock, as the debug heap's own work: what it allocates (stdio reads the main thread's
// bounds from /proc/self/maps; pthread_setspecific may need a block) is served as such.
void note_thread_stack() noexcept;

// The pthread key whose destructor forgets an exiting thread's stack (made once by process_heap).
void set_thread_stack_exit_key(unsigned key) noexcept;
void forget_thread_stack(void* slot) noexcept;  // that destructor

// Calls visit(low, high, context) for the stack of every noted thread but the caller's, holding
// the table (an exiting thread waits until the visits are done).
void for_each_other_thread_stack(void (*visit)(std::uintptr_t low, std::uintptr_t high, void* context), void* context) noexcept;

// Around fork: the table's lock is held across it; in the child only the forking thread is alive.
void lock_thread_stacks() noexcept;
void unlock_thread_stacks() noexcept;
void keep_only_own_thread_stack_in_child() noexcept;

}  // namespace heapkit::malloc_layer

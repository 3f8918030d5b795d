// SPDX-License-Identifier: MIT
// Who is calling malloc on this thread: the program, or heapkit's own checking machinery (the
// debug heap, the guard pages), whose nested calls must not be checked again. One byte of
// initial-exec thread-local storage for both, set and restored by the machinery around its work.
#pragma once

namespace heapkit::malloc_layer {

enum class caller : unsigned char {
    program,     // checked as HEAPKIT_DEBUG and HEAPKIT_GUARD say
    debug_heap,  // inside the debug heap, under its lock: served by its bookkeeping heap
    guard_pool,  // inside the guard pages' machinery: served by the release tiers, never guarded
};

inline __attribute__((tls_model("initial-exec"))) thread_local caller current_caller = caller::program;

// Marks the calling thread as `inside` for the scope, then restores what was there.
class caller_scope {
public:
    explicit caller_scope(caller inside) noexcept : saved_(current_caller) { current_caller = inside; }
    ~caller_scope() { current_caller = saved_; }
    caller_scope(const caller_scope&) = delete;
    caller_scope& operator=(const caller_scope&) = delete;

private:
    caller saved_;
};

}  // namespace heapkit::malloc_layer

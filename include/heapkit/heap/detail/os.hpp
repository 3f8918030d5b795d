// SPDX-License-Identifier: MIT
// The few operating-system services the heap layer uses, behind one small header: stack capture
// and symbolization for the debug heap's allocation sites, the current CPU for thread arenas, and
// entropy for canary secrets. Linux/glibc; each call is O(1) except capture_backtrace (O(depth)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace heapkit::os {

// How a stack is captured: with the unwind tables (right for any code that has them: on x86-64 a
// walk that caches each return address's frame rule, a few ns a frame once warm, and glibc's
// backtrace(3), about 200 ns a frame, for stacks it cannot follow, such as signal frames), or by
// following frame pointers (a few ns a frame; stops early, or names a wrong caller, in code built
// without -fno-omit-frame-pointer). Neither reads outside the thread's stack.
enum class stack_walk : unsigned char { unwind_tables, frame_pointers };

// A small cache of the unwinder's frame rules that belongs to one caller and is never used by two
// threads at once (debug mode's site table, under its lock): an unwind_tables walk looks each frame
// up here before the process-wide table. Its 4 KiB stay in the first-level cache, where a slot of
// the shared 64 KiB table cost a second-level miss a frame on the chain of dependent loads that a
// walk is. Zeroed slots are empty (no code lies at pc 0).
struct unwind_memo {
    struct slot {
        std::uintptr_t pc = 0;
        std::uint64_t rule = 0;  // the unwinder's packed rule for pc
    };
    static constexpr unsigned slot_bits = 8;
    slot slots[std::size_t{1} << slot_bits]{};
};

// Fills `frames` with the return addresses of the calling stack, innermost first, after skipping
// `skip` frames of heapkit's own; returns how many were written. `memo`, where given, speeds up
// unwind_tables walks.
std::size_t capture_backtrace(std::span<void*> frames, std::size_t skip, stack_walk walk = stack_walk::unwind_tables,
                              unwind_memo* memo = nullptr) noexcept;

// How many unwind_tables captures so far went to backtrace(3) (all of them off x86-64).
std::size_t backtrace_fallbacks() noexcept;

// The calling thread's stack, [low, high): the bounds every stack walk and scan keeps to. Looked
// up once per thread; {0, 0} where the system cannot say.
struct stack_bounds {
    std::uintptr_t low;
    std::uintptr_t high;
};
stack_bounds thread_stack() noexcept;

// One frame as a person reads it: "function+0x1c (binary)" when a symbol table (the module's, its
// separate debug file's, or the exported symbols) names it, else "binary+0x2724a" (the offset
// from the module's load address, which addr2line -e takes), else "0x7f..."; then " at FILE:LINE"
// when a DWARF line table covers the call. Reads each module's file once (kept mapped after);
// O(symbols + line table) of the module per call.
std::string describe_frame(const void* return_address);

// A symbol's name as C++ spells it (__cxa_demangle), or `name` itself when it is not mangled.
std::string demangled(const char* name);

// The size of a memory page (sysconf, asked once).
std::size_t page_bytes() noexcept;

// Whole seconds of a monotonic clock (CLOCK_MONOTONIC_COARSE: a vDSO read, no system call), for
// policies that wait "about a second".
std::int64_t monotonic_seconds() noexcept;
// The same clock in milliseconds (its resolution is a few milliseconds).
std::int64_t monotonic_milliseconds() noexcept;

// The CPU the calling thread runs on, or a hash of its thread id where the system cannot say.
unsigned current_cpu() noexcept;

// 64 unpredictable bits (getrandom, falling back to clock and address entropy).
std::uint64_t random_secret() noexcept;

}  // namespace heapkit::os

// SPDX-License-Identifier: MIT
// A stack walk by the unwind tables (the DWARF call-frame information of .eh_frame, found through
// _dl_find_object and .eh_frame_hdr's sorted table) with a cache of what it learns: per return
// address, how to find the caller's frame (the CFA as rsp or rbp plus an offset, where the return
// address and the saved rbp lie). A frame whose rule is cached costs a few loads; a new return
// address costs one CFI interpretation, once per process. Every read of the stack is checked
// against the thread's stack bounds first, so a wrong or damaged frame ends the walk, never a
// fault. x86-64 only; elsewhere, and for frames the rules cannot describe (a CFA given by an
// expression, signal frames), walk() says so and the caller falls back to backtrace(3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "heapkit/heap/detail/os.hpp"

namespace heapkit::os::detail {

// The registers a walk carries from frame to frame.
struct frame_registers {
    std::uintptr_t pc;  // the frame's instruction: exact for the first frame, a return address after
    std::uintptr_t sp;
    std::uintptr_t bp;
};

// The bounds every stack read must lie in: [low, high).
using os::stack_bounds;
using os::unwind_memo;

enum class walk_result : unsigned char {
    complete,    // the stack's end, or `frames` full
    unsupported  // a frame the cached rules cannot follow: use another unwinder for this stack
};

// Fills `frames` with the return addresses of the callers of the frame `start` describes,
// innermost first, skipping the first `skip`; `written` says how many. O(depth) with warm rules;
// `memo` (or none) is looked in before the shared cache of rules.
walk_result walk(frame_registers start, stack_bounds bounds, std::span<void*> frames, std::size_t skip, std::size_t& written,
                 unwind_memo* memo) noexcept;

}  // namespace heapkit::os::detail

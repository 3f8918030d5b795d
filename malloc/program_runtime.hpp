// SPDX-License-Identifier: MIT
// The C++ runtime of the program that heapkit's malloc serves, and heapkit's own. The library
// links its copies of libstdc++ and libgcc's unwinder statically and hides them (a process loads
// no libstdc++.so or libgcc_s.so for it, C programs included), so the new handler the program set,
// the bad_alloc the program catches and every catch of a program's exception belong to the
// program's runtime: found by name in the process's global scope when an allocation fails.
#pragma once

#include <cstddef>
#include <new>

namespace heapkit::malloc_layer::program_runtime {

// The program's std::get_new_handler(): null where the process has no C++ runtime exporting it.
std::new_handler new_handler() noexcept;

// Throws std::bad_alloc through the program's runtime (its std::__throw_bad_alloc), so that the
// program's own bookkeeping of uncaught exceptions stays right; heapkit's copy throws where the
// process exports none. No frame of heapkit's between here and the program has a cleanup.
[[noreturn]] void throw_bad_alloc();

// The program runtime's own nothrow operator new (new[] when `array`; the align_val_t form when
// `alignment` is not 0), which heapkit's exports interpose: it calls heapkit's throwing form (the
// handler loop) and catches in the program's runtime. Null where the process has none.
void* nothrow_new(std::size_t size, std::size_t alignment, bool array) noexcept;

// Frees the emergency pool of heapkit's own copy (72 KiB that its start-up allocates, for an
// exception thrown when malloc fails): heapkit's memory, not the program's, so the leak report at
// exit frees it first rather than guess from the scan. Only at exit: the pool is not built again,
// and a later exception of heapkit's that found malloc failing would have none.
void release_own_exception_pool() noexcept;

}  // namespace heapkit::malloc_layer::program_runtime

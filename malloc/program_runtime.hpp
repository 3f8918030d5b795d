// SPDX-License-Identifier: MIT
// The C++ runtime of the program that heapkit's malloc serves, and heapkit's own. The library
// links its copy of libstdc++ statically and hides it (no libstdc++.so to load into every process,
// C programs included), so the new handler the program set and the bad_alloc the program catches
// belong to the program's runtime: found by name in the process's global scope when an allocation fails.
#pragma once

#include <new>

namespace heapkit::malloc_layer::program_runtime {

// The program's std::get_new_handler(): null where the process has no C++ runtime exporting it.
std::new_handler new_handler() noexcept;

// Throws std::bad_alloc through the program's runtime (its std::__throw_bad_alloc), so that the
// program's own bookkeeping of uncaught exceptions stays right; heapkit's copy throws where the
// process exports none.
[[noreturn]] void throw_bad_alloc();

// Called in heapkit's catch of an exception that the program's code threw (a new handler's): the
// program's runtime counted it uncaught at the throw, heapkit's copy counted the catch. Moves the
// count back to the program's runtime, so that its std::uncaught_exceptions() stays right.
void caught_program_exception() noexcept;

// Frees the emergency pool of heapkit's own copy (72 KiB that its start-up allocates, for an
// exception thrown when malloc fails): heapkit's memory, not the program's, so the leak report
// frees it first rather than guess from the scan. Later exceptions in heapkit's code use malloc.
void release_own_exception_pool() noexcept;

}  // namespace heapkit::malloc_layer::program_runtime

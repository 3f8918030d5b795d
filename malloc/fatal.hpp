// SPDX-License-Identifier: MIT
// The one way heapkit's malloc ends a program: a misuse it caught, named in one line ("heapkit:
// VERDICT 0xADDRESS", written without allocating, on stderr or in HEAPKIT_LOG's file), then
// abort(). The verdicts are contract text (docs/PROTOCOL.md) that tests match; each is written
// here once.
#pragma once

#include "heapkit/heap/debug_report.hpp"

namespace heapkit::malloc_layer {

// What a program did wrong, as the tiers detect it (process_heap.hpp says which checks what).
enum class misuse : unsigned char {
    double_free,              // free of a block already free
    foreign_free,             // free of a pointer that no tier handed out, or not a block's start
    realloc_of_freed,         // realloc of a block that is free
    foreign_realloc,          // realloc of a pointer that no tier handed out
    usable_size_of_freed,     // malloc_usable_size of a block that is free
    freed_block_written,      // a freed block's words changed before its reuse: a write after free, or an overflow
    header_overwritten,       // a large block's header changed: a write before its start (an underflow)
    bookkeeping_block_freed,  // debug mode's own bookkeeping freed twice: heapkit's bug, not the program's
};

// The verdict's words, as printed before the address.
constexpr const char* verdict(misuse kind) noexcept {
    switch (kind) {
        case misuse::double_free: return "double free of";
        case misuse::foreign_free: return "free of a pointer heapkit never handed out:";
        case misuse::realloc_of_freed: return "realloc of a block that is not live:";
        case misuse::foreign_realloc: return "realloc of a pointer heapkit never handed out:";
        case misuse::usable_size_of_freed: return "malloc_usable_size of a block that is not live:";
        case misuse::freed_block_written: return "write after free (or an overflow) into the freed block at";
        case misuse::header_overwritten: return "a write before the block (an underflow) overwrote the header of";
        case misuse::bookkeeping_block_freed: return "debug mode: bookkeeping block not live:";
    }
    return "misuse of";
}

// Prints "heapkit: VERDICT 0xADDRESS" and aborts.
[[noreturn]] void fatal(misuse kind, const void* address) noexcept;
// Prints "heapkit: mismatched free (allocated by A, freed by F) of 0xADDRESS" and aborts: a block
// given back by another family than the one that allocated it (A is malloc, new or new[]; F free,
// delete or delete[]; realloc is of the free family).
[[noreturn]] void fatal_mismatched(allocation_kind allocated, allocation_kind freed, const void* address) noexcept;

}  // namespace heapkit::malloc_layer

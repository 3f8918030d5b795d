// SPDX-License-Identifier: MIT
// The source file and line of an address, from an ELF file's DWARF line table (.debug_line,
// DWARF 2 to 5, 32- and 64-bit units), read without libdw: the malloc layer names its reports'
// frames with it, and cannot load libdw (which allocates through the malloc being debugged and
// would bring five libraries into every process). Cost: one pass over the table to index its
// sequences, then one sequence's program per lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "heapkit/heap/detail/elf_image.hpp"

namespace heapkit::os {

struct source_line {
    std::string file;        // as the line table names it, joined to its directory (absolute when the table says so)
    std::uint32_t line = 0;  // 1-based; 0: the row has no line
};

// One sequence of the line table: the rows for [low, high), and where its program starts.
struct line_sequence {
    std::uint64_t low = 0;             // its first row's address
    std::uint64_t high = 0;            // its end: the end_sequence row's address
    std::uint64_t unit_offset = 0;     // of its unit's header, in .debug_line
    std::uint64_t program_offset = 0;  // of its first opcode, from its unit's program's start
    std::uint64_t highest_end = 0;     // the greatest `high` of this sequence and those before it
};

// The line table's sequences sorted by `low` (those starting together in table order), leaving out
// empty ones and those a linker discarded (starting at address 0 or in the top page: its
// tombstones). Sequences may overlap: GNU ld points a discarded copy of an inline function's
// rows at the copy it kept. Empty when the file has no .debug_line or it is malformed from the
// start. One pass over the whole table.
std::vector<line_sequence> line_sequences(const elf_image& image);

// The line-table row that covers `address` (a virtual address of the file): the last row at or
// before it in the first sequence, in table order, of `sequences` (line_sequences(image)'s answer)
// that runs past it; nullopt when no sequence covers it or the table is malformed there. Runs that
// one sequence's program, after a walk back over the sequences that overlap the address.
std::optional<source_line> line_at(const elf_image& image, std::span<const line_sequence> sequences, std::uint64_t address);

}  // namespace heapkit::os

// SPDX-License-Identifier: MIT
// os::line_at against elfutils' libdw, row for row: on the line tables of this test program
// (DWARF 5 as the compiler and assembler write it) and of the fixture libraries (DWARF 2 and 64-bit
// DWARF 5 as the compiler writes them, DWARF 4 as the assembler does); then on corrupted copies,
// where it must answer or refuse but never read outside the file (ASan checks that).
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <unistd.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "../test_seed.hpp"
#include "heapkit/heap/detail/elf_image.hpp"
#include "heapkit/heap/detail/line_table.hpp"

namespace heapkit {
namespace {

struct expected_row {
    std::uint64_t address;
    std::uint64_t next_address;  // where the row's range ends: the next row's address in its sequence
    std::string file;
    int line;
};

// Where .text starts: a discarded function's rows (the linker moved them to address 0) lie below.
Dwarf_Addr text_start(Elf* elf) {
    std::size_t names = 0;
    if (::elf_getshdrstrndx(elf, &names) != 0) return 0;
    for (Elf_Scn* section = ::elf_nextscn(elf, nullptr); section != nullptr; section = ::elf_nextscn(elf, section)) {
        GElf_Shdr header;
        if (::gelf_getshdr(section, &header) == nullptr) continue;
        const char* name = ::elf_strptr(elf, names, header.sh_name);
        if (name != nullptr && std::string(name) == ".text") return header.sh_addr;
    }
    return 0;
}

// Every row libdw reads from `path` that starts a range of addresses (the last row at an address,
// not a sequence's end), with where its range ends.
std::vector<expected_row> rows_by_libdw(const std::string& path) {
    std::vector<expected_row> rows;
    ::elf_version(EV_CURRENT);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rows;
    Dwarf* dwarf = ::dwarf_begin(fd, DWARF_C_READ);
    if (dwarf == nullptr) {
        ::close(fd);
        return rows;
    }
    const Dwarf_Addr code_start = text_start(::dwarf_getelf(dwarf));
    Dwarf_Off offset = 0;
    Dwarf_Off next = 0;
    std::size_t header_bytes = 0;
    while (::dwarf_nextcu(dwarf, offset, &next, &header_bytes, nullptr, nullptr, nullptr) == 0) {
        Dwarf_Die unit;
        Dwarf_Lines* lines = nullptr;
        std::size_t count = 0;
        if (::dwarf_offdie(dwarf, offset + header_bytes, &unit) != nullptr && ::dwarf_getsrclines(&unit, &lines, &count) == 0) {
            // A row at a sequence's end address covers nothing (it ends there): left out.
            std::set<Dwarf_Addr> sequence_ends;
            for (std::size_t i = 0; i < count; ++i) {
                bool ends = false;
                Dwarf_Addr address = 0;
                ::dwarf_lineendsequence(::dwarf_onesrcline(lines, i), &ends);
                ::dwarf_lineaddr(::dwarf_onesrcline(lines, i), &address);
                if (ends) sequence_ends.insert(address);
            }
            for (std::size_t i = 0; i + 1 < count; ++i) {
                Dwarf_Line* row = ::dwarf_onesrcline(lines, i);
                Dwarf_Line* after = ::dwarf_onesrcline(lines, i + 1);
                Dwarf_Addr address = 0;
                Dwarf_Addr after_address = 0;
                bool ends = false;
                int line = 0;
                ::dwarf_lineaddr(row, &address);
                ::dwarf_lineaddr(after, &after_address);
                ::dwarf_lineendsequence(row, &ends);
                ::dwarf_lineno(row, &line);
                const char* file = ::dwarf_linesrc(row, nullptr, nullptr);
                // A discarded function's rows, and rows another row at their address follows.
                if (ends || address < code_start || after_address == address || sequence_ends.contains(address) ||
                    file == nullptr)
                    continue;
                rows.push_back({address, after_address, file, line});
            }
        }
        offset = next;
    }
    ::dwarf_end(dwarf);
    ::close(fd);
    return rows;
}

// The DWARF 2-4 tables name a file in the compilation's directory without the directory (only
// .debug_info says it), where libdw joins it: the name must then be the end of libdw's path.
bool same_file(const std::string& ours, const std::string& libdws) {
    return ours == libdws ||
           (!ours.empty() && ours.front() != '/' && libdws.size() > ours.size() && libdws.ends_with("/" + ours));
}

// Whether libdw has a row for `address` that names `ours`. An address may have rows in several
// units (GNU ld points a discarded copy of an inline function at the copy it kept), each a right
// answer.
bool libdw_agrees(const std::vector<expected_row>& rows, std::uint64_t address, const os::source_line& ours) {
    for (const expected_row& row : rows)
        if (row.address <= address && address < row.next_address && same_file(ours.file, row.file) &&
            ours.line == static_cast<std::uint32_t>(row.line))
            return true;
    return false;
}

void expect_rows_match(const std::string& path, std::size_t samples, std::mt19937_64& random) {
    const std::vector<expected_row> rows = rows_by_libdw(path);
    ASSERT_GT(rows.size(), 20u) << path << " has too few rows to be a test";
    const os::mapped_file file(path.c_str());
    const os::elf_image image(file.bytes());
    ASSERT_TRUE(image.valid()) << path;
    const std::vector<os::line_sequence> sequences = os::line_sequences(image);
    std::uniform_int_distribution<std::size_t> pick(0, rows.size() - 1);
    for (std::size_t i = 0; i < samples; ++i) {
        const expected_row& row = rows[samples >= rows.size() ? i % rows.size() : pick(random)];
        // The row's first address, and one inside its range.
        for (const std::uint64_t address : {row.address, row.address + (row.next_address - row.address) / 2}) {
            const std::optional<os::source_line> ours = os::line_at(image, sequences, address);
            ASSERT_TRUE(ours.has_value()) << path << " at 0x" << std::hex << address;
            EXPECT_TRUE(libdw_agrees(rows, address, *ours))
                << path << " at 0x" << std::hex << address << ": " << ours->file << ":" << std::dec << ours->line
                << " against libdw's " << row.file << ":" << row.line;
        }
    }
}

TEST(LineTable, MatchesLibdwOnThisProgram) {
    std::mt19937_64 random(test::test_seed("LineTable.MatchesLibdwOnThisProgram"));
    expect_rows_match("/proc/self/exe", 400, random);
}

TEST(LineTable, MatchesLibdwOnEachKindOfTable) {
    std::mt19937_64 random(test::test_seed("LineTable.MatchesLibdwOnEachKindOfTable"));
    for (const char* path : {HEAPKIT_FIXTURE_DWARF2, HEAPKIT_FIXTURE_DWARF4, HEAPKIT_FIXTURE_DWARF5, HEAPKIT_FIXTURE_DWARF64}) {
        SCOPED_TRACE(path);
        expect_rows_match(path, 4000, random);  // more samples than rows: every row, twice
    }
}

TEST(LineTable, AnswersNothingOutsideEverySequence) {
    const os::mapped_file file(HEAPKIT_FIXTURE_DWARF5);
    const os::elf_image image(file.bytes());
    ASSERT_TRUE(image.valid());
    const std::vector<os::line_sequence> sequences = os::line_sequences(image);
    ASSERT_FALSE(sequences.empty());
    for (const os::line_sequence& sequence : sequences) EXPECT_LT(sequence.low, sequence.high);
    EXPECT_FALSE(os::line_at(image, sequences, 0).has_value());     // a tombstone's address, and no code's
    EXPECT_FALSE(os::line_at(image, sequences, 0x10).has_value());  // the ELF header's bytes
    EXPECT_FALSE(os::line_at(image, sequences, sequences.back().high).has_value());
    EXPECT_FALSE(os::line_at(image, sequences, ~std::uint64_t{0}).has_value());
    const os::elf_image not_elf(std::span<const unsigned char>{});
    EXPECT_FALSE(not_elf.valid());
    EXPECT_TRUE(os::line_sequences(not_elf).empty());
}

// Bytes of the line table and its string sections overwritten at random: each lookup answers
// something or nothing, reading only the copy's bytes.
TEST(LineTable, SurvivesCorruptedTables) {
    std::mt19937_64 random(test::test_seed("LineTable.SurvivesCorruptedTables"));
    const os::mapped_file file(HEAPKIT_FIXTURE_DWARF5);
    const std::vector<expected_row> rows = rows_by_libdw(HEAPKIT_FIXTURE_DWARF5);
    ASSERT_FALSE(rows.empty());
    const os::elf_image original(file.bytes());
    const std::span<const unsigned char> table = original.section(".debug_line");
    ASSERT_FALSE(table.empty());
    const std::size_t table_at = static_cast<std::size_t>(table.data() - file.bytes().data());
    std::uniform_int_distribution<std::size_t> in_table(0, table.size() - 1);
    std::uniform_int_distribution<std::size_t> pick_row(0, rows.size() - 1);
    std::size_t answered = 0;
    for (int round = 0; round < 300; ++round) {
        std::vector<unsigned char> copy(file.bytes().begin(), file.bytes().end());
        const int changes = 1 + round % 8;
        for (int c = 0; c < changes; ++c) copy[table_at + in_table(random)] = static_cast<unsigned char>(random());
        const os::elf_image image(copy);
        const std::vector<os::line_sequence> sequences = os::line_sequences(image);
        for (int lookup = 0; lookup < 4; ++lookup)
            answered += os::line_at(image, sequences, rows[pick_row(random)].address).has_value();
    }
    std::cout << "[ corrupt  ] " << answered << " of 1200 lookups still answered\n";
    EXPECT_GT(answered, 0u);  // damage to one part of a table leaves the rest readable
}

}  // namespace
}  // namespace heapkit

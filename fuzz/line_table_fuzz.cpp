// SPDX-License-Identifier: MIT
// The DWARF line-table reader (heap/detail/line_table.hpp) on any bytes: the input is a
// .debug_line section (its last input[0] % 64 bytes are .debug_line_str, which DWARF 5 entries
// point into), wrapped in an ELF file made here. Properties: the sequences are sorted, not empty,
// with a running highest end; every lookup inside a sequence, at its ends and past the last
// answers without reading outside the bytes (ASan) and names a file when it answers.
#include <elf.h>

#include <cstring>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "heapkit/heap/detail/elf_image.hpp"
#include "heapkit/heap/detail/line_table.hpp"

namespace {

// An ELF64 file of a header, the section contents, then the section table: a null section,
// .shstrtab, .debug_line and .debug_line_str.
std::vector<unsigned char> elf_around(const std::uint8_t* line_table, std::size_t line_bytes, const std::uint8_t* strings,
                                      std::size_t string_bytes) {
    const char names[] = "\0.shstrtab\0.debug_line\0.debug_line_str";
    std::vector<unsigned char> file(sizeof(Elf64_Ehdr));
    const auto append = [&](const void* bytes, std::size_t count) {
        const std::size_t at = file.size();
        file.insert(file.end(), static_cast<const unsigned char*>(bytes), static_cast<const unsigned char*>(bytes) + count);
        return at;
    };
    const std::size_t names_at = append(names, sizeof names);
    const std::size_t line_at = append(line_table, line_bytes);
    const std::size_t strings_at = append(strings, string_bytes);
    file.resize((file.size() + 7) & ~std::size_t{7});
    Elf64_Shdr sections[4]{};
    sections[1] = {1, SHT_STRTAB, 0, 0, names_at, sizeof names, 0, 0, 1, 0};
    sections[2] = {11, SHT_PROGBITS, 0, 0, line_at, line_bytes, 0, 0, 1, 0};
    sections[3] = {23, SHT_PROGBITS, 0, 0, strings_at, string_bytes, 0, 0, 1, 0};
    const std::size_t table_at = append(sections, sizeof sections);
    Elf64_Ehdr header{};
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = ELFCLASS64;
    header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_ident[EI_VERSION] = EV_CURRENT;
    header.e_type = ET_DYN;
    header.e_shoff = table_at;
    header.e_ehsize = sizeof(Elf64_Ehdr);
    header.e_shentsize = sizeof(Elf64_Shdr);
    header.e_shnum = 4;
    header.e_shstrndx = 1;
    std::memcpy(file.data(), &header, sizeof header);
    return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using heapkit::fuzz::fail;
    if (size == 0) return 0;
    const std::size_t string_bytes = std::min<std::size_t>(data[0] % 64, size - 1);
    const std::vector<unsigned char> file =
        elf_around(data + 1, size - 1 - string_bytes, data + size - string_bytes, string_bytes);
    const heapkit::os::elf_image image(file);
    if (!image.valid()) fail("the wrapper is not a valid ELF file", file.size(), 0);
    const std::vector<heapkit::os::line_sequence> sequences = heapkit::os::line_sequences(image);
    std::uint64_t highest_end = 0;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        const heapkit::os::line_sequence& sequence = sequences[i];
        if (sequence.low >= sequence.high) fail("an empty sequence", sequence.low, sequence.high);
        if (i > 0 && sequences[i - 1].low > sequence.low) fail("sequences out of order", sequences[i - 1].low, sequence.low);
        highest_end = std::max(highest_end, sequence.high);
        if (sequence.highest_end != highest_end) fail("a wrong running highest end", sequence.highest_end, highest_end);
        for (const std::uint64_t address :
             {sequence.low, sequence.low + (sequence.high - sequence.low) / 2, sequence.high - 1, sequence.high}) {
            const std::optional<heapkit::os::source_line> found = heapkit::os::line_at(image, sequences, address);
            if (found && found->file.empty()) fail("an answer without a file", address, found->line);
        }
    }
    if (!sequences.empty() && heapkit::os::line_at(image, sequences, highest_end))
        fail("an answer past every sequence", highest_end, 0);
    return 0;
}

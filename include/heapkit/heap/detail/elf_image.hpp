// SPDX-License-Identifier: MIT
// What naming code needs from an ELF64 file: `mapped_file` maps it read-only, `elf_image` reads
// the mapping (sections by name, function symbols, build ID, .gnu_debuglink) without allocating,
// so that the malloc layer can use it while it writes a report; `debug_file_candidates` says where
// a separate debug file may be. Every read is bounds-checked: a truncated or hostile file gives
// empty answers, never a read outside the mapping.
#pragma once

#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace heapkit::os {

// A file mapped read-only (PROT_READ, MAP_PRIVATE); empty when it cannot be opened or mapped.
class mapped_file {
public:
    mapped_file() noexcept = default;  // empty
    explicit mapped_file(const char* path) noexcept;
    mapped_file(mapped_file&& other) noexcept : bytes_(other.bytes_) { other.bytes_ = {}; }
    mapped_file& operator=(mapped_file&& other) noexcept;
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    ~mapped_file();

    std::span<const unsigned char> bytes() const noexcept { return bytes_; }
    // Gives the mapping up: it stays mapped for the rest of the process (caches that outlive
    // every destructor keep it so).
    std::span<const unsigned char> release() noexcept;

private:
    std::span<const unsigned char> bytes_;
};

// A function symbol: its address (as the file's virtual addresses), its size (0: not recorded)
// and its NUL-terminated mangled name, which lies in the mapping.
struct function_symbol_view {
    std::uint64_t start = 0;
    std::uint64_t size = 0;
    const char* name = nullptr;
};

// Reads an ELF64 file's bytes (a view: the bytes must outlive it). Not valid() when they are not
// an ELF64 file with a section table inside them.
class elf_image {
public:
    explicit elf_image(std::span<const unsigned char> bytes) noexcept;

    bool valid() const noexcept { return sections_ != nullptr; }
    // The contents of the section called `name`; empty when there is none, it has no bytes in
    // the file (SHT_NOBITS), it is compressed (SHF_COMPRESSED, which this reader does not inflate)
    // or it lies outside the file. O(sections).
    std::span<const unsigned char> section(std::string_view name) const noexcept;
    // Calls visit(function_symbol_view) for every function symbol of .symtab, or of .dynsym when
    // the file has no .symtab (a stripped file). O(symbols).
    template <class Visit>
    void for_each_function(Visit visit) const;
    // The function symbol that names `address`: the one that starts last at or before it (the
    // last listed of those starting there: globals after locals), if it covers `address` (a
    // symbol of no recorded size covers its first byte only, as dladdr takes it); a symbol with no
    // name when none does. O(symbols).
    function_symbol_view function_at(std::uint64_t address) const noexcept;
    // The GNU build ID's bytes (the NT_GNU_BUILD_ID note); empty when the file has none.
    std::span<const unsigned char> build_id() const noexcept;
    // The file name in .gnu_debuglink; empty when the file has none.
    std::string_view debuglink() const noexcept;

private:
    struct symbol_table {
        std::span<const Elf64_Sym> symbols;
        std::span<const char> names;
    };
    symbol_table function_table() const noexcept;
    bool inside(std::uint64_t offset, std::uint64_t length) const noexcept {
        return offset <= bytes_.size() && length <= bytes_.size() - offset;
    }

    std::span<const unsigned char> bytes_;
    const Elf64_Ehdr* header_ = nullptr;
    const Elf64_Shdr* sections_ = nullptr;  // header_->e_shnum of them; null: not valid
};

template <class Visit>
void elf_image::for_each_function(Visit visit) const {
    const symbol_table table = function_table();
    for (const Elf64_Sym& symbol : table.symbols) {
        if (ELF64_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_value == 0 || symbol.st_name >= table.names.size()) continue;
        const char* name = table.names.data() + symbol.st_name;
        if (std::string_view(name, table.names.size() - symbol.st_name).find('\0') == std::string_view::npos) continue;
        visit(function_symbol_view{symbol.st_value, symbol.st_size, name});
    }
}

// The GNU build ID's bytes among the ELF notes in `notes` (a note section's or a PT_NOTE segment's
// contents, as a loaded module has them in memory); empty when none is there.
std::span<const unsigned char> build_id_in_notes(std::span<const unsigned char> notes) noexcept;

// Where a separate debug file for the module at `module_path` may be, most specific first, as
// gdb looks: /usr/lib/debug/.build-id/xx/yyyy.debug by its build ID, then its .gnu_debuglink's
// name beside it, in a .debug folder beside it, and under /usr/lib/debug.
std::vector<std::string> debug_file_candidates(std::string_view module_path, const elf_image& module);

}  // namespace heapkit::os

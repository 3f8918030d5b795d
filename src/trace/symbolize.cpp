// SPDX-License-Identifier: MIT
// Naming a profile's frames from each module's ELF symbol table: the function symbols sorted by
// address, a frame's function the last one that starts at or before it and covers it.
#include <cxxabi.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "heapkit/trace/profile.hpp"
#include "source_lines.hpp"

namespace heapkit::trace {
namespace {

struct function_symbol {
    std::uint64_t start;
    std::uint64_t size;
    std::string name;
};

std::string demangled(const char* name) {
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> text(abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
    return status == 0 && text ? text.get() : name;
}

// The function symbols of the ELF file at `path`, sorted; empty when it cannot be read.
std::vector<function_symbol> read_functions(const std::string& path) {
    std::vector<function_symbol> functions;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return functions;
    struct stat facts {};
    if (::fstat(fd, &facts) != 0 || facts.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
        ::close(fd);
        return functions;
    }
    const auto bytes = static_cast<std::size_t>(facts.st_size);
    void* mapped = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) return functions;
    const auto* base = static_cast<const unsigned char*>(mapped);
    const auto inside = [&](std::uint64_t offset, std::uint64_t length) { return offset <= bytes && length <= bytes - offset; };
    const auto* header = reinterpret_cast<const Elf64_Ehdr*>(base);
    const bool elf64 = std::memcmp(header->e_ident, ELFMAG, SELFMAG) == 0 && header->e_ident[EI_CLASS] == ELFCLASS64 &&
                       header->e_shentsize == sizeof(Elf64_Shdr) &&
                       inside(header->e_shoff, std::uint64_t{header->e_shnum} * sizeof(Elf64_Shdr));
    if (elf64) {
        const auto* sections = reinterpret_cast<const Elf64_Shdr*>(base + header->e_shoff);
        for (const std::uint32_t wanted : {std::uint32_t{SHT_SYMTAB}, std::uint32_t{SHT_DYNSYM}}) {
            for (std::size_t i = 0; i < header->e_shnum; ++i) {
                const Elf64_Shdr& table = sections[i];
                if (table.sh_type != wanted || table.sh_entsize != sizeof(Elf64_Sym) || table.sh_link >= header->e_shnum ||
                    !inside(table.sh_offset, table.sh_size))
                    continue;
                const Elf64_Shdr& names = sections[table.sh_link];
                if (!inside(names.sh_offset, names.sh_size)) continue;
                const auto* symbols = reinterpret_cast<const Elf64_Sym*>(base + table.sh_offset);
                const auto* text = reinterpret_cast<const char*>(base + names.sh_offset);
                for (std::size_t s = 0; s < table.sh_size / sizeof(Elf64_Sym); ++s) {
                    const Elf64_Sym& symbol = symbols[s];
                    if (ELF64_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_value == 0 || symbol.st_name >= names.sh_size)
                        continue;
                    const char* name = text + symbol.st_name;
                    if (std::memchr(name, '\0', names.sh_size - symbol.st_name) == nullptr) continue;
                    functions.push_back({symbol.st_value, symbol.st_size, demangled(name)});
                }
            }
            if (!functions.empty()) break;  // the full table when there is one, else the exported symbols
        }
    }
    ::munmap(mapped, bytes);
    std::sort(functions.begin(), functions.end(),
              [](const function_symbol& a, const function_symbol& b) { return a.start < b.start; });
    return functions;
}

}  // namespace

void symbolize_profile(profile& recording) {
    std::vector<std::vector<function_symbol>> tables(recording.modules.size());
    std::vector<bool> read(recording.modules.size(), false);
    for (code_location& frame : recording.frames) {
        if (!frame.function.empty() || frame.module == 0 || frame.module >= recording.modules.size()) continue;
        if (!read[frame.module]) {
            tables[frame.module] = read_functions(recording.modules[frame.module]);
            read[frame.module] = true;
        }
        const std::vector<function_symbol>& functions = tables[frame.module];
        const std::uint64_t call = frame.offset == 0 ? 0 : frame.offset - 1;  // a return address follows its call
        auto after = std::upper_bound(functions.begin(), functions.end(), call,
                                      [](std::uint64_t at, const function_symbol& f) { return at < f.start; });
        if (after == functions.begin()) continue;
        const function_symbol& candidate = *std::prev(after);
        if (candidate.size == 0 || call < candidate.start + candidate.size) frame.function = candidate.name;
    }
    detail::add_source_lines(recording);
}

}  // namespace heapkit::trace

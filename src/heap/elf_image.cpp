// SPDX-License-Identifier: MIT
// mapped_file (open, fstat, mmap), elf_image's reads of the section table, symbol tables and
// notes, and debug_file_candidates.
#include "heapkit/heap/detail/elf_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace heapkit::os {

mapped_file::mapped_file(const char* path) noexcept {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat facts {};
    if (::fstat(fd, &facts) == 0 && S_ISREG(facts.st_mode) && facts.st_size > 0) {
        const auto size = static_cast<std::size_t>(facts.st_size);
        void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (mapped != MAP_FAILED) bytes_ = {static_cast<const unsigned char*>(mapped), size};
    }
    ::close(fd);
}

mapped_file& mapped_file::operator=(mapped_file&& other) noexcept {
    if (this != &other) {
        if (!bytes_.empty()) ::munmap(const_cast<unsigned char*>(bytes_.data()), bytes_.size());
        bytes_ = other.release();
    }
    return *this;
}

mapped_file::~mapped_file() {
    if (!bytes_.empty()) ::munmap(const_cast<unsigned char*>(bytes_.data()), bytes_.size());
}

std::span<const unsigned char> mapped_file::release() noexcept {
    const std::span<const unsigned char> given = bytes_;
    bytes_ = {};
    return given;
}

elf_image::elf_image(std::span<const unsigned char> bytes) noexcept : bytes_(bytes) {
    if (bytes.size() < sizeof(Elf64_Ehdr)) return;
    const auto* header = reinterpret_cast<const Elf64_Ehdr*>(bytes.data());
    if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64 ||
        header->e_ident[EI_DATA] != ELFDATA2LSB || header->e_shentsize != sizeof(Elf64_Shdr) || header->e_shnum == 0 ||
        header->e_shstrndx >= header->e_shnum || header->e_shoff % alignof(Elf64_Shdr) != 0 ||
        !inside(header->e_shoff, std::uint64_t{header->e_shnum} * sizeof(Elf64_Shdr)))
        return;
    header_ = header;
    sections_ = reinterpret_cast<const Elf64_Shdr*>(bytes.data() + header->e_shoff);
}

std::span<const unsigned char> elf_image::section(std::string_view name) const noexcept {
    if (!valid()) return {};
    const Elf64_Shdr& names = sections_[header_->e_shstrndx];
    if (!inside(names.sh_offset, names.sh_size)) return {};
    const std::string_view name_text(reinterpret_cast<const char*>(bytes_.data() + names.sh_offset), names.sh_size);
    for (std::size_t i = 0; i < header_->e_shnum; ++i) {
        const Elf64_Shdr& section = sections_[i];
        if (section.sh_name >= name_text.size()) continue;
        const std::string_view rest = name_text.substr(section.sh_name);
        if (rest.substr(0, rest.find('\0')) != name) continue;
        if (section.sh_type == SHT_NOBITS || (section.sh_flags & SHF_COMPRESSED) != 0 ||
            !inside(section.sh_offset, section.sh_size))
            return {};
        return bytes_.subspan(section.sh_offset, section.sh_size);
    }
    return {};
}

elf_image::symbol_table elf_image::function_table() const noexcept {
    if (!valid()) return {};
    for (const std::uint32_t wanted : {std::uint32_t{SHT_SYMTAB}, std::uint32_t{SHT_DYNSYM}}) {
        for (std::size_t i = 0; i < header_->e_shnum; ++i) {
            const Elf64_Shdr& table = sections_[i];
            if (table.sh_type != wanted || table.sh_entsize != sizeof(Elf64_Sym) || table.sh_link >= header_->e_shnum ||
                table.sh_offset % alignof(Elf64_Sym) != 0 || !inside(table.sh_offset, table.sh_size))
                continue;
            const Elf64_Shdr& names = sections_[table.sh_link];
            if (!inside(names.sh_offset, names.sh_size)) continue;
            return {{reinterpret_cast<const Elf64_Sym*>(bytes_.data() + table.sh_offset), table.sh_size / sizeof(Elf64_Sym)},
                    {reinterpret_cast<const char*>(bytes_.data() + names.sh_offset), names.sh_size}};
        }
    }
    return {};
}

function_symbol_view elf_image::function_at(std::uint64_t address) const noexcept {
    function_symbol_view best;
    for_each_function([&](const function_symbol_view& symbol) {
        if (symbol.start <= address && (best.name == nullptr || symbol.start >= best.start)) best = symbol;
    });
    if (best.name != nullptr && address - best.start >= std::max<std::uint64_t>(best.size, 1)) return {};
    return best;
}

std::span<const unsigned char> build_id_in_notes(std::span<const unsigned char> notes) noexcept {
    // Each note: Elf64_Nhdr, then the name and the description, each padded to 4 bytes.
    std::size_t at = 0;
    while (notes.size() - at >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr note;
        std::memcpy(&note, notes.data() + at, sizeof note);
        const std::uint64_t name_at = at + sizeof note;
        const std::uint64_t description_at = name_at + ((std::uint64_t{note.n_namesz} + 3) & ~std::uint64_t{3});
        const std::uint64_t next = description_at + ((std::uint64_t{note.n_descsz} + 3) & ~std::uint64_t{3});
        if (next > notes.size()) break;
        if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(notes.data() + name_at, "GNU", 4) == 0)
            return notes.subspan(description_at, note.n_descsz);
        at = next;
    }
    return {};
}

std::span<const unsigned char> elf_image::build_id() const noexcept {
    if (!valid()) return {};
    for (std::size_t i = 0; i < header_->e_shnum; ++i) {
        const Elf64_Shdr& notes = sections_[i];
        if (notes.sh_type != SHT_NOTE || !inside(notes.sh_offset, notes.sh_size)) continue;
        if (const std::span<const unsigned char> id = build_id_in_notes(bytes_.subspan(notes.sh_offset, notes.sh_size));
            !id.empty())
            return id;
    }
    return {};
}

std::string_view elf_image::debuglink() const noexcept {
    const std::span<const unsigned char> link = section(".gnu_debuglink");
    const std::string_view text(reinterpret_cast<const char*>(link.data()), link.size());
    const std::size_t end = text.find('\0');
    return end == std::string_view::npos ? std::string_view{} : text.substr(0, end);
}

std::vector<std::string> debug_file_candidates(std::string_view module_path, const elf_image& module) {
    std::vector<std::string> candidates;
    if (const std::span<const unsigned char> id = module.build_id(); id.size() > 1) {
        std::string path = "/usr/lib/debug/.build-id/";
        char hex[3];
        for (std::size_t i = 0; i < id.size(); ++i) {
            std::snprintf(hex, sizeof hex, "%02x", id[i]);
            path += hex;
            if (i == 0) path += '/';
        }
        candidates.push_back(path + ".debug");
    }
    if (const std::string_view link = module.debuglink(); !link.empty()) {
        const std::size_t slash = module_path.rfind('/');
        const std::string directory(slash == std::string_view::npos ? std::string_view(".") : module_path.substr(0, slash));
        candidates.push_back(directory + "/" + std::string(link));
        candidates.push_back(directory + "/.debug/" + std::string(link));
        candidates.push_back("/usr/lib/debug" + directory + "/" + std::string(link));
    }
    return candidates;
}

}  // namespace heapkit::os

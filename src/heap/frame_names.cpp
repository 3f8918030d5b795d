// SPDX-License-Identifier: MIT
// os::describe_frame: a return address's module (dladdr1), function (the module's .symtab, or its
// separate debug file's, else the exported symbol dladdr names) and source line (the DWARF line
// table of the module or of its debug file, through an index of its sequences). Each module is
// mapped and indexed once and stays so, in a fixed table that holds no heap memory: the malloc
// layer calls this from inside its own heaps, which may differ from call to call.
#include <cxxabi.h>
#include <dlfcn.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "heapkit/heap/detail/elf_image.hpp"
#include "heapkit/heap/detail/line_table.hpp"
#include "heapkit/heap/detail/os.hpp"

namespace heapkit::os {
namespace {

// A module's file and its separate debug file (empty: none found), both mapped, and the sequences
// of the line table read (the debug file's, else the module's).
struct module_files {
    std::span<const unsigned char> module;
    std::span<const unsigned char> debug;
    std::span<const line_sequence> sequences;
};

// What a lookup that could not be cached holds until it is done.
struct uncached_files {
    std::array<mapped_file, 2> files;
    std::vector<line_sequence> sequences;
};

constexpr std::size_t path_capacity = 256;

// One module mapped for the rest of the process, found again by its load bias and path.
struct cached_module {
    std::uintptr_t load_bias = 0;  // link_map::l_addr
    std::array<char, path_capacity> path{};
    module_files files;
};

constexpr std::size_t cached_module_capacity = 64;
constinit std::array<cached_module, cached_module_capacity> cached_modules{};  // trivially destructible: usable at exit
constinit std::size_t cached_module_count = 0;
constinit std::mutex cache_lock;

// The build ID of the module loaded with `load_bias`, from its PT_NOTE segments in memory; empty
// when it has none.
std::span<const unsigned char> loaded_build_id(std::uintptr_t load_bias) noexcept {
    struct search {
        std::uintptr_t load_bias;
        std::span<const unsigned char> id;
    } wanted{load_bias, {}};
    ::dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* context) {
            auto& found = *static_cast<search*>(context);
            if (info->dlpi_addr != found.load_bias) return 0;
            for (int i = 0; i < info->dlpi_phnum && found.id.empty(); ++i) {
                const ElfW(Phdr)& segment = info->dlpi_phdr[i];
                if (segment.p_type != PT_NOTE) continue;
                const std::span<const unsigned char> notes(
                    reinterpret_cast<const unsigned char*>(info->dlpi_addr + segment.p_vaddr), segment.p_memsz);
                found.id = build_id_in_notes(notes);
            }
            return 1;
        },
        &wanted);
    return wanted.id;
}

bool same_bytes(std::span<const unsigned char> a, std::span<const unsigned char> b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// Which of a module and its debug file the line table is read from: the debug file's where it has
// one (uncompressed: Debian's debug files often hold theirs compressed, names only then).
const elf_image& lines_of(const elf_image& module, const elf_image& debug) noexcept {
    return debug.valid() && !debug.section(".debug_line").empty() ? debug : module;
}

// The module at `path` (loaded with `load_bias`) and, when it lacks a line table or a full symbol
// table, its debug file (one with either, whose build ID, if both have one, is the module's),
// mapped into `owned`, with the line table's sequences. Nothing when the file's build ID is not the loaded module's (the file was
// replaced since it was loaded: its names would be another program's).
module_files open_module(const char* path, std::uintptr_t load_bias, uncached_files& owned) {
    owned.files[0] = mapped_file(path);
    const elf_image module(owned.files[0].bytes());
    if (!module.valid()) return {};
    const std::span<const unsigned char> loaded_id = loaded_build_id(load_bias);
    if (!loaded_id.empty() && !same_bytes(loaded_id, module.build_id())) {
        owned.files[0] = mapped_file();
        return {};
    }
    if (module.section(".debug_line").empty() || module.section(".symtab").empty()) {
        for (const std::string& candidate : debug_file_candidates(path, module)) {
            mapped_file debug(candidate.c_str());
            const elf_image image(debug.bytes());
            if (!image.valid() || (image.section(".debug_line").empty() && image.section(".symtab").empty())) continue;
            const std::span<const unsigned char> id = module.build_id();
            const std::span<const unsigned char> debug_id = image.build_id();
            if (!id.empty() && !debug_id.empty() && !same_bytes(id, debug_id)) continue;
            owned.files[1] = std::move(debug);
            break;
        }
    }
    const elf_image debug(owned.files[1].bytes());
    owned.sequences = line_sequences(lines_of(module, debug));
    return {owned.files[0].bytes(), owned.files[1].bytes(), owned.sequences};
}

// `sequences` copied into memory of their own (no heap's: the cache outlives whichever heap the
// caller was in); empty when there is none or no memory.
std::span<const line_sequence> kept_for_good(std::span<const line_sequence> sequences) {
    if (sequences.empty()) return {};
    void* memory = ::mmap(nullptr, sequences.size_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return {};
    std::memcpy(memory, sequences.data(), sequences.size_bytes());
    return {static_cast<const line_sequence*>(memory), sequences.size()};
}

// The files of the module at `path` loaded with `load_bias`: cached, or held by `owned` when the
// cache is full or the path too long for it.
module_files files_of(const char* path, std::uintptr_t load_bias, uncached_files& owned) {
    const std::lock_guard guard(cache_lock);
    const std::size_t length = std::strlen(path);
    for (std::size_t i = 0; i < cached_module_count; ++i)
        if (cached_modules[i].load_bias == load_bias && std::strcmp(cached_modules[i].path.data(), path) == 0)
            return cached_modules[i].files;
    const module_files files = open_module(path, load_bias, owned);
    if (length >= path_capacity || cached_module_count == cached_module_capacity) return files;
    cached_module& entry = cached_modules[cached_module_count++];
    entry.load_bias = load_bias;
    std::memcpy(entry.path.data(), path, length + 1);
    entry.files = {owned.files[0].release(), owned.files[1].release(), kept_for_good(files.sequences)};
    return entry.files;
}

std::string hex_offset(std::uintptr_t offset) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "+0x%zx", static_cast<std::size_t>(offset));
    return buffer;
}

}  // namespace

std::string demangled(const char* name) {
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> text(abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
    return status == 0 && text ? text.get() : name;
}

std::string describe_frame(const void* return_address) {
    Dl_info info{};
    link_map* map = nullptr;
    if (::dladdr1(return_address, &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) == 0 || map == nullptr) {
        char buffer[24];
        std::snprintf(buffer, sizeof buffer, "%p", return_address);
        return buffer;
    }
    const std::string binary = info.dli_fname != nullptr && info.dli_fname[0] != '\0' ? info.dli_fname : "?";
    // The main program's name is what it was started as (relative, or found on PATH): read its file
    // through the kernel's link instead.
    char executable[path_capacity];
    const char* path = map->l_name;
    if (path == nullptr || path[0] == '\0') {
        const ssize_t length = ::readlink("/proc/self/exe", executable, sizeof executable - 1);
        executable[length > 0 ? length : 0] = '\0';
        path = executable;
    }
    uncached_files owned;
    const module_files files = files_of(path, map->l_addr, owned);
    const elf_image module(files.module);
    const elf_image debug(files.debug);
    const std::uintptr_t address = reinterpret_cast<std::uintptr_t>(return_address) - map->l_addr;  // as the file numbers it
    const std::uintptr_t call = address - 1;  // a return address follows its call
    // A stripped module's symbols are the exported ones; its debug file has them all.
    const elf_image& symbols = module.section(".symtab").empty() && debug.valid() ? debug : module;
    const function_symbol_view function = symbols.function_at(call);
    std::string text;
    if (function.name != nullptr) {
        text = demangled(function.name) + hex_offset(address - function.start) + " (" + binary + ")";
    } else if (info.dli_sname != nullptr && info.dli_saddr != nullptr) {
        text = demangled(info.dli_sname) +
               hex_offset(reinterpret_cast<std::uintptr_t>(return_address) - reinterpret_cast<std::uintptr_t>(info.dli_saddr)) +
               " (" + binary + ")";
    } else {
        text = binary + hex_offset(address);  // module+offset, as addr2line -e takes it
    }
    if (const std::optional<source_line> line = line_at(lines_of(module, debug), files.sequences, call); line && line->line != 0)
        text += " at " + line->file + ":" + std::to_string(line->line);
    return text;
}

}  // namespace heapkit::os

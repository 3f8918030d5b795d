// SPDX-License-Identifier: MIT
// A profile frame's source file and line from its module's DWARF line table (elfutils' libdw):
// the compile unit that covers the call, then the line-table row at or before it, or the call
// site of the code inlined there (and the function's name from the DWARF when the symbol tables
// had none). The DWARF is
// the module's own, or a separate debug file where os::debug_file_candidates says (by build ID or
// .gnu_debuglink, as gdb looks).
#include "source_lines.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <libelf.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "heapkit/heap/detail/elf_image.hpp"

namespace heapkit::trace::detail {
namespace {

// One ELF file opened for its DWARF; `dwarf` is null when the file has none.
class dwarf_file {
public:
    explicit dwarf_file(const std::string& path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) return;
        elf_ = ::elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
        if (elf_ != nullptr) dwarf_ = ::dwarf_begin_elf(elf_, DWARF_C_READ, nullptr);
    }
    dwarf_file(const dwarf_file&) = delete;
    dwarf_file& operator=(const dwarf_file&) = delete;
    ~dwarf_file() {
        if (dwarf_ != nullptr) ::dwarf_end(dwarf_);
        if (elf_ != nullptr) ::elf_end(elf_);
        if (fd_ >= 0) ::close(fd_);
    }
    Elf* elf() const { return elf_; }
    Dwarf* dwarf() const { return dwarf_; }

private:
    int fd_ = -1;
    Elf* elf_ = nullptr;
    Dwarf* dwarf_ = nullptr;
};

// The module's DWARF, from itself or from its separate debug file; null when neither has any.
std::unique_ptr<dwarf_file> open_dwarf(const std::string& module) {
    auto own = std::make_unique<dwarf_file>(module);
    if (own->dwarf() != nullptr || own->elf() == nullptr) return own;
    const os::mapped_file file(module.c_str());
    for (const std::string& candidate : os::debug_file_candidates(module, os::elf_image(file.bytes()))) {
        auto separate = std::make_unique<dwarf_file>(candidate);
        if (separate->dwarf() != nullptr) return separate;
    }
    return nullptr;
}

// Where `call` is as a person reads a frame named after its function: the function that holds
// the code (the outermost scope, as the symbol table names it) and the line in that function's
// own source. When the call sits in code inlined into it, the line table's row is the inlined
// code's (a line of some header), so the place is where the outermost inlined call was made.
struct source_place {
    std::string function;  // empty: the DWARF names none
    std::string file;      // empty: not known
    int line = 0;
};

// Whether DIEs of this kind hold code only inside DIEs below them (a namespace, a class), so that
// the search goes into them without asking for their address ranges.
bool holds_definitions(int tag) {
    return tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

// Adds to `path` the scopes below `parent` that hold `call`, outermost first, as the code is
// nested (a function, the code inlined into it, the code inlined into that). dwarf_getscopes
// follows an inlined function to where it was defined instead, which is not what is asked here.
bool find_scopes(Dwarf_Die& parent, Dwarf_Addr call, std::vector<Dwarf_Die>& path) {
    Dwarf_Die child;
    if (::dwarf_child(&parent, &child) != 0) return false;
    do {
        const int tag = ::dwarf_tag(&child);
        if (holds_definitions(tag)) {
            if (find_scopes(child, call, path)) return true;
        } else if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) &&
                   ::dwarf_haspc(&child, call) == 1) {
            path.push_back(child);
            find_scopes(child, call, path);
            return true;
        }
    } while (::dwarf_siblingof(&child, &child) == 0);
    return false;
}

// DW_AT_name of a DIE, or of the declaration or abstract instance it completes; null when none.
const char* name_of(Dwarf_Die& die) {
    Dwarf_Attribute attribute;
    return ::dwarf_formstring(::dwarf_attr_integrate(&die, DW_AT_name, &attribute));
}

source_place place_of(Dwarf_Die& unit, Dwarf_Addr call) {
    source_place place;
    if (Dwarf_Line* row = ::dwarf_getsrc_die(&unit, call); row != nullptr) {
        const char* file = ::dwarf_linesrc(row, nullptr, nullptr);
        if (file != nullptr && ::dwarf_lineno(row, &place.line) == 0) place.file = file;
    }
    std::vector<Dwarf_Die> path;
    find_scopes(unit, call, path);
    Dwarf_Die* function = nullptr;
    Dwarf_Die* outermost_inlined = nullptr;
    for (Dwarf_Die& scope : path) {
        const int tag = ::dwarf_tag(&scope);
        if (function == nullptr && tag == DW_TAG_subprogram) function = &scope;
        if (function != nullptr && tag == DW_TAG_inlined_subroutine) {
            outermost_inlined = &scope;
            break;
        }
    }
    if (function != nullptr)
        if (const char* name = name_of(*function); name != nullptr) place.function = name;
    Dwarf_Files* files = nullptr;
    std::size_t file_count = 0;
    Dwarf_Attribute attribute;
    Dwarf_Word file_index = 0;
    Dwarf_Word line = 0;
    if (outermost_inlined != nullptr && ::dwarf_getsrcfiles(&unit, &files, &file_count) == 0 &&
        ::dwarf_formudata(::dwarf_attr(outermost_inlined, DW_AT_call_file, &attribute), &file_index) == 0 &&
        file_index < file_count && ::dwarf_formudata(::dwarf_attr(outermost_inlined, DW_AT_call_line, &attribute), &line) == 0) {
        if (const char* file = ::dwarf_filesrc(files, file_index, nullptr, nullptr); file != nullptr) {
            place.file = file;
            place.line = static_cast<int>(line);
        }
    }
    return place;
}

}  // namespace

void add_source_lines(profile& recording) {
    ::elf_version(EV_CURRENT);
    std::vector<std::unique_ptr<dwarf_file>> files(recording.modules.size());
    std::vector<bool> opened(recording.modules.size(), false);
    for (code_location& frame : recording.frames) {
        if (!frame.file.empty() || frame.module == 0 || frame.module >= recording.modules.size()) continue;
        if (!opened[frame.module]) {
            files[frame.module] = open_dwarf(recording.modules[frame.module]);
            opened[frame.module] = true;
        }
        if (files[frame.module] == nullptr || files[frame.module]->dwarf() == nullptr) continue;
        const Dwarf_Addr call = frame.offset == 0 ? 0 : frame.offset - 1;  // a return address follows its call
        Dwarf_Die unit;
        if (::dwarf_addrdie(files[frame.module]->dwarf(), call, &unit) == nullptr) continue;
        source_place place = place_of(unit, call);
        if (place.file.empty()) continue;
        frame.file = std::move(place.file);
        frame.line = place.line > 0 ? static_cast<std::uint32_t>(place.line) : 0;
        if (frame.function.empty()) frame.function = std::move(place.function);  // a symbol the ELF tables lack
    }
}

}  // namespace heapkit::trace::detail

// SPDX-License-Identifier: MIT
// A profile frame's source file and line from its module's DWARF line table (elfutils' libdw):
// the compile unit that covers the call, then the line-table row at or before it (and the
// function's name from the DWARF when the symbol tables had none). The DWARF is
// the module's own, or a separate debug file found by build ID (/usr/lib/debug/.build-id/) or by
// .gnu_debuglink (beside the module, in its .debug/, or under /usr/lib/debug), as gdb looks.
#include "source_lines.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

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

std::string directory_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// Where a separate debug file for `module` may be, most specific first.
std::vector<std::string> debug_file_candidates(const std::string& module, Elf* elf) {
    std::vector<std::string> candidates;
    const void* id = nullptr;
    const ssize_t id_bytes = ::dwelf_elf_gnu_build_id(elf, &id);
    if (id_bytes > 1) {
        const auto* bytes = static_cast<const unsigned char*>(id);
        std::string path = "/usr/lib/debug/.build-id/";
        char hex[3];
        for (ssize_t i = 0; i < id_bytes; ++i) {
            std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
            path += hex;
            if (i == 0) path += '/';
        }
        candidates.push_back(path + ".debug");
    }
    GElf_Word crc = 0;
    if (const char* link = ::dwelf_elf_gnu_debuglink(elf, &crc); link != nullptr) {
        const std::string directory = directory_of(module);
        candidates.push_back(directory + "/" + link);
        candidates.push_back(directory + "/.debug/" + link);
        candidates.push_back("/usr/lib/debug" + directory + "/" + link);
    }
    return candidates;
}

// The module's DWARF, from itself or from its separate debug file; null when neither has any.
std::unique_ptr<dwarf_file> open_dwarf(const std::string& module) {
    auto own = std::make_unique<dwarf_file>(module);
    if (own->dwarf() != nullptr || own->elf() == nullptr) return own;
    for (const std::string& candidate : debug_file_candidates(module, own->elf())) {
        auto separate = std::make_unique<dwarf_file>(candidate);
        if (separate->dwarf() != nullptr) return separate;
    }
    return nullptr;
}

// The name of the innermost function (inlined or not) that covers `call` in `unit`; empty when
// the DWARF names none.
std::string function_name(Dwarf_Die& unit, Dwarf_Addr call) {
    Dwarf_Die* scopes = nullptr;
    const int count = ::dwarf_getscopes(&unit, call, &scopes);
    std::string name;
    for (int i = 0; i < count && name.empty(); ++i) {
        const int tag = ::dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) continue;
        if (const char* text = ::dwarf_diename(&scopes[i]); text != nullptr) name = text;
    }
    std::free(scopes);
    return name;
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
        Dwarf_Line* row = ::dwarf_getsrc_die(&unit, call);
        int line = 0;
        const char* file = row != nullptr ? ::dwarf_linesrc(row, nullptr, nullptr) : nullptr;
        if (file == nullptr || ::dwarf_lineno(row, &line) != 0) continue;
        frame.file = file;
        frame.line = line > 0 ? static_cast<std::uint32_t>(line) : 0;
        if (frame.function.empty()) frame.function = function_name(unit, call);  // a symbol the ELF tables lack
    }
}

}  // namespace heapkit::trace::detail

// SPDX-License-Identifier: MIT
// Naming a profile's frames from each module's ELF symbol table (read by the heap layer's
// elf_image): the function symbols sorted by address, a frame's function the last one that starts
// at or before it and covers it (one of no recorded size covers its first byte only).
#include <algorithm>
#include <string>
#include <vector>

#include "heapkit/heap/detail/elf_image.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "heapkit/trace/profile.hpp"
#include "source_lines.hpp"

namespace heapkit::trace {
namespace {

struct function_symbol {
    std::uint64_t start;
    std::uint64_t size;
    std::string name;
};

// The function symbols of the ELF file at `path`, sorted by address (those starting together in
// the order listed, so that a lookup picks the last listed, as elf_image::function_at does);
// empty when it cannot be read.
std::vector<function_symbol> read_functions(const std::string& path) {
    std::vector<function_symbol> functions;
    const os::mapped_file file(path.c_str());
    os::elf_image(file.bytes()).for_each_function([&](const os::function_symbol_view& symbol) {
        functions.push_back({symbol.start, symbol.size, os::demangled(symbol.name)});
    });
    std::stable_sort(functions.begin(), functions.end(),
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
        if (call - candidate.start < std::max<std::uint64_t>(candidate.size, 1)) frame.function = candidate.name;
    }
    detail::add_source_lines(recording);
}

}  // namespace heapkit::trace

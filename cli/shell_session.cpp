// SPDX-License-Identifier: MIT
// Text helpers of the shell protocol: words, the command list, error lines.
#include "shell_session.hpp"

namespace heapkit::cli {

std::vector<std::string_view> split_words(std::string_view line) {
    constexpr std::string_view blanks = " \t\r\v\f";
    std::vector<std::string_view> words;
    std::size_t at = line.find_first_not_of(blanks);
    while (at != std::string_view::npos) {
        const std::size_t end = line.find_first_of(blanks, at);
        words.push_back(line.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
        at = line.find_first_not_of(blanks, end);
    }
    return words;
}

std::string shell_command_list() {
    return "allocate SIZE [ALIGNMENT] [phase=P] [nocross=N] [min=LO] [max=HI], free ADDRESS SIZE, allocate_handle SIZE "
           "[ALIGNMENT], free_handle HANDLE, allocate_at ADDRESS SIZE, explain SIZE [ALIGNMENT] [phase=P] [nocross=N] [min=LO] "
           "[max=HI], free_after ADDRESS SIZE EPOCH, complete EPOCH, queued_memory, add_span START SIZE, remove_span START "
           "SIZE, spans, free_memory, largest_free_block, free_blocks, map, compact, make_room SIZE [ALIGNMENT], help, quit";
}

std::string error_line(std::string_view kind, std::string_view message) {
    std::string line = "error ";
    line += kind;
    line += ": ";
    line += message;
    return line;
}

}  // namespace heapkit::cli

// SPDX-License-Identifier: MIT
// Text helpers of the shell protocol: words, numbers, the command list, error lines.
#include "shell_session.hpp"

#include <limits>

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

std::optional<edge_integer> parse_edge_integer(std::string_view word) {
    edge_integer number;
    if (word.starts_with('-')) {
        number.negative = true;
        word.remove_prefix(1);
    }
    if (word.empty()) return std::nullopt;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (const char digit : word) {
        if (digit < '0' || digit > '9') return std::nullopt;
        const auto value = static_cast<std::uint64_t>(digit - '0');
        if (number.magnitude > (max - value) / 10) number.beyond_64_bits = true;
        number.magnitude = number.magnitude * 10 + value;  // meaningless once beyond 64 bits
    }
    if (number.magnitude == 0 && !number.beyond_64_bits) number.negative = false;  // -0 is zero
    return number;
}

std::string shell_command_list() {
    return "allocate SIZE [ALIGNMENT], free ADDRESS SIZE, free_memory, largest_free_block, free_blocks, map, compact, "
           "make_room SIZE [ALIGNMENT], help, quit";
}

std::string error_line(std::string_view kind, std::string_view message) {
    std::string line = "error ";
    line += kind;
    line += ": ";
    line += message;
    return line;
}

}  // namespace heapkit::cli

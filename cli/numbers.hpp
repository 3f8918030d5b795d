// SPDX-License-Identifier: MIT
// The number rules (docs/PROTOCOL.md). On the command line: decimal digits only (no sign, no 0x,
// no blanks; 010 is ten), from `least` to `most`, else an error that names the option and the
// range; add_number_option declares such an option, parse_decimal is the rule itself. In the shell:
// the same digits with an optional '-' (parse_edge_integer). O(digits).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "heapkit/offset/edge_integer.hpp"
#include "heapkit/trace/printable.hpp"

namespace heapkit::cli {

// The shell's numbers: decimal digits with an optional leading '-' (so that -5 gets its error
// kind), any length (beyond_64_bits says so); nothing when `word` is not one.
std::optional<edge_integer> parse_edge_integer(std::string_view word) noexcept;

// The command line's: the value of `text` when it is one or more decimal digits and at most
// 2^64 - 1, else nothing.
std::optional<std::uint64_t> parse_decimal(std::string_view text) noexcept;

// "2^64 - 1" for the largest 64-bit value, else the number.
inline std::string bound_text(std::uint64_t bound) {
    return bound == std::numeric_limits<std::uint64_t>::max() ? "2^64 - 1" : std::to_string(bound);
}

// Declares `name` on `command`, storing into `target` a number that follows the rule, from `least`
// to `most` (both within Number's range). Shows `target`'s value as the default.
template <class Number>
CLI::Option* add_number_option(CLI::App* command, const std::string& name, Number& target, const std::string& description,
                               std::uint64_t least, std::uint64_t most = std::numeric_limits<Number>::max()) {
    const std::string range = bound_text(least) + " .. " + bound_text(most);
    CLI::Option* option = command->add_option_function<std::string>(
        name,
        [&target, name, least, most, range](const std::string& text) {
            const std::optional<std::uint64_t> value = parse_decimal(text);
            if (!value || *value < least || *value > most) {
                throw CLI::ValidationError(
                    name, "must be a whole number " + range + " in decimal digits, got '" + trace::printable(text) + "'");
            }
            target = static_cast<Number>(*value);
        },
        description);
    return option->type_name("N")->default_str(std::to_string(target))->description(description + " (" + range + ")");
}

}  // namespace heapkit::cli

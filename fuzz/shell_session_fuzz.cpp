// SPDX-License-Identifier: MIT
// libFuzzer target: one byte stream becomes `heapkit shell` lines, half of them well-formed
// commands with edge numbers (0, negatives, 2^64, alignments, huge words), half raw bytes. Sessions
// over the list and the tree must print the same line for every one (the tree makes the list's
// choices), every line must be of the protocol's shapes, and both allocators validate after each.
// allocate_handle prints a handle of each session's own (they differ): its address part must
// agree, and `free_handle` is given, half of the time, the last handle its session printed.
// allocate and explain get KEY=VALUE constraints now and then (known keys, repeated ones, unknown
// ones), and the sessions start with no span now and then (capacity 0) and add and remove spans.
// The command line's number rule (parse_decimal) and the echo (printable) are checked on the way.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "heapkit/offset/allocators.hpp"
#include "heapkit/trace/printable.hpp"
#include "numbers.hpp"
#include "shell_session.hpp"

namespace {

using namespace heapkit;
using heapkit::fuzz::byte_reader;
using heapkit::fuzz::fail;

constexpr std::string_view commands[] = {
    "allocate",    "free",        "allocate_handle", "free_handle",   "free_memory", "largest_free_block",
    "free_blocks", "map",         "compact",         "make_room",     "help",        "frob",
    "explain",     "allocate_at", "free_after",      "queued_memory", "complete",    "allocate",
    "add_span",    "remove_span", "spans",           "add_span"};

constexpr std::string_view constraint_keys[] = {"phase=", "nocross=", "min=", "max=", "size="};

constexpr std::string_view last_handle_word = "$last";  // replaced by each session's own last handle

// A number as the protocol's edge sees them: small, near the capacity, negative, 2^64 - 1, 2^64.
std::string edge_number(byte_reader& in, std::uint64_t capacity) {
    switch (in.take(1) % 8) {
        case 0: return std::to_string(in.take(1));
        case 1: return std::to_string(capacity - in.take(1) % capacity);
        case 2: return "-" + std::to_string(in.take(2));
        case 3: return "18446744073709551615";
        case 4: return "18446744073709551616";
        case 5: return std::to_string(std::uint64_t{1} << (in.take(1) % 64));
        case 6: return "0" + std::to_string(in.take(1));
        default: return std::to_string(in.take(2));
    }
}

std::string next_line(byte_reader& in, std::uint64_t capacity) {
    if (in.take(1) % 2 == 0) {  // raw bytes up to a newline
        std::string raw;
        for (std::uint64_t length = in.take(1) % 40; length > 0; --length) raw += static_cast<char>(in.take(1));
        return raw.substr(0, raw.find('\n'));
    }
    std::string line(commands[in.take(1) % std::size(commands)]);
    if (line == "free_handle" && in.take(1) % 2 == 0) return line + " " + std::string(last_handle_word);
    for (std::uint64_t words = in.take(1) % 4; words > 0; --words) line += " " + edge_number(in, capacity);
    if (line.starts_with("allocate ") || line.starts_with("explain ")) {
        for (std::uint64_t keys = in.take(1) % 4; keys > 0; --keys)
            line += " " + std::string(constraint_keys[in.take(1) % std::size(constraint_keys)]) + edge_number(in, capacity);
    }
    return line;
}

// Runs `line` in `session` (`free_handle $last` with the last handle the session printed), and
// remembers the handle of an allocate_handle reply; returns the reply with the handle cut off.
template <class Session>
std::optional<std::string> execute(Session& session, std::string line, std::string& last_handle) {
    if (line == "free_handle " + std::string(last_handle_word)) line = "free_handle " + (last_handle.empty() ? "0" : last_handle);
    std::optional<std::string> reply = session.execute(line);
    if (reply && line.starts_with("allocate_handle") && !reply->starts_with("error ")) {
        const std::size_t space = reply->find(' ');
        if (space == std::string::npos) fail("allocate_handle printed no handle", reply->size(), 0);
        last_handle = reply->substr(space + 1);
        reply->resize(space);
    }
    return reply;
}

// What two sessions must agree on: the whole reply, or for free_handle only an error's kind (its
// message repeats the session's own handle).
std::optional<std::string> comparable(const std::string& line, std::optional<std::string> reply) {
    if (reply && line.starts_with("free_handle") && reply->starts_with("error ")) reply->resize(reply->find(':'));
    return reply;
}

bool is_decimal(std::string_view text) { return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos; }

// Whether `reply` has one of the shapes the protocol prints.
bool well_formed(std::string_view reply) {
    if (reply.starts_with("error ")) {
        const std::string_view kind = reply.substr(6, reply.find(':') == std::string_view::npos ? 0 : reply.find(':') - 6);
        for (std::string_view known : {"invalid_size", "invalid_alignment", "invalid_address", "invalid_free", "out_of_memory",
                                       "invalid_constraint", "parse", "unsupported"}) {
            if (kind == known) return true;
        }
        return false;
    }
    if (reply.starts_with("fits ")) return is_decimal(reply.substr(5));
    return reply.empty() || reply == "ok" || is_decimal(reply) || reply.starts_with("[") || reply.starts_with("commands: ") ||
           reply.starts_with("no: ") || reply.find(':') != std::string_view::npos;
}

// The number rule written another way: digits only, and what std::from_chars reads in base 10.
std::optional<std::uint64_t> reference_decimal(std::string_view text) {
    if (!is_decimal(text)) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

void check_command_line_rules(std::string_view text) {
    if (heapkit::cli::parse_decimal(text) != reference_decimal(text))
        fail("parse_decimal disagrees with the rule", text.size(), 0);
    const std::string shown = heapkit::trace::printable(text);
    if (shown.size() > 64 * 4 + 3) fail("printable is not bounded", shown.size(), text.size());
    for (const char c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            fail("printable let a byte through", c, 0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    check_command_line_rules(std::string_view(reinterpret_cast<const char*>(data), size));
    byte_reader in(data, size);
    const std::uint64_t capacity = in.take(2) % 1001;  // 0: no span until add_span
    const Fit fit = all_fits[in.take(1) % all_fits.size()];
    heapkit::cli::shell_session<list_allocator> list(capacity, fit);
    heapkit::cli::shell_session<tree_allocator> tree(capacity, fit);
    std::string list_handle;
    std::string tree_handle;
    for (int step = 0; step < 200 && !in.empty(); ++step) {
        const std::string line = next_line(in, std::max<std::uint64_t>(capacity, 1));
        const std::optional<std::string> from_list = execute(list, line, list_handle);
        const std::optional<std::string> from_tree = execute(tree, line, tree_handle);
        if (comparable(line, from_list) != comparable(line, from_tree))
            fail("list and tree sessions printed different lines", static_cast<std::uint64_t>(step), line.size());
        if (from_list && !well_formed(*from_list)) {
            std::fprintf(stderr, "line: %s\nreply: %s\n", heapkit::trace::printable(line).c_str(), from_list->c_str());
            fail("a reply of no protocol shape", static_cast<std::uint64_t>(step), from_list->size());
        }
        list.allocator().validate();
        tree.allocator().validate();
    }
    return 0;
}

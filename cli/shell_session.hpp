// SPDX-License-Identifier: MIT
// heapkit::cli::shell_session: one `heapkit shell` conversation over one allocator. execute()
// turns a command line into the one line the protocol of docs/PROTOCOL.md prints for it, plus the
// compaction commands `compact` and `make_room SIZE [ALIGNMENT]`, which print the moves they
// made as FROM->TO:SIZE separated by spaces (an empty line when nothing moved), constrained
// placement (`allocate SIZE [ALIGNMENT] phase=P ...`, `explain`, `allocate_at`), deferred
// frees (`free_after`, `complete`) and spans (`add_span`, `remove_span`, `spans`).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "heapkit/offset/compaction.hpp"
#include "heapkit/offset/edge_integer.hpp"
#include "heapkit/offset/error.hpp"
#include "heapkit/offset/fit.hpp"
#include "heapkit/offset/memory_allocator.hpp"
#include "heapkit/offset/memory_map.hpp"
#include "heapkit/offset/placement_constraints.hpp"
#include "heapkit/trace/printable.hpp"
#include "numbers.hpp"

namespace heapkit::cli {

// The words of a line, split on blanks.
std::vector<std::string_view> split_words(std::string_view line);
// `kind: message` as the protocol prints it after "error ".
std::string error_line(std::string_view kind, std::string_view message);
// The protocol's commands as help shows them: "allocate SIZE [ALIGNMENT], free ADDRESS SIZE, ...".
std::string shell_command_list();

template <class Allocator>
class shell_session {
public:
    // Capacity 0 starts with no span (list and tree: the shell refuses it for the others).
    shell_session(Size capacity, Fit fit) : allocator_(made(capacity, fit)) {}

    // The line to print for `line`, or nothing for a blank line or a comment.
    std::optional<std::string> execute(std::string_view line) {
        const std::vector<std::string_view> words = split_words(line);
        if (words.empty() || words.front().starts_with('#')) return std::nullopt;
        try {
            return run(words.front(), std::span(words).subspan(1));
        } catch (const heapkit::error& failure) {
            return error_line(kind_name(failure.kind()), failure.what());
        }
    }

    const Allocator& allocator() const noexcept { return allocator_; }
    // Whether `quit` ended the conversation.
    bool finished() const noexcept { return finished_; }

private:
    using arguments = std::span<const std::string_view>;

    std::string run(std::string_view command, arguments args) {
        if (command == "allocate") return allocate(args);
        if (command == "free") return free(args);
        if (command == "allocate_at") return allocate_at(args);
        if (command == "explain") return explain(args);
        if (command == "free_after") return free_after(args);
        if (command == "complete") return complete(args);
        if (command == "queued_memory") return query(command, args, [&] { return std::to_string(allocator_.queued_memory()); });
        if (command == "add_span") return change_span(args, "add_span START SIZE", true);
        if (command == "remove_span") return change_span(args, "remove_span START SIZE", false);
        if (command == "spans") return query(command, args, [&] { return spans(); });
        if (command == "allocate_handle") return allocate_handle(args);
        if (command == "free_handle") return free_handle(args);
        if (command == "free_memory") return query(command, args, [&] { return std::to_string(allocator_.free_memory()); });
        if (command == "largest_free_block") {
            return query(command, args, [&] { return std::to_string(allocator_.largest_free_block()); });
        }
        if (command == "free_blocks") return query(command, args, [&] { return free_blocks(); });
        if (command == "map") return query(command, args, [&] { return memory_map(allocator_); });
        if (command == "compact") return query(command, args, [&] { return compact(); });
        if (command == "make_room") return make_room(args);
        if (command == "help") return query(command, args, [] { return "commands: " + shell_command_list(); });
        if (command == "quit") {
            return query(command, args, [&] {
                finished_ = true;
                return std::string("ok");
            });
        }
        return error_line("parse", "unknown command '" + trace::printable(command) + "'; help lists the commands");
    }

    struct request {
        Size size;
        Size alignment;
    };

    // SIZE [ALIGNMENT] as allocate and make_room take them, or the error line to print instead.
    static std::variant<request, std::string> parse_request(arguments args, const std::string& form) {
        if (args.empty() || args.size() > 2) return usage(form);
        const std::optional<edge_integer> size = parse_edge_integer(args[0]);
        const std::optional<edge_integer> alignment = args.size() == 2 ? parse_edge_integer(args[1]) : edge_integer::of(1);
        if (!size || !alignment) return not_a_number(!size ? args[0] : args[1]);
        if (const auto failure = edge_allocate_error(*size, *alignment))
            return error_line(kind_name(failure->kind), failure->message);
        return request{size->magnitude, alignment->magnitude};
    }

    struct constrained_request {
        Size size;
        constraints wanted;
    };

    // SIZE [ALIGNMENT] [phase=P] [nocross=N] [min=LO] [max=HI] (the keys in any order, each at
    // most once), or the error line to print instead. The checks run in the facade's order: the
    // size, the alignment, then each constraint's value (negative or too large: invalid_constraint).
    static std::variant<constrained_request, std::string> parse_constrained(arguments args, const std::string& form) {
        std::size_t positional = 0;
        while (positional < args.size() && args[positional].find('=') == std::string_view::npos) ++positional;
        if (positional == 0 || positional > 2) return usage(form);
        const auto parsed = parse_request(args.first(positional), form);
        if (const auto* error = std::get_if<std::string>(&parsed)) return *error;
        constrained_request asked{std::get<request>(parsed).size, {}};
        asked.wanted.alignment = std::get<request>(parsed).alignment;
        constexpr std::array<std::string_view, 4> keys{"phase", "nocross", "min", "max"};
        std::array<std::optional<edge_integer>, 4> values;
        for (const std::string_view word : args.subspan(positional)) {
            const std::size_t equals = word.find('=');
            const std::string_view key = word.substr(0, equals);
            const auto known = std::find(keys.begin(), keys.end(), key);
            if (known == keys.end() || values[static_cast<std::size_t>(known - keys.begin())]) return usage(form);
            const std::optional<edge_integer> value = parse_edge_integer(word.substr(equals + 1));
            if (!value) return not_a_number(word.substr(equals + 1));
            values[static_cast<std::size_t>(known - keys.begin())] = value;
        }
        Offset* const fields[] = {&asked.wanted.phase, &asked.wanted.nocross, &asked.wanted.min_address,
                                  &asked.wanted.max_address};
        for (std::size_t key = 0; key < keys.size(); ++key) {
            if (!values[key]) continue;
            if (const auto failure = edge_constraint_error(*values[key], std::string(keys[key]).c_str()))
                return error_line(kind_name(failure->kind), failure->message);
            *fields[key] = values[key]->magnitude;
        }
        return asked;
    }

    static constexpr const char* constrained_form = "allocate SIZE [ALIGNMENT] [phase=P] [nocross=N] [min=LO] [max=HI]";

    std::string allocate(arguments args) {
        const auto parsed = parse_constrained(args, constrained_form);
        if (const auto* error = std::get_if<std::string>(&parsed)) return *error;
        const constrained_request asked = std::get<constrained_request>(parsed);
        if (asks_only_alignment(asked.wanted, allocator_.address_limit()))
            return std::to_string(allocator_.allocate(asked.size, asked.wanted.alignment));
        if constexpr (Allocator::honours_constraints) {
            return std::to_string(allocator_.allocate(asked.size, asked.wanted));
        } else {
            return needs_constraint_search("allocate with constraints");
        }
    }

    // `fits ADDRESS`, or `no: ` and why; a malformed request prints the error allocate would.
    std::string explain(arguments args) {
        const auto parsed = parse_constrained(args, "explain SIZE [ALIGNMENT] [phase=P] [nocross=N] [min=LO] [max=HI]");
        if (const auto* error = std::get_if<std::string>(&parsed)) return *error;
        const constrained_request asked = std::get<constrained_request>(parsed);
        if constexpr (Allocator::honours_constraints) {
            const explanation told = allocator_.explain(asked.size, asked.wanted);
            if (told.kind == errc::ok) return "fits " + std::to_string(*told.address);
            if (told.kind == errc::out_of_memory) return "no: " + told.reason;
            return error_line(kind_name(told.kind), told.reason);
        } else {
            return needs_constraint_search("explain");
        }
    }

    std::string allocate_at(arguments args) {
        if (args.size() != 2) return usage("allocate_at ADDRESS SIZE");
        const std::optional<edge_integer> address = parse_edge_integer(args[0]);
        const std::optional<edge_integer> size = parse_edge_integer(args[1]);
        if (!address || !size) return not_a_number(!address ? args[0] : args[1]);
        if (const auto failure = edge_range_error(allocator_.address_limit(), *address, *size, "allocation size")) {
            return error_line(kind_name(failure->kind), failure->message);
        }
        if constexpr (Allocator::names_blocks) {
            return std::to_string(allocator_.allocate_at(address->magnitude, size->magnitude));
        } else {
            return needs_named_blocks("allocate_at");
        }
    }

    std::string free_after(arguments args) {
        if (args.size() != 3) return usage("free_after ADDRESS SIZE EPOCH");
        const std::optional<edge_integer> address = parse_edge_integer(args[0]);
        const std::optional<edge_integer> size = parse_edge_integer(args[1]);
        if (!address || !size) return not_a_number(!address ? args[0] : args[1]);
        const std::variant<Epoch, std::string> epoch = parse_epoch(args[2]);
        if (const auto* error = std::get_if<std::string>(&epoch)) return *error;
        if (const auto failure = edge_free_error(allocator_.address_limit(), *address, *size)) {
            return error_line(kind_name(failure->kind), failure->message);
        }
        allocator_.free_after(address->magnitude, size->magnitude, std::get<Epoch>(epoch));
        return "ok";
    }

    std::string complete(arguments args) {
        if (args.size() != 1) return usage("complete EPOCH");
        const std::variant<Epoch, std::string> epoch = parse_epoch(args[0]);
        if (const auto* error = std::get_if<std::string>(&epoch)) return *error;
        allocator_.complete(std::get<Epoch>(epoch));
        return "ok";
    }

    // An epoch is 0 to 2^64 - 1; anything else is a line the shell cannot read.
    static std::variant<Epoch, std::string> parse_epoch(std::string_view word) {
        const std::optional<edge_integer> epoch = parse_edge_integer(word);
        if (!epoch) return not_a_number(word);
        if (!epoch->as_units()) return error_line("parse", "an epoch is 0 to 2^64 - 1, got " + epoch->to_string());
        return epoch->magnitude;
    }

    static Allocator made(Size capacity, Fit fit) {
        if constexpr (Allocator::names_blocks) {
            if (capacity == 0) return Allocator(no_spans, fit);
        }
        return Allocator(capacity, fit);
    }

    // add_span / remove_span START SIZE: `ok`, or the facade's error (checked in its order).
    std::string change_span(arguments args, const std::string& form, bool adding) {
        if (args.size() != 2) return usage(form);
        const std::optional<edge_integer> start = parse_edge_integer(args[0]);
        const std::optional<edge_integer> size = parse_edge_integer(args[1]);
        if (!start || !size) return not_a_number(!start ? args[0] : args[1]);
        if (const auto failure = edge_span_error(*start, *size)) return error_line(kind_name(failure->kind), failure->message);
        if constexpr (Allocator::names_blocks) {
            if (adding) {
                allocator_.add_span(start->magnitude, size->magnitude);
            } else {
                allocator_.remove_span(start->magnitude, size->magnitude);
            }
            return "ok";
        } else {
            return needs_named_blocks(form.substr(0, form.find(' ')));
        }
    }

    std::string spans() const { return ranges_line(allocator_.spans()); }

    static std::string needs_named_blocks(std::string_view command) {
        return unsupported_here(command, "list or tree (an index that can place a block at a chosen address)");
    }
    static std::string needs_constraint_search(std::string_view command) {
        return unsupported_here(command, "list, tree or tlsf (an index that searches under constraints)");
    }
    static std::string unsupported_here(std::string_view command, std::string_view indexes) {
        return error_line("unsupported", std::string(command) + " needs --index " + std::string(indexes));
    }

    // ADDRESS HANDLE: where the block starts and the handle that free_handle takes.
    std::string allocate_handle(arguments args) {
        const auto parsed = parse_request(args, "allocate_handle SIZE [ALIGNMENT]");
        if (const auto* error = std::get_if<std::string>(&parsed)) return *error;
        const request asked = std::get<request>(parsed);
        const handled_allocation placed = allocator_.allocate_handle(asked.size, asked.alignment);
        return std::to_string(placed.address) + ' ' + std::to_string(placed.handle.bits);
    }

    // A negative handle, or one past 2^64 - 1, names no allocation: invalid_free, as a stale one.
    std::string free_handle(arguments args) {
        if (args.size() != 1) return usage("free_handle HANDLE");
        const std::optional<edge_integer> handle = parse_edge_integer(args[0]);
        if (!handle) return not_a_number(args[0]);
        const std::optional<std::uint64_t> bits = handle->as_units();
        if (!bits) {
            return error_line(kind_name(errc::invalid_free), "handle " + handle->to_string() + " names no allocation");
        }
        allocator_.free(allocation_handle{*bits});
        return "ok";
    }

    std::string free(arguments args) {
        if (args.size() != 2) return usage("free ADDRESS SIZE");
        const std::optional<edge_integer> address = parse_edge_integer(args[0]);
        const std::optional<edge_integer> size = parse_edge_integer(args[1]);
        if (!address || !size) return not_a_number(!address ? args[0] : args[1]);
        if (const auto failure = edge_free_error(allocator_.address_limit(), *address, *size)) {
            return error_line(kind_name(failure->kind), failure->message);
        }
        allocator_.free(address->magnitude, size->magnitude);
        return "ok";
    }

    // Compaction moves blocks to chosen addresses, which only the list and the tree can do.
    // clang-format 14 misreads the requires-expression:
    // clang-format off
    static constexpr bool can_relocate = requires(Allocator& allocator) { allocator.relocate(Offset{}, Offset{}); };
    // clang-format on

    std::string compact() {
        if constexpr (can_relocate) {
            if (const std::optional<std::string> refused = cannot_move_now("compact")) return *refused;
            const compaction_plan plan = plan_full_compaction(allocator_);
            apply_plan(allocator_, plan, [](Offset, Offset, Size) {});
            return describe_moves(plan);
        } else {
            return needs_named_blocks("compact");
        }
    }

    std::string make_room(arguments args) {
        const auto parsed = parse_request(args, "make_room SIZE [ALIGNMENT]");
        if (const auto* error = std::get_if<std::string>(&parsed)) return *error;
        const request asked = std::get<request>(parsed);
        if constexpr (can_relocate) {
            if (const std::optional<std::string> refused = cannot_move_now("make_room")) return *refused;
            const std::optional<compaction_plan> plan = plan_room_for(allocator_, asked.size, asked.alignment);
            if (!plan) {
                return error_line(kind_name(errc::out_of_memory), "no compaction plan found that makes room for " +
                                                                      std::to_string(asked.size) + " units (" +
                                                                      std::to_string(allocator_.free_memory()) + " free)");
            }
            apply_plan(allocator_, *plan, [](Offset, Offset, Size) {});
            return describe_moves(*plan);
        } else {
            return needs_named_blocks("make_room");
        }
    }

    std::optional<std::string> cannot_move_now(std::string_view command) const {
        const std::optional<std::string> refused = compaction_refusal(allocator_, command);
        if (!refused) return std::nullopt;
        return error_line("unsupported", *refused);
    }

    template <class Answer>
    static std::string query(std::string_view command, arguments args, Answer answer) {
        if (!args.empty()) return usage(std::string(command) + " takes no arguments");
        return answer();
    }

    std::string free_blocks() const { return ranges_line(allocator_.free_blocks()); }

    // START:SIZE for each range, separated by one space.
    template <class Ranges>
    static std::string ranges_line(const Ranges& ranges) {
        std::string line;
        for (const free_block range : ranges) {
            if (!line.empty()) line += ' ';
            line += std::to_string(range.start) + ':' + std::to_string(range.size);
        }
        return line;
    }

    static std::string usage(const std::string& form) { return error_line("parse", "usage: " + form); }
    static std::string not_a_number(std::string_view word) {
        return error_line("parse", "'" + trace::printable(word) + "' is not a whole number");
    }

    Allocator allocator_;
    bool finished_ = false;  // quit was read
};

}  // namespace heapkit::cli

// SPDX-License-Identifier: MIT
// The one registry of offset indexes: each entry's name at the edges (`--index tree`,
// `index="tlsf"`), a few words on what it is, and its allocator type. Everything an edge needs is
// derived from it: the list of names, whether an index takes a Fit (a property of the index type),
// the words of help texts and errors, a variant of every allocator, and with_index_named, the one
// place where a name becomes a type. All O(number of indexes).
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "heapkit/offset/allocators.hpp"

namespace heapkit {

template <class Allocator>
struct index_entry {
    using allocator = Allocator;
    static constexpr bool takes_fit = Allocator::places_by_fit;
    static constexpr bool takes_spans = Allocator::names_blocks;
    std::string_view name;     // at the edges
    std::string_view summary;  // for help texts
};

inline constexpr std::tuple index_registry{
    index_entry<list_allocator>{"list", "the seed's address-ordered doubly-linked list, O(n)"},
    index_entry<tree_allocator>{"tree", "the list's choices in O(log n)"},
    index_entry<tlsf_allocator>{"tlsf", "two-level segregated fit, O(1)"},
    index_entry<buddy_allocator>{"buddy", "power-of-two blocks, O(log capacity)"},
    index_entry<ring_allocator>{"ring", "a ring: allocations at the top, space reclaimed from the oldest end, O(1)"},
};

inline constexpr std::size_t index_count = std::tuple_size_v<decltype(index_registry)>;

// `words` as a sentence's list, "a, b, c or d", each word within `quote`: for help texts and errors.
template <class Words>
std::string sentence_list(const Words& words, std::string_view quote = "") {
    std::string text;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) text += i + 1 == words.size() ? " or " : ", ";
        text += std::string(quote) + std::string(words[i]) + std::string(quote);
    }
    return text;
}

namespace detail {

template <std::size_t Position>
using index_entry_at = std::remove_cvref_t<decltype(std::get<Position>(index_registry))>;

// Calls visit(entry) on every entry, in registry order.
template <class Visit>
constexpr void for_each_index_entry(Visit&& visit) {
    std::apply([&](const auto&... entry) { (visit(entry), ...); }, index_registry);
}

template <std::size_t... Positions>
std::variant<typename index_entry_at<Positions>::allocator...> allocator_variant(std::index_sequence<Positions...>);

// Visits the allocator type of the entry at `position` (< index_count).
template <class Result, std::size_t Position = 0, class Visitor>
Result visit_index_at(std::size_t position, Visitor& visit) {
    if constexpr (Position + 1 < index_count) {
        if (position != Position) return visit_index_at<Result, Position + 1>(position, visit);
    }
    return visit(std::type_identity<typename index_entry_at<Position>::allocator>{});
}

}  // namespace detail

// What the edges know of an index, without its type.
struct index_facts {
    std::string_view name;
    std::string_view summary;
    bool takes_fit;    // places blocks by a Fit (list, tree) rather than by its own rule
    bool takes_spans;  // can add and remove spans, and start with none (list, tree)
};

// The registry's facts, in its order.
inline constexpr std::array<index_facts, index_count> index_table = [] {
    std::array<index_facts, index_count> table{};
    std::size_t i = 0;
    detail::for_each_index_entry([&](const auto& entry) {
        table[i++] = {entry.name, entry.summary, entry.takes_fit, entry.takes_spans};
    });
    return table;
}();

// The names in registry order.
inline constexpr std::array<std::string_view, index_count> index_names = [] {
    std::array<std::string_view, index_count> names{};
    for (std::size_t i = 0; i < index_count; ++i) names[i] = index_table[i].name;
    return names;
}();

// A std::variant of every registered allocator type, for an edge that holds one chosen at run time.
using any_index_allocator = decltype(detail::allocator_variant(std::make_index_sequence<index_count>{}));

// The position of `name` in the registry, or index_count for an unknown name.
constexpr std::size_t index_position(std::string_view name) noexcept {
    std::size_t position = 0;
    while (position < index_count && index_names[position] != name) ++position;
    return position;
}

// Whether the index named `name` places blocks by a Fit; false for an unknown name.
constexpr bool index_takes_fit(std::string_view name) noexcept {
    const std::size_t position = index_position(name);
    return position < index_count && index_table[position].takes_fit;
}

// Whether asking `name` for `fit` makes sense: any fit for an index that takes one, only the
// default (first) for the indexes with their own rule, which ignore it.
constexpr bool index_accepts_fit(std::string_view name, Fit fit) noexcept { return fit == Fit::first || index_takes_fit(name); }

// The names as words of a sentence: "list, tree, tlsf or buddy", each within `quote`.
inline std::string index_names_text(std::string_view quote = "") { return sentence_list(index_names, quote); }

// The names of the indexes with a fact (&index_facts::takes_fit, say), as words of a sentence.
inline std::string index_names_with(bool index_facts::*fact, std::string_view quote = "") {
    std::vector<std::string_view> names;
    for (const index_facts& facts : index_table) {
        if (facts.*fact) names.push_back(facts.name);
    }
    return sentence_list(names, quote);
}

// The names of the indexes that take a Fit, as words of a sentence ("list or tree").
inline std::string fit_index_names_text(std::string_view quote = "") { return index_names_with(&index_facts::takes_fit, quote); }

// Whether the index named `name` can change its spans (and so start with none); false for an unknown name.
constexpr bool index_takes_spans(std::string_view name) noexcept {
    const std::size_t position = index_position(name);
    return position < index_count && index_table[position].takes_spans;
}

// Calls visit(std::type_identity<Allocator>{}) for the allocator `name` names and returns what it
// returns. Throws std::invalid_argument for an unknown name.
template <class Visitor>
decltype(auto) with_index_named(std::string_view name, Visitor&& visit) {
    using result = std::invoke_result_t<Visitor&, std::type_identity<typename detail::index_entry_at<0>::allocator>>;
    const std::size_t position = index_position(name);
    if (position == index_count) {
        throw std::invalid_argument("unknown index '" + std::string(name) + "': expected " + index_names_text());
    }
    return detail::visit_index_at<result>(position, visit);
}

}  // namespace heapkit

// SPDX-License-Identifier: MIT
// The names of the offset allocators at the edges (`--index tree`, `index="tlsf"`) and the one
// place where a name becomes a type: with_index_named calls a generic visitor with the
// allocator type, so every edge composes the same types the same way.
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "heapkit/offset/allocators.hpp"

namespace heapkit {

inline constexpr std::array<std::string_view, 4> index_names{"list", "tree", "tlsf", "buddy"};

// Whether the index places blocks by a Fit (list, tree) rather than by its own rule.
constexpr bool index_takes_fit(std::string_view name) noexcept { return name == "list" || name == "tree"; }

// Whether asking `name` for `fit` makes sense: any fit for list and tree, only the default
// (first) for the indexes with their own rule, which ignore it.
constexpr bool index_accepts_fit(std::string_view name, Fit fit) noexcept { return fit == Fit::first || index_takes_fit(name); }

// Calls visit(std::type_identity<Allocator>{}) for the allocator `name` names and returns what it
// returns. Throws std::invalid_argument for an unknown name.
template <class Visitor>
decltype(auto) with_index_named(std::string_view name, Visitor&& visit) {
    if (name == "list") return visit(std::type_identity<list_allocator>{});
    if (name == "tree") return visit(std::type_identity<tree_allocator>{});
    if (name == "tlsf") return visit(std::type_identity<tlsf_allocator>{});
    if (name == "buddy") return visit(std::type_identity<buddy_allocator>{});
    throw std::invalid_argument("unknown index '" + std::string(name) + "': expected list, tree, tlsf or buddy");
}

}  // namespace heapkit

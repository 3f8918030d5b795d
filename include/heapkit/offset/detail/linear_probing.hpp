// SPDX-License-Identifier: MIT
// The rule of backward-shift deletion in a linear-probing table, shared by offset_map and
// address_table: when a cell is emptied, a later cell of the same run may move back into it.
#pragma once

#include <cstddef>

namespace heapkit::detail {

// Whether the entry at `at`, whose home is `home`, may move back into `hole`: only if the hole
// lies on its probe path, cyclically in [home, at).
inline bool may_move_back(std::size_t home, std::size_t hole, std::size_t at) noexcept {
    if (hole <= at) return home <= hole || home > at;
    return home <= hole && home > at;
}

}  // namespace heapkit::detail

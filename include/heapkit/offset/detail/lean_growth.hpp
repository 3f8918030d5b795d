// SPDX-License-Identifier: MIT
// Node arrays that grow by a quarter instead of std::vector's doubling: right after a growth at
// most a fifth of the capacity is unused (a doubled vector may leave half of it), which is what
// `metadata_bytes()` reports; the copies cost stays O(1) amortized (about four per element).
#pragma once

#include <vector>

namespace heapkit::detail {

// Makes room for one more element of `storage`, so that the next push_back cannot reallocate.
// Strong guarantee: throws std::bad_alloc, and nothing changed, when the memory cannot be had.
template <class T>
void room_for_one_more(std::vector<T>& storage) {
    if (storage.size() == storage.capacity()) storage.reserve(storage.size() + storage.size() / 4 + 16);
}

}  // namespace heapkit::detail

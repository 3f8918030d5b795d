// SPDX-License-Identifier: MIT
// The pieces read_profile_file puts together: a whole file decompressed, the readers of each
// kind of recording, and the interning of frames and stacks they share.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "heapkit/trace/profile.hpp"

namespace heapkit::trace::detail {

// The contents of `path`, gzip- or zstd-compressed or not (told from the content). Throws
// trace_error when it cannot be read or a compressed stream is damaged or cut short.
std::string read_whole_file(const std::string& path);

// Frames and stack nodes, each stored once.
class stack_interner {
public:
    explicit stack_interner(profile& result) : result_(result) {}
    std::uint32_t frame(code_location location);
    std::uint32_t child(std::uint32_t parent, std::uint32_t frame);

private:
    profile& result_;
    std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint32_t> by_place_;  // (module, offset) -> frame
    std::unordered_map<std::uint64_t, std::uint32_t> children_;                  // parent << 32 | frame -> node
};

// heapkit's binary profile (the bytes after decompression).
profile read_heapkit_profile(std::string_view bytes, const std::string& source);
// Whether `text` starts as heaptrack's recordings do ("v VERSION FILE_VERSION").
bool is_heaptrack_start(std::string_view text);
// heaptrack's recording as `heaptrack` leaves it (after heaptrack_interpret), decompressed.
profile read_heaptrack(std::string_view text, const std::string& source);

}  // namespace heapkit::trace::detail

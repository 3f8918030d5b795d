// SPDX-License-Identifier: MIT
// heapkit::trace::printable(): input as heapkit echoes it back in a message (a word of a trace, of
// the shell, of the command line), bounded and escaped, so that a 50 MB line or a control byte
// cannot flood or garble a terminal. O(limit).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace heapkit::trace {

// `text` with every byte outside printable ASCII written as \xNN (and \ as \\), cut after
// `limit` bytes of input with "..." to say so.
inline std::string printable(std::string_view text, std::size_t limit = 64) {
    std::string shown;
    for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == '\\') {
            shown += "\\\\";
        } else if (byte >= 0x20 && byte < 0x7f) {
            shown += static_cast<char>(byte);
        } else {
            constexpr char digits[] = "0123456789abcdef";
            shown += "\\x";
            shown += digits[byte >> 4];
            shown += digits[byte & 0xf];
        }
    }
    if (text.size() > limit) shown += "...";
    return shown;
}

}  // namespace heapkit::trace

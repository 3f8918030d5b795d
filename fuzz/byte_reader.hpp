// SPDX-License-Identifier: MIT
// byte_reader: the fuzz targets' view of libFuzzer's input as a stream of big-endian numbers;
// past the end it reads zeros, so every input is a complete program.
#pragma once

#include <cstddef>
#include <cstdint>

namespace heapkit::fuzz {

class byte_reader {
public:
    byte_reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return at_ >= size_; }
    std::uint64_t take(unsigned bytes) {
        std::uint64_t value = 0;
        for (unsigned i = 0; i < bytes; ++i) value = (value << 8) | (at_ < size_ ? data_[at_++] : 0);
        return value;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

}  // namespace heapkit::fuzz

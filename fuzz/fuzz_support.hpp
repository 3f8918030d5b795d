// SPDX-License-Identifier: MIT
// What every fuzz target uses: byte_reader, libFuzzer's input as a stream of big-endian
// numbers (past the end it reads zeros, so every input is a complete program), and fail(), which
// names the broken property in one line and aborts so that libFuzzer keeps the input;
// with_memory_file, for targets that read files.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

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

[[noreturn]] inline void fail(const char* what, std::uint64_t a, std::uint64_t b) {
    std::fprintf(stderr, "heapkit fuzz: %s (%llu, %llu)\n", what, static_cast<unsigned long long>(a),
                 static_cast<unsigned long long>(b));
    std::abort();
}

// Calls `use` with the path of a file that lives in memory and holds `bytes`, and returns what it
// returns.
template <class Use>
auto with_memory_file(const std::string& bytes, Use use) {
    const int file = memfd_create("heapkit_fuzz", 0);
    if (file < 0) fail("memfd_create", 0, 0);
    if (::write(file, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) fail("write", bytes.size(), 0);
    struct closer {
        int file;
        ~closer() { ::close(file); }
    } close_after{file};
    return use("/proc/self/fd/" + std::to_string(file));
}

}  // namespace heapkit::fuzz

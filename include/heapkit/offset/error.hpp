// SPDX-License-Identifier: MIT
// The error model of docs/PROTOCOL.md: `errc` kinds for the non-throwing forms, `result<T>` to carry a
// value or a kind, and one exception type per kind that derives from both heapkit::error and the
// standard exception the kind corresponds to.
#pragma once

#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace heapkit {

// What went wrong; `ok` is success. The names (kind_name) are also the words the CLI prints.
enum class errc : unsigned char {
    ok,
    invalid_size,        // size 0, negative at an edge, or too large to represent
    invalid_alignment,   // alignment not a power of two
    invalid_address,     // free of an address outside [0, capacity), or a range past the end
    invalid_free,        // double free, never allocated, wrong size, interior address
    out_of_memory,       // no free block can hold the request
    invalid_constraint,  // a placement constraint no address can meet (phase, nocross, window)
};

constexpr std::string_view kind_name(errc kind) noexcept {
    switch (kind) {
        case errc::ok: return "ok";
        case errc::invalid_size: return "invalid_size";
        case errc::invalid_alignment: return "invalid_alignment";
        case errc::invalid_address: return "invalid_address";
        case errc::invalid_free: return "invalid_free";
        case errc::out_of_memory: return "out_of_memory";
        case errc::invalid_constraint: return "invalid_constraint";
    }
    return "unknown";
}

// Every exception heapkit throws is a heapkit::error and also a std::exception (through its
// standard base, so `catch (const std::exception&)` stays unambiguous): catch either.
class error {
public:
    virtual errc kind() const noexcept = 0;
    virtual const char* what() const noexcept = 0;

protected:
    error() = default;
    error(const error&) = default;
    error& operator=(const error&) = default;
    ~error() = default;
};

// The exception for one kind; Standard is the std exception it also is.
template <errc Kind, class Standard>
class kind_error final : public Standard, public error {
public:
    explicit kind_error(const std::string& message) requires std::is_constructible_v<Standard, const std::string&>
        : Standard(message), message_(message) {}
    explicit kind_error(const std::string& message) requires(!std::is_constructible_v<Standard, const std::string&>)
        : message_(message) {}

    errc kind() const noexcept override { return Kind; }
    const char* what() const noexcept override { return message_.what(); }

private:
    std::runtime_error message_;  // reference-counted, so copying the exception cannot throw
};

using invalid_size = kind_error<errc::invalid_size, std::invalid_argument>;
using invalid_alignment = kind_error<errc::invalid_alignment, std::invalid_argument>;
using invalid_address = kind_error<errc::invalid_address, std::out_of_range>;
using invalid_free = kind_error<errc::invalid_free, std::invalid_argument>;
using out_of_memory = kind_error<errc::out_of_memory, std::bad_alloc>;
using invalid_constraint = kind_error<errc::invalid_constraint, std::invalid_argument>;

// Throws the exception type of `kind` (which must not be ok) with `message`.
[[noreturn]] void throw_error(errc kind, const std::string& message);

// A value, or the kind of error that prevented it: what the try_ forms return.
template <class T>
class result {
public:
    result(T value) noexcept : value_(value), error_(errc::ok) {}  // NOLINT: implicit by design
    result(errc error) noexcept : value_{}, error_(error) {}       // NOLINT: implicit by design

    explicit operator bool() const noexcept { return error_ == errc::ok; }
    errc error() const noexcept { return error_; }
    const T& operator*() const noexcept { return value_; }
    // The value; throws std::logic_error when there is none.
    const T& value() const {
        if (error_ != errc::ok) throw std::logic_error("heapkit::result::value() on an error");
        return value_;
    }

private:
    T value_;  // meaningful only when error_ == ok
    errc error_;
};

}  // namespace heapkit

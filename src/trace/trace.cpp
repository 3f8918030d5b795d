// SPDX-License-Identifier: MIT
// Reading heapkit's trace format, checking every line.
#include "heapkit/trace/trace.hpp"

#include <charconv>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace heapkit::trace {
namespace {

// The next blank-separated word of `line`, removed from it; empty at the end.
std::string_view next_word(std::string_view& line) {
    constexpr std::string_view blanks = " \t\r";
    const std::size_t start = line.find_first_not_of(blanks);
    if (start == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(start);
    const std::size_t end = std::min(line.find_first_of(blanks), line.size());
    const std::string_view word = line.substr(0, end);
    line.remove_prefix(end);
    return word;
}

std::optional<std::uint64_t> number(std::string_view word) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (error != std::errc{} || end != word.data() + word.size()) return std::nullopt;
    return value;
}

class reader {
public:
    explicit reader(trace& result) : result_(result) {}

    void line(std::string_view text) {
        ++line_number_;
        if (const std::size_t comment = text.find('#'); comment != std::string_view::npos) text = text.substr(0, comment);
        const std::string_view verb = next_word(text);
        if (verb.empty()) return;
        const std::uint64_t id = field(text, "an id");
        if (verb == "a") {
            const Size size = field(text, "a size");
            const std::string_view alignment_word = next_word(text);
            const Size alignment = alignment_word.empty() ? 1 : value_of(alignment_word, "an alignment");
            if (size == 0) fail("size 0");
            if (!is_power_of_two(alignment)) fail("alignment " + std::to_string(alignment) + " is not a power of two");
            end_of_line(text);
            result_.events.push_back({operation::allocate, open(id), size, alignment});
        } else if (verb == "f") {
            end_of_line(text);
            result_.events.push_back({operation::free, close(id), 0, 1});
        } else if (verb == "r") {
            const Size size = field(text, "a size");
            if (size == 0) fail("size 0");
            end_of_line(text);
            result_.events.push_back({operation::resize, live_slot(id), size, 1});
        } else {
            fail("unknown operation '" + std::string(verb) + "' (expected a, f or r)");
        }
    }

private:
    [[noreturn]] void fail(const std::string& problem) const { throw trace_error(result_.source, line_number_, problem); }

    std::uint64_t value_of(std::string_view word, const char* what) const {
        const std::optional<std::uint64_t> value = number(word);
        if (!value) fail("expected " + std::string(what) + ", got '" + std::string(word) + "'");
        return *value;
    }
    std::uint64_t field(std::string_view& text, const char* what) const {
        const std::string_view word = next_word(text);
        if (word.empty()) fail("expected " + std::string(what));
        return value_of(word, what);
    }
    void end_of_line(std::string_view text) const {
        if (const std::string_view extra = next_word(text); !extra.empty()) fail("unexpected '" + std::string(extra) + "'");
    }

    std::uint32_t open(std::uint64_t id) {
        if (live_.contains(id)) fail("id " + std::to_string(id) + " is already live");
        std::uint32_t slot = 0;
        if (free_slots_.empty()) {
            slot = static_cast<std::uint32_t>(result_.slot_count++);
        } else {
            slot = free_slots_.back();
            free_slots_.pop_back();
        }
        live_.emplace(id, slot);
        return slot;
    }
    std::uint32_t live_slot(std::uint64_t id) const {
        const auto found = live_.find(id);
        if (found == live_.end()) fail("id " + std::to_string(id) + " is not live (never allocated, or freed)");
        return found->second;
    }
    std::uint32_t close(std::uint64_t id) {
        const std::uint32_t slot = live_slot(id);
        live_.erase(id);
        free_slots_.push_back(slot);
        return slot;
    }

    trace& result_;
    std::size_t line_number_ = 0;
    std::unordered_map<std::uint64_t, std::uint32_t> live_;  // live id -> slot
    std::vector<std::uint32_t> free_slots_;                  // slots of freed blocks, reused first
};

}  // namespace

trace read_trace(std::istream& input, const std::string& source) {
    trace result;
    result.source = source;
    reader lines(result);
    for (std::string text; std::getline(input, text);) lines.line(text);
    return result;
}

}  // namespace heapkit::trace

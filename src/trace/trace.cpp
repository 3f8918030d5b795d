// SPDX-License-Identifier: MIT
// Reading allocation traces: heapkit's format, glibc mtrace logs and valgrind --trace-malloc=yes
// logs, each line checked; files may be gzip-compressed.
#include "heapkit/trace/trace.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "heapkit/trace/printable.hpp"
#include "heapkit/trace/profile.hpp"
#include "trace_builder.hpp"

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

// A decimal number, or a hexadecimal one after 0x.
std::optional<std::uint64_t> number(std::string_view word) {
    int base = 10;
    if (word.starts_with("0x") || word.starts_with("0X")) {
        word.remove_prefix(2);
        base = 16;
    }
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value, base);
    if (word.empty() || error != std::errc{} || end != word.data() + word.size()) return std::nullopt;
    return value;
}

// heapkit's own format: a ID SIZE [ALIGNMENT] / f ID / r ID SIZE.
void heapkit_line(trace_builder& record, std::string_view verb, std::string_view rest) {
    auto field = [&](const char* what) {
        const std::string_view word = next_word(rest);
        const std::optional<std::uint64_t> value = number(word);
        if (word.empty() || word.starts_with("0x") || !value) {
            record.fail("expected " + std::string(what) + (word.empty() ? "" : ", got '" + printable(word) + "'"));
        }
        return *value;
    };
    const std::uint64_t id = field("an id");
    if (verb == "a") {
        const Size size = field("a size");
        const Size alignment = rest.find_first_not_of(" \t\r") == std::string_view::npos ? 1 : field("an alignment");
        if (const std::string_view extra = next_word(rest); !extra.empty()) record.fail("unexpected '" + printable(extra) + "'");
        record.allocate(id, size, alignment);
    } else if (verb == "f") {
        if (const std::string_view extra = next_word(rest); !extra.empty()) record.fail("unexpected '" + printable(extra) + "'");
        record.free(id);
    } else {
        const Size size = field("a size");
        if (const std::string_view extra = next_word(rest); !extra.empty()) record.fail("unexpected '" + printable(extra) + "'");
        record.resize(id, size);
    }
}

// glibc mtrace: "@ CALLER + 0xADDRESS 0xSIZE", "- 0xADDRESS", "< 0xOLD" then "> 0xNEW 0xSIZE".
// Frees of blocks allocated before tracing began are skipped.
class mtrace_reader {
public:
    void line(trace_builder& record, std::string_view text) {
        std::string_view verb = next_word(text);
        if (verb == "@") {
            next_word(text);  // the caller
            verb = next_word(text);
        }
        const std::optional<std::uint64_t> address = number(next_word(text));
        if (!address || verb.size() != 1) record.fail("not an mtrace line");
        if (verb == "+" || verb == ">") {
            const std::optional<std::uint64_t> size = number(next_word(text));
            if (!size) record.fail("expected a size");
            if (verb == ">" && pending_old_ && record.is_live(*pending_old_)) {
                record.resize(*pending_old_, *size);
                if (*pending_old_ != *address) record.rename(*pending_old_, *address);
            } else if (*size > 0) {
                record.allocate(*address, *size, 1);
            }
            pending_old_.reset();
        } else if (verb == "<") {
            pending_old_ = *address;
        } else if (verb == "-") {
            if (record.is_live(*address)) {
                record.free(*address);
            } else {
                record.skip_free(*address);
            }
        } else {
            record.fail("unknown mtrace operation '" + printable(verb) + "'");
        }
    }

private:
    std::optional<std::uint64_t> pending_old_;  // the block a realloc is moving
};

// valgrind --trace-malloc=yes: "--PID-- malloc(SIZE) = 0xADDRESS", "calloc(N,M) = ...",
// "realloc(0xOLD,SIZE) = 0xNEW", "memalign(al A, size N) = ...", "free(0xADDRESS)", and the
// C++ operators by their mangled names. Frees of blocks not seen, and of null, are skipped.
void valgrind_line(trace_builder& record, std::string_view text) {
    const std::size_t open = text.find('(');
    const std::size_t close = text.find(')', open);
    if (open == std::string_view::npos || close == std::string_view::npos) {
        record.skip_other_message();
        return;
    }
    const std::string_view name = text.substr(0, open);
    std::string arguments(text.substr(open + 1, close - open - 1));
    std::replace(arguments.begin(), arguments.end(), ',', ' ');
    std::vector<std::uint64_t> values;
    std::string_view rest = arguments;
    for (std::string_view word = next_word(rest); !word.empty(); word = next_word(rest)) {
        if (const auto value = number(word)) values.push_back(*value);  // "al" and "size" are labels
    }
    const std::size_t equals = text.find(" = ", close);
    if (equals == std::string_view::npos) {  // a deallocation: the first argument is the block
        if (!values.empty() && values[0] != 0 && record.is_live(values[0])) {
            record.free(values[0]);
        } else {
            record.skip_free(values.empty() ? 0 : values[0]);
        }
        return;
    }
    const std::optional<std::uint64_t> address = number(text.substr(equals + 3));
    if (!address || values.empty()) record.fail("not a valgrind allocation line");
    if (*address == 0) return record.skip_failed_allocation();
    if (name == "realloc" && values.size() == 2 && values[0] != 0 && record.is_live(values[0])) {
        record.resize(values[0], values[1]);
        if (values[0] != *address) record.rename(values[0], *address);
    } else if (name == "realloc") {
        record.allocate(*address, values.back(), 1);
    } else if (name == "calloc" && values.size() == 2) {
        record.allocate(*address, values[0] * values[1], 1);
    } else if (values.size() == 2) {  // memalign(al A, size N), posix_memalign, aligned_alloc
        record.allocate(*address, values[1], is_power_of_two(values[0]) ? values[0] : 1);
    } else {
        record.allocate(*address, values[0], 1);
    }
}

template <class NextLine>
trace read_lines(NextLine next_line, const std::string& source) {
    trace result;
    result.source = source;
    trace_builder record(result);
    mtrace_reader mtrace;
    std::string text;
    for (std::size_t line_number = 1; next_line(text); ++line_number) {
        record.set_line(line_number);
        std::string_view view = text;
        if (view.starts_with("--")) {  // valgrind: --PID-- call
            const std::size_t end = view.find("-- ", 2);
            if (end != std::string_view::npos) valgrind_line(record, view.substr(end + 3));
            continue;
        }
        if (view.starts_with("==") || view.starts_with("= ")) continue;  // valgrind messages, mtrace markers
        if (const std::size_t comment = view.find('#'); comment != std::string_view::npos) view = view.substr(0, comment);
        std::string_view rest = view;
        const std::string_view verb = next_word(rest);
        if (verb.empty()) continue;
        if (verb == "@") {
            mtrace.line(record, view);
        } else if (verb == "a" || verb == "f" || verb == "r") {
            heapkit_line(record, verb, rest);
        } else {
            record.fail("unknown operation '" + printable(verb) + "' (expected a, f or r)");
        }
    }
    return result;
}

}  // namespace

trace read_trace(std::istream& input, const std::string& source) {
    return read_lines([&](std::string& text) { return static_cast<bool>(std::getline(input, text)); }, source);
}

trace read_trace_file(const std::string& path) {
    if (is_profile_file(path)) return read_profile_file(path).sizes;  // a profile's size-only part
    errno = 0;
    const std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
    if (!file) throw trace_error(path, 0, std::string("cannot open: ") + std::strerror(errno != 0 ? errno : EIO));
    // Read in blocks and split on '\n' here (gzgets would stop at a NUL byte inside a line, so a
    // file would read otherwise than the same bytes from a stream).
    std::string buffer(std::size_t{64} << 10, '\0');
    std::size_t at = 0;
    std::size_t filled = 0;
    std::size_t lines_read = 0;
    return read_lines(
        [&](std::string& text) {
            text.clear();
            while (true) {
                const std::size_t newline = buffer.find('\n', at);
                if (newline < filled) {
                    text.append(buffer, at, newline - at);
                    at = newline + 1;
                    ++lines_read;
                    return true;
                }
                text.append(buffer, at, filled - at);
                at = filled = 0;
                const int got = gzread(file.get(), buffer.data(), static_cast<unsigned>(buffer.size()));
                if (got > 0) {
                    filled = static_cast<std::size_t>(got);
                    continue;
                }
                // The end, or a compressed stream cut short or damaged: a trace is whole or refused.
                int code = Z_OK;
                std::string_view problem = gzerror(file.get(), &code);
                if (got < 0 || (code != Z_OK && code != Z_STREAM_END)) {
                    if (problem.starts_with(path + ": ")) problem.remove_prefix(path.size() + 2);  // zlib names the file too
                    throw trace_error(path, lines_read + 1, "the file is truncated or corrupt (" + std::string(problem) + ")");
                }
                ++lines_read;
                return !text.empty();
            }
        },
        path);
}

}  // namespace heapkit::trace

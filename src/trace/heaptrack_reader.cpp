// SPDX-License-Identifier: MIT
// heaptrack's recordings, read from what its files hold (as `heaptrack PROG` writes them, after
// heaptrack_interpret): one record per line, numbers in hexadecimal.
//   v HEAPTRACK_VERSION FILE_VERSION     X COMMAND LINE     I PAGE_SIZE PAGES
//   s LENGTH TEXT (file version 3; "s TEXT" before): strings, numbered from 1
//   i IP MODULE [FUNCTION FILE LINE [INLINED FUNCTION FILE LINE]...]: instruction pointers, from 1
//   t IP PARENT: stack nodes (a frame and its caller's node), from 1; 0 is the root
//   a SIZE NODE: allocation kinds (a size and a stack), from 0
//   + KIND / - KIND: an allocation / a free of that kind      c TIME_MS: the time from here on
//   R RSS_PAGES, # comments, and other records: skipped
// heaptrack records no addresses: a free names only the kind, and frees the most recently
// allocated live block of it.
#include <charconv>
#include <cstdint>
#include <vector>

#include "heapkit/trace/printable.hpp"
#include "profile_readers.hpp"
#include "trace_builder.hpp"

namespace heapkit::trace::detail {
namespace {

struct allocation_kind {
    std::uint64_t size;
    std::uint32_t node;
    std::vector<std::uint64_t> live;  // ids of its live blocks, the newest last
};

class line_fields {
public:
    line_fields(std::string_view rest, trace_builder& blocks) : rest_(rest), blocks_(blocks) {}
    bool empty() const { return rest_.find_first_not_of(' ') == std::string_view::npos; }
    std::uint64_t hex(const char* what) {
        const std::size_t start = rest_.find_first_not_of(' ');
        if (start == std::string_view::npos) blocks_.fail(std::string("expected ") + what);
        rest_.remove_prefix(start);
        std::uint64_t value = 0;
        const auto [end, error] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), value, 16);
        if (error != std::errc{} || (end != rest_.data() + rest_.size() && *end != ' '))
            blocks_.fail(std::string("expected ") + what + ", got '" + printable(rest_.substr(0, rest_.find(' '))) + "'");
        rest_.remove_prefix(static_cast<std::size_t>(end - rest_.data()));
        return value;
    }
    std::string_view rest() const { return rest_.substr(std::min(rest_.size(), rest_.find_first_not_of(' '))); }

private:
    std::string_view rest_;
    trace_builder& blocks_;
};

}  // namespace

bool is_heaptrack_start(std::string_view text) {
    if (!text.starts_with("v ") || text.size() < 3) return false;
    const char c = text[2];
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

profile read_heaptrack(std::string_view text, const std::string& source) {
    profile result;
    result.sizes.source = source;
    result.threads = 1;
    trace_builder blocks(result.sizes);
    stack_interner interner(result);
    std::vector<std::string> strings{""};
    std::vector<std::uint32_t> frame_of_ip{0};
    std::vector<std::uint32_t> node_of_trace{0};
    std::vector<allocation_kind> kinds;
    std::uint64_t file_version = 0;
    std::uint64_t time_us = 0;
    std::uint64_t next_id = 1;
    const auto string_at = [&](std::uint64_t index) -> const std::string& {
        if (index >= strings.size()) blocks.fail("string " + std::to_string(index) + " is not defined yet");
        return strings[index];
    };
    std::size_t line_number = 0;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t newline = std::min(text.find('\n', at), text.size());
        const std::string_view line = text.substr(at, newline - at);
        at = newline + 1;
        blocks.set_line(++line_number);
        if (line.size() < 1) continue;
        line_fields fields(line.size() > 1 ? line.substr(1) : std::string_view{}, blocks);
        switch (line[0]) {
            case 'v':
                fields.hex("heaptrack's version");
                file_version = fields.empty() ? 1 : fields.hex("the file version");
                result.format = "heaptrack " + std::to_string(file_version);
                break;
            case 'X': result.command = std::string(fields.rest()); break;
            case 's':
                if (file_version >= 3) {
                    const std::string_view rest = line.size() > 2 ? line.substr(2) : std::string_view{};
                    const std::size_t space = rest.find(' ');
                    std::uint64_t length = 0;
                    const auto [end, error] =
                        std::from_chars(rest.data(), rest.data() + std::min(space, rest.size()), length, 16);
                    if (error != std::errc{} || space == std::string_view::npos || length != rest.size() - space - 1)
                        blocks.fail("a string whose length does not match");
                    strings.emplace_back(rest.substr(space + 1));
                } else {
                    strings.emplace_back(fields.rest());
                }
                break;
            case 'i': {
                const std::uint64_t ip = fields.hex("an instruction pointer");
                const std::uint64_t module = fields.hex("a module");
                string_at(module);
                code_location where{static_cast<std::uint32_t>(module), ip, {}, {}, 0};
                if (!fields.empty()) {
                    where.function = string_at(fields.hex("a function"));
                    if (!fields.empty()) where.file = string_at(fields.hex("a file"));
                    if (!fields.empty()) where.line = static_cast<std::uint32_t>(fields.hex("a line"));
                }
                frame_of_ip.push_back(interner.frame(std::move(where)));
                break;
            }
            case 't': {
                const std::uint64_t ip = fields.hex("an instruction pointer");
                const std::uint64_t parent = fields.hex("a parent");
                if (ip == 0 || ip >= frame_of_ip.size())
                    blocks.fail("instruction pointer " + std::to_string(ip) + " is not defined");
                if (parent >= node_of_trace.size()) blocks.fail("stack " + std::to_string(parent) + " is not defined yet");
                node_of_trace.push_back(interner.child(node_of_trace[parent], frame_of_ip[ip]));
                break;
            }
            case 'a': {
                const std::uint64_t size = fields.hex("a size");
                const std::uint64_t node = fields.hex("a stack");
                if (node >= node_of_trace.size()) blocks.fail("stack " + std::to_string(node) + " is not defined yet");
                kinds.push_back({size == 0 ? 1 : size, node_of_trace[node], {}});
                break;
            }
            case '+':
            case '-': {
                const std::uint64_t index = fields.hex("an allocation kind");
                if (index >= kinds.size()) blocks.fail("allocation kind " + std::to_string(index) + " is not defined yet");
                allocation_kind& kind = kinds[index];
                if (line[0] == '+') {
                    blocks.allocate(next_id, kind.size, 1);
                    kind.live.push_back(next_id++);
                    result.context.push_back({time_us, 0, kind.node});
                } else if (kind.live.empty()) {
                    blocks.skip_free(next_id + 1);  // a free the recording holds no allocation for
                } else {
                    blocks.free(kind.live.back());
                    kind.live.pop_back();
                    result.context.push_back({time_us, 0, 0});
                }
                break;
            }
            case 'c': {
                const std::uint64_t ms = fields.hex("a time");
                if (ms > UINT64_MAX / 1000 || ms * 1000 < time_us)
                    blocks.fail("time " + std::to_string(ms) + " ms comes before the previous one, or is out of range");
                time_us = ms * 1000;
                break;
            }
            default: break;  // RSS, page size, comments, and records this reader does not use
        }
    }
    if (file_version == 0) blocks.fail("not a heaptrack recording");
    result.modules = std::move(strings);  // a frame's module is the index of its name
    return result;
}

}  // namespace heapkit::trace::detail

// SPDX-License-Identifier: MIT
// Reading profiles: the file whole (plain, gzip or zstd), what kind it is, and heapkit's own
// binary format (docs/PROTOCOL.md, "Profile files").
#include "heapkit/trace/profile.hpp"

#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "profile_readers.hpp"
#include "trace_builder.hpp"

namespace heapkit::trace {
namespace detail {
namespace {

constexpr std::string_view profile_magic = "heapkit profile 1\n";
constexpr unsigned char zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

std::string read_raw(const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file) throw trace_error(path, 0, std::string("cannot open: ") + std::strerror(errno));
    std::string bytes;
    char buffer[1 << 16];
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) bytes.append(buffer, got);
    if (std::ferror(file.get())) throw trace_error(path, 0, std::string("cannot read: ") + std::strerror(errno));
    return bytes;
}

std::string zstd_decompress(const std::string& compressed, const std::string& path) {
    const std::unique_ptr<ZSTD_DStream, std::size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(), ZSTD_freeDStream);
    std::string bytes;
    std::string buffer(ZSTD_DStreamOutSize(), '\0');
    ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
    std::size_t pending = 1;  // 0 once a frame is complete
    while (in.pos < in.size) {
        ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
        pending = ZSTD_decompressStream(stream.get(), &out, &in);
        if (ZSTD_isError(pending))
            throw trace_error(path, 0, std::string("the file is corrupt (") + ZSTD_getErrorName(pending) + ")");
        bytes.append(buffer.data(), out.pos);
    }
    for (std::size_t flushed = buffer.size(); pending != 0 && flushed == buffer.size();) {  // what the decoder holds back
        ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
        pending = ZSTD_decompressStream(stream.get(), &out, &in);
        if (ZSTD_isError(pending))
            throw trace_error(path, 0, std::string("the file is corrupt (") + ZSTD_getErrorName(pending) + ")");
        bytes.append(buffer.data(), out.pos);
        flushed = out.pos;
    }
    if (pending != 0) throw trace_error(path, 0, "the file is truncated (the zstd stream ends early)");
    return bytes;
}

std::string gzip_decompress(const std::string& path) {
    errno = 0;
    const std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
    if (!file) throw trace_error(path, 0, std::string("cannot open: ") + std::strerror(errno != 0 ? errno : EIO));
    std::string bytes;
    std::string buffer(std::size_t{1} << 16, '\0');
    while (true) {
        const int got = gzread(file.get(), buffer.data(), static_cast<unsigned>(buffer.size()));
        if (got > 0) {
            bytes.append(buffer.data(), static_cast<std::size_t>(got));
            continue;
        }
        int code = Z_OK;
        const char* problem = gzerror(file.get(), &code);
        if (got < 0 || (code != Z_OK && code != Z_STREAM_END))
            throw trace_error(path, 0, std::string("the file is truncated or corrupt (") + problem + ")");
        return bytes;
    }
}

// Unsigned LEB128 numbers and strings from a profile's bytes; a record cut short is an error
// naming the record.
class byte_reader {
public:
    byte_reader(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {}
    bool at_end() const { return at_ == bytes_.size(); }
    void start_record() { ++record_; }
    [[noreturn]] void fail(const std::string& problem) const {
        throw trace_error(source_, 0, "record " + std::to_string(record_) + " (byte " + std::to_string(at_) + "): " + problem);
    }
    std::uint8_t byte() {
        if (at_ == bytes_.size()) fail("the file ends inside the record (truncated)");
        return static_cast<std::uint8_t>(bytes_[at_++]);
    }
    std::uint64_t number() {
        std::uint64_t value = 0;
        for (unsigned shift = 0;; shift += 7) {
            const std::uint8_t next = byte();
            if (shift == 63 && next > 1) fail("a number is too large");
            value |= static_cast<std::uint64_t>(next & 0x7f) << shift;
            if ((next & 0x80) == 0) return value;
        }
    }
    // `time_us` advanced by the time step read next; a step past the largest time is refused.
    std::uint64_t time_after(std::uint64_t time_us) {
        const std::uint64_t step = number();
        if (step > UINT64_MAX - time_us) fail("a time step runs past the largest time");
        return time_us + step;
    }
    std::int64_t signed_number() {
        const std::uint64_t zigzag = number();
        return static_cast<std::int64_t>(zigzag >> 1) ^ -static_cast<std::int64_t>(zigzag & 1);
    }
    std::string text() {
        const std::uint64_t length = number();
        if (length > bytes_.size() - at_) fail("the file ends inside the record (truncated)");
        std::string value(bytes_.substr(at_, length));
        at_ += length;
        return value;
    }

private:
    std::string_view bytes_;
    const std::string& source_;
    std::size_t at_ = 0;
    std::size_t record_ = 0;
};

}  // namespace

std::string read_whole_file(const std::string& path) {
    std::string raw = read_raw(path);
    if (raw.size() >= 4 && std::memcmp(raw.data(), zstd_magic, 4) == 0) return zstd_decompress(raw, path);
    if (raw.size() >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f && static_cast<unsigned char>(raw[1]) == 0x8b)
        return gzip_decompress(path);
    return raw;
}

std::uint32_t stack_interner::frame(code_location location) {
    const auto key = std::make_pair(location.module, location.offset);
    if (const auto found = by_place_.find(key); found != by_place_.end()) return found->second;
    const auto index = static_cast<std::uint32_t>(result_.frames.size());
    result_.frames.push_back(std::move(location));
    by_place_.emplace(key, index);
    return index;
}

std::uint32_t stack_interner::child(std::uint32_t parent, std::uint32_t frame) {
    const std::uint64_t key = std::uint64_t{parent} << 32 | frame;
    if (const auto found = children_.find(key); found != children_.end()) return found->second;
    const auto node = static_cast<std::uint32_t>(result_.nodes.size());
    result_.nodes.push_back({frame, parent});
    children_.emplace(key, node);
    return node;
}

profile read_heapkit_profile(std::string_view bytes, const std::string& source) {
    profile result;
    result.format = "heapkit profile 1";
    result.sizes.source = source;
    trace_builder blocks(result.sizes);
    stack_interner interner(result);
    std::vector<std::uint32_t> stack_nodes;  // the file's stack ids -> nodes
    byte_reader in(bytes.substr(profile_magic.size()), source);
    std::uint64_t time_us = 0;
    std::uint64_t address = 0;
    std::uint32_t thread = 0;
    bool saw_process = false;
    result.ended = false;
    const auto node_of = [&](std::uint64_t stack) -> std::uint32_t {
        if (stack == 0) return 0;
        if (stack > stack_nodes.size()) in.fail("stack " + std::to_string(stack - 1) + " is not defined yet");
        return stack_nodes[stack - 1];
    };
    // Runs `change` on the blocks and gives each event it added this record's context.
    const auto with_context = [&](std::uint32_t stack, auto change) {
        const std::size_t before = result.sizes.events.size();
        change();
        for (std::size_t i = before; i < result.sizes.events.size(); ++i) result.context.push_back({time_us, thread, stack});
    };
    while (!in.at_end()) {
        in.start_record();
        const std::uint8_t kind = in.byte();
        if (!saw_process && kind != 'P') in.fail("the file does not start with a process record");
        if (result.ended) in.fail("a record after the end record");
        switch (kind) {
            case 'P':
                if (saw_process) in.fail("a second process record");
                saw_process = true;
                result.pid = in.number();
                in.number();  // the wall-clock start, in microseconds since 1970
                result.sample_bytes = in.number();
                result.command = in.text();
                for (char& c : result.command) c = c == '\0' ? ' ' : c;
                break;
            case 'M': {
                result.modules.push_back(in.text());
                in.number();  // its load address
                break;
            }
            case 'S': {
                const std::uint64_t depth = in.number();
                if (depth == 0 || depth > 256) in.fail("a stack of " + std::to_string(depth) + " frames");
                std::vector<std::uint32_t> frames;
                for (std::uint64_t i = 0; i < depth; ++i) {
                    const std::uint64_t module = in.number();
                    if (module >= result.modules.size()) in.fail("module " + std::to_string(module) + " is not defined yet");
                    frames.push_back(interner.frame({static_cast<std::uint32_t>(module), in.number(), {}, {}, 0}));
                }
                std::uint32_t node = 0;
                for (auto frame = frames.rbegin(); frame != frames.rend(); ++frame) node = interner.child(node, *frame);
                stack_nodes.push_back(node);
                break;
            }
            case 'T': {
                const std::uint64_t number = in.number();
                in.number();  // the kernel's thread id
                if (number > result.threads)
                    in.fail("thread " + std::to_string(number) + " comes before thread " + std::to_string(result.threads));
                thread = static_cast<std::uint32_t>(number);
                if (number == result.threads) ++result.threads;
                break;
            }
            case 'A':
            case 'L': {
                time_us = in.time_after(time_us);
                const std::uint32_t stack = node_of(in.number());
                address += static_cast<std::uint64_t>(in.signed_number());
                const std::uint64_t size = in.number();
                const std::uint64_t alignment = kind == 'L' ? in.number() : 1;
                if (alignment == 0 || (alignment & (alignment - 1)) != 0) in.fail("alignment " + std::to_string(alignment));
                with_context(stack, [&] {
                    // A realloc's free of the old address is recorded after it: another thread may
                    // have been handed the address first.
                    if (blocks.is_live(address)) blocks.free(address);
                    blocks.allocate(address, size == 0 ? 1 : size, alignment);
                });
                break;
            }
            case 'F':
                time_us = in.time_after(time_us);
                address += static_cast<std::uint64_t>(in.signed_number());
                with_context(0, [&] {
                    if (blocks.is_live(address))
                        blocks.free(address);
                    else
                        blocks.skip_free(address);
                });
                break;
            case 'R': {
                time_us = in.time_after(time_us);
                const std::uint32_t stack = node_of(in.number());
                address += static_cast<std::uint64_t>(in.signed_number());
                const std::uint64_t old_address = address;
                address += static_cast<std::uint64_t>(in.signed_number());
                const std::uint64_t size = std::max<std::uint64_t>(in.number(), 1);
                with_context(stack, [&] {
                    if (!blocks.is_live(old_address)) {  // not recorded (a sample's table was full): a new block
                        blocks.allocate(address, size, 1);
                        return;
                    }
                    if (old_address != address && blocks.is_live(address)) blocks.free(address);  // as above
                    blocks.resize(old_address, size);
                    if (old_address != address) blocks.rename(old_address, address);
                });
                break;
            }
            case 'E':
                time_us = in.time_after(time_us);
                result.ended = true;
                break;
            default: in.fail("unknown record kind " + std::to_string(kind));
        }
    }
    if (!saw_process) in.fail("the file holds no process record");
    return result;
}

}  // namespace detail

std::vector<std::uint64_t> profile::event_times_us() const {
    std::vector<std::uint64_t> times;
    times.reserve(context.size());
    for (const event_context& each : context) times.push_back(each.time_us);
    return times;
}

void profile::validate() const {
    const auto broken = [](const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::trace::profile invariant ") + invariant + " broken: " + detail);
    };
    if (context.size() != sizes.events.size())
        broken("P1", std::to_string(context.size()) + " contexts for " + std::to_string(sizes.events.size()) + " events");
    if (modules.empty() || nodes.empty() || nodes[0].frame != 0 || nodes[0].parent != 0)
        broken("P2", "no module 0 or no root node");
    for (std::size_t i = 0; i < frames.size(); ++i)
        if (frames[i].module >= modules.size()) broken("P3", "frame " + std::to_string(i) + " names a module not listed");
    for (std::size_t i = 1; i < nodes.size(); ++i)
        if (nodes[i].parent >= i || nodes[i].frame >= frames.size())
            broken("P4", "stack node " + std::to_string(i) + " has a later parent or an unknown frame");
    std::uint64_t previous_us = 0;
    for (std::size_t i = 0; i < context.size(); ++i) {
        const event_context& each = context[i];
        if (each.stack >= nodes.size()) broken("P5", "event " + std::to_string(i) + " names an unknown stack");
        if (each.thread >= std::max<std::size_t>(threads, 1))
            broken("P5", "event " + std::to_string(i) + " names an unknown thread");
        if (each.time_us < previous_us) broken("P6", "event " + std::to_string(i) + " comes before the one ahead of it");
        previous_us = each.time_us;
    }
}

std::vector<std::uint32_t> profile::stack_frames(std::uint32_t node) const {
    std::vector<std::uint32_t> frames_of;
    for (; node != 0; node = nodes[node].parent) frames_of.push_back(nodes[node].frame);
    return frames_of;
}

std::string profile::frame_text(std::uint32_t frame) const {
    const code_location& where = frames[frame];
    const std::string& module = modules[where.module];
    const std::string module_name = module.substr(module.rfind('/') + 1);
    const std::string source =
        where.file.empty() ? "" : " (" + where.file + (where.line != 0 ? ":" + std::to_string(where.line) : "") + ")";
    if (!where.function.empty())
        return where.function + (!source.empty() ? source : module_name.empty() ? "" : " (" + module_name + ")");
    char offset[32];
    std::snprintf(offset, sizeof offset, "+0x%llx", static_cast<unsigned long long>(where.offset));
    return (module_name.empty() ? std::string("?") : module_name) + offset + source;
}

bool is_profile_file(const std::string& path) {
    unsigned char start[4] = {};
    if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
        const std::size_t got = std::fread(start, 1, sizeof start, file);
        std::fclose(file);
        if (got == sizeof start && std::memcmp(start, detail::zstd_magic, 4) == 0) return true;
    }
    const std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
    if (!file) throw trace_error(path, 0, std::string("cannot open: ") + std::strerror(errno != 0 ? errno : EIO));
    char text[32] = {};
    const int got = gzread(file.get(), text, sizeof text);
    const std::string_view head(text, got > 0 ? static_cast<std::size_t>(got) : 0);
    return head.starts_with(detail::profile_magic) || detail::is_heaptrack_start(head);
}

namespace {

// A trace as a profile without times, threads or stacks.
profile trace_only(trace sizes) {
    profile result;
    result.format = "trace";
    result.sizes = std::move(sizes);
    result.context.resize(result.sizes.events.size());
    return result;
}

}  // namespace

profile read_profile_file(const std::string& path) {
    if (!is_profile_file(path)) return trace_only(read_trace_file(path));  // read as traces are (errors by line)
    const std::string bytes = detail::read_whole_file(path);
    if (bytes.starts_with(detail::profile_magic)) return detail::read_heapkit_profile(bytes, path);
    if (detail::is_heaptrack_start(bytes)) return detail::read_heaptrack(bytes, path);
    std::istringstream text(bytes);  // a zstd-compressed trace
    return trace_only(read_trace(text, path));
}

}  // namespace heapkit::trace

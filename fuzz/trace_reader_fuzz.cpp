// SPDX-License-Identifier: MIT
// libFuzzer target: the bytes as a trace file in every form a reader meets (heapkit's format, or
// mtrace and valgrind logs, plain and gzip-compressed, whole and cut short). A trace that reads
// must survive write -> read unchanged; the compressed copy must read the same, and any cut of
// it must either read the same or be refused with trace_error (never a shorter trace).
#include <zlib.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "heapkit/trace/trace.hpp"

namespace {

using namespace heapkit;
using heapkit::fuzz::fail;

bool same_events(const trace::trace& a, const trace::trace& b) {
    if (a.events.size() != b.events.size() || a.slot_count != b.slot_count) return false;
    for (std::size_t i = 0; i < a.events.size(); ++i) {
        const trace::event& x = a.events[i];
        const trace::event& y = b.events[i];
        if (x.op != y.op || x.slot != y.slot || x.size != y.size || x.alignment != y.alignment) return false;
    }
    return true;
}

std::optional<trace::trace> read_text(const std::string& text) {
    std::istringstream input(text);
    try {
        return trace::read_trace(input, "fuzz");
    } catch (const trace::trace_error&) {
        return std::nullopt;
    }
}

// `bytes` gzip-compressed, in memory.
std::string compressed(const std::string& bytes) {
    z_stream stream{};
    if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail("deflateInit2", 0, 0);
    std::string out(deflateBound(&stream, bytes.size()), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) fail("deflate", 0, 0);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

// Reads `bytes` through read_trace_file, from a file that lives in memory.
std::optional<trace::trace> read_file(const std::string& bytes) {
    return fuzz::with_memory_file(bytes, [](const std::string& path) -> std::optional<trace::trace> {
        try {
            return trace::read_trace_file(path);
        } catch (const trace::trace_error&) {
            return std::nullopt;
        }
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::optional<trace::trace> first = read_text(text);
    if (!first) return 0;
    std::ostringstream written;
    trace::write_trace(written, *first, "round trip");
    const std::optional<trace::trace> again = read_text(written.str());
    if (!again || !same_events(*first, *again)) fail("write then read changed the trace", first->events.size(), 0);
    const std::string packed = compressed(text);
    const std::optional<trace::trace> unpacked = read_file(packed);
    if (!unpacked || !same_events(*first, *unpacked)) fail("the gzip copy reads differently", first->events.size(), 0);
    const std::size_t cut = packed.size() * data[0] / 256;  // the first byte says where to cut
    const std::optional<trace::trace> from_cut = read_file(packed.substr(0, cut));
    if (from_cut && cut > 0 && !same_events(*first, *from_cut)) fail("a cut gzip file read as another trace", cut, packed.size());
    return 0;
}

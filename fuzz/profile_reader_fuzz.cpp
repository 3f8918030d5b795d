// SPDX-License-Identifier: MIT
// libFuzzer target: the bytes as a recording read by read_profile_file (the first byte picks a
// header put before the rest: heapkit's profile magic, heaptrack's "v" line, or none, so that the
// fuzzer works inside each reader). A recording is either refused with trace_error or reads into
// a profile that holds validate()'s invariants, and everything the commands do with one (the
// summary, its sites' text, the diff's live bytes by site, the memory map spaced in time) takes it
// without failing.
#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "heapkit/offset/allocators.hpp"
#include "heapkit/trace/memory_map_svg.hpp"
#include "heapkit/trace/profile.hpp"
#include "heapkit/trace/profile_summary.hpp"

namespace {

using namespace heapkit;
using heapkit::fuzz::fail;

constexpr const char* headers[] = {"heapkit profile 1\n", "v 10300 3\n", ""};

// Reads `bytes` through read_profile_file, from a file that lives in memory.
std::optional<trace::profile> read_file(const std::string& bytes) {
    return fuzz::with_memory_file(bytes, [](const std::string& path) -> std::optional<trace::profile> {
        try {
            return trace::read_profile_file(path);
        } catch (const trace::trace_error&) {
            return std::nullopt;
        }
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string bytes = headers[data[0] % 3] + std::string(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::optional<trace::profile> recording = read_file(bytes);
    if (!recording) return 0;
    try {
        recording->validate();
    } catch (const std::logic_error& broken) {
        std::fprintf(stderr, "%s\n", broken.what());
        fail("a profile read with a broken invariant", recording->sizes.events.size(), 0);
    }
    const trace::profile_summary summary = trace::summarize(*recording, 20);
    for (const trace::site_totals& site : summary.top([](const trace::site_totals& site) { return site.allocations; }, 5))
        if (trace::site_text(*recording, site.node, 8).empty()) fail("a site without text", site.node, 0);
    for (std::uint32_t frame = 0; frame < recording->frames.size(); ++frame)
        if (recording->frame_text(frame).empty()) fail("a frame without text", frame, 0);
    if (trace::live_by_site_at(*recording, recording->context.empty() ? 0 : recording->context.back().time_us).size() !=
        recording->nodes.size())
        fail("live bytes by site not one per stack node", recording->nodes.size(), 0);
    trace::map_options drawing;
    drawing.columns = 64;
    drawing.rows = 16;
    std::ostringstream svg;
    trace::draw_memory_map(
        svg, recording->sizes, [] { return tree_allocator(Size{1} << 48); }, drawing, "fuzz", recording->event_times_us());
    return 0;
}

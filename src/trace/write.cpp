// SPDX-License-Identifier: MIT
// Writing heapkit's trace format, plain or gzip-compressed (zlib).
#include <zlib.h>

#include <memory>
#include <sstream>

#include "heapkit/trace/trace.hpp"

namespace heapkit::trace {

void write_trace(std::ostream& out, const trace& events, const std::string& comment) {
    if (!comment.empty()) out << "# " << comment << '\n';
    for (const event& step : events.events) {
        switch (step.op) {
            case operation::allocate:
                out << "a " << step.slot << ' ' << step.size;
                if (step.alignment > 1) out << ' ' << step.alignment;
                out << '\n';
                break;
            case operation::free: out << "f " << step.slot << '\n'; break;
            case operation::resize: out << "r " << step.slot << ' ' << step.size << '\n'; break;
        }
    }
}

void write_trace_file(const std::string& path, const trace& events, const std::string& comment) {
    std::ostringstream text;
    write_trace(text, events, comment);
    const std::string bytes = text.str();
    const bool compressed = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
    const std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), compressed ? "wb9" : "wbT"), gzclose);
    if (!file) throw trace_error(path, 0, "cannot write");
    std::size_t written = 0;
    while (written < bytes.size()) {
        const auto chunk = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - written, 1u << 20));
        if (gzwrite(file.get(), bytes.data() + written, chunk) != static_cast<int>(chunk))
            throw trace_error(path, 0, "cannot write");
        written += chunk;
    }
}

}  // namespace heapkit::trace

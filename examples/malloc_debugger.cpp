// SPDX-License-Identifier: MIT
// Malloc debugger and canaries: a small program with four classic bugs (a leak, a double free,
// a free of a pointer it never allocated, a one-byte overflow) runs on the debug heap, which
// catches each one and names the block's size and the function that allocated it. Here the
// handler collects the reports; the default one prints the line and aborts.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

using debugged_heap = debug_heap<boundary_tag_heap>;

void load_config(debugged_heap& heap) {  // forgets to free its buffer
    char* settings = static_cast<char*>(heap.allocate(256));
    std::strcpy(settings, "threads=8");
}

void close_session(debugged_heap& heap) {  // frees the session twice
    void* session = heap.allocate(64);
    heap.deallocate(session);
    heap.deallocate(session);
}

void drop_label(debugged_heap& heap) {  // frees a pointer it got from the stack, not the heap
    char label[16] = "temporary";
    heap.deallocate(label);
}

void copy_name(debugged_heap& heap, const char* name) {  // forgets room for the terminating zero
    char* copy = static_cast<char*>(heap.allocate(std::strlen(name)));
    std::memcpy(copy, name, std::strlen(name) + 1);
    heap.deallocate(copy);
}

bool caught(const std::vector<debug_report>& reports, debug_issue issue, const char* function) {
    return std::any_of(reports.begin(), reports.end(), [&](const debug_report& report) {
        return report.issue == issue && (function == nullptr || std::strcmp(report.site->location.function, function) == 0);
    });
}

}  // namespace

int main() {
    std::vector<debug_report> reports;
    std::vector<std::byte> memory(std::size_t{1} << 20);
    debug_options options;
    options.backtrace_depth = 0;  // source locations are enough here
    options.handler = [&reports](const debug_report& report) {
        std::printf("  %s\n", report.message().c_str());
        reports.push_back(report);
    };
    debugged_heap heap(options, std::span(memory));

    std::printf("load_config (leak), close_session (double free), drop_label (invalid free), copy_name (overflow):\n");
    load_config(heap);
    close_session(heap);
    drop_label(heap);
    copy_name(heap, "heapkit");
    std::printf("at exit:\n");
    const std::size_t leaking_sites = heap.report_leaks();

    claim(caught(reports, debug_issue::double_free, "close_session"), "the double free is caught, naming close_session's block");
    claim(caught(reports, debug_issue::foreign_pointer, nullptr), "the free of a stack buffer is caught as a foreign pointer");
    claim(caught(reports, debug_issue::overflow, "copy_name"), "the one-byte overflow is caught by the canary, naming copy_name");
    claim(leaking_sites == 1 && caught(reports, debug_issue::leak, "load_config"),
          "the leak report names load_config, and only it");
    claim(reports.size() == 4, "four bugs, four reports, nothing else");
}

// SPDX-License-Identifier: MIT
// Debug mode: debug_heap over a heap of mmap regions, the bookkeeping heap for nested calls, the
// report handler that names the caller's frames, and the check at exit.
#include "debug_mode.hpp"

#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "environment.hpp"
#include "fatal.hpp"
#include "guard_pages.hpp"
#include "heap_region.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/debug_heap.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "leak_scan.hpp"
#include "out_of_band_heap.hpp"
#include "program_runtime.hpp"
#include "reentry.hpp"
#include "report_line.hpp"
#include "thread_stacks.hpp"

namespace heapkit::malloc_layer {

namespace {

// The bookkeeping heap: a boundary-tag heap that maps another region whenever it runs out. Only
// heapkit's own code writes to its blocks.
class mapped_heap {
public:
    void* try_allocate(std::size_t size, std::size_t alignment) noexcept {
        void* pointer = heap_.try_allocate(size, alignment);
        if (pointer == nullptr && grow(size, alignment)) pointer = heap_.try_allocate(size, alignment);
        return pointer;
    }
    void* allocate(std::size_t size, std::size_t alignment) {
        void* pointer = try_allocate(size, alignment);
        if (pointer == nullptr) throw std::bad_alloc();
        return pointer;
    }
    void deallocate(void* pointer) noexcept {
        if (heap_.try_deallocate(pointer) != errc::ok) fatal(misuse::bookkeeping_block_freed, pointer);
    }
    // A block moved to a fresh one of `size` bytes (heapkit's own code is the only caller).
    void* reallocate(void* pointer, std::size_t size) noexcept {
        void* moved = try_allocate(size, boundary_tag_heap::alignment_bytes);
        if (moved == nullptr) return nullptr;
        std::memcpy(moved, pointer, std::min(size, usable_size(pointer)));
        deallocate(pointer);
        return moved;
    }
    std::size_t usable_size(const void* pointer) const noexcept { return boundary_tag_heap::usable_size(pointer); }
    bool owns(const void* pointer) const noexcept { return heap_.owns(pointer); }
    heap_stats stats() const noexcept { return heap_.stats(); }
    void validate() const { heap_.validate(); }

private:
    static constexpr std::size_t region_bytes = std::size_t{16} << 20;

    bool grow(std::size_t size, std::size_t alignment) noexcept {
        const std::span<std::byte> region = map_heap_region(size, alignment, region_bytes);
        if (region.empty()) return false;
        heap_.add_region(region);
        return true;
    }

    boundary_tag_heap heap_;
};

using checked_heap = debug_heap<out_of_band_heap>;

pthread_mutex_t debug_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards both heaps
alignas(mapped_heap) unsigned char bookkeeping_storage[sizeof(mapped_heap)];
alignas(checked_heap) unsigned char checked_storage[sizeof(checked_heap)];
bool built = false;  // under debug_mutex

mapped_heap& bookkeeping() noexcept { return *std::launder(reinterpret_cast<mapped_heap*>(bookkeeping_storage)); }
checked_heap& checked() noexcept { return *std::launder(reinterpret_cast<checked_heap*>(checked_storage)); }

// Up to three frames of a site that are not heapkit's malloc itself, innermost first.
std::string caller_frames(const allocation_site* site) {
    if (site == nullptr) return {};
    return frames_outside_heapkit(site->frames);
}

void report_and_abort(const debug_report& report) {
    report_line(report.message(caller_frames(report.site), report.freed_site != nullptr ? caller_frames(report.freed_site) : ""));
    std::abort();
}

// The debug heap's own malloc calls, made while this thread holds debug_mutex, go to the
// bookkeeping heap.
bool inside_debug_heap() noexcept { return current_caller == caller::debug_heap; }

void check_at_exit() noexcept;

// Holds the debug lock and marks the thread as inside the debug heap; builds both heaps on the
// first use (their own construction allocates, from the bookkeeping heap).
class debug_section {
public:
    debug_section() noexcept {
        pthread_mutex_lock(&debug_mutex);
        current_caller = caller::debug_heap;
        if (built) return;
        new (bookkeeping_storage) mapped_heap();
        debug_options options;
        options.backtrace_depth = 12;  // heapkit's own frames come first and are skipped in reports
        options.handler = report_and_abort;
        new (checked_storage) checked_heap(std::move(options));
        built = true;
        std::atexit(check_at_exit);
    }
    ~debug_section() {
        current_caller = caller::program;
        pthread_mutex_unlock(&debug_mutex);
    }
    debug_section(const debug_section&) = delete;
    debug_section& operator=(const debug_section&) = delete;
};

// HEAPKIT_SUPPRESS's patterns, one per line ("leak:" before one is allowed, as LeakSanitizer
// writes them; "#" starts a comment): a site is left out of the report when one of its frames,
// as reports write it, contains a pattern.
std::vector<std::string> read_suppressions() {
    std::vector<std::string> patterns;
    const char* path = settings().suppressions;
    if (path[0] == '\0') return patterns;
    std::FILE* file = std::fopen(path, "re");
    if (file == nullptr) {
        report_line(std::string("heapkit: HEAPKIT_SUPPRESS: cannot open ") + path + "; nothing suppressed");
        return patterns;
    }
    char line[1024];
    while (std::fgets(line, sizeof line, file) != nullptr) {
        std::string pattern(line);
        while (!pattern.empty() && (pattern.back() == '\n' || pattern.back() == '\r' || pattern.back() == ' '))
            pattern.pop_back();
        if (pattern.rfind("leak:", 0) == 0) pattern.erase(0, 5);
        if (!pattern.empty() && pattern[0] != '#') patterns.push_back(pattern);
    }
    std::fclose(file);
    return patterns;
}

// Whether the dynamic loader made the allocation (glibc's thread-local blocks of new threads, kept
// from memory the scan does not see): left out always, as LeakSanitizer does.
bool made_by_loader(const allocation_site& site) {
    for (const void* frame : site.frames) {
        Dl_info info{};
        if (::dladdr(frame, &info) != 0 && info.dli_fname != nullptr && std::strstr(info.dli_fname, "/ld-linux") != nullptr)
            return true;
    }
    return false;
}

bool suppressed(const allocation_site& site, const std::vector<std::string>& patterns) {
    if (made_by_loader(site)) return true;
    if (patterns.empty()) return false;  // naming frames reads each module's tables: only when asked
    for (const void* frame : site.frames) {
        const std::string text = os::describe_frame(frame);
        for (const std::string& pattern : patterns)
            if (text.find(pattern) != std::string::npos) return true;
    }
    return false;
}

struct leak_count {
    std::size_t blocks = 0;
    std::size_t bytes = 0;
    void add(std::size_t size) noexcept {
        ++blocks;
        bytes += size;
    }
    std::string text() const {
        return std::to_string(blocks) + (blocks == 1 ? " block (" : " blocks (") + std::to_string(bytes) + " bytes)";
    }
};

// The leak report (leak_scan.hpp's kinds): nothing when nothing is lost; else a summary line and
// one line per site of definitely lost blocks, the largest first. Returns the definitely lost
// blocks not suppressed. Under the debug lock.
std::size_t report_lost_blocks() {
    struct found_block {
        live_block block;
        const allocation_site* site;
    };
    std::vector<found_block> found;
    checked().for_each_live([&found](const void* pointer, std::size_t size, const allocation_site* site) {
        found.push_back({{reinterpret_cast<std::uintptr_t>(pointer), size}, site});
    });
    std::sort(found.begin(), found.end(),
              [](const found_block& a, const found_block& b) { return a.block.start < b.block.start; });
    std::vector<live_block> blocks;
    blocks.reserve(found.size());
    for (const found_block& each : found) blocks.push_back(each.block);
    std::vector<live_block> guarded;  // HEAPKIT_GUARD's blocks are live memory the program may keep pointers in
    for_each_live_guarded(
        [](std::uintptr_t start, std::size_t size, void* into) {
            static_cast<std::vector<live_block>*>(into)->push_back({start, size});
        },
        &guarded);
    const std::vector<reach> reaches = classify_reach(blocks, guarded);
    const std::vector<std::string> patterns = read_suppressions();
    leak_count lost, indirect, reachable, quiet;
    std::map<const allocation_site*, leak_record> by_site;
    std::map<const allocation_site*, bool> site_suppressed;
    for (std::size_t i = 0; i < found.size(); ++i) {
        const found_block& each = found[i];
        if (reaches[i] == reach::still_reachable) {
            reachable.add(each.block.size);
            continue;
        }
        auto known = site_suppressed.find(each.site);
        if (known == site_suppressed.end()) known = site_suppressed.emplace(each.site, suppressed(*each.site, patterns)).first;
        if (known->second) {
            quiet.add(each.block.size);
        } else if (reaches[i] == reach::indirectly_lost) {
            indirect.add(each.block.size);
        } else {
            lost.add(each.block.size);
            leak_record& record = by_site.try_emplace(each.site, leak_record{each.site, 0, {}}).first->second;
            record.bytes += each.block.size;
            record.blocks.push_back(reinterpret_cast<const void*>(each.block.start));
        }
    }
    if (lost.blocks == 0 && indirect.blocks == 0) return 0;
    std::vector<leak_record> records;
    for (auto& [site, record] : by_site) records.push_back(std::move(record));
    std::stable_sort(records.begin(), records.end(),
                     [](const leak_record& a, const leak_record& b) { return a.bytes > b.bytes; });
    constexpr std::size_t shown_sites = 10;
    report_line("heapkit: leak summary: " + lost.text() + " definitely lost, " + indirect.text() + " indirectly lost, " +
                reachable.text() + " still reachable" + (quiet.blocks != 0 ? ", " + quiet.text() + " suppressed" : "") +
                (records.size() > shown_sites ? "; the " + std::to_string(shown_sites) + " largest sites:" : ""));
    for (std::size_t i = 0; i < std::min(records.size(), shown_sites); ++i) {
        const leak_record& record = records[i];
        const debug_report leak{debug_issue::leak, record.blocks.front(), record.bytes, record.site, record.blocks.size()};
        report_line(leak.message(caller_frames(record.site)));
    }
    return lost.blocks;
}

// At exit: every live block's canaries and every quarantined block's fill checked (a finding
// aborts as usual), then the leak report; with HEAPKIT_DEBUG_EXITCODE, lost blocks end the
// process with that status (stdio flushed first: this runs after the program's own exit work).
void check_at_exit() noexcept {
    std::size_t lost = 0;
    program_runtime::release_own_exception_pool();  // frees through the debug heap: before its lock
    {
        const debug_section hold;
        try {
            checked().validate();
            lost = report_lost_blocks();
        } catch (const std::exception& broken) {
            report_line(std::string("heapkit: debug mode: the heap is corrupt: ") + broken.what());
            std::abort();
        }
    }
    if (lost != 0 && settings().leak_exit_code != 0) {
        std::fflush(nullptr);
        ::_exit(settings().leak_exit_code);
    }
}

constexpr call_site malloc_site{"", "", 0};  // sites differ by their stacks

// Whether a block handed back from outside the debug heap is the bookkeeping heap's (allocated by
// a call nested in the debug heap's own work). The checked heap's few regions are asked
// first: the bookkeeping heap's list of regions would be walked whole for every other block.
bool made_by_machinery(const void* pointer) noexcept { return !checked().owns(pointer) && bookkeeping().owns(pointer); }

}  // namespace

namespace {
constinit cached_flag debug_flag{[]() noexcept { return settings().debug; }};
}  // namespace

bool debug_enabled() noexcept { return debug_flag.get(); }

void* debug_allocate(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept {
    if (inside_debug_heap()) return bookkeeping().try_allocate(size, alignment);
    const debug_section hold;
    note_thread_stack();
    try {
        return checked().allocate(size, alignment, kind, malloc_site);
    } catch (...) {
        errno = ENOMEM;
        return nullptr;
    }
}

void debug_deallocate(void* pointer, allocation_kind kind, std::size_t stated_size) noexcept {
    if (pointer == nullptr) return;
    if (inside_debug_heap()) return bookkeeping().deallocate(pointer);
    const debug_section hold;
    if (made_by_machinery(pointer)) return bookkeeping().deallocate(pointer);  // freed from outside it
    checked().deallocate(pointer, kind, stated_size, malloc_site);             // reports and aborts on misuse
}

void* debug_reallocate(void* pointer, std::size_t size) noexcept {
    if (inside_debug_heap()) return bookkeeping().reallocate(pointer, size);
    const debug_section hold;
    if (made_by_machinery(pointer)) return bookkeeping().reallocate(pointer, size);
    try {
        return checked().reallocate(pointer, size, default_alignment_bytes, malloc_site);
    } catch (...) {
        errno = ENOMEM;
        return nullptr;
    }
}

std::size_t debug_usable_size(const void* pointer) noexcept {
    if (inside_debug_heap()) return bookkeeping().usable_size(pointer);
    const debug_section hold;
    if (made_by_machinery(pointer)) return bookkeeping().usable_size(pointer);
    return checked().usable_size(pointer);
}

long debug_leak_check() noexcept {
    if (!debug_enabled()) return -1;
    const debug_section hold;
    try {
        return static_cast<long>(report_lost_blocks());
    } catch (...) {
        return -1;
    }
}

void lock_debug() noexcept { pthread_mutex_lock(&debug_mutex); }
void unlock_debug() noexcept { pthread_mutex_unlock(&debug_mutex); }

}  // namespace heapkit::malloc_layer

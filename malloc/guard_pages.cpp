// SPDX-License-Identifier: MIT
// guard_pages: the pool, the placement of a block against its guard page, the records, the
// checks on free, and the SIGSEGV handler that names a fault in the pool.
#include "guard_pages.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <new>
#include <string>

#include "environment.hpp"
#include "heapkit/heap/debug_report.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "heapkit/offset/allocators.hpp"
#include "os_memory.hpp"
#include "reentry.hpp"
#include "report_line.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t pool_bytes = std::size_t{64} << 30;  // address space only: pages are committed one block at a time
constexpr std::size_t quarantine_pages_limit = 16384;      // freed runs kept PROT_NONE (and discarded) before reuse
constexpr std::size_t stack_depth = 12;                    // heapkit's own frames come first and are skipped in reports
constexpr unsigned char slack_fill = 0xCB;                 // between a block's end and its page's, checked on free

// A stack taken at a guarded block's allocation or free, told as reports tell frames.
struct captured_stack {
    std::array<const void*, stack_depth> frames{};
    std::size_t depth = 0;

    void capture() noexcept {
        std::array<void*, stack_depth> taken{};
        depth = os::capture_backtrace(taken, 0);
        std::copy(taken.begin(), taken.end(), frames.begin());
    }
    std::string text() const { return frames_outside_heapkit(std::span(frames).first(depth)); }
};

struct guarded_block {
    std::uintptr_t run;                              // the first data page (the map's key)
    std::uintptr_t user;                             // what malloc returned
    std::size_t size;                                // bytes asked for
    std::size_t data_pages;                          // read-write pages from the run's start; one guard page follows
    allocation_kind kind = allocation_kind::malloc;  // the family that allocated it
    bool freed = false;
    captured_stack allocated_at;
    captured_stack freed_at;
};

struct guard_pool {
    explicit guard_pool(std::byte* first_page, std::size_t page_bytes)
        : start(first_page), page(page_bytes), pages(pool_bytes / page_bytes) {}

    std::byte* start;                              // page 0 of the allocator; the page before it is never handed out
    std::size_t page;                              // bytes
    tlsf_allocator pages;                          // runs of pages, in pages
    std::map<std::uintptr_t, guarded_block> runs;  // by the run's first byte: live and quarantined blocks
    std::deque<std::uintptr_t> quarantine;         // freed runs, oldest first
    std::size_t quarantined_pages = 0;
    std::size_t live = 0;        // live guarded blocks: each splits the pool's mapping in two more
    std::size_t live_limit = 0;  // so that the kernel's limit on mappings keeps room for the rest of the process
    bool unguarded_said = false;
};

// How many live guarded blocks the kernel's limit on mappings allows, leaving a quarter of it
// (at least 4096) for everything else the process maps. Read without allocating.
std::size_t live_guarded_limit() noexcept {
    std::size_t mappings = 65530;  // Linux's default
    const int fd = ::open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char text[32] = {};
        if (::read(fd, text, sizeof text - 1) > 0) mappings = std::strtoul(text, nullptr, 10);
        ::close(fd);
    }
    const std::size_t kept = std::max<std::size_t>(mappings / 4, 4096);
    return mappings > kept ? (mappings - kept) / 2 : 0;
}

pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
alignas(guard_pool) unsigned char pool_storage[sizeof(guard_pool)];
bool pool_built = false;                    // under pool_mutex
std::atomic<std::uintptr_t> pool_begin{0};  // [pool_begin, pool_end): guard_owns without the lock
std::atomic<std::uintptr_t> pool_end{0};
std::atomic<unsigned long> allocations_seen{0};
struct sigaction previous_handler {};

guard_pool& pool() noexcept { return *std::launder(reinterpret_cast<guard_pool*>(pool_storage)); }

class pool_lock {
public:
    pool_lock() noexcept { pthread_mutex_lock(&pool_mutex); }
    ~pool_lock() { pthread_mutex_unlock(&pool_mutex); }
    pool_lock(const pool_lock&) = delete;
    pool_lock& operator=(const pool_lock&) = delete;
};

// --- reports ---------------------------------------------------------------------------------

// The one line about `block` (and, for a fault, `stopped_at`), then abort.
[[noreturn]] void report_block(debug_issue issue, const guarded_block& block, const std::string& stopped_at = {},
                               allocation_kind freed_by = allocation_kind::malloc, std::size_t stated_size = 0) {
    const allocation_site anywhere{{"", "", 0}, {}};  // the frames are told below
    debug_report report{issue, reinterpret_cast<const void*>(block.user), block.size, &anywhere};
    report.allocated_by = block.kind;
    report.freed_by = freed_by;
    report.stated_size = stated_size;
    std::string line = report.message(block.allocated_at.text(), block.freed ? block.freed_at.text() : std::string());
    if (!stopped_at.empty()) line += "; stopped at " + stopped_at;
    report_line(line);
    std::abort();
}

[[noreturn]] void report_pointer(const char* what, const void* pointer) {
    char line[160];
    std::snprintf(line, sizeof line, "heapkit: %s %p", what, pointer);
    report_line(line);
    std::abort();
}

// "a write 3 bytes past it": the access at `address` seen from the block.
std::string access_text(bool write, std::uintptr_t address, const guarded_block& block) {
    const char* kind = write ? "a write" : "a read";
    const auto bytes = [](std::uintptr_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); };
    if (address < block.user) return std::string(kind) + " " + bytes(block.user - address) + " before it";
    if (address >= block.user + block.size)
        return std::string(kind) + " " + bytes(address - block.user - block.size) + " past it";
    return std::string(kind) + " " + bytes(address - block.user) + " into it";
}

// --- the fault handler -----------------------------------------------------------------------

void on_fault(int signal, siginfo_t* info, void* context) {
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    if (address < pool_begin.load(std::memory_order_relaxed) || address >= pool_end.load(std::memory_order_relaxed)) {
        ::sigaction(signal, &previous_handler, nullptr);  // not ours: the fault repeats under the previous handler
        return;
    }
    const caller_scope inside(caller::guard_pool);
    pthread_mutex_trylock(&pool_mutex);  // held by this thread or another: the program ends here either way
    bool write = false;
#if defined(__x86_64__)
    write = (static_cast<const ucontext_t*>(context)->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
    (void)context;
#endif
    guard_pool& guarded = pool();
    const auto above = guarded.runs.upper_bound(address);
    // The run below whose data or guard page the address is in, and the run just above the page
    // it is in: blocks at their page's end (the default) overflow into the first, blocks at their
    // page's start (:left) underflow into the second, so that one is asked first.
    const guarded_block* below = nullptr;
    if (above != guarded.runs.begin()) {
        const guarded_block& candidate = std::prev(above)->second;
        if (address < candidate.run + (candidate.data_pages + 1) * guarded.page) below = &candidate;
    }
    const guarded_block* next = above != guarded.runs.end() && above->first - address <= guarded.page ? &above->second : nullptr;
    if (below != nullptr && next != nullptr && settings().guard_left) below = nullptr;
    const guarded_block* block = below != nullptr ? below : next;
    if (block != nullptr) {
        const bool past = address >= block->user + block->size;
        report_block(block->freed ? debug_issue::use_after_free
                     : past       ? debug_issue::overflow
                                  : debug_issue::underflow,
                     *block, access_text(write, address, *block));
    }
    report_pointer(write ? "write to heapkit's guard pages outside every block, at"
                         : "read of heapkit's guard pages outside every block, at",
                   info->si_addr);
}

// --- the pool ----------------------------------------------------------------------------------

bool build_pool() noexcept {
    const std::size_t page = os::page_bytes();
    void* mapping = os_memory::map_inaccessible(pool_bytes + page);
    if (mapping == nullptr) return false;
    try {
        new (pool_storage) guard_pool(static_cast<std::byte*>(mapping) + page, page);
        pool().live_limit = live_guarded_limit();
    } catch (...) {
        os_memory::unmap(mapping, pool_bytes + page);
        return false;
    }
    struct sigaction handler {};
    handler.sa_sigaction = on_fault;
    handler.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&handler.sa_mask);
    ::sigaction(SIGSEGV, &handler, &previous_handler);
    pool_begin.store(reinterpret_cast<std::uintptr_t>(mapping), std::memory_order_relaxed);
    pool_end.store(reinterpret_cast<std::uintptr_t>(mapping) + pool_bytes + page, std::memory_order_relaxed);
    return true;
}

void say_unguarded_once(guard_pool& guarded, const char* why) noexcept {
    if (guarded.unguarded_said) return;
    guarded.unguarded_said = true;
    report_line(std::string("heapkit: HEAPKIT_GUARD: ") + why + "; later blocks may go unguarded");
}

std::size_t run_pages(const guarded_block& block) noexcept { return block.data_pages + 1; }

// The oldest freed run back to the allocator (its pages stay PROT_NONE until reused).
void release_oldest(guard_pool& guarded) {
    const std::uintptr_t run = guarded.quarantine.front();
    const auto found = guarded.runs.find(run);
    guarded.quarantined_pages -= run_pages(found->second);
    guarded.pages.free((run - reinterpret_cast<std::uintptr_t>(guarded.start)) / guarded.page);
    guarded.runs.erase(found);
    guarded.quarantine.pop_front();
}

// The block whose run holds `pointer` (its data pages, or its end for a malloc(0) block), or null.
guarded_block* block_holding(guard_pool& guarded, const void* pointer) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    auto above = guarded.runs.upper_bound(address);
    if (above == guarded.runs.begin()) return nullptr;
    guarded_block& block = std::prev(above)->second;
    return address <= block.run + block.data_pages * guarded.page ? &block : nullptr;
}

// Whether the fill of [from, to) is intact.
bool slack_intact(std::uintptr_t from, std::uintptr_t to) noexcept {
    for (std::uintptr_t at = from; at < to; ++at)
        if (*reinterpret_cast<const unsigned char*>(at) != slack_fill) return false;
    return true;
}

constinit cached_flag guard_flag{[]() noexcept { return settings().guard_every != 0; }};

}  // namespace

bool guard_enabled() noexcept { return guard_flag.get(); }

bool guard_takes_next() noexcept {
    const unsigned long every = settings().guard_every;
    return every == 1 || allocations_seen.fetch_add(1, std::memory_order_relaxed) % every == 0;
}

bool guard_owns(const void* pointer) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    return address >= pool_begin.load(std::memory_order_relaxed) && address < pool_end.load(std::memory_order_relaxed);
}

void* guarded_allocate(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept {
    const std::size_t page = os::page_bytes();
    if (alignment > page || size > pool_bytes / 2) return nullptr;
    const caller_scope inside(caller::guard_pool);  // the map's and the allocator's own calls are served unguarded
    const pool_lock hold;
    if (!pool_built && !(pool_built = build_pool())) return nullptr;
    guard_pool& guarded = pool();
    if (guarded.live >= guarded.live_limit) {
        say_unguarded_once(guarded, "as many blocks are guarded as the kernel's limit on mappings allows (vm.max_map_count)");
        return nullptr;
    }
    const bool left = settings().guard_left;
    const std::size_t rounded = left ? size : (size + alignment - 1) & ~(alignment - 1);
    const std::size_t data_pages = rounded == 0 ? 1 : (rounded + page - 1) / page;
    const result<Offset> first = guarded.pages.try_allocate(data_pages + 1);
    if (!first) {
        say_unguarded_once(guarded, "the pool is full");
        return nullptr;
    }
    const auto run = reinterpret_cast<std::uintptr_t>(guarded.start) + *first * page;
    const std::uintptr_t data_end = run + data_pages * page;
    if (!os_memory::protect(reinterpret_cast<void*>(run), data_pages * page, os_memory::access::read_write)) {
        guarded.pages.free(*first);
        say_unguarded_once(guarded, "the kernel refuses to change more pages (mprotect)");
        return nullptr;
    }
    guarded_block block;
    block.run = run;
    block.user = left ? run : (data_end - size) & ~(std::uintptr_t{alignment} - 1);
    block.size = size;
    block.data_pages = data_pages;
    block.kind = kind;
    block.allocated_at.capture();
    std::memset(reinterpret_cast<void*>(run), slack_fill, block.user - run);  // the rest of the pages, both sides
    std::memset(reinterpret_cast<void*>(block.user + size), slack_fill, data_end - block.user - size);
    try {
        guarded.runs.emplace(run, block);
    } catch (...) {
        os_memory::protect(reinterpret_cast<void*>(run), data_pages * page, os_memory::access::none);
        guarded.pages.free(*first);
        return nullptr;
    }
    ++guarded.live;
    return reinterpret_cast<void*>(block.user);
}

namespace {

// The live block starting at `pointer`; anything else ends the program with its verdict.
guarded_block& live_block_at(guard_pool& guarded, const void* pointer) noexcept {
    guarded_block* block = pool_built ? block_holding(guarded, pointer) : nullptr;
    if (block == nullptr) report_pointer("free of a pointer heapkit never handed out:", pointer);
    if (reinterpret_cast<std::uintptr_t>(pointer) != block->user) {
        if (block->freed) report_pointer("free of a pointer heapkit never handed out:", pointer);
        report_block(debug_issue::interior_pointer, *block);
    }
    if (block->freed) report_block(debug_issue::double_free, *block);
    return *block;
}

}  // namespace

void guarded_deallocate(void* pointer, allocation_kind kind, std::size_t stated_size) noexcept {
    const caller_scope inside(caller::guard_pool);
    const pool_lock hold;
    guard_pool& guarded = pool();
    guarded_block* block = &live_block_at(guarded, pointer);
    if (block->kind != kind) report_block(debug_issue::mismatched_free, *block, {}, kind);
    if (stated_size != 0 && stated_size != block->size) report_block(debug_issue::wrong_size, *block, {}, kind, stated_size);
    const std::uintptr_t data_start = block->run;
    const std::uintptr_t data_end = data_start + block->data_pages * guarded.page;
    if (!slack_intact(data_start, block->user)) report_block(debug_issue::underflow, *block);
    if (!slack_intact(block->user + block->size, data_end)) report_block(debug_issue::overflow, *block);
    block->freed_at.capture();
    block->freed = true;
    --guarded.live;
    os_memory::protect(reinterpret_cast<void*>(data_start), block->data_pages * guarded.page, os_memory::access::none);
    os_memory::discard(reinterpret_cast<void*>(data_start), block->data_pages * guarded.page);
    try {
        guarded.quarantine.push_back(data_start);
        guarded.quarantined_pages += run_pages(*block);
        while (guarded.quarantined_pages > quarantine_pages_limit) release_oldest(guarded);
    } catch (...) {  // no room to queue it: the run stays out of use for good
    }
}

std::size_t guarded_live_size(const void* pointer) noexcept {
    const caller_scope inside(caller::guard_pool);
    const pool_lock hold;
    return live_block_at(pool(), pointer).size;
}

void for_each_live_guarded(void (*visit)(std::uintptr_t start, std::size_t size, void* context), void* context) noexcept {
    const pool_lock hold;
    if (!pool_built) return;
    for (const auto& [run, block] : pool().runs)
        if (!block.freed) visit(block.user, block.size, context);
}

void lock_guard_pool() noexcept { pthread_mutex_lock(&pool_mutex); }
void unlock_guard_pool() noexcept { pthread_mutex_unlock(&pool_mutex); }

}  // namespace heapkit::malloc_layer

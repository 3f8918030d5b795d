// SPDX-License-Identifier: MIT
// classify_reach: the roots from dl_iterate_phdr, pthread_getattr_np and the table of other
// threads' stacks, then a worklist mark.
#include "leak_scan.hpp"

#include <dlfcn.h>
#include <link.h>
#include <setjmp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "heapkit/heap/detail/os.hpp"
#include "thread_stacks.hpp"

namespace heapkit::malloc_layer {

namespace {

enum class mark : unsigned char { unreached, reached, leader, follower };

class marker {
public:
    explicit marker(std::span<const live_block> blocks) : blocks_(blocks), marks_(blocks.size(), mark::unreached) {}

    // Every word of [from, to) that points into a block: the block gets `as` if it has none yet
    // (or, for a follower mark, is a leader other than `leader`), and is queued to be scanned.
    void scan(std::uintptr_t from, std::uintptr_t to, mark as, std::size_t leader = ~std::size_t{0}) {
        from = (from + sizeof(void*) - 1) & ~(sizeof(void*) - 1);
        for (std::uintptr_t at = from; at + sizeof(void*) <= to; at += sizeof(void*)) {
            std::uintptr_t word;
            std::memcpy(&word, reinterpret_cast<const void*>(at), sizeof word);
            const std::size_t found = block_holding(word);
            if (found == none) continue;
            const mark now = marks_[found];
            if (now == mark::unreached || (as == mark::follower && now == mark::leader && found != leader)) {
                marks_[found] = as;
                pending_.push_back(found);
            }
        }
    }
    // Scans the blocks queued, and those they reach, with the same mark.
    void drain(mark as, std::size_t leader = ~std::size_t{0}) {
        while (!pending_.empty()) {
            const std::size_t next = pending_.back();
            pending_.pop_back();
            scan(blocks_[next].start, blocks_[next].start + blocks_[next].size, as, leader);
        }
    }
    // Each unreached block in address order leads the lost blocks it reaches.
    void mark_lost() {
        for (std::size_t i = 0; i < blocks_.size(); ++i) {
            if (marks_[i] != mark::unreached) continue;
            marks_[i] = mark::leader;
            scan(blocks_[i].start, blocks_[i].start + blocks_[i].size, mark::follower, i);
            drain(mark::follower, i);
        }
    }
    std::vector<reach> result() const {
        std::vector<reach> reaches(marks_.size());
        for (std::size_t i = 0; i < marks_.size(); ++i)
            reaches[i] = marks_[i] == mark::reached  ? reach::still_reachable
                         : marks_[i] == mark::leader ? reach::definitely_lost
                                                     : reach::indirectly_lost;
        return reaches;
    }

private:
    static constexpr std::size_t none = ~std::size_t{0};

    std::size_t block_holding(std::uintptr_t address) const noexcept {
        const auto after = std::upper_bound(blocks_.begin(), blocks_.end(), address,
                                            [](std::uintptr_t value, const live_block& block) { return value < block.start; });
        if (after == blocks_.begin()) return none;
        const live_block& block = *std::prev(after);
        const bool inside = address < block.start + std::max<std::size_t>(block.size, 1);
        return inside ? static_cast<std::size_t>(std::prev(after) - blocks_.begin()) : none;
    }

    std::span<const live_block> blocks_;
    std::vector<mark> marks_;
    std::vector<std::size_t> pending_;
};

struct module_roots {
    marker* scanner;
    const void* own_base;  // heapkit's module: its tables are not the program's roots
};

int scan_module(dl_phdr_info* info, std::size_t, void* context) {
    auto& roots = *static_cast<module_roots*>(context);
    if (reinterpret_cast<const void*>(info->dlpi_addr) == roots.own_base) return 0;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& segment = info->dlpi_phdr[i];
        if (segment.p_type == PT_LOAD && (segment.p_flags & PF_W) != 0) {
            const std::uintptr_t start = info->dlpi_addr + segment.p_vaddr;
            roots.scanner->scan(start, start + segment.p_memsz, mark::reached);
        } else if (segment.p_type == PT_TLS && info->dlpi_tls_data != nullptr) {
            const auto start = reinterpret_cast<std::uintptr_t>(info->dlpi_tls_data);
            roots.scanner->scan(start, start + segment.p_memsz, mark::reached);
        }
    }
    return 0;
}

// The calling thread's stack from here up, with the callee-saved registers spilled into it.
[[gnu::noinline]] void scan_own_stack(marker& scanner) {
    jmp_buf registers;
    setjmp(registers);
    __builtin_unwind_init();
    const os::stack_bounds stack = os::thread_stack();
    const auto here = reinterpret_cast<std::uintptr_t>(&registers);
    if (here > stack.low && here < stack.high) scanner.scan(here, stack.high, mark::reached);
}

// Another thread's stack, page by page from the top while the pages are mapped (a main thread's
// bounds run below what its stack has grown to), leaving out pages never touched (mincore: not
// resident; an untouched page reads as zeros).
void scan_other_stack(std::uintptr_t low, std::uintptr_t high, void* context) {
    auto& scanner = *static_cast<marker*>(context);
    const std::uintptr_t page = os::page_bytes();
    constexpr std::size_t chunk_pages = 64;
    unsigned char resident[chunk_pages];
    low = (low + page - 1) & ~(page - 1);
    for (std::uintptr_t top = high & ~(page - 1); top > low;) {
        const std::uintptr_t bottom = top - low > chunk_pages * page ? top - chunk_pages * page : low;
        if (::mincore(reinterpret_cast<void*>(bottom), top - bottom, resident) != 0) {
            // The mapping ends inside this chunk (a main thread's stack): its pages from the top
            // while they are mapped.
            for (std::uintptr_t at = top; at > bottom && ::mincore(reinterpret_cast<void*>(at - page), page, resident) == 0;
                 at -= page)
                if ((resident[0] & 1) != 0) scanner.scan(at - page, at, mark::reached);
            return;
        }
        for (std::size_t i = 0; i < (top - bottom) / page; ++i)
            if ((resident[i] & 1) != 0) scanner.scan(bottom + i * page, bottom + (i + 1) * page, mark::reached);
        top = bottom;
    }
}

}  // namespace

std::vector<reach> classify_reach(std::span<const live_block> blocks, std::span<const live_block> extra_roots) {
    marker scanner(blocks);
    for (const live_block& root : extra_roots) scanner.scan(root.start, root.start + root.size, mark::reached);
    Dl_info own{};
    ::dladdr(reinterpret_cast<void*>(&classify_reach), &own);
    module_roots roots{&scanner, own.dli_fbase};
    ::dl_iterate_phdr(scan_module, &roots);
    scan_own_stack(scanner);
    for_each_other_thread_stack(scan_other_stack, &scanner);
    scanner.drain(mark::reached);
    scanner.mark_lost();
    return scanner.result();
}

}  // namespace heapkit::malloc_layer

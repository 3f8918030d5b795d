// SPDX-License-Identifier: MIT
// Large blocks over mmap/mremap/munmap.
#include "large_blocks.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace heapkit::malloc_layer {

namespace {

// Right before every large block's pointer.
struct large_header {
    std::uint64_t magic;        // large_magic ^ the pointer: a stale or foreign header will not match
    void* mapping;              // what mmap returned
    std::size_t mapping_bytes;  // its length
    std::size_t usable_bytes;   // from the pointer to the mapping's end
};
static_assert(sizeof(large_header) == 32);
constexpr std::uint64_t large_magic = 0x6865617061726765ull;  // "heaparge"

std::size_t page_bytes() noexcept {
    static const auto bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return bytes;
}

large_header* header_of(const void* pointer) noexcept {
    return reinterpret_cast<large_header*>(const_cast<char*>(static_cast<const char*>(pointer)) - sizeof(large_header));
}

std::uint64_t magic_for(const void* pointer) noexcept { return large_magic ^ reinterpret_cast<std::uintptr_t>(pointer); }

}  // namespace

void* allocate_large(std::size_t size, std::size_t alignment) noexcept {
    const std::size_t page = page_bytes();
    const std::size_t lead = alignment > 16 ? alignment : 16;  // room for the header, aligned
    const std::size_t limit = ~std::size_t{0} - lead - sizeof(large_header) - page;
    if (size > limit || lead > limit - size) return nullptr;
    const std::size_t mapping_bytes = (size + lead + sizeof(large_header) + page - 1) / page * page;
    void* mapping = ::mmap(nullptr, mapping_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    const auto base = reinterpret_cast<std::uintptr_t>(mapping) + sizeof(large_header);
    const std::uintptr_t user = (base + lead - 1) & ~(std::uintptr_t{lead} - 1);
    auto* pointer = reinterpret_cast<void*>(user);
    *header_of(pointer) = {magic_for(pointer), mapping, mapping_bytes,
                           reinterpret_cast<std::uintptr_t>(mapping) + mapping_bytes - user};
    return pointer;
}

bool is_large(const void* pointer) noexcept {
    return reinterpret_cast<std::uintptr_t>(pointer) % 16 == 0 && header_of(pointer)->magic == magic_for(pointer);
}

void free_large(void* pointer) noexcept {
    large_header* header = header_of(pointer);
    header->magic = 0;  // a second free finds no header
    ::munmap(header->mapping, header->mapping_bytes);
}

std::size_t large_usable_size(const void* pointer) noexcept { return header_of(pointer)->usable_bytes; }

void* reallocate_large(void* pointer, std::size_t size) noexcept {
    large_header* header = header_of(pointer);
    const auto offset = static_cast<std::size_t>(static_cast<char*>(pointer) - static_cast<char*>(header->mapping));
    const std::size_t page = page_bytes();
    if (size > ~std::size_t{0} - offset - page) return nullptr;
    const std::size_t mapping_bytes = (offset + size + page - 1) / page * page;
    void* moved = ::mremap(header->mapping, header->mapping_bytes, mapping_bytes, MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) return nullptr;
    void* user = static_cast<char*>(moved) + offset;  // 16-aligned still; realloc promises no more
    *header_of(user) = {magic_for(user), moved, mapping_bytes, mapping_bytes - offset};
    return user;
}

}  // namespace heapkit::malloc_layer

// SPDX-License-Identifier: MIT
// The symbols libheapkit_malloc.so exports: the C allocation functions with glibc's semantics
// and every form of operator new and delete, all over process_heap (glibc's introspection
// functions are in glibc_introspection.cpp). Everything else in the library is hidden.
#include <errno.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "debug_mode.hpp"
#include "export.hpp"
#include "heapkit/malloc.h"
#include "heapkit/offset/units.hpp"
#include "heapkit/version.hpp"
#include "os_memory.hpp"
#include "process_heap.hpp"
#include "program_runtime.hpp"
#include "recorder.hpp"

namespace {

using namespace heapkit::malloc_layer;
using heapkit::allocation_kind;
using heapkit::is_power_of_two;
using heapkit::malloc_layer::os_memory::page_bytes;

constexpr std::size_t fundamental_alignment = alignof(std::max_align_t);

[[gnu::hot]] void* aligned(std::size_t alignment, std::size_t size, allocation_kind kind = allocation_kind::malloc) noexcept {
    return allocate(size, alignment < fundamental_alignment ? fundamental_alignment : alignment, kind);
}

// operator new's loop: call the program's new handler until it gives up (it removes itself or
// throws), then throw through the program's runtime.
[[gnu::hot]] void* new_or_throw(std::size_t size, std::size_t alignment, allocation_kind kind) {
    for (;;) {
        if (void* pointer = aligned(alignment, size, kind)) return pointer;
        const std::new_handler handler = program_runtime::new_handler();
        if (handler == nullptr) program_runtime::throw_bad_alloc();
        handler();
    }
}

// The nothrow forms (`aligned_form`: those taking an align_val_t). Where a new handler is set,
// the program's runtime runs the loop and catches what it throws: heapkit's code never catches a
// program's exception.
[[gnu::hot]] void* new_or_null(std::size_t size, std::size_t alignment, allocation_kind kind, bool aligned_form) noexcept {
    if (void* pointer = aligned(alignment, size, kind)) return pointer;
    if (program_runtime::new_handler() == nullptr) return nullptr;
    return program_runtime::nothrow_new(size, aligned_form ? alignment : 0, kind == allocation_kind::new_array);
}

// The allocation calls, [[gnu::hot]] as every function on a process's usual path (malloc/CMakeLists.txt
// says why).
#define HEAPKIT_ALLOCATION_CALL HEAPKIT_EXPORT __attribute__((hot))

constexpr allocation_kind single = allocation_kind::new_object;
constexpr allocation_kind array = allocation_kind::new_array;

}  // namespace

HEAPKIT_EXPORT const char* heapkit_malloc_version() { return "heapkit malloc " HEAPKIT_VERSION_STRING; }

HEAPKIT_EXPORT int heapkit_malloc_read_statistics(heapkit_malloc_statistics* out) { return read_statistics(*out) ? 1 : 0; }

HEAPKIT_EXPORT const char* heapkit_malloc_validate() { return validate(); }

HEAPKIT_EXPORT long heapkit_malloc_leak_check() { return debug_leak_check(); }

HEAPKIT_ALLOCATION_CALL void* malloc(std::size_t size) { return allocate(size, fundamental_alignment); }

HEAPKIT_ALLOCATION_CALL void free(void* pointer) { deallocate(pointer); }

HEAPKIT_ALLOCATION_CALL void* calloc(std::size_t count, std::size_t size) {
    std::size_t bytes = 0;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return nullptr;
    }
    return allocate_zeroed(bytes);
}

HEAPKIT_ALLOCATION_CALL void* realloc(void* pointer, std::size_t size) {
    if (pointer == nullptr) return allocate(size, fundamental_alignment);
    if (size == 0) {  // glibc: frees and returns null
        deallocate(pointer);
        return nullptr;
    }
    return reallocate(pointer, size);
}

HEAPKIT_ALLOCATION_CALL void* reallocarray(void* pointer, std::size_t count, std::size_t size) {
    std::size_t bytes = 0;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return nullptr;
    }
    return realloc(pointer, bytes);
}

HEAPKIT_ALLOCATION_CALL int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
    if (!is_power_of_two(alignment) || alignment % sizeof(void*) != 0) return EINVAL;
    const int saved = errno;
    void* pointer = aligned(alignment, size);
    errno = saved;  // posix_memalign reports through its result only
    if (pointer == nullptr) return ENOMEM;
    *out = pointer;
    return 0;
}

HEAPKIT_ALLOCATION_CALL void* aligned_alloc(std::size_t alignment, std::size_t size) {
    if (!is_power_of_two(alignment)) {
        errno = EINVAL;
        return nullptr;
    }
    return aligned(alignment, size);
}

HEAPKIT_ALLOCATION_CALL void* memalign(std::size_t alignment, std::size_t size) {
    if (alignment > (~std::size_t{0} >> 1) + 1) {
        errno = EINVAL;
        return nullptr;
    }
    std::size_t power = 1;  // glibc rounds an alignment that is no power of two up to one
    while (power < alignment) power <<= 1;
    return aligned(power, size);
}

HEAPKIT_ALLOCATION_CALL void* valloc(std::size_t size) { return aligned(page_bytes(), size); }

HEAPKIT_ALLOCATION_CALL void* pvalloc(std::size_t size) {
    const std::size_t page = page_bytes();
    if (size > ~std::size_t{0} - page) {
        errno = ENOMEM;
        return nullptr;
    }
    return aligned(page, size == 0 ? page : (size + page - 1) / page * page);
}

HEAPKIT_ALLOCATION_CALL std::size_t malloc_usable_size(void* pointer) { return pointer == nullptr ? 0 : usable_size(pointer); }

// --- operator new and delete, every form -----------------------------------------------------
#define HEAPKIT_OPERATOR __attribute__((visibility("default"), hot))

HEAPKIT_OPERATOR void* operator new(std::size_t size) { return new_or_throw(size, fundamental_alignment, single); }
HEAPKIT_OPERATOR void* operator new[](std::size_t size) { return new_or_throw(size, fundamental_alignment, array); }
HEAPKIT_OPERATOR void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return new_or_null(size, fundamental_alignment, single, false);
}
HEAPKIT_OPERATOR void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return new_or_null(size, fundamental_alignment, array, false);
}
HEAPKIT_OPERATOR void* operator new(std::size_t size, std::align_val_t alignment) {
    return new_or_throw(size, static_cast<std::size_t>(alignment), single);
}
HEAPKIT_OPERATOR void* operator new[](std::size_t size, std::align_val_t alignment) {
    return new_or_throw(size, static_cast<std::size_t>(alignment), array);
}
HEAPKIT_OPERATOR void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return new_or_null(size, static_cast<std::size_t>(alignment), single, true);
}
HEAPKIT_OPERATOR void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return new_or_null(size, static_cast<std::size_t>(alignment), array, true);
}

HEAPKIT_OPERATOR void operator delete(void* pointer) noexcept { deallocate(pointer, single); }
HEAPKIT_OPERATOR void operator delete[](void* pointer) noexcept { deallocate(pointer, array); }
HEAPKIT_OPERATOR void operator delete(void* pointer, std::size_t size) noexcept { deallocate(pointer, single, size); }
HEAPKIT_OPERATOR void operator delete[](void* pointer, std::size_t size) noexcept { deallocate(pointer, array, size); }
HEAPKIT_OPERATOR void operator delete(void* pointer, const std::nothrow_t&) noexcept { deallocate(pointer, single); }
HEAPKIT_OPERATOR void operator delete[](void* pointer, const std::nothrow_t&) noexcept { deallocate(pointer, array); }
HEAPKIT_OPERATOR void operator delete(void* pointer, std::align_val_t) noexcept { deallocate(pointer, single); }
HEAPKIT_OPERATOR void operator delete[](void* pointer, std::align_val_t) noexcept { deallocate(pointer, array); }
HEAPKIT_OPERATOR void operator delete(void* pointer, std::size_t size, std::align_val_t) noexcept {
    deallocate(pointer, single, size);
}
HEAPKIT_OPERATOR void operator delete[](void* pointer, std::size_t size, std::align_val_t) noexcept {
    deallocate(pointer, array, size);
}
HEAPKIT_OPERATOR void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
    deallocate(pointer, single);
}
HEAPKIT_OPERATOR void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
    deallocate(pointer, array);
}

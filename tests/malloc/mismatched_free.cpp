// SPDX-License-Identifier: MIT
// One block freed by the wrong family per run, for HEAPKIT_DEBUG=1 and HEAPKIT_GUARD=all:
// "free_of_new", "delete_of_new_array", "delete_array_of_new", "delete_of_malloc", and
// "wrong_sized_delete" (a 24-byte block given back by a sized delete that says 32). Each lives in
// a function of its own, which the report must name (linked with -rdynamic). Prints NOT_CAUGHT
// when the program got past the bug (bench/malloc/misuse_count.sh counts the mallocs that stop it).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {
void escape(void* pointer) { asm volatile("" : : "r"(pointer) : "memory"); }
}  // namespace

extern "C" {
__attribute__((noinline)) void free_of_new() {
    int* p = new int(1);
    escape(p);
    std::free(p);
}
__attribute__((noinline)) void delete_of_new_array() {
    char* p = new char[40];
    escape(p);
    delete reinterpret_cast<int*>(p);
}
__attribute__((noinline)) void delete_array_of_new() {
    int* p = new int(2);
    escape(p);
    delete[] p;
}
__attribute__((noinline)) void delete_of_malloc() {
    int* p = static_cast<int*>(std::malloc(sizeof(int)));
    escape(p);
    delete p;
}
__attribute__((noinline)) void wrong_sized_delete() {
    void* p = ::operator new(24);
    escape(p);
    ::operator delete(p, 32);
}
// The same mismatches on a large block (a mapping of its own: 1 MiB).
constexpr std::size_t large_bytes = std::size_t{1} << 20;
__attribute__((noinline)) void free_of_new_array_large() {
    char* p = new char[large_bytes];
    escape(p);
    std::free(p);
}
__attribute__((noinline)) void delete_of_malloc_large() {
    void* p = std::malloc(large_bytes);
    escape(p);
    ::operator delete(p);
}
__attribute__((noinline)) void realloc_of_new_large() {
    void* p = ::operator new(large_bytes);
    escape(p);
    escape(std::realloc(p, 2 * large_bytes));
}
}

int main(int argc, char** argv) {
    const char* bug = argc > 1 ? argv[1] : "";
    if (std::strcmp(bug, "free_of_new") == 0) free_of_new();
    if (std::strcmp(bug, "delete_of_new_array") == 0) delete_of_new_array();
    if (std::strcmp(bug, "delete_array_of_new") == 0) delete_array_of_new();
    if (std::strcmp(bug, "delete_of_malloc") == 0) delete_of_malloc();
    if (std::strcmp(bug, "wrong_sized_delete") == 0) wrong_sized_delete();
    if (std::strcmp(bug, "free_of_new_array_large") == 0) free_of_new_array_large();
    if (std::strcmp(bug, "delete_of_malloc_large") == 0) delete_of_malloc_large();
    if (std::strcmp(bug, "realloc_of_new_large") == 0) realloc_of_new_large();
    std::puts("NOT_CAUGHT");
    return 0;
}

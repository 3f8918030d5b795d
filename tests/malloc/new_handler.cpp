// SPDX-License-Identifier: MIT
// operator new under heapkit's malloc, which carries a private libstdc++: the new handler the
// program sets is the one called, the bad_alloc thrown is caught by the program with its
// uncaught-exception count intact, and the nothrow forms return null (a throwing handler
// included). Prints "ok" when every check holds, or the first that failed.
#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>

namespace {

int handler_calls = 0;

void give_up_on_second_call() {
    if (++handler_calls == 2) std::set_new_handler(nullptr);
}

void throw_from_handler() {
    ++handler_calls;
    throw std::bad_alloc();
}

volatile std::size_t impossible_bytes = SIZE_MAX / 2;  // no machine has it; volatile, so no compiler knows

int failed(const char* check) {
    std::printf("failed: %s (handler calls %d)\n", check, handler_calls);
    return 1;
}

}  // namespace

int main() {
    if (dlsym(RTLD_DEFAULT, "heapkit_malloc_version") == nullptr) return failed("heapkit's malloc is not loaded");

    std::set_new_handler(give_up_on_second_call);
    bool caught = false;
    try {
        char* never = new char[impossible_bytes];
        delete[] never;
    } catch (const std::bad_alloc&) {
        caught = std::uncaught_exceptions() == 0;
    }
    if (!caught || handler_calls != 2) return failed("new: the program's handler twice, then its bad_alloc");
    if (std::uncaught_exceptions() != 0) return failed("no uncaught exception left after the catch");

    handler_calls = 0;
    std::set_new_handler(give_up_on_second_call);
    if (new (std::nothrow) char[impossible_bytes] != nullptr || handler_calls != 2)
        return failed("nothrow new: the handler twice, then null");

    handler_calls = 0;
    std::set_new_handler(throw_from_handler);
    if (::operator new (impossible_bytes, std::align_val_t{64}, std::nothrow) != nullptr || handler_calls != 1)
        return failed("aligned nothrow new: a throwing handler once, then null");
    if (std::uncaught_exceptions() != 0) return failed("no uncaught exception left after the throwing handler");

    std::set_new_handler(nullptr);
    void* block = ::operator new(100);
    ::operator delete(block, 100);
    std::puts("ok");
    return 0;
}

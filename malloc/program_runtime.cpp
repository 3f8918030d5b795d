// SPDX-License-Identifier: MIT
// program_runtime: the program's libstdc++ (or libc++) functions by their mangled names through
// dlsym(RTLD_DEFAULT); heapkit's private copy is not in that scope (-Wl,--exclude-libs,ALL).
#include "program_runtime.hpp"

#include <cxxabi.h>
#include <dlfcn.h>

namespace __gnu_cxx {
void __freeres() noexcept;  // libstdc++'s own hook (glibc's __libc_freeres and valgrind call it): frees the pool
}  // namespace __gnu_cxx

namespace heapkit::malloc_layer::program_runtime {

namespace {

template <typename Function>
Function* exported(const char* mangled_name) noexcept {
    return reinterpret_cast<Function*>(dlsym(RTLD_DEFAULT, mangled_name));
}

// The per-thread exception state, as the Itanium C++ ABI (2.2.2) lays it out for every runtime.
struct exception_globals {
    void* caught_exceptions;           // the innermost handled exception
    unsigned int uncaught_exceptions;  // thrown and not yet caught
};

exception_globals* globals_of(abi::__cxa_eh_globals* globals) noexcept { return reinterpret_cast<exception_globals*>(globals); }

}  // namespace

std::new_handler new_handler() noexcept {
    using get_new_handler_function = std::new_handler() noexcept;
    auto* get = exported<get_new_handler_function>("_ZSt15get_new_handlerv");  // std::get_new_handler()
    return get == nullptr ? nullptr : get();
}

void throw_bad_alloc() {
    using throw_function = void();
    if (auto* program_throw = exported<throw_function>("_ZSt17__throw_bad_allocv")) program_throw();  // std::__throw_bad_alloc()
    throw std::bad_alloc();
}

void caught_program_exception() noexcept {
    using get_globals_function = abi::__cxa_eh_globals*() noexcept;
    auto* program_get_globals = exported<get_globals_function>("__cxa_get_globals");
    if (program_get_globals == nullptr) return;  // heapkit's own copy threw it: the counts agree
    --globals_of(program_get_globals())->uncaught_exceptions;
    ++globals_of(abi::__cxa_get_globals())->uncaught_exceptions;
}

void release_own_exception_pool() noexcept { __gnu_cxx::__freeres(); }

}  // namespace heapkit::malloc_layer::program_runtime

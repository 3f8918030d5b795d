// SPDX-License-Identifier: MIT
// program_runtime: the program's libstdc++ (or libc++) functions by their mangled names through
// dlsym: RTLD_DEFAULT for those heapkit does not define, RTLD_NEXT for the operators it interposes.
// heapkit's private copy is in neither scope (-Wl,--exclude-libs,ALL).
#include "program_runtime.hpp"

#include <dlfcn.h>

namespace __gnu_cxx {
void __freeres() noexcept;  // libstdc++'s own hook (glibc's __libc_freeres and valgrind call it): frees the pool
}  // namespace __gnu_cxx

namespace heapkit::malloc_layer::program_runtime {

namespace {

template <typename Function>
Function* exported(void* scope, const char* mangled_name) noexcept {
    return reinterpret_cast<Function*>(dlsym(scope, mangled_name));
}

}  // namespace

std::new_handler new_handler() noexcept {
    using get_new_handler_function = std::new_handler() noexcept;
    auto* get = exported<get_new_handler_function>(RTLD_DEFAULT, "_ZSt15get_new_handlerv");  // std::get_new_handler()
    return get == nullptr ? nullptr : get();
}

void throw_bad_alloc() {
    using throw_function = void();
    if (auto* program_throw = exported<throw_function>(RTLD_DEFAULT, "_ZSt17__throw_bad_allocv"))  // std::__throw_bad_alloc()
        program_throw();
    throw std::bad_alloc();
}

void* nothrow_new(std::size_t size, std::size_t alignment, bool array) noexcept {
    if (alignment == 0) {
        using new_function = void*(std::size_t, const std::nothrow_t&) noexcept;
        auto* program_new = exported<new_function>(RTLD_NEXT, array ? "_ZnamRKSt9nothrow_t" : "_ZnwmRKSt9nothrow_t");
        return program_new == nullptr ? nullptr : program_new(size, std::nothrow);
    }
    using aligned_new_function = void*(std::size_t, std::align_val_t, const std::nothrow_t&) noexcept;
    auto* program_new = exported<aligned_new_function>(
        RTLD_NEXT, array ? "_ZnamSt11align_val_tRKSt9nothrow_t" : "_ZnwmSt11align_val_tRKSt9nothrow_t");
    return program_new == nullptr ? nullptr : program_new(size, std::align_val_t{alignment}, std::nothrow);
}

void release_own_exception_pool() noexcept { __gnu_cxx::__freeres(); }

}  // namespace heapkit::malloc_layer::program_runtime

// SPDX-License-Identifier: MIT
// The table of live threads' stacks: slots of {low, high}, a slot free when high is 0, the slot
// number + 1 kept as the thread's value of the exit key.
#include "thread_stacks.hpp"

#include <pthread.h>

#include <array>
#include <atomic>

#include "heapkit/heap/detail/os.hpp"

namespace heapkit::malloc_layer {

namespace {

struct stack_slot {
    std::uintptr_t low;
    std::uintptr_t high;  // 0: a free slot
};

constexpr std::size_t slot_count = 4096;
constinit std::array<stack_slot, slot_count> slots{};  // under table_lock
constinit pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
// ~0u: no key yet. The process's first allocation (the main thread's, as a rule) comes before
// process_heap makes the key: that thread's slot is never forgotten, which for the main thread is
// right (its stack lives as long as the process).
constinit std::atomic<unsigned> exit_key{~0u};

__attribute__((tls_model("initial-exec"))) thread_local bool stack_noted = false;  // or found no slot

}  // namespace

void set_thread_stack_exit_key(unsigned key) noexcept { exit_key.store(key, std::memory_order_relaxed); }

void note_thread_stack() noexcept {
    if (stack_noted) return;
    stack_noted = true;
    const os::stack_bounds stack = os::thread_stack();
    if (stack.high == 0) return;
    pthread_mutex_lock(&table_lock);
    std::size_t slot = 0;
    while (slot < slot_count && slots[slot].high != 0) ++slot;
    if (slot < slot_count) slots[slot] = {stack.low, stack.high};
    pthread_mutex_unlock(&table_lock);
    const unsigned key = exit_key.load(std::memory_order_relaxed);
    if (slot < slot_count && key != ~0u) pthread_setspecific(static_cast<pthread_key_t>(key), reinterpret_cast<void*>(slot + 1));
}

void forget_thread_stack(void* slot) noexcept {
    const auto number = reinterpret_cast<std::uintptr_t>(slot);
    if (number == 0 || number > slot_count) return;
    pthread_mutex_lock(&table_lock);
    slots[number - 1] = {0, 0};
    pthread_mutex_unlock(&table_lock);
}

void for_each_other_thread_stack(void (*visit)(std::uintptr_t low, std::uintptr_t high, void* context), void* context) noexcept {
    const os::stack_bounds own = os::thread_stack();
    pthread_mutex_lock(&table_lock);
    for (const stack_slot& slot : slots)
        if (slot.high != 0 && slot.high != own.high) visit(slot.low, slot.high, context);
    pthread_mutex_unlock(&table_lock);
}

void lock_thread_stacks() noexcept { pthread_mutex_lock(&table_lock); }
void unlock_thread_stacks() noexcept { pthread_mutex_unlock(&table_lock); }

void keep_only_own_thread_stack_in_child() noexcept {
    const os::stack_bounds own = os::thread_stack();
    for (stack_slot& slot : slots)
        if (slot.high != own.high) slot = {0, 0};
}

}  // namespace heapkit::malloc_layer

// SPDX-License-Identifier: MIT
// The vmem-style arena: a locked tree with a source below it and magazines above it.
#include "heapkit/offset/resource_arena.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace heapkit {

namespace {

constexpr std::size_t most_classes = 64;  // cache_max / quantum: the magazines per slot

}  // namespace

// One slot's magazines, per size class: the loaded one and the previous one, each empty, full
// or in between (a magazine is full at rounds_ addresses).
struct alignas(64) resource_arena::slot {  // a cache line of its own: slots never share one
    struct magazines {
        std::vector<Offset> loaded;
        std::vector<Offset> previous;
    };
    std::mutex lock;
    std::vector<magazines> classes;
};

resource_arena::resource_arena(const options& chosen)
    : quantum_(chosen.quantum),
      cache_max_(0),
      rounds_(chosen.magazine_rounds),
      source_(chosen.source),
      import_size_(chosen.import_size) {
    if (!is_power_of_two(quantum_))
        throw_error(errc::invalid_alignment, "arena quantum " + std::to_string(quantum_) + " is not a power of two");
    if (source_ != nullptr && source_->quantum_ % quantum_ != 0)
        throw_error(errc::invalid_alignment, "the source's quantum " + std::to_string(source_->quantum_) +
                                                 " is not a multiple of the arena's " + std::to_string(quantum_));
    if (rounds_ == 0) throw_error(errc::invalid_size, "a magazine must hold at least one round");
    const Size classes = chosen.cache_max / quantum_;
    if (classes > most_classes)
        throw_error(errc::invalid_size, "cache_max " + std::to_string(chosen.cache_max) + " is more than " +
                                            std::to_string(most_classes) + " quanta of " + std::to_string(quantum_));
    cache_max_ = classes * quantum_;
    if (classes == 0) return;
    depot_.resize(classes);
    const std::size_t slot_count = std::max(2u, std::thread::hardware_concurrency());
    for (std::size_t i = 0; i < slot_count; ++i) {
        slots_.push_back(std::make_unique<slot>());
        slots_.back()->classes.resize(classes);
    }
}

resource_arena::~resource_arena() {
    reap();
    const std::lock_guard held(lock_);
    if (source_ == nullptr) return;
    for (const free_block& span : imported_) {
        if (arena_.try_remove_span(span.start, span.size) == errc::ok) source_->free(span.start, span.size);
    }
}

void resource_arena::add_span(Offset start, Size size) {
    const std::lock_guard held(lock_);
    arena_.add_span(start, size);
}

Size resource_arena::rounded(Size size) const {
    if (size == 0) throw_error(errc::invalid_size, "allocation size must be positive, got 0");
    if (size > ~Size{0} - (quantum_ - 1))
        throw_error(errc::invalid_size, "allocation size " + std::to_string(size) + " cannot be rounded up to the quantum");
    return (size + quantum_ - 1) & ~(quantum_ - 1);
}

// The slot of the CPU the thread runs on, as vmem's per-CPU caches: threads on different CPUs
// never meet, and one that migrates just uses another slot (its lock keeps that safe). Where the
// CPU is unknown, a number the thread got when it first came.
resource_arena::slot& resource_arena::my_slot() noexcept {
    const int cpu = ::sched_getcpu();
    if (cpu >= 0) return *slots_[static_cast<std::size_t>(cpu) % slots_.size()];
    static std::atomic<std::size_t> threads_seen{0};
    thread_local const std::size_t my_number = threads_seen.fetch_add(1, std::memory_order_relaxed);
    return *slots_[my_number % slots_.size()];
}

Offset resource_arena::allocate(Size size) {
    const Size units = rounded(size);
    if (units <= cache_max_) {
        slot& mine = my_slot();
        const std::lock_guard slot_held(mine.lock);
        slot::magazines& cached = mine.classes[class_of(units)];
        if (cached.loaded.empty()) std::swap(cached.loaded, cached.previous);
        if (cached.loaded.empty()) {
            const std::lock_guard held(lock_);
            std::vector<std::vector<Offset>>& full = depot_[class_of(units)];
            if (full.empty()) return allocate_locked(units);
            cached.loaded = std::move(full.back());
            full.pop_back();
        }
        const Offset address = cached.loaded.back();
        cached.loaded.pop_back();
        return address;
    }
    const std::lock_guard held(lock_);
    return allocate_locked(units);
}

void resource_arena::free(Offset address, Size size) {
    const Size units = rounded(size);
    if (units <= cache_max_) {
        slot& mine = my_slot();
        const std::lock_guard slot_held(mine.lock);
        slot::magazines& cached = mine.classes[class_of(units)];
        if (cached.loaded.size() == rounds_) {
            if (cached.previous.empty()) {
                std::swap(cached.loaded, cached.previous);
            } else {
                std::vector<Offset> fresh;
                fresh.reserve(rounds_);  // may throw: nothing changed yet
                const std::lock_guard held(lock_);
                depot_[class_of(units)].push_back(std::move(cached.previous));
                cached.previous = std::move(cached.loaded);
                cached.loaded = std::move(fresh);
            }
        }
        cached.loaded.push_back(address);
        return;
    }
    const std::lock_guard held(lock_);
    free_locked(address, units);
}

Offset resource_arena::allocate_locked(Size size) {
    if (const result<Offset> placed = arena_.try_allocate(size, quantum_)) return *placed;
    if (source_ == nullptr) return arena_.allocate(size, quantum_);  // throws, with the arena's figures
    const Size wanted = std::max(size, rounded(std::max<Size>(import_size_, 1)));
    const Offset start = source_->allocate(wanted);  // child before parent: the one lock order
    try {
        imported_.reserve(imported_.size() + 1);
        arena_.add_span(start, wanted);
    } catch (...) {
        source_->free(start, wanted);
        throw;
    }
    imported_.push_back({start, wanted});
    // Inside the span just imported, so that it does not straddle into a neighbouring one.
    constraints inside;
    inside.alignment = quantum_;
    inside.min_address = start;
    inside.max_address = start + wanted;
    return arena_.allocate(size, inside);
}

void resource_arena::free_locked(Offset address, Size size) {
    arena_.free(address, size);
    // Every imported span the block overlapped (it may cover two that the source gave side by
    // side) goes back when it is wholly free now.
    for (auto span = imported_.begin(); span != imported_.end();) {
        const bool overlaps = span->start < address + size && address < span->start + span->size;
        if (overlaps && arena_.try_remove_span(span->start, span->size) == errc::ok) {
            source_->free(span->start, span->size);
            span = imported_.erase(span);
        } else {
            ++span;
        }
    }
}

void resource_arena::reap() {
    for (const std::unique_ptr<slot>& each : slots_) {
        const std::lock_guard slot_held(each->lock);
        const std::lock_guard held(lock_);
        for (std::size_t size_class = 0; size_class < each->classes.size(); ++size_class) {
            slot::magazines& cached = each->classes[size_class];
            for (std::vector<Offset>* magazine : {&cached.loaded, &cached.previous}) {
                for (const Offset address : *magazine) free_locked(address, (size_class + 1) * quantum_);
                magazine->clear();
            }
        }
    }
    const std::lock_guard held(lock_);
    for (std::size_t size_class = 0; size_class < depot_.size(); ++size_class) {
        for (const std::vector<Offset>& magazine : depot_[size_class]) {
            for (const Offset address : magazine) free_locked(address, (size_class + 1) * quantum_);
        }
        depot_[size_class].clear();
    }
}

Size resource_arena::capacity() const {
    const std::lock_guard held(lock_);
    return arena_.capacity();
}

Size resource_arena::free_memory() const {
    const std::lock_guard held(lock_);
    return arena_.free_memory();
}

Size resource_arena::cached_memory() const {
    Size units = 0;
    for (const std::unique_ptr<slot>& each : slots_) {
        const std::lock_guard slot_held(each->lock);
        for (std::size_t size_class = 0; size_class < each->classes.size(); ++size_class) {
            const slot::magazines& cached = each->classes[size_class];
            units += (cached.loaded.size() + cached.previous.size()) * (size_class + 1) * quantum_;
        }
    }
    const std::lock_guard held(lock_);
    for (std::size_t size_class = 0; size_class < depot_.size(); ++size_class) {
        for (const std::vector<Offset>& magazine : depot_[size_class]) units += magazine.size() * (size_class + 1) * quantum_;
    }
    return units;
}

std::size_t resource_arena::imported_span_count() const {
    const std::lock_guard held(lock_);
    return imported_.size();
}

void resource_arena::validate() const {
    const std::lock_guard held(lock_);
    arena_.validate();
    for (const free_block& span : imported_) {
        const std::vector<free_block>& spans = arena_.spans();
        const bool inside = std::any_of(spans.begin(), spans.end(), [&](const free_block& run) {
            return span.start >= run.start && span.start + span.size <= run.start + run.size;
        });
        if (!inside)
            throw std::logic_error("heapkit::resource_arena invariant RA1 broken: imported span at " +
                                   std::to_string(span.start) + " is not among the arena's spans");
    }
}

}  // namespace heapkit

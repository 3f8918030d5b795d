// SPDX-License-Identifier: MIT
// Allocator stress workloads for comparing mallocs through LD_PRELOAD (bench/malloc/compare.py),
// modelled on well-known patterns: small short-lived objects (bignum arithmetic), producer and
// consumer threads (every free cross-thread), a server with random sizes in several threads
// (Larson), the same with medium sizes, small objects written by several threads (false sharing,
// cache-thrash), very large blocks, realloc growth, and seven written from the public suites'
// descriptions of their tests: glibc's bench-malloc-thread and bench-malloc-simple, mimalloc's
// stress test (threads that come and go, handing blocks to each other), and mimalloc-bench's
// malloc-large, xmalloc-test, cache-scratch and alloc-test. Usage:
// heapkit_malloc_workloads NAME; prints a checksum.
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int worker_threads = 4;

struct xorshift {
    std::uint64_t state;
    std::uint64_t next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

// Bignum-like arithmetic: digit arrays born, combined and dying in quick succession.
std::uint64_t small_objects() {
    xorshift random{7};
    std::vector<std::uint32_t*> ring(256, nullptr);
    std::uint64_t checksum = 0;
    for (int step = 0; step < 20'000'000; ++step) {
        const std::size_t digits = 1 + random.next() % 24;
        auto* number = static_cast<std::uint32_t*>(std::malloc(digits * sizeof(std::uint32_t)));
        for (std::size_t i = 0; i < digits; ++i) number[i] = static_cast<std::uint32_t>(static_cast<std::size_t>(step) + i);
        std::uint32_t*& slot = ring[random.next() % ring.size()];
        if (slot != nullptr) checksum += slot[0];
        std::free(slot);
        slot = number;
    }
    for (std::uint32_t* number : ring) std::free(number);
    return checksum;
}

// Producers allocate and fill, consumers check and free: every free is cross-thread.
std::uint64_t producer_consumer() {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::pair<char*, std::size_t>> queue;
    std::atomic<std::uint64_t> checksum{0};
    constexpr int per_producer = 1'000'000;
    std::vector<std::thread> threads;
    for (int p = 0; p < worker_threads / 2; ++p) {
        threads.emplace_back([&, p] {
            xorshift random{static_cast<std::uint64_t>(p) + 11};
            for (int i = 0; i < per_producer; ++i) {
                const std::size_t size = 8 + random.next() % 250;
                char* item = static_cast<char*>(std::malloc(size));
                item[0] = static_cast<char>(size);
                std::unique_lock hold(mutex);
                changed.wait(hold, [&] { return queue.size() < 4096; });
                queue.emplace_back(item, size);
                changed.notify_all();
            }
        });
    }
    for (int c = 0; c < worker_threads / 2; ++c) {
        threads.emplace_back([&] {
            for (int i = 0; i < per_producer; ++i) {
                std::unique_lock hold(mutex);
                changed.wait(hold, [&] { return !queue.empty(); });
                const auto [item, size] = queue.front();
                queue.pop_front();
                changed.notify_all();
                hold.unlock();
                checksum += static_cast<unsigned char>(item[0]) + size;
                std::free(item);
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    return checksum;
}

// Runs work(thread index) on worker_threads threads at once; the sum of what they return.
template <class Work>
std::uint64_t on_every_thread(Work work) {
    std::atomic<std::uint64_t> checksum{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < worker_threads; ++t) threads.emplace_back([&, t] { checksum += work(t); });
    for (std::thread& thread : threads) thread.join();
    return checksum;
}

// Replaces random slots of a working set of `slot_count`, `steps` times, with blocks of
// size_for(step) bytes (called right after the slot is drawn from `random`), writing each block's
// first byte; the sum of the first bytes it read.
template <class SizeFor>
std::uint64_t replace_in_working_set(xorshift& random, std::size_t slot_count, int steps, SizeFor size_for) {
    std::vector<char*> slots(slot_count, nullptr);
    std::uint64_t sum = 0;
    for (int step = 0; step < steps; ++step) {
        char*& slot = slots[random.next() % slots.size()];
        if (slot != nullptr) sum += static_cast<unsigned char>(slot[0]);
        std::free(slot);
        slot = static_cast<char*>(std::malloc(size_for(step)));
        slot[0] = static_cast<char>(step);
    }
    for (char* slot : slots) std::free(slot);
    return sum;
}

// Larson's server in one thread: blocks of `min_bytes` to `min_bytes + span_bytes - 1`.
std::uint64_t replace_slots(std::uint64_t seed, std::size_t slot_count, int steps, std::size_t min_bytes,
                            std::size_t span_bytes) {
    xorshift random{seed};
    return replace_in_working_set(random, slot_count, steps, [&](int) { return min_bytes + random.next() % span_bytes; });
}

// The same with the sizes taken in turn from `sizes` (drawn beforehand from a distribution).
std::uint64_t replace_with_sizes(xorshift& random, const std::vector<std::size_t>& sizes, std::size_t slot_count, int steps) {
    return replace_in_working_set(random, slot_count, steps,
                                  [&](int step) { return sizes[static_cast<std::size_t>(step) % sizes.size()]; });
}

// Larson's server: each thread replaces random slots of its own with blocks of 16-2015 bytes.
std::uint64_t server() {
    return on_every_thread([](int t) { return replace_slots(static_cast<std::uint64_t>(t) * 7 + 3, 4000, 2'000'000, 16, 2000); });
}

// The server with medium blocks (2-64 KiB, I/O buffers and growing vectors): where a malloc that
// serves them from one locked heap makes its threads queue.
std::uint64_t medium_server() {
    return on_every_thread(
        [](int t) { return replace_slots(static_cast<std::uint64_t>(t) * 11 + 5, 64, 2'000'000, 2048, 62 * 1024); });
}

// Small objects written over and over by the threads that allocated them: an allocator that
// packs different threads' objects into one cache line makes the lines bounce.
std::uint64_t false_sharing() {
    return on_every_thread([](int) {
        std::uint64_t sum = 0;
        for (int round = 0; round < 50000; ++round) {
            auto* object = static_cast<volatile std::uint64_t*>(std::malloc(8));
            *object = 0;
            for (int write = 0; write < 5000; ++write) *object = *object + static_cast<std::uint64_t>(write);
            sum += *object;
            std::free(const_cast<std::uint64_t*>(object));
        }
        return sum;
    });
}

// Very large blocks (1-32 MiB), each touched on every page.
std::uint64_t large_blocks() {
    xorshift random{5};
    std::uint64_t checksum = 0;
    std::vector<char*> held(8, nullptr);
    std::vector<std::size_t> sizes(8, 0);
    for (int step = 0; step < 600; ++step) {
        const std::size_t slot = random.next() % held.size();
        std::free(held[slot]);
        sizes[slot] = (std::size_t{1} << 20) + random.next() % (std::size_t{31} << 20);
        held[slot] = static_cast<char*>(std::malloc(sizes[slot]));
        for (std::size_t page = 0; page < sizes[slot]; page += 4096) held[slot][page] = static_cast<char>(page);
        checksum += static_cast<unsigned char>(held[slot][sizes[slot] / 2 / 4096 * 4096]);
    }
    for (char* block : held) std::free(block);
    return checksum;
}

// mimalloc-bench's malloc-large, as its README describes it: 20 buffers of 5 to 25 MiB, a random
// one replaced again and again by a new buffer, which is made (and zero-filled, as
// std::make_unique<char[]> does) before the one it replaces is freed.
std::uint64_t malloc_large() {
    xorshift random{42};
    constexpr std::size_t buffers = 20, smallest = std::size_t{5} << 20, spread = std::size_t{20} << 20;
    std::vector<char*> held(buffers, nullptr);
    std::uint64_t checksum = 0;
    for (int step = 0; step < 500; ++step) {
        const std::size_t slot = random.next() % buffers;
        const std::size_t size = smallest + random.next() % spread;
        char* fresh = static_cast<char*>(std::malloc(size));
        std::memset(fresh, 0, size);
        fresh[size - 1] = static_cast<char>(step);
        std::free(held[slot]);
        held[slot] = fresh;
        checksum += static_cast<unsigned char>(fresh[size - 1]);
    }
    for (char* block : held) std::free(block);
    return checksum;
}

// glibc's own benchmark (benchtests/bench-malloc-thread.c), as it describes itself: each of two
// threads keeps a working set of 1024 blocks and replaces a random one, again and again, with a
// block of 4 to 32768 bytes drawn so that small sizes are far more frequent than large ones (the
// size's reciprocal uniform: density about 1/size^2).
std::uint64_t glibc_thread() {
    constexpr int threads = 2;
    std::atomic<std::uint64_t> checksum{0};
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t) {
        running.emplace_back([&, t] {
            xorshift random{static_cast<std::uint64_t>(t) * 13 + 1};
            constexpr double min_inverse = 1.0 / 4, max_inverse = 1.0 / 32768;
            std::vector<std::size_t> sizes(4096);
            for (std::size_t& size : sizes) {
                const double uniform = static_cast<double>(random.next() % 1'000'000) / 1e6;
                size = static_cast<std::size_t>(1.0 / (min_inverse + uniform * (max_inverse - min_inverse)));
            }
            checksum += replace_with_sizes(random, sizes, 1024, 30'000'000);
        });
    }
    for (std::thread& thread : running) thread.join();
    return checksum;
}

// glibc's simple benchmark (benchtests/bench-malloc-simple.c): one thread allocates a batch of
// blocks of one size and frees them in the order it took them, for batches of 25 to 1600 blocks
// of 16 to 4096 bytes: the fast paths without randomness.
std::uint64_t glibc_simple() {
    std::uint64_t checksum = 0;
    std::vector<void*> batch(1600);
    for (const std::size_t size : {std::size_t{16}, std::size_t{256}, std::size_t{1024}, std::size_t{4096}}) {
        for (const std::size_t count : {std::size_t{25}, std::size_t{100}, std::size_t{400}, std::size_t{1600}}) {
            for (std::size_t round = 0; round < 10'000'000 / count / 16; ++round) {
                for (std::size_t i = 0; i < count; ++i) {
                    batch[i] = std::malloc(size);
                    static_cast<char*>(batch[i])[0] = static_cast<char>(i);
                }
                checksum += static_cast<unsigned char>(static_cast<char*>(batch[round % count])[0]);
                for (std::size_t i = 0; i < count; ++i) std::free(batch[i]);
            }
        }
    }
    return checksum;
}

// xmalloc-test (Lever and Boreham's malloc-test, in mimalloc-bench as xmalloc-testN), as its paper
// describes it: some threads only allocate and others only free. Here one thread allocates batches
// of 4096 blocks of 8-1024 bytes and hands each batch, through a lock-protected stack of at most 8,
// to a thread that frees it: every free is of a block another thread allocated.
std::uint64_t xmalloc() {
    constexpr std::size_t batch_blocks = 4096, batches = 1000, most_waiting = 8;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::vector<char*>> waiting;
    bool done = false;
    std::uint64_t checksum = 0;
    std::thread freer([&] {
        for (;;) {
            std::unique_lock hold(mutex);
            changed.wait(hold, [&] { return !waiting.empty() || done; });
            if (waiting.empty()) return;
            std::vector<char*> batch = std::move(waiting.back());
            waiting.pop_back();
            changed.notify_all();
            hold.unlock();
            for (char* block : batch) {
                checksum += static_cast<unsigned char>(block[0]);
                std::free(block);
            }
        }
    });
    xorshift random{3};
    for (std::size_t b = 0; b < batches; ++b) {
        std::vector<char*> batch(batch_blocks);
        for (char*& block : batch) {
            block = static_cast<char*>(std::malloc(8 + random.next() % 1017));
            block[0] = static_cast<char>(b);
        }
        std::unique_lock hold(mutex);
        changed.wait(hold, [&] { return waiting.size() < most_waiting; });
        waiting.push_back(std::move(batch));
        changed.notify_all();
    }
    {
        std::lock_guard hold(mutex);
        done = true;
    }
    changed.notify_all();
    freer.join();
    return checksum;
}

// Hoard's cache-scratch, as its paper describes it: the main thread allocates one small object
// for each thread and hands it over; each thread frees it, then again and again allocates an
// object of that size, writes it many times and frees it. An allocator that gives a thread the
// memory another thread's object shares a cache line with makes the lines bounce.
std::uint64_t cache_scratch() {
    std::vector<char*> handed(worker_threads);
    for (char*& object : handed) object = static_cast<char*>(std::malloc(8));
    std::atomic<std::uint64_t> checksum{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < worker_threads; ++t) {
        threads.emplace_back([&, t] {
            std::free(handed[static_cast<std::size_t>(t)]);
            std::uint64_t sum = 0;
            for (int round = 0; round < 20000; ++round) {
                auto* object = static_cast<volatile char*>(std::malloc(8));
                for (int byte = 0; byte < 8; ++byte) object[byte] = 0;
                for (int write = 0; write < 5000; ++write) object[write % 8] = static_cast<char>(object[write % 8] + 1);
                sum += static_cast<unsigned char>(object[0]);
                std::free(const_cast<char*>(object));
            }
            checksum += sum;
        });
    }
    for (std::thread& thread : threads) thread.join();
    return checksum;
}

// alloc-test (OLogN's, in mimalloc-bench as alloc-test1 and alloc-testN), as its README describes
// it: intensive allocation with sizes drawn from a Pareto distribution, objects up to 1 KiB, random
// lifetimes. Here each of two threads replaces random slots of a 16384-slot working set.
std::uint64_t alloc_test() {
    std::atomic<std::uint64_t> checksum{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
            xorshift random{static_cast<std::uint64_t>(t) * 17 + 9};
            std::vector<std::size_t> sizes(8192);
            for (std::size_t& size : sizes) {  // Pareto, shape 1.2, from 8 bytes, capped at 1 KiB
                const double uniform = static_cast<double>(random.next() % 1'000'000 + 1) / 1e6;
                const double drawn = 8.0 / std::pow(uniform, 1.0 / 1.2);
                size = drawn > 1024.0 ? 1024 : static_cast<std::size_t>(drawn);
            }
            checksum += replace_with_sizes(random, sizes, 16384, 20'000'000);
        });
    }
    for (std::thread& thread : threads) thread.join();
    return checksum;
}

// mimalloc's stress test (test/test-stress.c), as its comments describe it: rounds of short-lived
// threads that allocate objects of mostly small sizes (1 in 100 up to 1 MiB), keep some, free
// others, and hand some to a shared transfer array, so that later threads (of the same round or
// the next ones) free and replace what earlier ones allocated, and threads end holding blocks.
std::uint64_t mstress() {
    constexpr int rounds = 10, threads = 4, items = 100'000;
    constexpr std::size_t transfer_slots = 1000;
    std::vector<std::atomic<std::uint64_t*>> transfer(transfer_slots);
    for (auto& slot : transfer) slot.store(nullptr);
    std::atomic<std::uint64_t> checksum{0};
    const auto allocate = [](xorshift& random) {
        std::size_t words = 1 + random.next() % 32;
        if (random.next() % 100 == 0) words *= 1 + random.next() % 4096;  // up to 1 MiB
        auto* object = static_cast<std::uint64_t*>(std::malloc(words * sizeof(std::uint64_t)));
        object[0] = words;
        object[words - 1] = words;
        return object;
    };
    const auto release = [](std::uint64_t* object) {
        if (object == nullptr) return std::uint64_t{0};
        const std::uint64_t words = object[0];
        const std::uint64_t check = object[words - 1] == words ? words : ~std::uint64_t{0};
        std::free(object);
        return check;
    };
    for (int round = 0; round < rounds; ++round) {
        std::vector<std::thread> running;
        for (int t = 0; t < threads; ++t) {
            running.emplace_back([&, round, t] {
                xorshift random{static_cast<std::uint64_t>(round) * 131 + static_cast<std::uint64_t>(t) * 7 + 1};
                std::vector<std::uint64_t*> kept(items / 10, nullptr);
                std::uint64_t sum = 0;
                for (int step = 0; step < items; ++step) {
                    std::uint64_t*& own = kept[random.next() % kept.size()];
                    sum += release(own);
                    own = allocate(random);
                    if (random.next() % 4 == 0) {  // swap one with whatever another thread left
                        std::uint64_t* given = transfer[random.next() % transfer_slots].exchange(allocate(random));
                        sum += release(given);
                    }
                }
                for (std::size_t i = 0; i < kept.size() / 2; ++i) sum += release(kept[i]);  // the rest stay allocated
                checksum += sum;
            });
        }
        for (std::thread& thread : running) thread.join();
    }
    for (auto& slot : transfer) checksum += release(slot.exchange(nullptr));
    return checksum;
}

// Buffers grown by realloc, as strings and vectors of unknown final size do.
std::uint64_t realloc_growth() {
    std::uint64_t checksum = 0;
    for (int round = 0; round < 240; ++round) {
        std::vector<char*> buffers(64, nullptr);
        for (std::size_t size = 16; size <= (std::size_t{1} << 18); size += size / 2 + 8) {
            for (char*& buffer : buffers) {
                buffer = static_cast<char*>(std::realloc(buffer, size));
                buffer[0] = 'x';
                buffer[size - 1] = static_cast<char>(size);
            }
        }
        for (char* buffer : buffers) {
            checksum += static_cast<unsigned char>(buffer[0]);
            std::free(buffer);
        }
    }
    return checksum;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string name = argc > 1 ? argv[1] : "";
    std::uint64_t checksum = 0;
    if (name == "small_objects")
        checksum = small_objects();
    else if (name == "producer_consumer")
        checksum = producer_consumer();
    else if (name == "server")
        checksum = server();
    else if (name == "medium_server")
        checksum = medium_server();
    else if (name == "false_sharing")
        checksum = false_sharing();
    else if (name == "large_blocks")
        checksum = large_blocks();
    else if (name == "malloc_large")
        checksum = malloc_large();
    else if (name == "realloc_growth")
        checksum = realloc_growth();
    else if (name == "glibc_thread")
        checksum = glibc_thread();
    else if (name == "glibc_simple")
        checksum = glibc_simple();
    else if (name == "mstress")
        checksum = mstress();
    else if (name == "xmalloc")
        checksum = xmalloc();
    else if (name == "cache_scratch")
        checksum = cache_scratch();
    else if (name == "alloc_test")
        checksum = alloc_test();
    else {
        std::fprintf(
            stderr,
            "usage: %s "
            "small_objects|producer_consumer|server|medium_server|false_sharing|large_blocks|malloc_large|realloc_growth|"
            "glibc_thread|glibc_simple|mstress|xmalloc|cache_scratch|alloc_test\n",
            argv[0]);
        return 2;
    }
    std::printf("%s %llu\n", name.c_str(), static_cast<unsigned long long>(checksum));
    return 0;
}

// SPDX-License-Identifier: MIT
// Allocator stress workloads for comparing mallocs through LD_PRELOAD (bench/malloc/compare.py),
// modelled on well-known patterns: small short-lived objects (bignum arithmetic), producer and
// consumer threads (every free cross-thread), a server with random sizes in several threads
// (Larson), the same with medium sizes, small objects written by several threads (false sharing,
// cache-scratch), very large blocks, and realloc growth. Usage: heapkit_malloc_workloads NAME;
// prints a checksum.
#include <atomic>
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

// Larson's server in one thread: replaces random slots of its own with blocks of `min_bytes` to
// `min_bytes + span_bytes - 1`, writing each one's first byte; the sum of the first bytes it read.
std::uint64_t replace_slots(std::uint64_t seed, std::size_t slot_count, int steps, std::size_t min_bytes,
                            std::size_t span_bytes) {
    xorshift random{seed};
    std::vector<char*> slots(slot_count, nullptr);
    std::uint64_t sum = 0;
    for (int step = 0; step < steps; ++step) {
        char*& slot = slots[random.next() % slots.size()];
        if (slot != nullptr) sum += static_cast<unsigned char>(slot[0]);
        std::free(slot);
        slot = static_cast<char*>(std::malloc(min_bytes + random.next() % span_bytes));
        slot[0] = static_cast<char>(step);
    }
    for (char* slot : slots) std::free(slot);
    return sum;
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
    else if (name == "realloc_growth")
        checksum = realloc_growth();
    else {
        std::fprintf(stderr,
                     "usage: %s small_objects|producer_consumer|server|medium_server|false_sharing|large_blocks|realloc_growth\n",
                     argv[0]);
        return 2;
    }
    std::printf("%s %llu\n", name.c_str(), static_cast<unsigned long long>(checksum));
    return 0;
}

// SPDX-License-Identifier: MIT
// The profile writer: varint records into a buffer, stacks and modules interned in tables of
// mapped memory, the file taken with care for the processes a profiled program starts.
#include "profile_writer.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "environment.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "os_memory.hpp"
#include "report_line.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr char magic[] = "heapkit profile 1\n";
constexpr std::size_t stack_depth = 8;  // frames kept outside heapkit
constexpr std::size_t captured_depth = stack_depth + 8;

// Record tags (docs/PROTOCOL.md, "Profile files").
enum tag : std::uint8_t {
    process = 'P',
    module = 'M',
    stack = 'S',
    thread = 'T',
    allocate = 'A',
    aligned_allocate = 'L',
    free_block = 'F',
    resize = 'R',
    end = 'E',
};

// An interned stack: the return addresses outside heapkit and the id its record gave it.
struct stack_entry {
    std::uint64_t hash;  // 0: empty slot
    std::uint32_t id;
    std::uint32_t depth;
    std::uintptr_t frames[stack_depth];
};
constexpr std::size_t stack_slots = std::size_t{1} << 16;  // cleared (and stacks written anew) when 3/4 full

struct module_entry {
    std::uintptr_t map_start;
    std::uintptr_t map_end;
    std::uint64_t id;
};
constexpr std::size_t module_slots = 1024;

// Live sampled blocks (HEAPKIT_PROFILE_SAMPLE), so that exactly their frees are written:
// open addressing on the address, 0 empty, 1 a removed entry.
constexpr std::size_t sampled_slots = std::size_t{1} << 20;
constexpr std::uintptr_t removed_entry = 1;

struct writer_state {  // all zeros until start(), so that it costs the library no initialised data
    bool writing = false;
    int fd = 0;
    std::uint64_t start_ns = 0;
    std::uint64_t last_us = 0;
    std::uintptr_t last_address = 0;
    std::uint32_t last_thread = 0;  // thread_number of the last event's thread; 0: none yet
    std::uint64_t sample_bytes = 0;
    std::uintptr_t self_start = 0, self_end = 0;  // libheapkit_malloc.so's mapping
    stack_entry* stacks = nullptr;
    std::size_t stacks_used = 0;
    std::uint32_t next_stack_id = 0;
    module_entry modules[module_slots] = {};
    std::size_t modules_used = 0;
    std::uintptr_t* sampled = nullptr;
    std::size_t sampled_used = 0;  // entries and removed entries
    std::uint8_t buffer[64 << 10] = {};
    std::size_t used = 0;
};

pthread_mutex_t writer_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards state
constinit writer_state state;
std::atomic<int> active{-1};  // -1 not decided yet, 0 no, 1 yes
std::atomic<std::uint32_t> threads_seen{0};
__attribute__((tls_model("initial-exec"))) thread_local std::uint32_t thread_number = 0;  // 1 + number; 0: none yet
__attribute__((tls_model("initial-exec"))) thread_local std::uint32_t thread_id = 0;      // the kernel's, once numbered
__attribute__((tls_model("initial-exec"))) thread_local bool inside_writer = false;
__attribute__((tls_model("initial-exec"))) thread_local std::uint64_t bytes_until_sample = 0;

std::uint64_t now_ns() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec);
}

void flush_locked() noexcept {
    std::size_t written = 0;
    while (written < state.used) {
        const ssize_t step = ::write(state.fd, state.buffer + written, state.used - written);
        if (step <= 0) break;
        written += static_cast<std::size_t>(step);
    }
    state.used = 0;
}
void ensure_room(std::size_t bytes) noexcept {
    if (sizeof state.buffer - state.used < bytes) flush_locked();
}
void put_byte(std::uint8_t byte) noexcept { state.buffer[state.used++] = byte; }
void put_varint(std::uint64_t value) noexcept {
    while (value >= 0x80) {
        put_byte(static_cast<std::uint8_t>(value | 0x80));
        value >>= 7;
    }
    put_byte(static_cast<std::uint8_t>(value));
}
void put_signed(std::int64_t value) noexcept {  // zigzag: small magnitudes either way stay short
    put_varint((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
}
void put_string(const char* text, std::size_t length) noexcept {
    put_varint(length);
    std::memcpy(state.buffer + state.used, text, length);
    state.used += length;
}
void put_address(std::uintptr_t address) noexcept {
    put_signed(static_cast<std::int64_t>(address - state.last_address));
    state.last_address = address;
}
// The start of an event: its tag, the microseconds since the last event, and first the thread's
// record when another thread wrote the last one.
void begin_event(tag kind) noexcept {
    ensure_room(96);
    if (thread_number == 0) {
        thread_number = threads_seen.fetch_add(1, std::memory_order_relaxed) + 1;
        thread_id = static_cast<std::uint32_t>(::syscall(SYS_gettid));
    }
    if (thread_number != state.last_thread) {
        state.last_thread = thread_number;
        put_byte(tag::thread);
        put_varint(thread_number - 1);
        put_varint(thread_id);
    }
    const std::uint64_t us = (now_ns() - state.start_ns) / 1000;
    put_byte(kind);
    put_varint(us - state.last_us);
    state.last_us = us;
}

std::uint64_t module_id(std::uintptr_t pc, std::uintptr_t& base) noexcept {
    dl_find_object found{};
    if (::_dl_find_object(reinterpret_cast<void*>(pc), &found) != 0) {
        base = 0;
        return 0;  // no module: the offset is the address
    }
    const auto start = reinterpret_cast<std::uintptr_t>(found.dlfo_map_start);
    base = found.dlfo_link_map != nullptr ? found.dlfo_link_map->l_addr : start;
    for (std::size_t i = 0; i < state.modules_used; ++i)
        if (state.modules[i].map_start == start) return state.modules[i].id;
    if (state.modules_used == module_slots) return 0;
    char path[1024];
    const char* name = found.dlfo_link_map != nullptr ? found.dlfo_link_map->l_name : nullptr;
    std::size_t length = 0;
    if (name == nullptr || name[0] == '\0') {  // the executable
        const ssize_t got = ::readlink("/proc/self/exe", path, sizeof path);
        length = got > 0 ? static_cast<std::size_t>(got) : 0;
    } else {
        length = std::min(std::strlen(name), sizeof path);
        std::memcpy(path, name, length);
    }
    module_entry& entry = state.modules[state.modules_used++];
    entry = {start, reinterpret_cast<std::uintptr_t>(found.dlfo_map_end), state.modules_used};
    ensure_room(length + 32);
    put_byte(tag::module);
    put_string(path, length);
    put_varint(base);
    return entry.id;
}

std::uint64_t hash_frames(const std::uintptr_t* frames, std::size_t depth) noexcept {
    std::uint64_t hash = 0x9E3779B97F4A7C15ull ^ depth;
    for (std::size_t i = 0; i < depth; ++i) hash = (hash ^ frames[i]) * 0xff51afd7ed558ccdull;
    return hash | 1;  // never 0, the empty slot
}

// The id of the stack (written first when new); 0 for none.
std::uint64_t stack_id(const std::uintptr_t* frames, std::size_t depth) noexcept {
    if (depth == 0 || state.stacks == nullptr) return 0;
    if (state.stacks_used >= stack_slots / 4 * 3) {  // full: start again, stacks are written anew
        std::memset(state.stacks, 0, stack_slots * sizeof(stack_entry));
        state.stacks_used = 0;
    }
    const std::uint64_t hash = hash_frames(frames, depth);
    for (std::size_t slot = hash % stack_slots;; slot = (slot + 1) % stack_slots) {
        stack_entry& entry = state.stacks[slot];
        if (entry.hash == 0) {
            entry.hash = hash;
            entry.depth = static_cast<std::uint32_t>(depth);
            std::memcpy(entry.frames, frames, depth * sizeof frames[0]);
            entry.id = state.next_stack_id++;
            ++state.stacks_used;
            std::uint64_t modules[stack_depth];
            std::uintptr_t offsets[stack_depth];
            for (std::size_t i = 0; i < depth; ++i) {
                std::uintptr_t base = 0;
                modules[i] = module_id(frames[i], base);
                offsets[i] = frames[i] - base;
            }
            ensure_room(16 + depth * 24);
            put_byte(tag::stack);
            put_varint(depth);
            for (std::size_t i = 0; i < depth; ++i) {
                put_varint(modules[i]);
                put_varint(offsets[i]);
            }
            return entry.id + 1;
        }
        if (entry.hash == hash && entry.depth == depth && std::memcmp(entry.frames, frames, depth * sizeof frames[0]) == 0)
            return entry.id + 1;
    }
}

// The caller's frames outside libheapkit_malloc.so, innermost first.
std::size_t program_frames(std::uintptr_t (&frames)[stack_depth]) noexcept {
    std::array<void*, captured_depth> taken{};
    const std::size_t depth = os::capture_backtrace(taken, 0);
    std::size_t first = 0;
    while (first < depth) {
        const auto pc = reinterpret_cast<std::uintptr_t>(taken[first]);
        if (pc < state.self_start || pc >= state.self_end) break;
        ++first;
    }
    std::size_t kept = 0;
    for (std::size_t i = first; i < depth && kept < stack_depth; ++i) frames[kept++] = reinterpret_cast<std::uintptr_t>(taken[i]);
    return kept;
}

std::size_t sampled_slot(std::uintptr_t address) noexcept { return (address >> 4) * 0x9E3779B97F4A7C15ull % sampled_slots; }

// Whether `address` was a sampled block (and is no longer one).
bool take_sampled(std::uintptr_t address) noexcept {
    for (std::size_t slot = sampled_slot(address);; slot = (slot + 1) % sampled_slots) {
        if (state.sampled[slot] == 0) return false;
        if (state.sampled[slot] == address) {
            state.sampled[slot] = removed_entry;
            return true;
        }
    }
}
// Remembers a sampled block; false when the table is full (the block is then not recorded).
bool add_sampled(std::uintptr_t address) noexcept {
    if (state.sampled_used >= sampled_slots / 4 * 3) return false;
    for (std::size_t slot = sampled_slot(address);; slot = (slot + 1) % sampled_slots) {
        if (state.sampled[slot] <= removed_entry) {
            if (state.sampled[slot] == 0) ++state.sampled_used;
            state.sampled[slot] = address;
            return true;
        }
    }
}

// Whether this thread's allocation of `size` bytes is one the sample keeps: one per sample_bytes
// allocated, counted per thread.
bool sample_this(std::size_t size) noexcept {
    if (state.sample_bytes == 0) return true;
    if (bytes_until_sample > size) {
        bytes_until_sample -= size;
        return false;
    }
    bytes_until_sample = state.sample_bytes - (size - bytes_until_sample) % state.sample_bytes;
    return true;
}

// The command line from /proc/self/cmdline, arguments separated by NUL bytes.
std::size_t read_command_line(char* line, std::size_t room) noexcept {
    const int fd = ::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    std::size_t length = 0;
    while (length < room) {
        const ssize_t got = ::read(fd, line + length, room - length);
        if (got <= 0) break;
        length += static_cast<std::size_t>(got);
    }
    ::close(fd);
    while (length > 0 && line[length - 1] == '\0') --length;
    return length;
}

// Whether the profile at `fd` is being written by another live process (one that started this
// one with the same HEAPKIT_PROFILE): its process record names a pid that is not ours and alive.
bool taken_by_another(int fd) noexcept {
    std::uint8_t header[sizeof magic + 16] = {};
    const ssize_t got = ::pread(fd, header, sizeof header, 0);
    constexpr std::size_t magic_length = sizeof magic - 1;
    if (got < static_cast<ssize_t>(magic_length + 2) || std::memcmp(header, magic, magic_length) != 0 ||
        header[magic_length] != tag::process)
        return false;
    std::uint64_t pid = 0;
    for (std::size_t at = magic_length + 1, shift = 0; at < static_cast<std::size_t>(got) && shift < 64; ++at, shift += 7) {
        pid |= static_cast<std::uint64_t>(header[at] & 0x7f) << shift;
        if ((header[at] & 0x80) == 0) break;
    }
    if (pid == 0 || pid == static_cast<std::uint64_t>(::getpid())) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

[[gnu::hot]] bool start() noexcept {
    const environment_settings& found = settings();
    if (found.profile_path[0] == '\0') return false;
    const int fd = ::open(found.profile_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        char line[4200];
        const char* reason = ::strerrordesc_np(errno);
        std::snprintf(line, sizeof line, "heapkit: HEAPKIT_PROFILE: cannot open %s: %s; not profiling", found.profile_path,
                      reason != nullptr ? reason : "unknown error");
        report_line(line);
        return false;
    }
    if (taken_by_another(fd) || ::ftruncate(fd, 0) != 0) {  // a started program's: the profile is its parent's
        ::close(fd);
        return false;
    }
    state.stacks = static_cast<stack_entry*>(
        os_memory::map_aligned(stack_slots * sizeof(stack_entry), os_memory::page_bytes(), os_memory::swap_reserve::no));
    state.sample_bytes = found.profile_sample_bytes;
    if (state.sample_bytes != 0) {
        state.sampled = static_cast<std::uintptr_t*>(
            os_memory::map_aligned(sampled_slots * sizeof(std::uintptr_t), os_memory::page_bytes(), os_memory::swap_reserve::no));
        if (state.sampled == nullptr) {
            ::close(fd);
            return false;
        }
    }
    dl_find_object self{};
    if (::_dl_find_object(reinterpret_cast<void*>(&start), &self) == 0) {
        state.self_start = reinterpret_cast<std::uintptr_t>(self.dlfo_map_start);
        state.self_end = reinterpret_cast<std::uintptr_t>(self.dlfo_map_end);
    }
    state.fd = fd;
    state.writing = true;
    state.start_ns = now_ns();
    timespec wall{};
    ::clock_gettime(CLOCK_REALTIME, &wall);
    char command[4096];
    const std::size_t command_length = read_command_line(command, sizeof command);
    std::memcpy(state.buffer, magic, sizeof magic - 1);
    state.used = sizeof magic - 1;
    put_byte(tag::process);
    put_varint(static_cast<std::uint64_t>(::getpid()));
    put_varint(static_cast<std::uint64_t>(wall.tv_sec) * 1000000u + static_cast<std::uint64_t>(wall.tv_nsec) / 1000);
    put_varint(state.sample_bytes);
    put_string(command, command_length);
    flush_locked();  // the process record at once: it tells started programs the file is taken
    return true;
}

// Runs `write` under the lock with the caller's stack id, unless profiling is off or this is a
// nested call from inside the writer: the profiler's own blocks (the stack bounds' reading of
// /proc/self/maps, a fallback unwinder's) are not the program's, and go unrecorded, as heaptrack
// leaves out its own. A reader takes a free of a block it never saw as an unknown free.
template <class Write>
void with_writer(bool wants_stack, Write write) noexcept {
    if (inside_writer || !profiling()) return;
    std::uintptr_t frames[stack_depth];
    std::size_t depth = 0;
    if (wants_stack) {
        inside_writer = true;
        depth = program_frames(frames);
        inside_writer = false;
    }
    pthread_mutex_lock(&writer_mutex);
    if (state.writing) write(stack_id(frames, depth));
    pthread_mutex_unlock(&writer_mutex);
}

}  // namespace

[[gnu::hot]] bool profiling() noexcept {
    const int known = active.load(std::memory_order_acquire);
    if (known >= 0) return known == 1;
    if (inside_writer) return false;  // an allocation made while starting (reporting a failure may allocate)
    pthread_mutex_lock(&writer_mutex);
    inside_writer = true;
    if (active.load(std::memory_order_relaxed) < 0) active.store(start() ? 1 : 0, std::memory_order_release);
    inside_writer = false;
    pthread_mutex_unlock(&writer_mutex);
    return active.load(std::memory_order_relaxed) == 1;
}

void profile_allocate(const void* pointer, std::size_t size, std::size_t alignment) noexcept {
    if (!profiling() || !sample_this(size)) return;
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    with_writer(true, [&](std::uint64_t stack) {
        if (state.sample_bytes != 0 && !add_sampled(address)) return;
        begin_event(alignment > 16 ? tag::aligned_allocate : tag::allocate);
        put_varint(stack);
        put_address(address);
        put_varint(size);
        if (alignment > 16) put_varint(alignment);
    });
}

void profile_free(const void* pointer) noexcept {
    if (!profiling()) return;
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    with_writer(false, [&](std::uint64_t) {
        if (state.sample_bytes != 0 && !take_sampled(address)) return;
        begin_event(tag::free_block);
        put_address(address);
    });
}

void profile_resize(const void* old_pointer, const void* pointer, std::size_t size) noexcept {
    if (!profiling()) return;
    const auto old_address = reinterpret_cast<std::uintptr_t>(old_pointer);
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    with_writer(true, [&](std::uint64_t stack) {
        if (state.sample_bytes != 0) {  // a sampled block stays sampled, wherever it moves; others stay out
            if (!take_sampled(old_address)) return;
            add_sampled(address);
        }
        begin_event(tag::resize);
        put_varint(stack);
        put_address(old_address);
        put_address(address);
        put_varint(size);
    });
}

void finish_profile() noexcept {
    if (active.load(std::memory_order_acquire) != 1) return;
    pthread_mutex_lock(&writer_mutex);
    if (state.writing) {
        begin_event(tag::end);
        flush_locked();
    }
    pthread_mutex_unlock(&writer_mutex);
}

void stop_profiling_in_child() noexcept {
    pthread_mutex_init(&writer_mutex, nullptr);
    state.writing = false;
    state.used = 0;
    if (active.load(std::memory_order_relaxed) == 1) active.store(0, std::memory_order_relaxed);
}

}  // namespace heapkit::malloc_layer

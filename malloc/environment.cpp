// SPDX-License-Identifier: MIT
// Reading HEAPKIT_* from environ with no allocation: the first call may come before main.
#include "environment.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace heapkit::malloc_layer {

namespace {

constexpr const char* known_variables[] = {"HEAPKIT_DEBUG", "HEAPKIT_STATS", "HEAPKIT_TRACE"};

bool is_known(const char* entry) noexcept {
    for (const char* name : known_variables) {
        const std::size_t length = std::strlen(name);
        if (std::strncmp(entry, name, length) == 0 && entry[length] == '=') return true;
    }
    return false;
}

void say(const char* line) noexcept { [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line, std::strlen(line)); }

// FILE with each "%p" replaced by the process id.
int open_trace(const char* pattern) noexcept {
    char path[4096];
    std::size_t length = 0;
    for (const char* at = pattern; *at != '\0' && length + 24 < sizeof path; ++at) {
        if (at[0] == '%' && at[1] == 'p') {
            length +=
                static_cast<std::size_t>(std::snprintf(path + length, sizeof path - length, "%d", static_cast<int>(::getpid())));
            ++at;
        } else {
            path[length++] = *at;
        }
    }
    path[length] = '\0';
    const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) say("heapkit: HEAPKIT_TRACE: cannot open the file; not tracing\n");
    return fd;
}

environment_settings read_environment() noexcept {
    environment_settings found;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        if (std::strncmp(*entry, "HEAPKIT_", 8) != 0) continue;
        if (!is_known(*entry)) {
            char line[256];
            std::snprintf(line, sizeof line,
                          "heapkit: unknown variable %.*s ignored (known: HEAPKIT_DEBUG, HEAPKIT_STATS, HEAPKIT_TRACE)\n",
                          static_cast<int>(std::strcspn(*entry, "=")), *entry);
            say(line);
        } else if (std::strncmp(*entry, "HEAPKIT_DEBUG=", 14) == 0) {
            found.debug = std::strcmp(*entry + 14, "0") != 0 && (*entry)[14] != '\0';
        } else if (std::strncmp(*entry, "HEAPKIT_STATS=", 14) == 0) {
            found.stats = std::strcmp(*entry + 14, "0") != 0 && (*entry)[14] != '\0';
        } else if ((*entry)[14] != '\0') {  // HEAPKIT_TRACE=FILE
            found.trace_fd = open_trace(*entry + 14);
        }
    }
    if (found.debug || found.stats) found.report_fd = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    return found;
}

}  // namespace

const environment_settings& settings() noexcept {
    // A function-local static would take a guard that may allocate on some ABIs; a flag, a
    // statically initialised mutex and plain storage do not.
    static environment_settings values;
    static std::atomic<bool> read{false};
    static pthread_mutex_t reading = PTHREAD_MUTEX_INITIALIZER;
    if (!read.load(std::memory_order_acquire)) {
        pthread_mutex_lock(&reading);
        if (!read.load(std::memory_order_relaxed)) {
            values = read_environment();
            read.store(true, std::memory_order_release);
        }
        pthread_mutex_unlock(&reading);
    }
    return values;
}

}  // namespace heapkit::malloc_layer

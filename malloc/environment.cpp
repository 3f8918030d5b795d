// SPDX-License-Identifier: MIT
// Reading HEAPKIT_* from environ with no allocation: the first call may come before main.
#include "environment.hpp"

#include <errno.h>  // program_invocation_short_name
#include <fcntl.h>
#include <pthread.h>
#include <string.h>  // strerrordesc_np
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace heapkit::malloc_layer {

namespace {

constexpr const char* known_variables[] = {
    "HEAPKIT_ARENAS",       "HEAPKIT_DEBUG",   "HEAPKIT_DEBUG_EXITCODE", "HEAPKIT_GUARD",          "HEAPKIT_LOG",
    "HEAPKIT_MEDIUM_CACHE", "HEAPKIT_PROFILE", "HEAPKIT_PROFILE_SAMPLE", "HEAPKIT_PURGE_DELAY_MS", "HEAPKIT_PURGE_THREAD",
    "HEAPKIT_RUN",          "HEAPKIT_STATS",   "HEAPKIT_SUPPRESS",       "HEAPKIT_TRACE"};

std::atomic<bool> settings_read{false};  // whether any call reached the library (each one reads the settings first)

// The value of `name=` in entry, or null.
const char* value_of(const char* entry, const char* name) noexcept {
    const std::size_t length = std::strlen(name);
    return std::strncmp(entry, name, length) == 0 && entry[length] == '=' ? entry + length + 1 : nullptr;
}

bool is_known(const char* entry) noexcept {
    for (const char* name : known_variables)
        if (value_of(entry, name) != nullptr) return true;
    return false;
}

bool is_yes(const char* value) noexcept { return value[0] != '\0' && std::strcmp(value, "0") != 0; }

void say_to(int fd, const char* line) noexcept { [[maybe_unused]] const ssize_t written = ::write(fd, line, std::strlen(line)); }

// `pattern` with each "%p" replaced by the process id, in `path` (cut at 4095 bytes).
void expand_name(const char* pattern, char (&path)[4096]) noexcept {
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
}

// FILE with each "%p" replaced by the process id, opened with `flags`; -1 when it cannot be (and
// then stderr says why, naming `variable`, and the `consequence`).
int open_named(const char* pattern, int flags, const char* variable, const char* consequence) noexcept {
    char path[4096];
    expand_name(pattern, path);
    const int fd = ::open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        char line[4200];
        const char* reason = ::strerrordesc_np(errno);  // unlike strerror, never allocates
        std::snprintf(line, sizeof line, "heapkit: %s: cannot open %s: %s; %s\n", variable, path,
                      reason != nullptr ? reason : "unknown error", consequence);
        say_to(STDERR_FILENO, line);
    }
    return fd;
}

// A whole number from `low` to `high` written in decimal digits (at most 9 of them), or -1.
long long number_in(const char* value, long long low, long long high) noexcept {
    const std::size_t digits = std::strspn(value, "0123456789");
    if (digits == 0 || digits > 9 || value[digits] != '\0') return -1;
    const long long number = std::atoll(value);
    return number >= low && number <= high ? number : -1;
}

// "heapkit: VARIABLE=VALUE not understood (RULE); CONSEQUENCE", on `fd`.
void say_not_understood(int fd, const char* variable, const char* value, const char* rule, const char* consequence) noexcept {
    char line[300];
    std::snprintf(line, sizeof line, "heapkit: %s=%.40s not understood (%s); %s\n", variable, value, rule, consequence);
    say_to(fd, line);
}

// HEAPKIT_GUARD's value: "all" or "sample:N" (N from 1 to 2^32), either with ":left".
bool read_guard(const char* value, environment_settings& found) noexcept {
    const char* rest = nullptr;
    if (std::strncmp(value, "all", 3) == 0) {
        found.guard_every = 1;
        rest = value + 3;
    } else if (std::strncmp(value, "sample:", 7) == 0 && value[7] >= '0' && value[7] <= '9') {
        unsigned long every = 0;
        for (rest = value + 7; *rest >= '0' && *rest <= '9'; ++rest) {
            every = every * 10 + static_cast<unsigned long>(*rest - '0');
            if (every > (1ul << 32)) return false;
        }
        if (every == 0) return false;
        found.guard_every = every;
    } else {
        return false;
    }
    if (std::strcmp(rest, ":left") == 0) {
        found.guard_left = true;
        return true;
    }
    return rest[0] == '\0';
}

[[gnu::hot]] environment_settings read_environment() noexcept {
    environment_settings found;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry)  // the log first: the rest reports there
        if (const char* file = value_of(*entry, "HEAPKIT_LOG"); file != nullptr && file[0] != '\0')
            found.log_fd = open_named(file, O_APPEND, "HEAPKIT_LOG", "reporting on stderr");
    const int report_to = found.log_fd >= 0 ? found.log_fd : STDERR_FILENO;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        if (std::strncmp(*entry, "HEAPKIT_", 8) != 0) continue;
        if (!is_known(*entry)) {
            char line[512];
            int length = std::snprintf(line, sizeof line, "heapkit: unknown variable %.*s ignored (known:",
                                       static_cast<int>(std::min<std::size_t>(std::strcspn(*entry, "="), 200)), *entry);
            for (const char* name : known_variables)
                length += std::snprintf(line + length, sizeof line - static_cast<std::size_t>(length), "%s %s",
                                        name == known_variables[0] ? "" : ",", name);
            std::snprintf(line + length, sizeof line - static_cast<std::size_t>(length), ")\n");
            say_to(report_to, line);
        } else if (const char* debug = value_of(*entry, "HEAPKIT_DEBUG")) {
            found.debug = is_yes(debug);
        } else if (const char* guard = value_of(*entry, "HEAPKIT_GUARD")) {
            if (guard[0] != '\0' && !read_guard(guard, found)) {
                found.guard_every = 0;
                char line[256];
                std::snprintf(line, sizeof line,
                              "heapkit: HEAPKIT_GUARD=%.40s not understood (all, all:left, sample:N, sample:N:left); no guard "
                              "pages\n",
                              guard);
                say_to(report_to, line);
            }
        } else if (const char* code = value_of(*entry, "HEAPKIT_DEBUG_EXITCODE")) {
            const int status = std::atoi(code);
            if (std::strspn(code, "0123456789") == std::strlen(code) && std::strlen(code) <= 3 && status >= 1 && status <= 255) {
                found.leak_exit_code = status;
            } else {
                char line[200];
                std::snprintf(line, sizeof line, "heapkit: HEAPKIT_DEBUG_EXITCODE=%.20s not understood (1 to 255); ignored\n",
                              code);
                say_to(report_to, line);
            }
        } else if (const char* profile = value_of(*entry, "HEAPKIT_PROFILE")) {
            if (profile[0] != '\0') expand_name(profile, found.profile_path);
        } else if (const char* sample = value_of(*entry, "HEAPKIT_PROFILE_SAMPLE")) {
            unsigned long long bytes = 0;
            const bool digits = sample[0] != '\0' && std::strspn(sample, "0123456789") == std::strlen(sample);
            if (digits && std::strlen(sample) <= 18) bytes = std::strtoull(sample, nullptr, 10);
            if (bytes == 0) {
                char line[200];
                std::snprintf(line, sizeof line,
                              "heapkit: HEAPKIT_PROFILE_SAMPLE=%.20s not understood (bytes, 1 to 10^18); every allocation "
                              "recorded\n",
                              sample);
                say_to(report_to, line);
            }
            found.profile_sample_bytes = bytes;
        } else if (const char* file = value_of(*entry, "HEAPKIT_SUPPRESS")) {
            std::snprintf(found.suppressions, sizeof found.suppressions, "%s", file);
        } else if (const char* purge = value_of(*entry, "HEAPKIT_PURGE_THREAD")) {
            found.purge_thread = is_yes(purge);
        } else if (const char* delay = value_of(*entry, "HEAPKIT_PURGE_DELAY_MS")) {
            const long long milliseconds = number_in(delay, 0, 3'600'000);
            if (milliseconds < 0)
                say_not_understood(report_to, "HEAPKIT_PURGE_DELAY_MS", delay, "milliseconds, 0 to 3600000", "1000 kept");
            else
                found.purge_delay_ms = static_cast<unsigned>(milliseconds);
        } else if (const char* arenas = value_of(*entry, "HEAPKIT_ARENAS")) {
            const long long count = number_in(arenas, 1, 8);
            if (count < 0)
                say_not_understood(report_to, "HEAPKIT_ARENAS", arenas, "1 to 8", "8 kept");
            else
                found.arenas = static_cast<unsigned>(count);
        } else if (const char* cache = value_of(*entry, "HEAPKIT_MEDIUM_CACHE")) {
            found.medium_cache = is_yes(cache);
        } else if (const char* stats = value_of(*entry, "HEAPKIT_STATS")) {
            found.stats = is_yes(stats);
        } else if (const char* trace = value_of(*entry, "HEAPKIT_TRACE"); trace != nullptr && trace[0] != '\0') {
            found.trace_fd = open_named(trace, O_TRUNC, "HEAPKIT_TRACE", "not tracing");
        }
    }
    if (found.log_fd >= 0)
        found.report_fd = found.log_fd;
    else if (found.debug || found.stats || found.guard_every != 0)
        found.report_fd = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    return found;
}

}  // namespace

[[gnu::hot]] const environment_settings& settings() noexcept {
    // A function-local static would take a guard that may allocate on some ABIs; a flag, a
    // statically initialised mutex and plain storage do not.
    static environment_settings values;
    static pthread_mutex_t reading = PTHREAD_MUTEX_INITIALIZER;
    if (!settings_read.load(std::memory_order_acquire)) {
        pthread_mutex_lock(&reading);
        if (!settings_read.load(std::memory_order_relaxed)) {
            values = read_environment();
            settings_read.store(true, std::memory_order_release);
        }
        pthread_mutex_unlock(&reading);
    }
    return values;
}

// At the process's exit, which runs this even where no call ever reached the library: under
// `heapkit run` (HEAPKIT_RUN=1), a program that never called heapkit's malloc is said to have
// been neither checked nor recorded. A program that exports a malloc of its own (rustc links
// jemalloc) takes every call of the process itself, LD_PRELOAD or not.
__attribute__((destructor)) void say_when_never_called() noexcept {
    if (settings_read.load(std::memory_order_acquire)) return;
    bool under_run = false;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry)
        if (const char* value = value_of(*entry, "HEAPKIT_RUN"); value != nullptr) under_run = is_yes(value);
    if (!under_run) return;
    char line[512];
    std::snprintf(line, sizeof line,
                  "heapkit: %s (pid %d) never called heapkit's malloc: nothing was checked or recorded (a program "
                  "with a malloc of its own, as rustc has, is not served through LD_PRELOAD)\n",
                  program_invocation_short_name, static_cast<int>(::getpid()));
    say_to(STDERR_FILENO, line);
}

}  // namespace heapkit::malloc_layer

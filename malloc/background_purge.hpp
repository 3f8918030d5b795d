// SPDX-License-Identifier: MIT
// Memory freed after a peak goes back to the kernel within about two seconds even when the
// program makes no more calls (it went idle, or sleeps): a tier that holds freed memory it will
// give back only later (an arena's free pages not trimmed yet, cached large mappings, an exited
// thread's pages with blocks still out) wakes one
// purge thread, which every second trims what has stayed unused for a second and ends when
// nothing waits. The thread blocks every signal, and a fork child starts its own when it needs
// one. HEAPKIT_PURGE_THREAD=0 leaves it off (memory then goes back only at calls, as before).
// What stays with the process however long it idles: each thread's medium cache (at most 256
// KiB a class, 4 MiB), up to 128 unused slab pages a thread (8 MiB) when nothing else woke the
// thread, and an arena's free blocks below 256 KiB. Only frees of blocks of 16 KiB and more wake
// it: glibc frees small blocks (a thread's TLS vector) under locks that creating a thread takes.
#pragma once

namespace heapkit::malloc_layer {

// Starts the purge thread unless it runs (or is off, or could not be started once). Call with no
// lock of heapkit's held: creating a thread allocates.
void wake_background_purge() noexcept;

// In a fork child: the parent's purge thread does not exist there.
void forget_background_purge_in_child() noexcept;

}  // namespace heapkit::malloc_layer

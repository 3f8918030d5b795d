// SPDX-License-Identifier: MIT
// How libheapkit_malloc.so marks the few symbols it exports (the library is built with hidden
// visibility: everything else stays inside).
#pragma once

#define HEAPKIT_EXPORT extern "C" __attribute__((visibility("default")))

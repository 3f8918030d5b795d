// SPDX-License-Identifier: MIT
// heapkit: the common headers in one include. See DESIGN.md for the layers.
#pragma once

#include "heapkit/offset/allocators.hpp"
#include "heapkit/offset/block_walk.hpp"
#include "heapkit/offset/buddy_index.hpp"
#include "heapkit/offset/edge_integer.hpp"
#include "heapkit/offset/error.hpp"
#include "heapkit/offset/fit.hpp"
#include "heapkit/offset/free_list.hpp"
#include "heapkit/offset/free_tree.hpp"
#include "heapkit/offset/memory_allocator.hpp"
#include "heapkit/offset/memory_map.hpp"
#include "heapkit/offset/pool_allocator.hpp"
#include "heapkit/offset/size_classes.hpp"
#include "heapkit/offset/tlsf_index.hpp"
#include "heapkit/offset/units.hpp"
#include "heapkit/version.hpp"

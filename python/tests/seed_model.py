"""A pure-Python model of the seed's MemoryAllocator with docs/PROTOCOL.md's fits, alignment and
reallocate: the reference of the differential tests and of the Python benchmark. Plain lists,
O(n) per call, written from the specification and sharing no code with heapkit."""
import bisect


class Model:
    """The seed's MemoryAllocator, extended with fits, alignment and reallocate, in plain Python."""

    def __init__(self, capacity, fit):
        self.capacity = capacity
        self.fit = fit
        self.free_list = [[0, capacity]]  # [start, size] in address order, coalesced
        self.allocated = {}
        self.rover = 0

    def _choose(self, size, alignment):
        fits = []
        for start, block in self.free_list:
            aligned = -(-start // alignment) * alignment
            if aligned + size <= start + block:
                fits.append((start, block, aligned))
        if not fits:
            return None
        if self.fit == "next":
            return ([f for f in fits if f[0] >= self.rover] or fits)[0]
        if self.fit == "best":
            return min(fits, key=lambda f: (f[1], f[0]))
        if self.fit == "worst":
            return min(fits, key=lambda f: (-f[1], f[0]))
        return fits[0]

    def _take(self, start, size):
        i = bisect.bisect_right(self.free_list, [start, float("inf")]) - 1  # the block holding start
        block_start, block_size = self.free_list[i]
        pieces = [[block_start, start - block_start], [start + size, block_start + block_size - start - size]]
        self.free_list[i:i + 1] = [p for p in pieces if p[1] > 0]

    def _give(self, start, size):
        i = bisect.bisect_left(self.free_list, [start, 0])
        if i > 0 and sum(self.free_list[i - 1]) == start:  # merge with the previous block
            i -= 1
            self.free_list[i][1] += size
        else:
            self.free_list.insert(i, [start, size])
        if i + 1 < len(self.free_list) and sum(self.free_list[i]) == self.free_list[i + 1][0]:  # and the next
            self.free_list[i][1] += self.free_list.pop(i + 1)[1]

    @staticmethod
    def request_error(size, alignment):
        if size <= 0 or size >= 2**64:
            return "InvalidSize"
        if alignment <= 0 or alignment & (alignment - 1) or alignment >= 2**64:
            return "InvalidAlignment"
        return None

    def free_error(self, address, size):
        if not 0 <= address < self.capacity:
            return "InvalidAddress"
        if size <= 0:
            return "InvalidSize"
        if address + size > self.capacity:
            return "InvalidAddress"
        if self.allocated.get(address) != size:
            return "InvalidFree"
        return None

    def allocate(self, size, alignment):
        error = self.request_error(size, alignment)
        if error:
            return error
        chosen = self._choose(size, alignment)
        if chosen is None:
            return "OutOfMemory"
        self._take(chosen[2], size)
        self.allocated[chosen[2]] = size
        self.rover = chosen[2] + size
        return chosen[2]

    def free(self, address, size):
        error = self.free_error(address, size)
        if error:
            return error
        del self.allocated[address]
        self._give(address, size)
        return None

    def reallocate(self, address, new_size, alignment):
        if not 0 <= address < self.capacity:
            return "InvalidAddress"
        error = self.request_error(new_size, alignment)
        if error:
            return error
        if address not in self.allocated:
            return "InvalidFree"
        old = self.allocated[address]
        if new_size <= old:
            if new_size < old:
                self._give(address + new_size, old - new_size)
            self.allocated[address] = new_size
            return address
        following = [b for b in self.free_list if b[0] == address + old]
        if address % alignment == 0 and following and following[0][1] >= new_size - old:
            self._take(address + old, new_size - old)
            self.allocated[address] = new_size
            return address
        moved = self.allocate(new_size, alignment)
        if isinstance(moved, int):
            self.free(address, old)
        return moved

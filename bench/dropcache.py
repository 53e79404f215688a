#!/usr/bin/python3
"""bench/dropcache.py FILE... — drop FILE's pages from the kernel's page cache
(posix_fadvise(POSIX_FADV_DONTNEED) on the whole file), so the next read of
it comes from the disk: a cold-cache measurement of one database without
dropping every other process's cache (no /proc/sys/vm/drop_caches).

Prints, per file, how many of its pages were resident before and after
(mincore through mmap), so a bench can say the drop happened.
"""
import mmap
import os
import sys
import ctypes

libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]


def resident(path):
    """Share of path's pages in the page cache (0.0 .. 1.0; -1 if unknown)."""
    size = os.path.getsize(path)
    if size == 0:
        return 0.0
    npages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            return -1.0
        try:
            buf = ctypes.create_string_buffer(npages)
            if libc.mincore(addr, size, buf) != 0:
                return -1.0
            return sum(b & 1 for b in buf.raw) / npages
        finally:
            libc.munmap(addr, size)
    finally:
        os.close(fd)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bench/dropcache.py FILE...")
    for path in sys.argv[1:]:
        before = resident(path)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        after = resident(path)
        print("%s: %.1f%% of pages cached before, %.1f%% after the drop" % (path, 100 * before, 100 * after))


if __name__ == "__main__":
    main()

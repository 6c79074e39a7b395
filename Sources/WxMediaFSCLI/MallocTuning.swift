import CMalloc

/// How glibc's malloc serves the mount's block buffers (docs/benchmarks.md, levers). A download cuts the stream
/// into blocks (1 MiB by default), each a new array that lives until its disk write ends. By default glibc maps
/// each such allocation on its own or gives the pages back at the next free (its trim threshold follows the mmap
/// one, so about 2 MiB), and the next block faults every one of its pages in again: 16% of the mount's CPU on a
/// cold read. Served from the heap, with up to four blocks of free heap kept per arena, blocks reuse the same
/// pages. Setting either threshold turns glibc's dynamic ones off: any allocation of two blocks or more is
/// mapped on its own, as glibc does with anything large before its first free.
enum MallocTuning {
    /// For the mounting process, before it serves.
    static func keepBlockBuffers(blockSize: Int) {
        let block = Int32(clamping: blockSize)
        _ = mallopt(M_MMAP_THRESHOLD, 2 * block)  // above a block and its array header
        _ = mallopt(M_TRIM_THRESHOLD, 4 * block)
    }
}

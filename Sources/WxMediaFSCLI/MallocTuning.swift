import CMalloc

/// How glibc's malloc serves the mount's block buffers (docs/benchmarks.md, cold read). A download cuts the
/// stream into 1 MiB blocks, each a new array that lives until its disk write ends. By default glibc maps each
/// such allocation on its own or gives the pages back at the next free (its trim threshold follows the mmap one,
/// so 2 MiB), and the next block faults every one of its 256 pages in again: 16% of the mount's CPU on a cold
/// read. Blocks served from the heap, with up to 4 MiB of free heap kept, reuse the same pages.
enum MallocTuning {
    static let mmapThreshold: Int32 = 2 << 20  // above a block and its array header
    static let trimThreshold: Int32 = 4 << 20  // a few blocks' worth of free heap is kept per arena

    /// For the mounting process, before it serves.
    static func keepBlockBuffers() {
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        _ = mallopt(M_TRIM_THRESHOLD, trimThreshold)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Allocator settings for training. Every step allocates and frees the same few hundred MB of activations; with
/// glibc's defaults, blocks above the mmap threshold are returned to the kernel on `free` and come back as fresh
/// zeroed pages on the next step (page clearing was 13% of a fine-tuning profile). Raising the mmap and trim
/// thresholds (glibc `mallopt`, looked up at run time; a no-op elsewhere) keeps that memory in the heap for reuse.
enum MemoryTuning {
    static func keepFreedMemory() {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // glibc <malloc.h> M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 1 << 30)
        _ = mallopt(trimThreshold, Int32.max)
        #endif
    }
}

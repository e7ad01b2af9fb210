import Foundation

/// Work buffers kept between calls, so that a forward pass does not allocate (and page-fault in) tens of MB of
/// fresh memory for its intermediate tensors every batch. Thread-safe (one lock); arrays handed out are owned by
/// the caller until it recycles them.
///
/// `floats(count)` returns a `[Float]` of `count` elements whose **values are unspecified** (a recycled buffer's
/// old contents, zeros for fresh memory): only for buffers the caller overwrites completely before reading. The
/// pool keeps at most `capacity` arrays (the most recently recycled; older ones are released). Value semantics keep
/// it safe: an array recycled while a copy of it is still alive elsewhere (a `Tensor` built from it) is shared
/// storage, and the next taker's first write copies it.
public enum ScratchPool {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [[Float]] = []
    /// How many arrays the pool keeps at most.
    public static let capacity = 48

    /// An array of exactly `count` floats, values unspecified: the smallest kept array that holds `count` (resized
    /// within its capacity, no reallocation), or a new one.
    public static func floats(_ count: Int) -> [Float] {
        lock.lock()
        var best = -1
        for (i, a) in free.enumerated() where a.capacity >= count {
            if best < 0 || a.capacity < free[best].capacity { best = i }
        }
        var out: [Float]? = nil
        if best >= 0 { out = free.remove(at: best) }
        lock.unlock()
        guard var a = out else { return [Float](repeating: 0, count: count) }
        if a.count > count { a.removeLast(a.count - count) }
        else if a.count < count { a.append(contentsOf: repeatElement(0, count: count - a.count)) }
        return a
    }

    /// Gives `array`'s storage back to the pool and leaves `array` empty.
    public static func recycle(_ array: inout [Float]) {
        var a: [Float] = []
        swap(&a, &array)
        guard a.capacity > 0 else { return }
        lock.lock()
        free.append(a)
        if free.count > capacity { free.removeFirst(free.count - capacity) }
        lock.unlock()
    }

    /// Runs `body` with a buffer of at least `bytes` bytes, 64-byte aligned (contents unspecified), from the pool.
    public static func withBytes<R>(_ bytes: Int, _ body: (UnsafeMutableRawPointer) -> R) -> R {
        var a = floats((max(1, bytes) + 3) / 4 + 16)
        defer { recycle(&a) }
        return a.withUnsafeMutableBytes { p in
            let base = UInt(bitPattern: p.baseAddress!)
            return body(p.baseAddress! + Int((64 - base % 64) % 64))
        }
    }
}

import Dispatch

/// Engine-wide thread count: how many cores our own kernels split work over.
///
/// OpenBLAS is set to the same number (`BLASRuntime.threads`), and our kernels never run inside a BLAS
/// call. Inside a model's forward pass only one pool runs: `withSingleThreadedBLAS` turns OpenBLAS's own
/// threads off and every kernel — sgemm calls included (`DenseLinear` splits rows) — is split over our
/// workers. Otherwise OpenBLAS's idle threads spin (`sched_yield`) between calls while our workers run the
/// kernels in between, three or more runnable threads on two cores.
public enum Parallel {
    private static var _threads = 1

    /// Number of worker threads for engine kernels and OpenBLAS.
    public static var threads: Int { _threads }

    /// Sets the thread count for our kernels and OpenBLAS together.
    public static func setThreads(_ n: Int) {
        _threads = max(1, n)
        BLASRuntime.threads = _threads
    }

    /// Runs `body` with OpenBLAS single-threaded when our pool has several workers (restored afterwards), so
    /// sgemm calls inside can be split over `forChunks` without nesting two thread pools.
    public static func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
        guard _threads > 1 else { return try body() }
        let saved = BLASRuntime.threads
        BLASRuntime.threads = 1
        defer { BLASRuntime.threads = saved }
        return try body()
    }

    /// Runs `body(i)` for `i` in `0..<count`, split over `threads` workers (inline when threads == 1).
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if _threads <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count) { body($0) }
        }
    }

    /// Splits `0..<count` into `threads` contiguous chunks and runs `body(range)` for each in parallel.
    public static func forChunks(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(_threads, max(1, count / max(1, minChunk)))
        if workers <= 1 { body(0..<count); return }
        let per = (count + workers - 1) / workers
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = w * per, hi = min(count, lo + per)
                if lo < hi { body(lo..<hi) }
            }
        }
    }

    /// Like `forChunks`, also passing the worker index `0..<threads` so each worker can own scratch memory (or a
    /// slot for a partial result).
    public static func forWorkerChunks(_ count: Int, minChunk: Int = 1,
                                       _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        let workers = min(_threads, max(1, count / max(1, minChunk)))
        if workers <= 1 { body(0, 0..<count); return }
        let per = (count + workers - 1) / workers
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = w * per, hi = min(count, lo + per)
                if lo < hi { body(w, lo..<hi) }
            }
        }
    }
}

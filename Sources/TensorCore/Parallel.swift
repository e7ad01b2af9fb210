
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

    /// Runs `body(i)` for `i` in `0..<count`, split over `threads` workers (inline when threads == 1): worker `w`
    /// runs `i = w, w + workers, …`.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let workers = min(_threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        run(workers) { w in
            for i in Swift.stride(from: w, to: count, by: workers) { body(i) }
        }
    }

    /// Splits `0..<count` into `threads` contiguous chunks and runs `body(range)` for each in parallel.
    public static func forChunks(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        forWorkerChunks(count, minChunk: minChunk) { _, range in body(range) }
    }

    /// Like `forChunks`, also passing the worker index `0..<threads` so each worker can own scratch memory (or a
    /// slot for a partial result).
    public static func forWorkerChunks(_ count: Int, minChunk: Int = 1,
                                       _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        let workers = min(_threads, max(1, count / max(1, minChunk)))
        if workers <= 1 { body(0, 0..<count); return }
        let per = (count + workers - 1) / workers
        run(workers) { w in
            let lo = w * per, hi = min(count, lo + per)
            if lo < hi { body(w, lo..<hi) }
        }
    }

    /// `body(w)` for `w` in `0..<workers`: on `WorkerPool`'s threads, or one after another on this thread when the
    /// pool is already running a job (a nested call) — the same results, since only `w` decides the work.
    private static func run(_ workers: Int, _ body: (Int) -> Void) {
        if !WorkerPool.shared.run(workers, body) {
            for w in 0..<workers { body(w) }
        }
    }
}

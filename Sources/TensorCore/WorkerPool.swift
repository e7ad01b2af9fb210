import Foundation
import Synchronization
import _CKernels

/// The engine's persistent worker threads, behind `Parallel`: a job runs on the calling thread (participant 0) and
/// on `participants − 1` helper threads (1, 2, …), which stay alive between jobs.
///
/// Why not `DispatchQueue.concurrentPerform`: a forward pass is a few hundred short parallel regions (one per
/// linear layer, LayerNorm, GELU, attention…), and waking Dispatch's threads costs 20–40 µs per region on Linux —
/// a two-thread region of 2 × 13 µs took 40 µs, more than running both halves on one thread. Here a helper that
/// finishes a job polls for the next one (with `qb_cpu_relax`, and `sched_yield` every 64 polls so that on a busy
/// machine other runnable threads go first) for `spinSeconds`, then sleeps on a condition variable until woken, so back-to-back regions start in well under a microsecond and an idle pool (between
/// forward passes, or while a benchmark peer runs) takes no CPU.
///
/// One job at a time: a `run` that finds the pool busy — a nested call from inside a job, or a second thread —
/// returns false and the caller runs the participants one after another itself (`Parallel` does), which gives the
/// same results: which thread runs a participant never matters, only the participant index.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long a helper polls for the next job before it sleeps.
    static let spinSeconds = 0.000_2

    // Incremented by `stride` per job, its low 12 bits the job's participant count (so a helper reads both in one
    // load; `--threads` is at most 256); helpers wait for it to change.
    private let generation = Atomic<Int>(0)
    private static let stride = 4096
    private let pending = Atomic<Int>(0)      // helpers of the current job that have not finished
    private let busy = Atomic<Bool>(false)
    // Written by the caller before `generation` is incremented (release), read by helpers after they see it (acquire).
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    // Helpers created so far (only the calling thread, holding `busy`, creates them).
    nonisolated(unsafe) private var helpers = 0
    // Sleeping helpers; guarded by `mutex`.
    nonisolated(unsafe) private var sleepers = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>

    private init() {
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    /// Runs `body(p)` for every participant `p` in `0..<count`, `p = 0` on the calling thread, the others on helper
    /// threads, and returns when all have finished. Returns false, having run nothing, when the pool is busy.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        precondition(count >= 1 && count < Self.stride, "WorkerPool: \(count) participants")
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        let needed = count - 1
        while helpers < needed { startHelper(index: helpers + 1) }
        withoutActuallyEscaping(body) { body in
            job = body
            pending.store(needed, ordering: .relaxed)
            let g = generation.load(ordering: .relaxed)
            generation.store((g / Self.stride + 1) * Self.stride + count, ordering: .releasing)
            pthread_mutex_lock(mutex)
            if sleepers > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(mutex)
            body(0)
            var polls = 0
            while pending.load(ordering: .acquiring) > 0 {
                qb_cpu_relax()
                polls += 1
                if polls % 64 == 0 { sched_yield() } // a helper preempted on a busy machine gets the core back sooner
            }
            job = nil   // no helper holds it any more: each released its reference before counting down
        }
        return true
    }

    private func startHelper(index: Int) {
        let seen = generation.load(ordering: .acquiring) // the job about to be posted is the first it runs
        let thread = Thread { [self] in helperLoop(index: index, seen: seen) }
        thread.stackSize = 8 << 20
        thread.name = "qbench-worker-\(index)"
        thread.start()
        helpers += 1
    }

    private func helperLoop(index: Int, seen start: Int) {
        var seen = start, participated = true
        while true {
            // A helper the last job did not use (the thread count went down) sleeps at once instead of polling.
            seen = nextGeneration(after: seen, polling: participated)
            participated = index < seen % Self.stride
            if participated {
                runJob(index)
                pending.subtract(1, ordering: .releasing)
            }
        }
    }

    /// The job's reference taken here is released on return, before the helper counts down.
    @inline(never)
    private func runJob(_ index: Int) {
        job!(index)
    }

    /// Polls for a generation after `seen` for `spinSeconds` (when `polling`), then sleeps until one is posted.
    private func nextGeneration(after seen: Int, polling: Bool) -> Int {
        let deadline = Self.now() + Self.spinSeconds
        var polls = 0
        while polling {
            let g = generation.load(ordering: .acquiring)
            if g != seen { return g }
            qb_cpu_relax()
            polls += 1
            if polls % 64 == 0 {
                if Self.now() > deadline { break }
                sched_yield() // on a busy machine, other runnable threads go first
            }
        }
        pthread_mutex_lock(mutex)
        sleepers += 1
        var g = generation.load(ordering: .acquiring)
        while g == seen {
            pthread_cond_wait(wake, mutex)
            g = generation.load(ordering: .acquiring)
        }
        sleepers -= 1
        pthread_mutex_unlock(mutex)
        return g
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

import Foundation
import Synchronization
import TensorCore
import XCTest

/// `Parallel` on `WorkerPool`'s persistent threads: every index runs exactly once with the documented worker
/// index, jobs posted back to back and after the helpers went to sleep all complete, a nested call runs inline,
/// and two threads calling at once both finish.
final class ParallelTests: XCTestCase {
    final class Counter: @unchecked Sendable { let value = Atomic<Int>(0) }

    override func tearDown() {
        Parallel.setThreads(1)
        super.tearDown()
    }

    /// Counts per index and the worker that ran it (`forWorkerChunks`: contiguous chunks of `ceil(count/workers)`).
    private func chunked(_ count: Int, threads: Int, minChunk: Int = 1) -> (hits: [Int], workers: [Int]) {
        var hits = [Int](repeating: 0, count: count), workers = [Int](repeating: -1, count: count)
        hits.withUnsafeMutableBufferPointer { h in
            workers.withUnsafeMutableBufferPointer { w in
                let hp = h.baseAddress!, wp = w.baseAddress!
                Parallel.forWorkerChunks(count, minChunk: minChunk) { worker, range in
                    for i in range { hp[i] += 1; wp[i] = worker }
                }
            }
        }
        return (hits, workers)
    }

    func testEveryIndexOnceWithItsWorker() {
        for threads in [1, 2, 3, 5, 2, 3] { // down again: helpers the job does not use sleep
            Parallel.setThreads(threads)
            for count in [0, 1, 2, 3, 7, 64, 1000] {
                let (hits, workers) = chunked(count, threads: threads)
                XCTAssertEqual(hits, [Int](repeating: 1, count: count), "threads \(threads) count \(count)")
                let used = min(threads, max(1, count))
                let per = (count + used - 1) / max(1, used)
                for i in 0..<count { XCTAssertEqual(workers[i], i / per, "threads \(threads) count \(count) index \(i)") }
            }
            var seen = [Int](repeating: 0, count: 37)
            seen.withUnsafeMutableBufferPointer { s in
                let sp = s.baseAddress!
                Parallel.forEach(37) { i in sp[i] += 1 }
            }
            XCTAssertEqual(seen, [Int](repeating: 1, count: 37), "forEach, threads \(threads)")
        }
    }

    /// Thousands of jobs back to back (helpers polling), then jobs after pauses longer than the helpers' polling
    /// (helpers asleep, woken by the next job): none is lost or run twice.
    func testBackToBackAndAfterSleepJobsAllComplete() {
        Parallel.setThreads(2)
        let total = Counter()
        for _ in 0..<5000 {
            Parallel.forChunks(2) { range in total.value.add(range.count, ordering: .relaxed) }
        }
        XCTAssertEqual(total.value.load(ordering: .relaxed), 10_000)
        for _ in 0..<20 {
            usleep(2_000)   // 2 ms, ten times the polling time
            Parallel.forChunks(2) { range in total.value.add(range.count, ordering: .relaxed) }
        }
        XCTAssertEqual(total.value.load(ordering: .relaxed), 10_040)
    }

    /// A parallel call inside a job (on the calling thread and on a helper) runs its chunks inline: all done.
    func testNestedCallsRunInline() {
        Parallel.setThreads(2)
        var grid = [Int](repeating: 0, count: 4 * 50)
        grid.withUnsafeMutableBufferPointer { g in
            let gp = g.baseAddress!
            Parallel.forChunks(4) { outer in
                for o in outer {
                    Parallel.forWorkerChunks(50) { worker, inner in
                        for i in inner { gp[o * 50 + i] += 1 + worker }
                    }
                }
            }
        }
        // Inner chunks: 0..<25 worker 0, 25..<50 worker 1, whether inline or not.
        for o in 0..<4 {
            for i in 0..<50 { XCTAssertEqual(grid[o * 50 + i], i < 25 ? 1 : 2, "outer \(o) inner \(i)") }
        }
    }

    /// Two threads posting jobs at the same time: one runs on the pool, the other inline; both complete.
    func testConcurrentCallersBothComplete() {
        Parallel.setThreads(2)
        let total = Counter()
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread {
                for _ in 0..<2000 {
                    Parallel.forChunks(10) { range in total.value.add(range.count, ordering: .relaxed) }
                }
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(total.value.load(ordering: .relaxed), 2 * 2000 * 10)
    }
}

import BERT
import Datasets
import Experiments
import Foundation
import _Support
import TensorCore

/// A long-lived peer at one thread count (`PeerSession` in practice, a fake in tests): the configurations it can
/// time and one pass of any of them on demand.
public protocol BenchPeer: AnyObject {
    /// What it times, in the order it times them each round.
    var configurations: [PeerConfiguration] { get }
    /// What it cannot time here, with the reasons.
    var unavailable: [PeerUnavailable] { get }
    /// One pass of `config` over all batches (untimed when `warmUp`); `number` counts from 1.
    func pass(_ config: String, number: Int, warmUp: Bool) throws -> PeerPassReply
    /// Ends the peer (it exits); an error if it does not end cleanly.
    func stop() throws
}

/// Side-by-side timing of several model variants (and optionally a warm external peer) on the same batches.
///
/// For each thread count: the peer process (PyTorch and ONNX Runtime, `PeerProcess`) is started once and stays up;
/// then `warmups` untimed rounds and `repeats` timed rounds, in each of which every variant of ours and then every
/// peer configuration makes one pass over all batches (A B P1 P2 … A B P1 P2 …), never two at the same time. Slow
/// drifts of a noisy machine therefore hit every configuration alike. Medians are reported with ratios to our FP32.
public enum Benchmark {
    /// Engine name of our own rows.
    public static let ourEngine = "quantbench"

    /// One variant to time: a display name and the model to run.
    public struct Variant {
        public var name: String
        public var model: BertModel
        public init(name: String, model: BertModel) {
            self.name = name
            self.model = model
        }
    }

    /// One step of a benchmark session, in execution order.
    public enum Step: Equatable, Sendable, CustomStringConvertible {
        /// The peer process for `threads` starts (loads and builds its configurations; untimed).
        case peerStart(threads: Int)
        /// One untimed pass over all batches of variant `variant` (index into the variants); `round` from 0.
        case warmUp(variant: Int, threads: Int, round: Int)
        /// One untimed pass of peer configuration `config`.
        case peerWarmUp(config: String, threads: Int, round: Int)
        /// One timed pass over all batches; `round` counts from 0.
        case pass(variant: Int, threads: Int, round: Int)
        /// One timed pass of peer configuration `config`.
        case peerPass(config: String, threads: Int, round: Int)
        /// The peer process for `threads` is told to quit.
        case peerStop(threads: Int)

        public var description: String {
            switch self {
            case let .peerStart(t): return "peer start, \(t) threads"
            case let .warmUp(v, t, r): return "warm-up \(r + 1) variant \(v), \(t) threads"
            case let .peerWarmUp(c, t, r): return "warm-up \(r + 1) peer \(c), \(t) threads"
            case let .pass(v, t, r): return "variant \(v), \(t) threads, round \(r + 1)"
            case let .peerPass(c, t, r): return "peer \(c), \(t) threads, round \(r + 1)"
            case let .peerStop(t): return "peer stop, \(t) threads"
            }
        }
    }

    /// The order at one thread count: the peer's start (when `peerConfigs` is given), `warmups` untimed rounds and
    /// `repeats` timed rounds — each round every variant in turn, then every peer configuration — and the peer's stop.
    ///
    ///     schedule(variants: 2, peerConfigs: ["p", "q"], threads: 1, repeats: 2, warmups: 1)
    ///     // peer start, warm-up 0 1 p q, pass 0 1 p q, pass 0 1 p q, peer stop
    public static func schedule(variants: Int, peerConfigs: [String]?, threads t: Int, repeats: Int,
                                warmups: Int) -> [Step] {
        var steps: [Step] = []
        if peerConfigs != nil { steps.append(.peerStart(threads: t)) }
        for r in 0..<max(0, warmups) {
            for v in 0..<variants { steps.append(.warmUp(variant: v, threads: t, round: r)) }
            for c in peerConfigs ?? [] { steps.append(.peerWarmUp(config: c, threads: t, round: r)) }
        }
        for r in 0..<max(1, repeats) {
            for v in 0..<variants { steps.append(.pass(variant: v, threads: t, round: r)) }
            for c in peerConfigs ?? [] { steps.append(.peerPass(config: c, threads: t, round: r)) }
        }
        if peerConfigs != nil { steps.append(.peerStop(threads: t)) }
        return steps
    }

    /// What a session did: the rows, the steps in the order they ran, and the peer configurations not timed.
    public struct Session: Sendable {
        public var rows: [Row]
        public var order: [Step]
        /// Peer configurations that could not (or were not to) be timed, with the reason; once per name.
        public var unavailable: [PeerUnavailable]
    }

    /// Runs `schedule(...)` for each thread count: starts the peer with `peer(threads)` when given, times
    /// `variants` and the peer's configurations over `batches`, stops the peer.
    /// - Parameter labels: gold labels for F1/accuracy, or nil.
    public static func run(_ variants: [Variant], batches: [BertBatch], labels: [Int]?, threads: [Int], repeats: Int,
                           warmups: Int = 1, peer: ((_ threads: Int) throws -> BenchPeer)? = nil,
                           progress: ((String) -> Void)? = nil) throws -> Session {
        let examples = batches.reduce(0) { $0 + $1.batch }
        var rows: [Row] = []
        var order: [Step] = []
        var unavailable: [PeerUnavailable] = []
        for t in threads {
            Parallel.setThreads(t)
            var ours = variants.map {
                Row(engine: ourEngine, scheme: $0.name, threads: t, seconds: [], cpuSeconds: [], examples: examples,
                    modelMB: Double($0.model.parameterBytes) / 1e6)
            }
            var session: BenchPeer?
            var peers: [Row] = []
            if let peer {
                progress?("threads \(t): starting the peers")
                let s = try peer(t)
                session = s
                peers = s.configurations.map { Row(peer: $0, threads: t, examples: examples) }
                for u in s.unavailable where !unavailable.contains(where: { $0.name == u.name }) { unavailable.append(u) }
            }
            let steps = schedule(variants: variants.count, peerConfigs: session.map { $0.configurations.map(\.name) },
                                 threads: t, repeats: repeats, warmups: warmups)
            for step in steps {
                switch step {
                case .peerStart:
                    break  // done above: the configurations make the schedule
                case let .warmUp(v, _, r):
                    progress?("threads \(t): warm-up \(r + 1)/\(warmups) \(variants[v].name)")
                    ours[v].warmupSeconds.append(try timePass(variants[v].model, batches).wall)
                case let .peerWarmUp(c, _, r):
                    progress?("threads \(t): warm-up \(r + 1)/\(warmups) peer \(c)")
                    let reply = try session!.pass(c, number: r + 1, warmUp: true)
                    peers[peers.firstIndex { $0.config == c }!].warmupSeconds.append(reply.seconds)
                case let .pass(v, _, r):
                    progress?("threads \(t), round \(r + 1)/\(repeats): \(variants[v].name)")
                    let p = try timePass(variants[v].model, batches)
                    ours[v].seconds.append(p.wall)
                    ours[v].cpuSeconds.append(p.cpu)
                    if ours[v].predictions == nil {
                        ours[v].predictions = p.predictions
                        if let labels {
                            let m = ClassificationMetrics(predictions: p.predictions, labels: labels)
                            ours[v].f1 = m.f1
                            ours[v].accuracy = m.accuracy
                        }
                    }
                case let .peerPass(c, _, r):
                    progress?("threads \(t), round \(r + 1)/\(repeats): peer \(c)")
                    let reply = try session!.pass(c, number: r + 1, warmUp: false)
                    let i = peers.firstIndex { $0.config == c }!
                    peers[i].seconds.append(reply.seconds)
                    peers[i].cpuSeconds.append(reply.cpuSeconds)
                    if peers[i].predictions == nil {
                        peers[i].predictions = reply.predictions
                        peers[i].f1 = reply.f1
                        peers[i].accuracy = reply.accuracy
                    }
                case .peerStop:
                    progress?("threads \(t): stopping the peers")
                    try session!.stop()
                }
            }
            order += steps
            rows += ours + peers
        }
        return Session(rows: rows, order: order, unavailable: unavailable)
    }

    /// One pass of `model` over `batches`: wall and process CPU seconds, and each example's argmax.
    static func timePass(_ model: BertModel, _ batches: [BertBatch]) throws -> (wall: Double, cpu: Double, predictions: [Int]) {
        var predictions: [Int] = []
        predictions.reserveCapacity(batches.reduce(0) { $0 + $1.batch })
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = processCPUSeconds()
        for b in batches {
            let logits = try model.forward(b).logits
            let L = logits.shape[1]
            for i in 0..<b.batch { predictions.append(Evaluator.argmax(Array(logits.data[(i * L)..<((i + 1) * L)]))) }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (wall, processCPUSeconds() - cpuStart, predictions)
    }

    /// SHA-256 of the model inputs: per batch, input ids, token type ids and attention mask as little-endian
    /// int32, row-major `[batch, seq]`. `experiments/peers/qbench_peers.py` computes the same digest of its
    /// tensors, so equal digests mean both engines saw the same examples, order, tokens and padding.
    public static func inputDigest(_ batches: [BertBatch]) -> String {
        var h = SHA256()
        func feed(_ xs: [Int32]) {
            let le = xs.map { $0.littleEndian }
            le.withUnsafeBytes { h.update($0) }
        }
        for b in batches {
            feed(b.inputIds)
            feed(b.tokenTypeIds)
            feed(b.attentionMask.map { $0 != 0 ? 1 : 0 })
        }
        return h.hexDigest()
    }

    /// CPU time of this process so far (all threads), from `CLOCK_PROCESS_CPUTIME_ID`.
    public static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The 1, 5 and 15 minute load averages from `/proc/loadavg`, or nil where there is none.
    public static func loadAverage() -> [Double]? {
        guard let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        let v = s.split(separator: " ").prefix(3).compactMap { Double($0) }
        return v.count == 3 ? v : nil
    }
}

import _TestSupport
import BERT
import Datasets
import Experiments
import Foundation
import RunRecords
import TensorCore
import XCTest

/// `numerics: reproducible` in process: the FP32 forward (logits and every hidden state) gives the same bits with
/// every kernel family forced and at 1 and 2 threads, and it still agrees with PyTorch on MiniLM MRPC dev.
final class ReproducibleNumericsTests: XCTestCase {
    /// Families that can run here (`amx` only on AMX hardware; `amx_emu` everywhere).
    static var families: [String] {
        ["ref", "avx2", "avx512vnni", "amx", "amx_emu"].filter { name in
            let saved = KernelDispatch.family
            defer { KernelDispatch.force(saved) }
            return KernelDispatch.force(name)
        }
    }

    /// Runs `body` under every family at 1 and 2 threads in reproducible numerics; returns (label, result) pairs.
    static func everyConfiguration<T>(_ body: () throws -> T) rethrows -> [(String, T)] {
        let savedFamily = KernelDispatch.family, savedThreads = Parallel.threads
        defer {
            KernelDispatch.force(savedFamily)
            Parallel.setThreads(savedThreads)
        }
        var out: [(String, T)] = []
        try Numerics.with(.reproducible) {
            for family in families {
                XCTAssertTrue(KernelDispatch.force(family))
                for threads in [1, 2] {
                    Parallel.setThreads(threads)
                    out.append(("\(family) @\(threads) threads", try body()))
                }
            }
        }
        return out
    }

    static func firstDevBatches(_ folder: ModelFolder, count: Int, maxLength: Int) throws -> (PairDataset, [BertBatch]) {
        let data = try PairDataset.load(path: Fixtures.mrpc.path)
        let first = PairDataset(path: data.path, examples: Array(data.examples.prefix(count)))
        let enc = Evaluator.encode(first, tokenizer: folder.tokenizer, maxLength: maxLength)
        let batches = Evaluator.batches(enc, options: BatchingOptions(batchSize: 4, maxSeqLength: maxLength, padToMax: false),
                                        padId: Int32(folder.model.config.padTokenId))
        return (first, batches)
    }

    func testMiniLMForwardBitIdenticalAcrossFamiliesAndThreads() throws {
        let folder = try ModelFolder(path: try BaseModel.classifier().path)
        let (_, batches) = try Self.firstDevBatches(folder, count: 4, maxLength: 48)
        let runs = try Self.everyConfiguration { () -> [UInt32] in
            var bits: [UInt32] = []
            for b in batches {
                let out = try folder.model.forward(b, hiddenStates: true)
                bits += out.logits.data.map(\.bitPattern)
                for h in out.hiddenStates! { bits += h.data.map(\.bitPattern) }
            }
            return bits
        }
        XCTAssertGreaterThanOrEqual(runs.count, 4, "at least ref and amx_emu at 1 and 2 threads")
        print("ReproducibleNumericsTests: compared " + runs.map(\.0).joined(separator: ", "))
        for (label, bits) in runs.dropFirst() {
            let differing = zip(bits, runs[0].1).filter { $0 != $1 }.count
            XCTAssertEqual(bits.count, runs[0].1.count, label)
            XCTAssertEqual(differing, 0, "\(label): \(differing) values differ from \(runs[0].0)")
        }
        // Fast numerics are another computation (OpenBLAS): the comparison above would see a change of path.
        let fast = try Numerics.with(.fast) { try folder.model.forward(batches[0]).logits.data.map(\.bitPattern) }
        XCTAssertNotEqual(fast, Array(runs[0].1.prefix(fast.count)), "fast and reproducible logits are bit-identical")
    }

    func testTinyRandomBertForwardBitIdenticalAcrossFamiliesAndThreads() throws {
        let folder = try ModelFolder(path: Fixtures.tinyBert.path)
        let (_, batches) = try Self.firstDevBatches(folder, count: 12, maxLength: 48)
        let runs = try Self.everyConfiguration { try batches.flatMap { try folder.model.forward($0).logits.data.map(\.bitPattern) } }
        for (label, bits) in runs.dropFirst() { XCTAssertEqual(bits, runs[0].1, label) }
    }

    /// The tutorial's first 64 dev pairs (batch 8, padded to 128): reproducible logits within 1e-4 of PyTorch.
    func testReproducibleMiniLMFirst64DevLogitsMatchPyTorch() throws {
        let g = try Golden.load("minilm-base-head/logits-dev-first64.json")
        let folder = try ModelFolder(path: try BaseModel.classifier().path)
        let data = try PairDataset.load(path: Fixtures.mrpc.path)
        let first = PairDataset(path: data.path, examples: Array(data.examples.prefix(64)))
        let enc = Evaluator.encode(first, tokenizer: folder.tokenizer, maxLength: 128)
        let result = try Numerics.with(.reproducible) {
            try Evaluator.run(model: folder.model,
                              batches: Evaluator.batches(enc, options: BatchingOptions(batchSize: 8, maxSeqLength: 128, padToMax: true), padId: 0),
                              labels: first.labels)
        }
        if let bad = Golden.worst(result.logits.flatMap { $0 }, Golden.flat(g["fp32"]), tol: 1e-4) {
            XCTFail("logit \(bad.index): got \(bad.got), PyTorch \(bad.want)")
        }
        XCTAssertEqual(result.predictions, Golden.matrix(g["fp32"]).map { $0[1] > $0[0] ? 1 : 0 })
    }

    /// All 408 dev pairs: every reproducible prediction, F1 and accuracy equal to PyTorch's.
    func testReproducibleMiniLMFullDevMetricsMatchPyTorch() throws {
        let g = try Golden.load("minilm-base-head/dev-metrics.json")
        let fp32 = try XCTUnwrap(g["fp32"] as? [String: Any])
        let folder = try ModelFolder(path: try BaseModel.classifier().path)
        let data = try PairDataset.load(path: Fixtures.mrpc.path)
        let enc = Evaluator.encode(data, tokenizer: folder.tokenizer, maxLength: 128)
        let result = try Numerics.with(.reproducible) {
            try Evaluator.run(model: folder.model, batches: Evaluator.batches(enc, options: BatchingOptions(), padId: 0),
                              labels: data.labels)
        }
        let want = (fp32["predictions"] as! [NSNumber]).map(\.intValue)
        XCTAssertEqual(zip(result.predictions, want).filter { $0 != $1 }.count, 0, "predictions that differ from PyTorch")
        XCTAssertEqual(result.metrics!.f1, (fp32["f1"] as! NSNumber).doubleValue, accuracy: 1e-9)
        XCTAssertEqual(result.metrics!.accuracy, (fp32["accuracy"] as! NSNumber).doubleValue, accuracy: 1e-9)
    }
}

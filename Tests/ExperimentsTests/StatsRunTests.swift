import _TestSupport
import BERT
import Datasets
import Experiments
import Foundation
import LayerStats
import Quantization
import RunRecords
import TensorCore
import XCTest

/// `StatsRun` on the tiny random BERT: weight statistics recomputed from the stored quantization, wiring of the
/// side-by-side comparison, and the file's tables.
final class StatsRunTests: XCTestCase {
    static let tiny = Fixtures.tinyBert
    static let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    struct Run {
        var model: BertModel
        var batches: [BertBatch]
        var report: StatsReport
        var file: HDF5File
    }

    /// Runs the statistics on the first 24 dev pairs, writes the file, opens it.
    static func run(_ schemes: [String], sensitivity: Bool = false) throws -> Run {
        let folder = try ModelFolder(path: tiny.path)
        let data = try PairDataset.load(file: dev)
        let subset = PairDataset(path: data.path, examples: Array(data.examples.prefix(24)))
        let batches = Evaluator.batches(Evaluator.encode(subset, tokenizer: folder.tokenizer, maxLength: 64),
                                        options: BatchingOptions(batchSize: 8, maxSeqLength: 64), padId: 0)
        let report = try StatsRun.run(model: folder.model, schemes: try schemes.map { try SchemeRegistry.scheme(named: $0) },
                                      batches: batches, labels: subset.labels,
                                      options: StatsOptions(sensitivity: sensitivity, bins: 64))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("run.h5").path
        let provenance = StatsProvenance(quantbenchVersion: "test", gitCommit: nil, created: Date(timeIntervalSince1970: 0),
                                         modelPath: tiny.path, modelWeightsFile: "model.safetensors", modelSHA256: "0",
                                         modelConfigSHA256: "0", dataPath: dev, dataSHA256: "0", command: "test")
        try report.write(to: path, provenance: provenance)
        return Run(model: folder.model, batches: batches, report: report, file: try HDF5File(path: path))
    }

    /// The stored weight MSE equals the MSE recomputed here from the FP32 weight and the *stored* scales,
    /// multipliers and zero points: `ŵ = (clamp(round(w·s⁻¹) + z, qmin, qmax) − z)·s`.
    func testWeightMSERecomputedFromStoredQuantization() throws {
        let r = try Self.run(["pytorch-dynamic", "q8bert-dynamic", "pytorch-dynamic-per-channel", "int4-per-group"])
        for scheme in ["pytorch-dynamic", "q8bert-dynamic", "pytorch-dynamic-per-channel", "int4-per-group"] {
            for name in ["encoder.layer.1.intermediate.dense", "classifier"] {
                let path = "/schemes/\(scheme)/layers/\(name)/weight"
                let w = (r.model.linears[name] as! DenseLinear).weight
                let scales = try r.file.read("\(path)/scales", as: Float.self).values
                let inverse = try r.file.read("\(path)/inverse_scales", as: Float.self).values
                let zps = try r.file.read("\(path)/zero_points", as: Int32.self).values
                guard case let .int(qmin) = try r.file.attribute("qmin", of: path),
                      case let .int(qmax) = try r.file.attribute("qmax", of: path),
                      case let .string(granularity) = try r.file.attribute("granularity", of: path),
                      case let .int(groupSize) = try r.file.attribute("group_size", of: path),
                      case let .double(storedMSE) = try r.file.attribute("mse", of: path),
                      case let .double(storedSQNR) = try r.file.attribute("sqnr_db", of: path) else {
                    return XCTFail("\(path): missing attributes")
                }
                let cols = w.shape[1]
                var sumErr = 0.0, sumRef = 0.0
                for i in 0..<w.count {
                    let e: Int
                    switch granularity {
                    case "per_channel": e = i / cols
                    case "per_group": e = (i / cols) * (cols / Int(groupSize)) + (i % cols) / Int(groupSize)
                    default: e = 0
                    }
                    let v = (w.data[i] * inverse[e]).rounded(.toNearestOrEven) + Float(zps[e])
                    let q = min(max(v, Float(qmin)), Float(qmax))
                    let deq = (q - Float(zps[e])) * scales[e]
                    let d = Double(w.data[i]) - Double(deq)
                    sumErr += d * d
                    sumRef += Double(w.data[i]) * Double(w.data[i])
                }
                let mse = sumErr / Double(w.count)
                XCTAssertEqual(storedMSE, mse, accuracy: mse * 1e-12, "\(scheme) \(name)")
                XCTAssertEqual(storedSQNR, 10 * log10(sumRef / sumErr), accuracy: 1e-9, "\(scheme) \(name)")
                let expectedEntries = granularity == "per_tensor" ? 1 : (granularity == "per_channel" ? w.shape[0] : w.count / Int(groupSize))
                XCTAssertEqual(scales.count, expectedEntries, "\(scheme) \(name) \(granularity)")
            }
        }
    }

    /// The comparison is wired to the right models: logit error and flips equal those of two plain evaluations.
    func testLogitErrorAndFlipsMatchSeparateEvaluations() throws {
        let r = try Self.run(["q8bert-dynamic"])
        let fp32 = try Evaluator.run(model: r.model, batches: r.batches, labels: nil)
        let q = try Evaluator.run(model: try ModelQuantization.apply(.q8bertDynamic, to: r.model), batches: r.batches, labels: nil)
        var acc = ErrorAccumulator()
        for (a, b) in zip(fp32.logits, q.logits) {
            a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { acc.add(reference: x, quantized: $0) } }
        }
        let s = r.report.schemes[0]
        XCTAssertEqual(s.logits.sqnrDB, acc.metrics.sqnrDB, accuracy: 1e-9)
        XCTAssertEqual(s.predictions, q.predictions)
        XCTAssertEqual(r.report.fp32Predictions, fp32.predictions)
        XCTAssertEqual(s.flips, zip(fp32.predictions, q.predictions).filter { $0 != $1 }.count)
        guard case let .int(flips) = try r.file.attribute("flips", of: "/schemes/q8bert-dynamic") else { return XCTFail() }
        XCTAssertEqual(Int(flips), s.flips)
    }

    func testSummaryTablesAreInLayerOrder() throws {
        let r = try Self.run(["pytorch-dynamic", "fp32"], sensitivity: true)
        XCTAssertEqual(try r.file.readStrings("/layer_names"), r.model.linearNames)
        XCTAssertEqual(try r.file.readStrings("/schemes/pytorch-dynamic/summary/layer_names"), r.model.linearNames)
        let sqnr = try r.file.read("/schemes/pytorch-dynamic/summary/output_sqnr_db", as: Double.self).values
        XCTAssertEqual(sqnr.count, r.model.linearNames.count)
        XCTAssertTrue(sqnr.allSatisfy { $0.isFinite && $0 > 10 }, "\(sqnr)")
        // Error is zero until the first quantized layer: the embeddings hidden state is exact under pytorch-dynamic.
        let hidden = try r.file.read("/schemes/pytorch-dynamic/hidden_states/sqnr_db", as: Double.self).values
        XCTAssertEqual(try r.file.readStrings("/schemes/pytorch-dynamic/hidden_states/names"),
                       ["embeddings", "encoder.layer.0", "encoder.layer.1"])
        XCTAssertEqual(hidden[0], .infinity)
        XCTAssertTrue(hidden[1].isFinite && hidden[2].isFinite)
        // The fp32 "scheme" quantizes nothing: every output is exact, nothing flips, no weight statistics.
        let exact = try r.file.read("/schemes/fp32/summary/output_sqnr_db", as: Double.self).values
        XCTAssertTrue(exact.allSatisfy { $0 == .infinity })
        XCTAssertTrue(try r.file.read("/schemes/fp32/summary/weight_mse", as: Double.self).values.allSatisfy(\.isNaN))
        XCTAssertEqual(try r.file.read("/schemes/fp32/summary/sensitivity_flips", as: Int64.self).values,
                       [Int64](repeating: -1, count: r.model.linearNames.count))
        XCTAssertFalse(r.file.exists("/schemes/fp32/layers/classifier/weight"))
        // Worst layers: lowest output SQNR first, quantized layers only.
        let worst = r.report.schemes[0].worstLayers(3)
        XCTAssertEqual(worst.count, 3)
        XCTAssertLessThanOrEqual(worst[0].output.metrics.sqnrDB, worst[1].output.metrics.sqnrDB)
        XCTAssertEqual(worst[0].output.metrics.sqnrDB, sqnr.min())
        XCTAssertTrue(r.report.schemes[1].worstLayers(3).isEmpty)
        // Input ranges are counted on real tokens only.
        let realTokens = r.batches.reduce(0) { $0 + Int($1.attentionMask.reduce(0, +)) }
        guard case let .int(count) = try r.file.attribute("count", of: "/schemes/pytorch-dynamic/layers/encoder.layer.0.attention.self.query/input_range")
        else { return XCTFail() }
        XCTAssertEqual(Int(count), realTokens * r.model.config.hiddenSize)
    }

    /// Hidden-state error equals what the models' own `hiddenStates` outputs give on the real tokens.
    func testHiddenStateErrorMatchesForwardHiddenStates() throws {
        let r = try Self.run(["pytorch-dynamic"])
        let q = try ModelQuantization.apply(.pytorchDynamic, to: r.model)
        let depth = r.model.config.numHiddenLayers + 1
        var acc = [ErrorAccumulator](repeating: ErrorAccumulator(), count: depth)
        let h = r.model.config.hiddenSize
        for batch in r.batches {
            let a = try r.model.forward(batch, hiddenStates: true).hiddenStates!
            let b = try q.forward(batch, hiddenStates: true).hiddenStates!
            for d in 0..<depth {
                a[d].data.withUnsafeBufferPointer { x in
                    b[d].data.withUnsafeBufferPointer { y in
                        acc[d].add(reference: x, quantized: y, rows: batch.batch * batch.seq, width: h) { batch.attentionMask[$0] != 0 }
                    }
                }
            }
        }
        let stored = try r.file.read("/schemes/pytorch-dynamic/hidden_states/sqnr_db", as: Double.self).values
        let storedCount = try r.file.read("/schemes/pytorch-dynamic/hidden_states/count", as: Int64.self).values
        for d in 0..<depth {
            let m = acc[d].metrics
            XCTAssertEqual(Int(storedCount[d]), m.count)
            if m.sqnrDB.isInfinite { XCTAssertEqual(stored[d], m.sqnrDB) } else { XCTAssertEqual(stored[d], m.sqnrDB, accuracy: 1e-9) }
        }
    }
}

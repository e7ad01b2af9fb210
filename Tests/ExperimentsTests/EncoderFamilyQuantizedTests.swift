import _TestSupport
import BERT
import Experiments
import Foundation
import Quantization
import TensorCore
import XCTest

/// Every encoder family quantized: `pytorch-dynamic` against PyTorch `quantize_dynamic` (the shared fixtures'
/// 16 pairs and the differently shaped models' 408), and `QuantizedCheckpoint` save → load of each family.
///
/// The tolerance is the one the BERT base reaches today (`QuantizedGoldenTests`): ours closer to PyTorch INT8 than
/// FP32 is (mean |Δ| below 0.75 of FP32's), and predictions equal PyTorch INT8's wherever its logit margin is clear
/// of what FP32 rounding can move. Two INT8 engines part where an activation sits near a rounding boundary and one
/// ulp of FP32 difference (LayerNorm, GELU) sends it to the next code; on the shared fixtures (2 layers,
/// N(0, 0.02²) weights) the engines mostly agree to 1e-7, so the margin is `clearMargin` as for the base. The
/// differently shaped models (up to 4 layers, N(0, 0.2²) weights) amplify such flips, so their goldens carry
/// PyTorch's own INT8 logits after one-ulp LayerNorm noise: ours may differ from PyTorch by at most twice what
/// that noise moves PyTorch itself (mean and max), and predictions must agree where PyTorch's margin exceeds twice
/// the noise's largest move (both logits of a pair may move that far, in opposite directions). A wrong range, bit width, rounding or layer selection errs at the quantization error
/// (FP32 vs INT8), several times the noise.
final class EncoderFamilyQuantizedTests: XCTestCase {
    static let clearMargin: Float = 0.01

    static func logits(_ g: EncoderGolden, model: BertModel) throws -> [[Float]] {
        var out: [[Float]] = []
        for r in g.batchRanges() {
            let batch = BertBatch(sequences: r.map { g.pairs[$0] }, padId: Int32(model.config.padTokenId))
            let o = try model.forward(batch).logits
            let n = o.shape[1]
            out += (0..<r.count).map { Array(o.data[($0 * n)..<(($0 + 1) * n)]) }
        }
        return out
    }

    static func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] }! }
    /// Largest minus second largest logit.
    static func margin(_ v: [Float]) -> Float { let s = v.sorted(by: >); return s[0] - s[1] }

    func checkDynamic(_ g: EncoderGolden, _ what: String) throws {
        let fp32 = try BertModel.load(folder: g.folder)
        let model = try ModelQuantization.apply(try SchemeRegistry.scheme(named: "pytorch-dynamic"), to: fp32)
        let ours = try Self.logits(g, model: model)
        let torch = g.quantizeDynamic
        XCTAssertEqual(ours.count, torch.count, what)
        var oursVsTorch = 0.0, fp32VsTorch = 0.0, worst: Float = 0
        for (i, (o, t)) in zip(ours, torch).enumerated() {
            for j in o.indices {
                oursVsTorch += Double(abs(o[j] - t[j]))
                fp32VsTorch += Double(abs(g.fp32[i][j] - t[j]))
                worst = max(worst, abs(o[j] - t[j]))
            }
        }
        let n = Double(ours.count * ours[0].count)
        print("\(what): pytorch-dynamic vs quantize_dynamic max |Δlogit| \(worst), mean \(oursVsTorch / n); "
              + "FP32 vs quantize_dynamic mean \(fp32VsTorch / n)")
        XCTAssertGreaterThan(fp32VsTorch, 0, "\(what): the quantize_dynamic golden equals FP32; it tests nothing")
        XCTAssertLessThan(oursVsTorch, 0.75 * fp32VsTorch, "\(what): not closer to PyTorch INT8 than FP32 is")
        var clearMargin = Self.clearMargin
        if let noise = g.quantizeDynamicULPNoise {
            let moves = zip(noise, torch).flatMap { zip($0, $1).map { abs($0 - $1) } }
            let noiseMean = Double(moves.reduce(0, +)) / Double(moves.count), noiseMax = moves.max()!
            let mean = oursVsTorch / Double(moves.count)
            print("  \(what): one-ulp LayerNorm noise moves PyTorch INT8 by max \(noiseMax), mean \(noiseMean)")
            XCTAssertLessThanOrEqual(mean, 2 * noiseMean + 1e-6, "\(what): mean |Δ| beyond twice PyTorch's own ulp noise")
            XCTAssertLessThanOrEqual(worst, 2 * noiseMax + 1e-5, "\(what): max |Δ| beyond twice PyTorch's own ulp noise")
            clearMargin = max(clearMargin, 2 * noiseMax)   // two logits, each moved up to noiseMax
        }
        var clear = 0, agree = 0
        for (o, t) in zip(ours, torch) where Self.margin(t) > clearMargin {
            clear += 1
            if Self.argmax(o) == Self.argmax(t) { agree += 1 }
        }
        print("  \(what): predictions agree \(agree)/\(clear) where PyTorch's margin > \(clearMargin)")
        XCTAssertGreaterThanOrEqual(clear, g.pairs.count / 2, "\(what): too few clear margins for the check to mean anything")
        XCTAssertEqual(agree, clear, "\(what): predictions with a clear PyTorch margin must agree")
    }

    func testPyTorchDynamicMatchesQuantizeDynamicOnTheFixtures() throws {
        for family in EncoderGolden.fixtureFamilies { try checkDynamic(try EncoderGolden.fixture(family), family) }
    }

    func testPyTorchDynamicMatchesQuantizeDynamicOnOtherShapes() throws {
        for family in EncoderGolden.shapeFamilies {
            try checkDynamic(try EncoderGolden.shapes(family), "\(family) (other shape)")
        }
    }

    /// quantize → save → load gives the on-the-fly model's logits bit for bit and its size, for every family, with
    /// schemes storing int8 codes, quantized embeddings (both of DistilBERT's tables), fp16, bf16 and 4-bit groups; the
    /// family's tokenizer files travel with it.
    func testQuantizedCheckpointRoundTripsEveryFamily() throws {
        let temporary = try TemporaryDirectory(prefix: "encoder-quantized")
        let schemes = ["pytorch-dynamic", "q8bert-dynamic", "fp16", "bf16", "int4-per-group"]
        for family in EncoderGolden.fixtureFamilies {
            let g = try EncoderGolden.fixture(family)
            let fp32 = try BertModel.load(folder: g.folder)
            for name in schemes {
                let scheme = try SchemeRegistry.scheme(named: name)
                let onTheFly = try ModelQuantization.apply(scheme, to: fp32)
                let out = temporary.url.appendingPathComponent("\(family)-\(name)")
                try QuantizedCheckpoint.write(model: fp32, scheme: scheme, calibrations: [:], source: g.folder, to: out)
                XCTAssertTrue(QuantizedCheckpoint.isQuantized(folder: out))
                let (loaded, stored) = try QuantizedCheckpoint.load(folder: out)
                XCTAssertEqual(stored.name, name)
                XCTAssertEqual(loaded.config, fp32.config)
                XCTAssertEqual(loaded.parameterBytes, onTheFly.parameterBytes, "\(family) \(name): size")
                XCTAssertLessThan(loaded.parameterBytes, fp32.parameterBytes, "\(family) \(name): not smaller")
                XCTAssertEqual(try Self.logits(g, model: loaded), try Self.logits(g, model: onTheFly), "\(family) \(name)")
                for file in ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt"] {
                    XCTAssertEqual(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path),
                                   FileManager.default.fileExists(atPath: g.folder.appendingPathComponent(file).path),
                                   "\(family): \(file) copied exactly when the source has it")
                }
            }
        }
    }

    /// `StatsRun` (what `qbench stats` runs) on every family: one report per linear layer under its checkpoint
    /// name, every embedding table of the family, and ALBERT's shared layers compared call by call (a layer
    /// running at 2 depths is compared over twice the rows, and stays near PyTorch-exact FP32 rounding here).
    func testLayerStatisticsOnEveryFamily() throws {
        let schemes = try ["pytorch-dynamic", "q8bert-dynamic"].map { try SchemeRegistry.scheme(named: $0) }
        for family in EncoderGolden.fixtureFamilies {
            let g = try EncoderGolden.fixture(family)
            let model = try BertModel.load(folder: g.folder)
            let batches = g.batchRanges().map { r in
                BertBatch(sequences: r.map { g.pairs[$0] }, padId: Int32(model.config.padTokenId))
            }
            let report = try StatsRun.run(model: model, schemes: schemes, batches: batches, labels: g.labels,
                                          options: StatsOptions(sensitivity: true, bins: 32))
            XCTAssertEqual(report.layerNames, model.linearNames, family)
            let realRows = g.pairs.reduce(0) { $0 + $1.ids.count }
            for s in report.schemes {
                XCTAssertEqual(s.layers.map(\.name), model.linearNames, "\(family) \(s.scheme.name)")
                for layer in s.layers {
                    let uses = model.layout.blocks.filter { $0.output == layer.name }.count
                    if uses > 0 {   // a block's linear: every real row of every use
                        XCTAssertEqual(layer.output.rows, uses * realRows, "\(family) \(layer.name)")
                    }
                    XCTAssertGreaterThan(layer.output.rows, 0, "\(family) \(layer.name) never observed")
                }
                XCTAssertEqual(s.hiddenNames.count, model.layout.blocks.count + 1, family)
            }
            let q8 = report.schemes[1]
            XCTAssertEqual(q8.embeddings.map(\.name), model.embeddingNames, family)
            XCTAssertNotNil(q8.embeddingSensitivityFlips, family)
        }
    }
}

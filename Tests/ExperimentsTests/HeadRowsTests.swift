import _TestSupport
import BERT
import Experiments
import Foundation
import Quantization
import TensorCore
import XCTest

/// The last block's output layer and LayerNorm run on the rows the head reads (the first position of each
/// sequence) when nothing else needs the other rows (`BertModel.forward` without hidden states or a tap) and the
/// layer's rows are independent (`LinearOp.rowsAreIndependent`): the logits are bit-identical to the full forward's
/// (`hiddenStates: true` runs every row), for every family and for schemes on both sides of the rule.
final class HeadRowsTests: XCTestCase {
    /// Records the rows of every call and forwards to the wrapped layer.
    final class RowSpy: LinearOp, @unchecked Sendable {
        let base: any LinearOp
        var calls: [Int] = []
        init(_ base: any LinearOp) { self.base = base }
        var inFeatures: Int { base.inFeatures }
        var outFeatures: Int { base.outFeatures }
        var usesInputRange: Bool { base.usesInputRange }
        var rowsAreIndependent: Bool { base.rowsAreIndependent }
        var parameterBytes: Int { base.parameterBytes }
        func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
            calls.append(rows)
            base.forward(x, rows: rows, into: y)
        }
        func forward(_ x: UnsafePointer<Float>, rows: Int, inputRange: ValueRange?, into y: UnsafeMutablePointer<Float>) {
            calls.append(rows)
            base.forward(x, rows: rows, inputRange: inputRange, into: y)
        }
    }

    /// `model` with the last block's output layer wrapped in a spy.
    static func spied(_ model: BertModel) -> (BertModel, RowSpy) {
        let name = model.layout.blocks.last!.output
        var spy: RowSpy?
        let m = model.replacingLinears { n, op in
            guard n == name else { return op }
            spy = RowSpy(op)
            return spy!
        }
        return (m, spy!)
    }

    /// Plain-forward and full-forward logits bit for bit; returns the spy's row counts of the plain forwards.
    func check(_ model: BertModel, _ g: EncoderGolden, _ what: String) throws -> [Int] {
        let (m, spy) = Self.spied(model)
        var plainRows: [Int] = []
        for r in g.batchRanges() {
            let batch = BertBatch(sequences: r.map { g.pairs[$0] }, padId: Int32(model.config.padTokenId))
            spy.calls = []
            let plain = try m.forward(batch).logits
            plainRows += spy.calls
            let full = try m.forward(batch, hiddenStates: true).logits
            XCTAssertEqual(plain.data.map(\.bitPattern), full.data.map(\.bitPattern), "\(what): batch \(r)")
        }
        return plainRows
    }

    func testLogitsBitIdenticalAndOnlyHeadRowsRun() throws {
        for family in EncoderGolden.fixtureFamilies {
            let g = try EncoderGolden.fixture(family)
            let fp32 = try BertModel.load(folder: g.folder)
            let batches = g.batchRanges()
            let lastUse = fp32.layout.blocks.filter { $0.output == fp32.layout.blocks.last!.output }.count
            // Row-independent: dynamic per-tensor with the range measured over all rows, per-token ranges, bf16,
            // and FP32 under reproducible numerics: the last use of the layer sees one row per sequence.
            for scheme in ["pytorch-dynamic", "torchao-int8-dynamic", "bf16"] {
                let q = try ModelQuantization.apply(try SchemeRegistry.scheme(named: scheme), to: fp32)
                let rows = try check(q, g, "\(family) \(scheme)")
                XCTAssertEqual(rows.count, batches.count * lastUse, "\(family) \(scheme)")
                for (i, r) in batches.enumerated() {
                    XCTAssertEqual(rows[i * lastUse + lastUse - 1], r.count, "\(family) \(scheme): rows of the last use")
                }
            }
            try Numerics.with(.reproducible) {
                let rows = try check(fp32, g, "\(family) fp32 reproducible")
                XCTAssertEqual(rows.last, batches.last!.count, "\(family) fp32 reproducible")
            }
            // Not row-independent: Q8BERT re-quantizes outputs with a per-call range over all rows, and FP32 in
            // fast numerics (OpenBLAS): every row runs.
            let q8 = try ModelQuantization.apply(try SchemeRegistry.scheme(named: "q8bert-dynamic"), to: fp32)
            let q8Rows = try check(q8, g, "\(family) q8bert-dynamic")
            XCTAssertEqual(q8Rows.last, batches.last!.count * g.maxLength(batches.last!), "\(family) q8bert-dynamic")
            let fastRows = try check(fp32, g, "\(family) fp32 fast")
            XCTAssertEqual(fastRows.last, batches.last!.count * g.maxLength(batches.last!), "\(family) fp32 fast")
        }
    }
}

extension EncoderGolden {
    /// The padded length of a batch of these pairs (its longest pair).
    func maxLength(_ r: Range<Int>) -> Int { r.map { pairs[$0].ids.count }.max()! }
}

import Foundation
import Quantization
import XCTest
import _TestSupport

/// The acceptance test of issue 15's outlier-aware activation quantizers: QuantBench's per-token (torchao) and
/// per-embedding-group (PEG) quantizers against a direct NumPy implementation of each formula
/// (`Tools/goldens/make_outlier_goldens.py` → `Tests/Fixtures/outlier-quantizers/quantizers.json`), bit-exact:
/// every scale (as float32 bits), zero point, column order and integer code. The fixture includes exact ties
/// (`x · s⁻¹` = k + 0.5), all-zero rows, all-equal rows and clamped values.
final class OutlierQuantizerGoldenTests: XCTestCase {
    struct Golden: Decodable {
        struct PerToken: Decodable {
            var name: String
            var rows: Int, cols: Int
            var x_bits: [UInt32], scale_bits: [UInt32], codes: [Int32]
        }
        struct PEG: Decodable {
            var name: String
            var groups: Int, permute: Bool, cols: Int
            var calibration_rows: Int, calibration_bits: [UInt32]
            var rows: Int, x_bits: [UInt32]
            var order: [Int], scale_bits: [UInt32], zero_points: [Int32], codes: [Int32]
        }
        var per_token: [PerToken]
        var peg: [PEG]
    }

    func golden() throws -> Golden {
        let url = Fixtures.fixtures.appendingPathComponent("outlier-quantizers/quantizers.json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    static func floats(_ bits: [UInt32]) -> [Float] { bits.map(Float.init(bitPattern:)) }

    func testPerTokenMatchesNumPy() throws {
        let g = try golden()
        XCTAssertGreaterThanOrEqual(g.per_token.count, 3)
        for c in g.per_token {
            let (codes, params) = dynamicActivationCodes(Self.floats(c.x_bits), rows: c.rows, cols: c.cols,
                                                         scheme: .torchaoPerTokenActivation)
            XCTAssertEqual(params.map(\.scale.bitPattern), c.scale_bits, "\(c.name): scales")
            XCTAssertEqual(params.map(\.zeroPoint), [Int32](repeating: 0, count: c.rows), "\(c.name): zero points")
            XCTAssertEqual(codes.count, c.codes.count, c.name)
            if let i = codes.indices.first(where: { codes[$0] != c.codes[$0] }) {
                XCTFail("\(c.name): code [\(i / c.cols), \(i % c.cols)] = \(codes[i]), NumPy \(c.codes[i])")
            }
        }
        // The registered scheme runs exactly this activation scheme.
        XCTAssertEqual(ModelScheme.torchaoInt8Dynamic.defaultScheme?.activation, .torchaoPerTokenActivation)
    }

    func testEmbeddingGroupsMatchNumPy() throws {
        let g = try golden()
        XCTAssertGreaterThanOrEqual(g.peg.count, 8)
        for c in g.peg {
            let scheme = QuantScheme.embeddingGroupActivation(groups: c.groups, permute: c.permute)
            var observer = EmbeddingGroupObserver(scheme: scheme)
            // Two halves, as two calibration batches: the running min/max must equal the whole-set min/max.
            let cal = Self.floats(c.calibration_bits), half = c.calibration_rows / 2
            cal.withUnsafeBufferPointer { p in
                observer.observe(UnsafeBufferPointer(rebasing: p[0..<(half * c.cols)]), rows: half, cols: c.cols)
                observer.observe(UnsafeBufferPointer(rebasing: p[(half * c.cols)...]), rows: c.calibration_rows - half, cols: c.cols)
            }
            let layout = try XCTUnwrap(observer.layout, c.name)
            XCTAssertEqual(layout.order, c.order, "\(c.name): column order")
            let params = observer.parameters()
            XCTAssertEqual(params.scales.map(\.bitPattern), c.scale_bits, "\(c.name): scales")
            XCTAssertEqual(params.zeroPoints, c.zero_points, "\(c.name): zero points")
            let x = Self.floats(c.x_bits)
            var q = [UInt8](repeating: 0, count: c.rows * c.cols)
            x.withUnsafeBufferPointer { xp in
                q.withUnsafeMutableBytes { layout.quantize(xp.baseAddress!, rows: c.rows, params: params, signed: false, into: $0.baseAddress!) }
            }
            let codes = q.map(Int32.init)
            if let i = codes.indices.first(where: { codes[$0] != c.codes[$0] }) {
                XCTFail("\(c.name): code [\(i / c.cols), \(i % c.cols)] = \(codes[i]), NumPy \(c.codes[i])")
            }
        }
    }
}

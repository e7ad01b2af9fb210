import Numerics
import Quantization
import TensorCore
import XCTest

final class ObserverTests: XCTestCase {
    func testMinMaxPerTensorRowsAndGroups() {
        let t = Tensor(shape: [2, 4], data: [1, -2, 3, 0.5, -1, 0.25, 0.5, 4])
        var tensor = MinMaxObserver(scheme: .pytorchWeight, axis: .tensor)
        tensor.observe(t)
        XCTAssertEqual(tensor.mins, [-2])
        XCTAssertEqual(tensor.maxs, [4])
        XCTAssertEqual(tensor.parameters().scales, [Float(4) / 127.5])

        var rows = MinMaxObserver(scheme: .pytorchWeightPerChannel, axis: .rows)
        rows.observe(t)
        XCTAssertEqual(rows.mins, [-2, -1])
        XCTAssertEqual(rows.maxs, [3, 4])
        rows.observe(Tensor(shape: [2, 4], data: [9, 0, 0, 0, 0, 0, 0, -9]))
        XCTAssertEqual(rows.mins, [-2, -9])
        XCTAssertEqual(rows.maxs, [9, 4])

        var groups = MinMaxObserver(scheme: .pytorchWeight, axis: .rowGroups(size: 2))
        groups.observe(t)
        XCTAssertEqual(groups.mins, [-2, 0.5, -1, 0.5])
        XCTAssertEqual(groups.maxs, [1, 3, 0.25, 4])
        XCTAssertEqual(groups.parameters().count, 4)
    }

    func testEmptyObserverGivesUnitScale() {
        let p = MinMaxObserver(scheme: .pytorchWeight, axis: .tensor).parameters()
        XCTAssertEqual(p.scales, [1])
        XCTAssertEqual(p.zeroPoints, [0])
    }

    func testEMAFollowsNlpArchitect() {
        // first call sets the value; then ema -= (1 - decay) * (ema - current), in float32
        var o = EMAObserver(scheme: .q8bertStaticActivation, decay: 0.9)
        o.observe(Tensor(shape: [1, 2], data: [-1, 2]))
        XCTAssertEqual(o.absMax, 2)
        o.observe(Tensor(shape: [1, 2], data: [12, 0]))
        let c = Float(1 - 0.9)
        XCTAssertEqual(o.absMax, 2 - c * (2 - 12))
        XCTAssertTrue(o.absMax.isApproximatelyEqual(to: 3, relativeTolerance: 1e-6))
        let p = o.parameters()
        XCTAssertEqual(p.inverseScales, [Float(127) / o.absMax])
        XCTAssertEqual(p.zeroPoints, [0])
    }

    func testPercentileClipsOutliers() {
        var g = SeededGenerator(seed: 3)
        var values = (0..<10_000).map { _ in Float.random(in: -1...1, using: &g) }
        values[17] = 100          // one outlier
        var o = PercentileObserver(scheme: .q8bertStaticActivation.withRange(.staticPercentile(p: 99.9)), percentile: 99.9)
        o.observe(Tensor(shape: [100, 100], data: values))
        let threshold = o.parameters().scales[0] * 127
        XCTAssertLessThan(threshold, 1.2)
        XCTAssertGreaterThan(threshold, 0.9)

        var all = PercentileObserver(scheme: .q8bertStaticActivation, percentile: 100)
        all.observe(Tensor(shape: [100, 100], data: values))
        XCTAssertEqual(all.parameters().scales[0] * 127, 100, accuracy: 1e-4)
    }

    func testCalibrationRecordsInputAndOutputRanges() throws {
        let r = RandomLayer(out: 8, in: 16, rows: 5, paddingRows: 0, seed: 5)
        let scheme = try XCTUnwrap(ModelScheme.q8bertStatic.defaultScheme)
        let cal = try CalibratingLinear(r.layer, name: "encoder.layer.0.intermediate.dense", scheme: scheme)
        let y = runOp(cal, r.input)
        XCTAssertEqual(y, r.layer(r.input))                  // runs in FP32
        let c = cal.calibration
        XCTAssertEqual(c.input!.scales[0] * 127, r.input.data.map(abs).max()!, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(c.output).scales[0] * 127, y.data.map(abs).max()!, accuracy: 1e-5)
        XCTAssertTrue(try cal.finalize() is QuantizedLinear)
        XCTAssertThrowsError(try CalibratingLinear(r.layer, name: "x", scheme: ModelScheme.fp16.defaultScheme!))
    }
}

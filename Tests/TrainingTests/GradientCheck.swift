import BERT
import Foundation
import TensorCore
import Training
import XCTest

/// Finite-difference gradient checks in float64.
enum GradientCheck {
    /// Random values ~ N(0, std²) from a fixed seed.
    static func random(_ count: Int, seed: UInt64, std: Double = 1) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in Double(rng.normal()) * std }
    }

    /// Central differences `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h` for every coordinate of `x`.
    static func numeric(_ x: [Double], h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        var y = x
        for i in x.indices {
            y[i] = x[i] + h
            let plus = f(y)
            y[i] = x[i] - h
            let minus = f(y)
            y[i] = x[i]
            out[i] = (plus - minus) / (2 * h)
        }
        return out
    }

    /// `‖a − b‖ / ‖b‖` (the relative error the tests bound by 1e-3; in float64 it is ~1e-8).
    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var num = 0.0, den = 0.0
        for i in a.indices {
            num += (a[i] - b[i]) * (a[i] - b[i])
            den += b[i] * b[i]
        }
        return den == 0 ? num.squareRoot() : (num / den).squareRoot()
    }

    /// `‖a − b‖ / max(‖b‖, floor)`: the relative error, measured against `floor` for tensors whose true gradient
    /// is (close to) zero. The attention key bias is one: softmax ignores a shift shared by all keys, so
    /// `∂loss/∂b_key = 0` exactly and both implementations return rounding noise.
    static func relativeError(_ a: [Double], _ b: [Double], floor: Double) -> Double {
        let bNorm = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let diff = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        return diff / max(bNorm, floor)
    }

    /// The whole-model check: backward once, then central differences (h = 1e-5) of the cross-entropy loss over the
    /// coordinates `indices(p)` of every parameter `p`, each bounded by 1e-3 relative error (against a floor of 1e-6 ×
    /// the global gradient norm) with `label` in the message. Returns the worst relative error.
    static func wholeModel(_ model: TrainableBert<Double>, batch: BertBatch, labels: [Int], mode: ForwardMode,
                           label: String = "", indices: (Parameter<Double>) -> [Int],
                           file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        func loss() -> Double {
            let pass = try! model.forward(batch, mode: mode)
            var d = pass.logits
            return pass.logits.withUnsafeBufferPointer { z in d.withUnsafeMutableBufferPointer {
                CrossEntropy.lossAndGradient(logits: z.baseAddress!, labels: labels, classes: 2, dLogits: $0.baseAddress!)
            } }
        }
        model.zeroGradients()
        _ = model.backward(try model.forward(batch, mode: mode), labels: labels)
        let floor = 1e-6 * GradientClipping.globalNorm(model.parameters)
        var worst = 0.0
        for p in model.parameters {
            let indices = indices(p)
            let x = indices.map { p.value[$0] }
            let numeric = GradientCheck.numeric(x, h: 1e-5) { v in
                for (j, i) in indices.enumerated() { p.value[i] = v[j] }
                defer { for (j, i) in indices.enumerated() { p.value[i] = x[j] } }
                return loss()
            }
            let err = GradientCheck.relativeError(indices.map { p.grad[$0] }, numeric, floor: floor)
            worst = max(worst, err)
            XCTAssertLessThanOrEqual(err, 1e-3, "\(label)\(p.name): relative error \(err)", file: file, line: line)
        }
        return worst
    }

    /// `Σ r·y`: a scalar loss whose gradient with respect to `y` is `r`.
    static func dot(_ r: [Double], _ y: [Double]) -> Double {
        zip(r, y).reduce(0) { $0 + $1.0 * $1.1 }
    }
}

/// Calls `body` with mutable pointers to copies of the arrays and returns the copies.
func withPointers<T>(_ a: [Double], _ body: (UnsafeMutablePointer<Double>) -> T) -> T {
    var a = a
    return a.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

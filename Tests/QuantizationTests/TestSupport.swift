import Foundation
import Quantization
import TensorCore

/// Deterministic generator (SplitMix64) so every run sees the same tensors.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}

/// A random BERT-like layer and input: weights ~ N(0, 0.05²) with a few outliers, bias ~ N(0, 0.1²),
/// inputs ~ N(0.2, 1) with varying row scales and trailing all-zero "padding" rows.
struct RandomLayer {
    let layer: DenseLinear
    let input: Tensor

    init(out n: Int, in k: Int, rows: Int, paddingRows: Int = 2, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        var w = (0..<(n * k)).map { _ in 0.05 * g.normal() }
        for i in stride(from: 7, to: w.count, by: 97) { w[i] *= 6 }
        let b = (0..<n).map { _ in 0.1 * g.normal() }
        var x = [Float]()
        for r in 0..<rows {
            let scale: Float = 1 + Float(r % 3)
            for _ in 0..<k { x.append(r >= rows - paddingRows ? 0 : 0.2 + scale * g.normal()) }
        }
        layer = DenseLinear(weight: Tensor(shape: [n, k], data: w), bias: b)
        input = Tensor(shape: [rows, k], data: x)
    }
}

/// Runs `op` on `x` with the given worker count.
func runOp(_ op: any LinearOp, _ x: Tensor, threads: Int = 1) -> Tensor {
    Parallel.setThreads(threads)
    defer { Parallel.setThreads(1) }
    return op(x)
}

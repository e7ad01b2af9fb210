import TensorCore

/// Inverted dropout (PyTorch `nn.Dropout` in training mode): each element is kept with probability `1 − p` and
/// scaled by `1 / (1 − p)`, else zeroed. Masks are drawn from `SeededRandom` with a seed derived per call site and
/// step (`SeedMixer`), so a run reproduces exactly for a given seed whatever the thread count.
public struct DropoutMask: Sendable {
    /// 1 = kept, 0 = dropped, one per element.
    public let keep: [UInt8]
    /// Drop probability.
    public let p: Double

    /// Draws `count` keep flags: element `i` is kept when a uniform draw `u ∈ [0, 1)` satisfies `u ≥ p`.
    public init(count: Int, p: Double, seed: UInt64) {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1)")
        var rng = SeededRandom(seed: seed)
        var keep = [UInt8](repeating: 1, count: count)
        let threshold = UInt32(min(Double(UInt32.max), (p * 4_294_967_296.0).rounded(.down)))
        var i = 0
        while i < count {
            let bits = rng.next()
            keep[i] = UInt32(truncatingIfNeeded: bits) >= threshold ? 1 : 0
            if i + 1 < count { keep[i + 1] = UInt32(truncatingIfNeeded: bits >> 32) >= threshold ? 1 : 0 }
            i += 2
        }
        self.keep = keep
        self.p = p
    }

    /// Number of elements.
    public var count: Int { keep.count }

    /// `x ← x · keep / (1 − p)` in place: the forward pass, and also the backward pass (`dx = dy · keep / (1 − p)`).
    public func apply<T: TrainingScalar>(_ x: UnsafeMutablePointer<T>) {
        let scale = 1 / (1 - T(p))
        keep.withUnsafeBufferPointer { k in
            for i in 0..<k.count { x[i] = k[i] != 0 ? x[i] * scale : 0 }
        }
    }
}

/// Derives independent seeds for dropout sites and steps from one run seed (SplitMix64's finalizer on a mixed
/// key), so streams of neighbouring sites do not overlap.
public enum SeedMixer {
    /// A seed for (`seed`, `a`, `b`).
    public static func derive(_ seed: UInt64, _ a: UInt64, _ b: UInt64 = 0) -> UInt64 {
        var z = seed ^ (a &* 0xD1B5_4A32_D192_ED03) ^ (b &* 0x8CB9_2BA7_2F3D_8DD7)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

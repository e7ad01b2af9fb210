import TensorCore

/// Reproducible shuffling of example indices (Fisher–Yates driven by `SeededRandom`): epoch `e` of a run with
/// seed `s` always sees the same order, on any machine.
public enum SeededShuffle {
    /// A permutation of `0..<count` for `epoch` of a run seeded with `seed`.
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = SeededRandom(seed: SeedMixer.derive(seed, 0x5348_5546, UInt64(epoch)))
        var order = Array(0..<count)
        guard count > 1 else { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }
}

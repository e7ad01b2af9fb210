import Foundation
import _CKernels

/// A weight matrix packed once for the deterministic FP32 GEMM (`qb_sgemm_pack_b`: `ceil(N/16)` panels of
/// `[K][16]` floats, the layout every kernel family reads), made on first use and kept for the operator's life.
///
/// `DenseLinear` holds one: `numerics: fast` never packs, so the copy (4 bytes per weight) exists only in
/// `reproducible` mode. Safe to use from several threads; the pack is immutable once made.
final class PackedWeights: @unchecked Sendable {
    private let lock = NSLock()
    private var pack: OpaquePointer?

    init() {}

    deinit { qb_packed_f32_free(pack) }

    /// The pack of `op(B)` `[k, n]` (`weight` stored `[n, k]`, i.e. `transB`), made on the first call.
    func packed(weight: UnsafePointer<Float>, n: Int, k: Int) -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        if let pack { return pack }
        guard let p = qb_sgemm_pack_b(1, Int32(k), Int32(n), weight, Int32(k)) else {
            preconditionFailure("PackedWeights: out of memory packing a [\(n), \(k)] weight")
        }
        pack = p
        return p
    }
}

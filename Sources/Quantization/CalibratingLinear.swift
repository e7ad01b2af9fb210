import Foundation
import TensorCore

/// What a calibration pass recorded for one layer: static activation ranges, and the SmoothQuant factors its
/// input channels are divided by; what `quantize` and the experiment layer's `SmoothQuantMigration` take.
public struct Calibration: Codable, Hashable, Sendable {
    /// Parameters for the layer input (one entry, or one per group for per-embedding-group schemes); nil when the
    /// layer's activation range is dynamic.
    public var input: QuantParams?
    /// Parameters for the layer output, when the scheme re-quantizes outputs with a static range.
    public var output: QuantParams?
    /// SmoothQuant factors `s [K]` (`SmoothQuantSpec.scales`): the layer runs `(x · diag(s)⁻¹) · (W · diag(s))ᵀ`;
    /// nil when the layer is not smoothed.
    public var smoothing: [Float]?
    /// The per-embedding-group layout of the input (column order and group count), for PEG schemes.
    public var inputGroups: EmbeddingGroups?

    enum CodingKeys: String, CodingKey {
        case input, output, smoothing
        case inputGroups = "input_groups"
    }

    /// Calibrated input (and optional output) parameters, optional SmoothQuant factors and PEG layout.
    public init(input: QuantParams?, output: QuantParams? = nil, smoothing: [Float]? = nil,
                inputGroups: EmbeddingGroups? = nil) {
        self.input = input
        self.output = output
        self.smoothing = smoothing
        self.inputGroups = inputGroups
    }
}

/// A float layer that records its inputs (and outputs) while running in FP32: wrap every layer, run the
/// calibration batches through the model, then `finalize()` each wrapper into its quantized operator.
///
/// Inputs feed `makeActivationObserver(for: scheme.activation)` (min/max, EMA or percentile per the scheme's
/// range); when the scheme re-quantizes outputs, the FP32 outputs feed a second observer of the same kind
/// (Q8BERT keeps an `output_thresh` EMA; note it observes QAT outputs, we observe FP32 ones).
/// Thread-safe: observation is serialized by a lock.
public final class CalibratingLinear: LinearOp, @unchecked Sendable {
    /// The FP32 layer being run and observed.
    public let base: DenseLinear
    /// HF layer name (for errors and reports).
    public let name: String
    /// The scheme the layer will be quantized with.
    public let scheme: LayerScheme
    private var inputObserver: any Observer
    private var outputObserver: (any Observer)?
    private let lock = NSLock()

    /// - Throws: `QuantizationError` when the scheme is invalid or has no activation scheme to calibrate.
    public init(_ base: DenseLinear, name: String, scheme: LayerScheme) throws {
        do { try scheme.validate() } catch let e as QuantizationError { throw QuantizationError.inLayer(name, e) }
        guard let activation = scheme.activation else {
            throw QuantizationError.inLayer(name, .invalidScheme(field: "activation", reason: "nothing to calibrate: the scheme is weight-only"))
        }
        self.base = base
        self.name = name
        self.scheme = scheme
        inputObserver = makeActivationObserver(for: activation)
        outputObserver = scheme.outputScheme.map { makeActivationObserver(for: $0) }
    }

    public var inFeatures: Int { base.inFeatures }
    public var outFeatures: Int { base.outFeatures }
    /// The FP32 layer's size (nothing is quantized yet).
    public var parameterBytes: Int { base.parameterBytes }

    /// FP32 forward, then the input (and output) are fed to the observers.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        base.forward(x, rows: rows, into: y)
        lock.lock()
        defer { lock.unlock() }
        inputObserver.observe(UnsafeBufferPointer(start: x, count: rows * inFeatures), rows: rows, cols: inFeatures)
        outputObserver?.observe(UnsafeBufferPointer(start: y, count: rows * outFeatures), rows: rows, cols: outFeatures)
    }

    /// Parameters for everything observed so far.
    public var calibration: Calibration {
        lock.lock()
        defer { lock.unlock() }
        return Calibration(input: inputObserver.parameters(), output: outputObserver?.parameters(),
                           inputGroups: (inputObserver as? EmbeddingGroupObserver)?.layout)
    }

    /// The quantized operator for the base layer with the recorded ranges.
    public func finalize() throws -> any LinearOp {
        try quantize(base, name: name, scheme: scheme, calibration: calibration)
    }
}

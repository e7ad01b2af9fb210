import BERT
import Foundation
import Quantization

/// One quantized model a sweep hands to the statistics writer.
public struct SweepStatisticsInput {
    public var scheme: ModelScheme
    public var model: BertModel

    public init(scheme: ModelScheme, model: BertModel) {
        self.scheme = scheme
        self.model = model
    }
}

/// The integration point for `stats.h5` (issue 4): a sweep calls `writeStatistics` once, after evaluation,
/// with the FP32 baseline and every quantized model, when the experiment has a `statistics` section.
///
/// The LayerStats module implements this (FP32 vs quantized layer outputs through `ActivationTap`, weight
/// error, input ranges, optional sensitivity) and `qbench sweep` passes it to `SweepRunner.run`; until then the
/// sweep writes no `stats.h5` and says so in `results.md` and the manifest.
public protocol SweepStatisticsWriter {
    /// Writes the HDF5 file at `url` (inside the run's temporary folder; the folder is renamed into place only
    /// when the whole run succeeds, so the writer may write `url` directly).
    /// - Parameters:
    ///   - request: which statistics the experiment asked for.
    ///   - baseline: the FP32 model.
    ///   - variants: every other scheme of the run, in run order.
    ///   - batches: the evaluation batches (or the first `request.examples` examples).
    ///   - attributes: root attributes to store (run id, `sha256:<role>/<file>` of model and data files).
    func writeStatistics(to url: URL, request: StatisticsRequest, baseline: BertModel, variants: [SweepStatisticsInput],
                         batches: [BertBatch], attributes: [String: String]) throws
}

import BERT
import Experiments
import Foundation
import RunRecords
import _Support

/// A sweep's `stats.h5`: `StatsRun` over the sweep's own FP32 and quantized models (with the static ranges
/// each was calibrated with), written with `StatsReport.write` (layout: docs/hdf5-layout.md) and the
/// provenance of the model folder and data file.
enum SweepStatistics {
    /// Writes the file at `url` (inside the run's temporary folder, which is renamed into place only when the whole
    /// run succeeds).
    /// - Parameters:
    ///   - request: which statistics the experiment asked for.
    ///   - baseline: the FP32 model; `variants` every other post-training scheme of the run, in run order.
    ///   - batches: the evaluation batches (or those of the first `request.examples` examples).
    ///   - tokenClasses: the model folder's token classes, for the outlier statistics.
    ///   - modelFolder, dataFile, command: hashed or recorded into the file's provenance attributes.
    ///   - progress: `("stats.h5: <phase>", done, total)` after each batch of each phase.
    static func write(to url: URL, request: StatisticsRequest, baseline: SweepRunner.RunModel,
                      variants: [SweepRunner.RunModel], batches: [BertBatch], tokenClasses: TokenClassifier,
                      modelFolder: String, dataFile: String,
                      command: String, progress: SweepRunner.Progress? = nil) throws {
        let report = try StatsRun.run(model: baseline.model,
                                      quantized: variants.map { ($0.scheme, $0.model, $0.calibrations) },
                                      batches: batches, labels: nil,
                                      // The sweep's evaluation already refused non-finite logits on these examples unless the
                                      // run allows them.
                                      options: StatsOptions(sensitivity: request.sensitivity, allowNonFinite: true),
                                      tokenClasses: tokenClasses,
                                      progress: progress.map { p in { phase, done, total in p("stats.h5: \(phase)", done, total) } })
        let provenance = try StatsProvenance.collect(modelFolder: modelFolder, dataFile: dataFile,
                                                     version: QuantBenchVersion.current, command: command)
        try report.write(to: url.path, provenance: provenance)
    }
}

import BERT
import Foundation
import Quantization
import _Support

/// The sweep's `stats.h5`: `StatsRun` over the sweep's own FP32 and quantized models, written with
/// `StatsReport.write` (layout: docs/hdf5-layout.md) plus the run's attributes.
public struct LayerStatsSweepWriter: SweepStatisticsWriter {
    /// Model folder and data file of the experiment (hashed into the file's provenance attributes).
    public var modelFolder: String
    public var dataFile: String
    public var command: String

    public init(modelFolder: String, dataFile: String, command: String) {
        self.modelFolder = modelFolder
        self.dataFile = dataFile
        self.command = command
    }

    public func writeStatistics(to url: URL, request: StatisticsRequest, baseline: BertModel,
                                variants: [SweepStatisticsInput], batches: [BertBatch],
                                attributes: [String: String]) throws {
        let report = try StatsRun.run(model: baseline,
                                      quantized: variants.map { ($0.scheme, $0.model, [String: Calibration]()) },
                                      batches: batches, labels: nil,
                                      options: StatsOptions(sensitivity: request.sensitivity))
        let provenance = try StatsProvenance.collect(modelFolder: modelFolder, dataFile: dataFile,
                                                     version: QuantBenchVersion.current, command: command)
        try report.write(to: url.path, provenance: provenance)
    }
}

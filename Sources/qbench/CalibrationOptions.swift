import ArgumentParser
import BERT
import Experiments
import RunRecords

/// Where static schemes (e.g. `q8bert-static`) take their calibration examples from.
struct CalibrationOptions: ParsableArguments {
    @Option(help: "Calibration data for static schemes (TSV or task folder; default: --data's train split).")
    var calibrationData: String?
    @Option(help: "Split of the calibration task folder.")
    var calibrationSplit: String = "train"
    @Option(help: "Number of calibration examples (from the start of the calibration data).")
    var calibrationExamples: Int = 256

    /// The first `calibrationExamples` of the calibration data, batched with `options`.
    func batches(folder: ModelFolder, options: BatchingOptions, defaultData: String) throws -> [BertBatch] {
        try folder.calibrationBatches(data: calibrationData ?? defaultData, split: calibrationSplit,
                                      examples: calibrationExamples, options: options)
    }
}

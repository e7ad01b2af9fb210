import Datasets
import RunRecords

/// The error bars of a sweep's rows: one `PairedBootstrap` over every row's reference-pass predictions (the same
/// resampled examples for every row in a replicate), giving each row's `f1_ci95` and `accuracy_ci95` and, against
/// FP32 (row 0), `delta_f1_ci95` and the exact McNemar `mcnemar_p`; sweep variants get the same two against the
/// sweep's base cell (`vs_sweep_base`, the factorial ablation's one-factor table). Deterministic in the predictions,
/// the labels and `BootstrapSettings`, which is what lets `qbench reproduce` compare them exactly.
enum SweepIntervals {
    /// Sets the intervals of `rows` (FP32 first) from `predictions[i]`, row `i`'s reference pass.
    /// - Returns: the settings used, or nil (rows unchanged) when some example has no label or there are none.
    static func attach(to rows: inout [SchemeResult], predictions: [PredictionSet], baseCell: String?,
                       settings: BootstrapSettings) -> BootstrapSettings? {
        precondition(rows.count == predictions.count, "SweepIntervals: \(rows.count) rows, \(predictions.count) prediction sets")
        guard let first = predictions.first, !first.labels.isEmpty, first.labels.allSatisfy({ $0 != nil }),
              rows.allSatisfy({ $0.metrics != nil }) else { return nil }
        let labels = first.labels.map { $0! }
        let predicted = predictions.map(\.predictions)
        let bootstrap = PairedBootstrap(labels: labels, predictions: predicted, settings: settings)
        func mcnemar(_ s: Int, against reference: Int) -> Double {
            McNemarTest(labels: labels, reference: predicted[reference], candidate: predicted[s]).pValue
        }
        let base = baseCell.flatMap { name in rows.firstIndex { $0.scheme == name } }
        for s in rows.indices {
            rows[s].f1CI95 = bootstrap.f1Interval(s)
            rows[s].accuracyCI95 = bootstrap.accuracyInterval(s)
            rows[s].deltaF1CI95 = bootstrap.deltaF1Interval(s, minus: 0)
            rows[s].mcnemarP = mcnemar(s, against: 0)
            if let base, s != base, rows[s].kind == "sweep", let mine = rows[s].metrics, let theirs = rows[base].metrics {
                rows[s].vsSweepBase = .init(scheme: rows[base].scheme, deltaF1: mine.f1 - theirs.f1,
                                            deltaF1CI95: bootstrap.deltaF1Interval(s, minus: base),
                                            mcnemarP: mcnemar(s, against: base))
            }
        }
        return settings
    }
}

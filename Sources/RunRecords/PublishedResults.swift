/// Published MRPC dev numbers shown beside ours in `results.md`, with their sources (docs/schemes.md lists the peers).
/// They come from bert-base-uncased checkpoints on other machines: compare trends, not absolute values.
public enum PublishedResults {
    /// A source's rows, selectable with the experiment key `published`.
    public enum Group: String, Codable, CaseIterable, Sendable {
        /// PyTorch "Dynamic quantization on BERT" tutorial (MacBook Pro, 1 / 4 threads).
        case tutorial
        /// pytorch/pytorch PR #34691 (dynamic quantization variants).
        case pytorchPR34691 = "pytorch-pr-34691"
        /// microsoft/onnxruntime BERT GLUE quantization notebook.
        case onnxruntimeNotebook = "onnxruntime-notebook"
        /// Q8BERT (Zafrir et al. 2019, arXiv:1910.06188) Table 1.
        case q8bert
    }

    /// One published row.
    public struct Row: Sendable {
        public var group: Group
        public var row: String
        public var f1: Double
        public var accuracy: Double?
        public var modelMB: Double?
        /// e.g. "160 s / 85 s (1 / 4 threads, MacBook Pro)".
        public var seconds: String?
        public var source: String
    }

    /// Every row of the reference table, in its order.
    public static let rows: [Row] = [
        Row(group: .tutorial, row: "Tutorial FP32 (bert-base-uncased MRPC)", f1: 0.9019, modelMB: 438,
            seconds: "160 / 85 (1 / 4 threads, MacBook Pro)", source: "PyTorch dynamic quantization BERT tutorial"),
        Row(group: .tutorial, row: "Tutorial INT8 dynamic", f1: 0.902, modelMB: 181,
            seconds: "90 / 46 (1 / 4 threads, MacBook Pro)", source: "PyTorch dynamic quantization BERT tutorial"),
        Row(group: .pytorchPR34691, row: "PyTorch dynamic, 8-bit activations", f1: 0.8934, accuracy: 0.8456,
            source: "pytorch/pytorch PR #34691"),
        Row(group: .pytorchPR34691, row: "PyTorch dynamic, reduce_range (7-bit activations)", f1: 0.8935,
            accuracy: 0.8480, source: "pytorch/pytorch PR #34691"),
        Row(group: .pytorchPR34691, row: "PyTorch dynamic, reduce_range + per-channel weights", f1: 0.9022,
            accuracy: 0.8603, source: "pytorch/pytorch PR #34691"),
        Row(group: .onnxruntimeNotebook, row: "PyTorch 1.6 quantize_dynamic default", f1: 0.89931, accuracy: 0.85784,
            source: "microsoft/onnxruntime BERT GLUE quantization notebook"),
        Row(group: .onnxruntimeNotebook, row: "ONNX Runtime 1.5 dynamic", f1: 0.90203, accuracy: 0.85784,
            source: "microsoft/onnxruntime BERT GLUE quantization notebook"),
        Row(group: .q8bert, row: "Q8BERT BERT-base baseline", f1: 0.900, source: "Q8BERT Table 1 (nlp-architect docs)"),
        Row(group: .q8bert, row: "Q8BERT QAT", f1: 0.8956, source: "Q8BERT Table 1"),
        Row(group: .q8bert, row: "Q8BERT post-training dynamic", f1: 0.8788,
            source: "Q8BERT Table 1, as quoted by the tutorial"),
    ]

    /// The rows of `groups`, in table order.
    public static func rows(_ groups: [Group]) -> [Row] { rows.filter { groups.contains($0.group) } }
}

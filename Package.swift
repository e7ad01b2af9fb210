// swift-tools-version: 6.0
// QuantBench: a quantization research workbench for transformer encoders.
// Module layout and dependency direction: docs/architecture.md.
import PackageDescription

let optimize: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "QuantBench",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "qbench", targets: ["qbench"]),
        .library(name: "QuantBenchKit", targets: ["TensorCore", "Checkpoints", "Tokenization", "BERT",
                                                   "Quantization", "Datasets", "LayerStats", "RunRecords", "Experiments",
                                                   "Training", "Benchmark", "Sweep", "Cluster", "NotebookExport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C: kernels that need intrinsics (int8 GEMM, fp16, CPU feature detection). Scalar references live beside them.
        .target(name: "_CKernels", cSettings: optimize),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),

        // Small jobs every module shares: atomic file and folder writes, SHA-256, median, decoding-error text,
        // build and git information. Foundation only.
        .target(name: "_Support"),
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "_CKernels"]),
        .target(name: "Checkpoints", dependencies: [
            "TensorCore", "_Support", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "Tokenization"),
        .target(name: "BERT", dependencies: ["TensorCore", "Checkpoints", "_Support"]),
        .target(name: "Quantization", dependencies: ["TensorCore", "_CKernels"]),
        // MRPC/MSRP data, F1/accuracy and their error bars (paired bootstrap on TensorCore's SeededRandom, McNemar).
        .target(name: "Datasets", dependencies: ["TensorCore"]),
        // Layer-wise error statistics and the HDF5 writer; data only (no BERT, no Quantization).
        .target(name: "LayerStats", dependencies: ["TensorCore", "CHDF5", "_Support"]),
        // What a run folder holds, as data: manifest (with the experiment config as recorded), results, predictions,
        // citation, the results.md/csv renderer, the stats.h5 layout constants. No BERT, no Yams, no experiment loader.
        .target(name: "RunRecords", dependencies: ["Quantization", "Datasets", "TensorCore", "_Support"]),
        // Experiment files (strict YAML, validation), model wiring (model folders, a model + a scheme, quantized
        // checkpoints, the evaluator) and layer statistics of schemes (StatsRun, StatsReport → stats.h5).
        .target(name: "Experiments", dependencies: [
            "RunRecords", "TensorCore", "Checkpoints", "Tokenization", "BERT", "Quantization", "Datasets", "LayerStats",
            "_Support", .product(name: "Yams", package: "Yams"),
        ]),
        // Fine-tuning and quantization-aware training: backward passes, AdamW, the training loop.
        .target(name: "Training", dependencies: [
            "BERT", "Quantization", "TensorCore", "Checkpoints", "Datasets", "_Support",
            .product(name: "RealModule", package: "swift-numerics"),
        ]),
        // `qbench bench`: alternating timings of schemes, and of PyTorch / ONNX Runtime through a peer process.
        .target(name: "Benchmark", dependencies: [
            "Experiments", "RunRecords", "BERT", "Quantization", "Datasets", "TensorCore", "_Support",
        ]),
        // `qbench sweep` / `qbench reproduce` / `qbench qat`: the sweep runner, run folders, reproduction, QAT rows.
        .target(name: "Sweep", dependencies: [
            "Experiments", "RunRecords", "Training", "BERT", "Quantization", "Datasets", "Checkpoints", "TensorCore",
            "_Support",
        ]),
        // Sweeps on clusters: Slurm batch scripts, submission and status (sbatch / squeue / sacct), Kubernetes Indexed Jobs.
        .target(name: "Cluster", dependencies: [
            "Sweep", "Experiments", "RunRecords", "_Support", .product(name: "Yams", package: "Yams"),
        ]),
        // Run folders as Jupyter notebooks and Markdown: SVG plots, nbformat-4 writer, stats.h5 reader for figures.
        .target(name: "NotebookExport", dependencies: ["RunRecords", "LayerStats", "_Support"]),
        .executableTarget(name: "qbench", dependencies: [
            "Experiments", "Sweep", "Cluster", "Benchmark", "NotebookExport", "RunRecords", "TensorCore", "Checkpoints", "BERT",
            "Quantization", "Datasets", "Tokenization", "LayerStats", "Training", "_Support",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared test helpers: fixture paths and PyTorch golden readers.
        .target(name: "_TestSupport", dependencies: ["Checkpoints", "_Support"], path: "Tests/_TestSupport"),
        .testTarget(name: "SupportTests", dependencies: ["_Support"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["_TestSupport", "Checkpoints", "TensorCore"]),
        .testTarget(name: "TokenizationTests", dependencies: ["_TestSupport", "Tokenization"]),
        .testTarget(name: "BERTTests", dependencies: ["_TestSupport", "BERT", "Checkpoints", "TensorCore", "Tokenization"]),
        .testTarget(name: "QuantizationTests", dependencies: [
            "_TestSupport", "Quantization", "TensorCore", .product(name: "Numerics", package: "swift-numerics"),
        ]),
        .testTarget(name: "KernelsTests", dependencies: ["_CKernels"]),
        .testTarget(name: "DatasetsTests", dependencies: ["_TestSupport", "Datasets"]),
        .testTarget(name: "ExperimentsTests", dependencies: [
            "_TestSupport", "Experiments", "RunRecords", "Sweep", "BERT", "Datasets", "TensorCore", "Quantization",
            "LayerStats", "Tokenization",
        ]),
        .testTarget(name: "BenchmarkTests", dependencies: [
            "_TestSupport", "Benchmark", "Experiments", "BERT", "_Support", "RunRecords",
        ]),
        .testTarget(name: "LayerStatsTests", dependencies: ["_TestSupport", "LayerStats", "TensorCore"]),
        .testTarget(name: "TrainingTests", dependencies: [
            "_TestSupport", "Training", "BERT", "Checkpoints", "TensorCore", "Datasets", "Quantization", "Experiments",
        ]),
        .testTarget(name: "QBenchCLITests", dependencies: [
            "_TestSupport", "Checkpoints", "TensorCore", "LayerStats", "Benchmark", "Experiments", "Datasets", "RunRecords",
            "_Support", .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "NotebookExportTests", dependencies: ["NotebookExport"]),
        .testTarget(name: "ClusterTests", dependencies: [
            "_TestSupport", "Cluster", "Sweep", "Experiments", .product(name: "Yams", package: "Yams"),
        ]),
    ],
    // Swift 5 language mode: kernels share raw buffers across DispatchQueue.concurrentPerform workers,
    // which strict Swift 6 concurrency checking cannot express without copies.
    swiftLanguageModes: [.v5]
)

// swift-tools-version: 6.0
// libFuzzer targets for QuantBench's file readers (docs/fuzzing.md). Kept out of the main package: every module
// here is built with `-sanitize=fuzzer,address` (`make fuzz`), which links libFuzzer's own `main`.
import PackageDescription

let package = Package(
    name: "QuantBenchFuzz",
    dependencies: [
        .package(name: "QuantBench", path: ".."),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // One executable holding every target; QBENCH_FUZZ_TARGET picks one (FuzzTarget.all).
        .executableTarget(name: "qbench-fuzz", dependencies: [
            .product(name: "QuantBenchKit", package: "QuantBench"), .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)

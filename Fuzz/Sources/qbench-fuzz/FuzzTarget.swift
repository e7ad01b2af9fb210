import Foundation

/// One fuzz target: bytes in, any error thrown is a correct answer; a crash, trap, leak or hang is a finding.
struct FuzzTarget {
    /// Name in `QBENCH_FUZZ_TARGET` and of the seed folder `Fuzz/corpus/<name>/`.
    let name: String
    /// What it reads, for `docs/fuzzing.md` and the usage line.
    let reads: String
    let run: (Data) throws -> Void

    /// Every target, in the order `make fuzz` runs them.
    static let all: [FuzzTarget] = [
        .safetensors, .pytorchZip, .pickle, .tsv, .vocab, .tokenizerJSON, .tokenizerConfig, .experimentYAML, .schemeFile,
        .quantizedMetadata, .runJSON,
    ]

    /// The checkout holding this file (`Fuzz/Sources/qbench-fuzz/FuzzTarget.swift`).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A private scratch folder for inputs that must be files (on tmpfs when the machine has one).
    static let scratch: URL = {
        try? FileManager.default.createDirectory(at: scratchFolder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzTarget.scratchFolder) }
        return scratchFolder
    }()

    static let scratchFolder: URL = (FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm")
        : FileManager.default.temporaryDirectory).appendingPathComponent("qbench-fuzz-\(getpid())")

    /// `data` written to `name` in the scratch folder (replaced each call).
    static func file(_ name: String, _ data: Data) -> URL {
        let url = scratch.appendingPathComponent(name)
        FileManager.default.createFile(atPath: url.path, contents: data)
        return url
    }
}

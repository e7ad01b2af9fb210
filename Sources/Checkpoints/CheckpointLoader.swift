import Foundation

/// Opens the weights of a Hugging Face model folder, whatever format they are in.
public enum CheckpointLoader {
    /// File names tried, in order of preference: safetensors first, then the legacy
    /// PyTorch ZIP format.
    public static let candidates = ["model.safetensors", "pytorch_model.bin"]

    /// Opens `folder/model.safetensors` if it exists, else `folder/pytorch_model.bin`.
    ///
    /// - Throws: `CheckpointError.noCheckpointFound` listing the paths looked for when neither
    ///   exists, or whatever opening the chosen file throws (a damaged `model.safetensors` is an
    ///   error, not a reason to fall back silently).
    public static func open(folder: URL) throws -> TensorSource {
        guard let url = locate(folder: folder) else {
            throw CheckpointError.noCheckpointFound(
                folder: folder.path, lookedFor: candidates.map { folder.appendingPathComponent($0).path })
        }
        return url.pathExtension == "safetensors" ? try SafeTensorsFile(url: url) : try PyTorchCheckpoint(url: url)
    }

    /// The weights file `open(folder:)` reads: the first of `candidates` that exists as a file, or nil.
    public static func locate(folder: URL) -> URL? {
        let manager = FileManager.default
        for name in candidates {
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue { return url }
        }
        return nil
    }
}

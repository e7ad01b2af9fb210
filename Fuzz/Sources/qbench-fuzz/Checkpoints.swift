import Checkpoints
import Foundation
import ZIPFoundation

extension FuzzTarget {
    /// A whole `model.safetensors`: the 8-byte header length, the JSON header (offsets, dtypes, shapes, duplicate
    /// keys, metadata) and every tensor read back as Float.
    static let safetensors = FuzzTarget(name: "safetensors", reads: "model.safetensors (header and tensors)") { data in
        let file = try SafeTensorsFile(url: FuzzTarget.file("model.safetensors", data))
        for name in file.names { _ = try? file.floatTensor(name) }
    }

    /// A whole `pytorch_model.bin`: the ZIP container, its `data.pkl` and the tensor storages.
    static let pytorchZip = FuzzTarget(name: "pytorch-zip", reads: "pytorch_model.bin (ZIP + pickle + storages)") { data in
        let checkpoint = try PyTorchCheckpoint(url: FuzzTarget.file("pytorch_model.bin", data))
        for name in checkpoint.names { _ = try? checkpoint.floatTensor(name) }
    }

    /// The pickle alone: the input is `archive/data.pkl` of a well-formed ZIP (with the tiny fixture's small
    /// members: byteorder, version and its storages up to 4 KB), so mutations reach the unpickler instead of the
    /// ZIP reader. Larger storages are left out to keep executions fast; `pytorch-zip` covers storage reads.
    static let pickle = FuzzTarget(name: "pickle", reads: "data.pkl inside a valid ZIP (the unpickler)") { data in
        let archive = try Archive(accessMode: .create)
        for (path, bytes) in pickleCompanions {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .none) {
                position, size in bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        try archive.addEntry(with: "archive/data.pkl", type: .file, uncompressedSize: Int64(data.count),
                             compressionMethod: .none) { position, size in data.subdata(in: Int(position)..<Int(position) + size) }
        guard let zip = archive.data else { return }
        let checkpoint = try PyTorchCheckpoint(url: FuzzTarget.file("pickle.bin", zip))
        for name in checkpoint.names { _ = try? checkpoint.floatTensor(name) }
    }

    /// The tiny PyTorch fixture's members of at most 4 KB, except its data.pkl.
    static let pickleCompanions: [(String, Data)] = {
        let url = repository.appendingPathComponent("Tests/Fixtures/tiny-random-bert-pytorch-bin/pytorch_model.bin")
        guard let archive = try? Archive(url: url, accessMode: .read) else { fatalError("cannot read \(url.path)") }
        var members: [(String, Data)] = []
        for entry in archive where !entry.path.hasSuffix("data.pkl") && entry.uncompressedSize <= 4096 {
            var bytes = Data()
            _ = try? archive.extract(entry) { bytes.append($0) }
            members.append(("archive/" + (entry.path.split(separator: "/", maxSplits: 1).last.map(String.init) ?? entry.path), bytes))
        }
        return members
    }()
}

import Foundation
import _Support

extension RunManifest.FileHash {
    /// The sha256 and size of the file at `path`, recorded under `role` and `name` (default: the file's name).
    /// - Throws: `SupportError` when the file cannot be read.
    public static func of(role: String, path: String, name: String? = nil) throws -> RunManifest.FileHash {
        let (h, size) = try SHA256.hexOfFile(path)
        return .init(role: role, name: name ?? (path as NSString).lastPathComponent, path: path, sha256: h, bytes: size)
    }

    /// Every regular, non-hidden file directly in the model folder `path`, by name, with role `model`.
    public static func modelFolder(_ path: String) throws -> [RunManifest.FileHash] {
        let fm = FileManager.default
        var out: [RunManifest.FileHash] = []
        for n in try fm.contentsOfDirectory(atPath: path).sorted() where !n.hasPrefix(".") {
            let p = (path as NSString).appendingPathComponent(n)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue else { continue }
            out.append(try of(role: "model", path: p, name: n))
        }
        return out
    }
}

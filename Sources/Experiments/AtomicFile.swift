import Foundation

/// Writes a file so that the destination either holds the complete new content or is untouched:
/// write to `.<name>.tmp-<pid>` in the same folder, then `rename(2)`.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw ExperimentError.badPath(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
        if rename(tmp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw ExperimentError.badPath(path: path, reason: "cannot write: \(reason)")
        }
    }

    /// Fails early, before any work, when `path`'s folder does not exist or is not writable.
    public static func checkWritable(_ path: String) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw ExperimentError.badPath(path: path, reason: "output folder \(dir) does not exist")
        }
        guard access(dir, W_OK) == 0 else {
            throw ExperimentError.badPath(path: path, reason: "output folder \(dir) is not writable")
        }
    }
}

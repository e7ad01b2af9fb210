import Foundation

/// A folder that appears whole or not at all: its files are written into a `TemporaryName` beside it, which is
/// renamed into place only when everything succeeded. An error (or a kill) leaves nothing new at the destination;
/// the temporary folder is removed at once, or by the next write's `TemporaryName.removeAbandoned`.
public enum AtomicFolder {
    /// Creates `folder` atomically: `fill` writes the contents into the temporary folder it is given.
    /// - Parameters:
    ///   - replacingExisting: replace a folder already at `folder` (moved aside under a temporary name and
    ///     removed after the rename; put back when the rename fails). Otherwise an existing `folder` is an error.
    ///   - stagingDirectory: build the temporary folder there instead of beside `folder` (created when missing; it
    ///     must be on the same file system). Processes on several hosts that write into one shared folder give each
    ///     host its own staging folder, because the clean-up of abandoned temporaries judges them by process id.
    /// - Throws: `SupportError.writeFailed` when `folder` exists (and may not be replaced) or cannot be created;
    ///   any error of `fill` (then nothing is left behind).
    @discardableResult
    public static func create<T>(_ folder: URL, replacingExisting: Bool = false, stagingDirectory: URL? = nil,
                                 _ fill: (URL) throws -> T) throws -> T {
        let fm = FileManager.default
        let destination = folder.standardizedFileURL
        guard replacingExisting || !fm.fileExists(atPath: destination.path) else {
            throw SupportError.writeFailed(path: destination.path, reason: "already exists; choose a new output folder")
        }
        let staging = stagingDirectory?.standardizedFileURL ?? destination.deletingLastPathComponent()
        TemporaryName.removeAbandoned(in: staging)
        let tmp = staging.appendingPathComponent(TemporaryName.beside(destination).lastPathComponent)
        do {
            if stagingDirectory != nil { try fm.createDirectory(at: staging, withIntermediateDirectories: true) }
            try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
        } catch {
            throw SupportError.writeFailed(path: destination.path,
                                           reason: "cannot create a temporary folder: \(error.localizedDescription)")
        }
        var old: URL?
        do {
            let value = try fill(tmp)
            if fm.fileExists(atPath: destination.path) {
                guard replacingExisting else {
                    throw SupportError.writeFailed(path: destination.path, reason: "a folder of that name appeared meanwhile")
                }
                let aside = TemporaryName.beside(destination)
                try fm.moveItem(at: destination, to: aside)
                old = aside
            }
            try fm.moveItem(at: tmp, to: destination)
            if let old { try? fm.removeItem(at: old) }
            return value
        } catch {
            try? fm.removeItem(at: tmp)
            if let old, !fm.fileExists(atPath: destination.path) { try? fm.moveItem(at: old, to: destination) }
            throw error
        }
    }
}

extension AtomicFolder {
    /// Copies the files `names` of `source` into `folder` (read-write for the owner, readable by all: 0644),
    /// skipping the missing ones when `skipMissing`.
    public static func copy(_ names: [String], from source: URL, into folder: URL, skipMissing: Bool = false) throws {
        let fm = FileManager.default
        for name in names {
            let src = source.appendingPathComponent(name)
            if skipMissing, !fm.fileExists(atPath: src.path) { continue }
            let dst = folder.appendingPathComponent(name)
            try fm.copyItem(at: src, to: dst)
            try normalizePermissions(dst)
        }
    }

    /// 0644 for files and 0755 for folders (recursively), whatever the source's bits were (e.g. read-only).
    static func normalizePermissions(_ url: URL) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        _ = fm.fileExists(atPath: url.path, isDirectory: &isDir)
        try fm.setAttributes([.posixPermissions: isDir.boolValue ? 0o755 : 0o644], ofItemAtPath: url.path)
        guard isDir.boolValue else { return }
        for child in try fm.contentsOfDirectory(atPath: url.path) {
            try normalizePermissions(url.appendingPathComponent(child))
        }
    }
}

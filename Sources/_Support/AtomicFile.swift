import Foundation
#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
private let posixClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
private let posixClose = Darwin.close
#endif

/// Write-to-temporary-then-rename, so readers never see a partially written file.
public enum AtomicFile {
    /// Writes the concatenation of `chunks` to `url` atomically: a `TemporaryName` beside it, `fsync`, POSIX
    /// `rename(2)`. On failure the temporary file is removed and `url` is untouched.
    /// - Throws: `SupportError.writeFailed` naming `url`.
    public static func write(_ chunks: [Data], to url: URL) throws {
        let destination = url.standardizedFileURL
        let directory = destination.deletingLastPathComponent()
        TemporaryName.removeAbandoned(in: directory)
        let temporary = TemporaryName.beside(destination)
        let fail = { (reason: String) -> SupportError in .writeFailed(path: destination.path, reason: reason) }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw fail("cannot create temporary file in \(directory.path): \(String(cString: strerror(errno)))")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { _ = posixClose(fd) }
            if !renamed { unlink(temporary.path) }
        }
        for chunk in chunks {
            try chunk.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = posixWrite(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw fail("writing \(temporary.lastPathComponent): \(String(cString: strerror(errno)))")
                    }
                    done += n
                }
            }
        }
        guard fsync(fd) == 0 else {
            throw fail("fsync of \(temporary.lastPathComponent): \(String(cString: strerror(errno)))")
        }
        closed = true
        guard posixClose(fd) == 0 else {
            throw fail("closing \(temporary.lastPathComponent): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            throw fail("renaming into place: \(String(cString: strerror(errno)))")
        }
        renamed = true
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write([data], to: URL(fileURLWithPath: path))
    }

    /// Fails early, before any work, when `path`'s folder does not exist or is not writable.
    /// - Throws: `SupportError.writeFailed` naming `path`.
    public static func checkWritable(_ path: String) throws {
        let dir = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw SupportError.writeFailed(path: path, reason: "output folder \(dir) does not exist")
        }
        guard access(dir, W_OK) == 0 else {
            throw SupportError.writeFailed(path: path, reason: "output folder \(dir) is not writable")
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one naming scheme of temporary files and folders that are renamed into place: `.<final name>.partial-<pid>-<uuid>`
/// beside the destination (same file system, so `rename(2)` is atomic), and the one clean-up of those a killed
/// process left behind.
public enum TemporaryName {
    static let marker = ".partial-"

    /// A fresh temporary sibling of `destination`.
    public static func beside(_ destination: URL) -> URL {
        destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent)\(marker)\(getpid())-\(UUID().uuidString)")
    }

    /// The process id in a temporary name, nil for any other name.
    static func ownerPID(_ name: String) -> Int32? {
        guard name.hasPrefix("."), let r = name.range(of: marker, options: .backwards) else { return nil }
        let rest = name[r.upperBound...]
        // `<pid>-<uuid>`, or the `<pid>` alone of run folders from before the uuid was added.
        guard let pid = Int32(rest.prefix { $0 != "-" }), pid > 0 else { return nil }
        return pid
    }

    /// Removes the temporary files and folders in `directory` whose process no longer exists (a run that was
    /// killed before its rename), so an interrupted write leaves nothing behind once the next one starts.
    public static func removeAbandoned(in directory: URL) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names {
            guard let pid = ownerPID(name), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { try? fm.removeItem(at: directory.appendingPathComponent(name)) }
        }
    }
}

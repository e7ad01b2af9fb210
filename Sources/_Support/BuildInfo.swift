import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// QuantBench's version, written into manifests, citations and `stats.h5` (and printed by `qbench --version`).
public enum QuantBenchVersion {
    public static let current = "0.1.0"
}

/// What built and runs this binary: the source tree's git state, the compiler, the OS. Captured into run
/// manifests and `stats.h5` provenance.
public enum BuildInfo {
    /// The source tree this file was compiled in (`Sources/_Support/…` → the package root).
    static let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `git rev-parse HEAD` of the source tree, and whether it has uncommitted changes to tracked files
    /// (`git status --porcelain --untracked-files=no` non-empty); `("unknown", nil)` without git or a checkout.
    public static func gitState() -> (commit: String, dirty: Bool?) {
        guard let head = output(of: "git", ["-C", sourceRoot.path, "rev-parse", "HEAD"])?.firstLine, head.count == 40,
              head.allSatisfy(\.isHexDigit) else {
            return ("unknown", nil)
        }
        let status = output(of: "git", ["-C", sourceRoot.path, "status", "--porcelain", "--untracked-files=no"])
        return (head, status.map { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty })
    }

    /// The source tree's commit, nil when unknown.
    public static var gitCommit: String? {
        let c = gitState().commit
        return c == "unknown" ? nil : c
    }

    /// Compiler the binary was built with (`#if compiler`).
    public static var compilerVersion: String {
        #if compiler(>=6.4)
        return "Swift ≥ 6.4"
        #elseif compiler(>=6.3.1)
        return "Swift 6.3.1"
        #elseif compiler(>=6.3)
        return "Swift 6.3"
        #elseif compiler(>=6.2)
        return "Swift 6.2"
        #elseif compiler(>=6.0)
        return "Swift 6.0–6.1"
        #else
        return "Swift < 6"
        #endif
    }

    /// First line of `swift --version` on this machine, when a toolchain is on PATH.
    public static var swiftRuntime: String? { output(of: "swift", ["--version"])?.firstLine }

    /// `PRETTY_NAME` of /etc/os-release and the kernel (`uname -srm`).
    public static var osDescription: String {
        var name = "unknown OS"
        if let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) {
            name = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(name) (\(field(u.sysname)) \(field(u.release)) \(field(u.machine)))"
    }

    /// Output of `tool args` (found on PATH), or nil when it cannot run or fails.
    static func output(of tool: String, _ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

extension String {
    fileprivate var firstLine: String {
        String(split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces)
    }
}

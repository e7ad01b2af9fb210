import Experiments
import Foundation
import _Support

/// The peer script (`experiments/peers/qbench_peers.py`) under a given Python interpreter: `check()` imports its
/// packages; `start(threads:…)` starts one long-lived peer process for one thread count, spoken to over the line
/// protocol (`PeerProtocol`), so that its configurations stay warm while qbench alternates with them pass by pass.
public struct PeerProcess: Sendable {
    /// The interpreter: a path, or a bare name looked up in `PATH`.
    public var python: String
    /// The peer script.
    public var script: String
    /// Arguments for every start: model, data, batching, limit, engines, cache (not threads).
    public var arguments: [String]
    /// Seconds any one wait may take (the check, the start-up, each answer, the exit) before the peer's process
    /// group is killed; nil: the defaults below.
    public var timeout: Double?
    /// Seconds between SIGTERM and SIGKILL when the peer's process group is stopped.
    public var killGrace: Double
    /// The most a peer may print on stdout over its life (its protocol lines); more is an error.
    public var maxOutputBytes: Int

    /// The default wait for `--check`: 300 s (importing torch can be slow on a cold disk).
    public static let defaultCheckTimeout: Double = 300
    /// The default wait for the `ready` line: 900 s (loading, quantizing under three engines, a first ONNX export,
    /// fusion and two ORT quantizations, on a busy machine).
    public static let defaultStartTimeout: Double = 900
    /// The default wait for `bye` and the exit after `quit`: 60 s.
    public static let defaultStopTimeout: Double = 60
    /// The default `maxOutputBytes`: 16 MB.
    public static let defaultMaxOutputBytes = 16 << 20

    /// The default wait for one pass's answer: 60 s + 2 s per example — generous next to real peers, which take
    /// milliseconds per example, so only a peer that has stopped answering reaches it.
    public static func defaultPassTimeout(examples: Int) -> Double { 60 + 2 * Double(max(examples, 1)) }

    public init(python: String, script: String, arguments: [String], timeout: Double? = nil, killGrace: Double = 5,
                maxOutputBytes: Int = PeerProcess.defaultMaxOutputBytes) {
        self.python = python
        self.script = script
        self.arguments = arguments
        self.timeout = timeout
        self.killGrace = killGrace
        self.maxOutputBytes = maxOutputBytes
    }

    /// `python script`, as messages name the peer.
    var command: String { "\(python) \(script)" }

    /// Imports the packages in the interpreter; returns their versions and what optional parts are missing.
    public func check() throws -> PeerCheck {
        guard FileManager.default.isReadableFile(atPath: script) else {
            throw ExperimentError.badPath(path: script, reason: "peer script not found")
        }
        let connection = try PeerConnection(executable: try executable(), args: [script, "--check"], command: command,
                                            maxOutputBytes: maxOutputBytes, killGrace: killGrace)
        defer { connection.close() }
        let wait = timeout ?? Self.defaultCheckTimeout
        let what = "the check line of --check"
        let line = try connection.readLine(timeout: wait, waitingFor: what)
        let header = try PeerProtocol.decode(PeerHeader.self, line, source: "peer \(command)", waitingFor: what)
        try Self.checkProtocol(tool: header.tool, version: header.protocolVersion, source: "peer \(command)")
        let check = try PeerProtocol.decode(PeerCheck.self, line, source: "peer \(command)", waitingFor: what)
        try connection.finish(timeout: wait, waitingFor: "the exit after --check")
        return check
    }

    /// Starts the peer for `threads` and waits for its `ready` line; refuses a peer that is about to time other
    /// inputs than ours (`examples`, `digest` = `Benchmark.inputDigest` of our batches).
    public func start(threads: Int, examples: Int, digest: String) throws -> PeerSession {
        let connection = try PeerConnection(executable: try executable(),
                                            args: [script] + arguments + ["--threads", "\(threads)"],
                                            command: command, maxOutputBytes: maxOutputBytes, killGrace: killGrace)
        do {
            let source = "peer \(command)"
            let what = "the ready line (start-up at \(threads) threads)"
            let line = try connection.readLine(timeout: timeout ?? Self.defaultStartTimeout, waitingFor: what)
            let header = try PeerProtocol.decode(PeerHeader.self, line, source: source, waitingFor: what)
            if header.event != "error" {
                try Self.checkProtocol(tool: header.tool, version: header.protocolVersion, source: source)
            }
            let ready = try PeerSession.decodeReply(PeerReady.self, line, expecting: ["ready"], source: source,
                                                    waitingFor: what)
            try ready.validate(source: source)
            guard ready.threads == threads else {
                throw ExperimentError.invalid("\(source): asked for \(threads) threads, it runs \(ready.threads)")
            }
            try PeerSession.checkInputs(examples: ready.examples, digest: ready.inputSHA256, ourExamples: examples,
                                        ourDigest: digest, context: "at start-up")
            return PeerSession(connection: connection, ready: ready, examples: examples, digest: digest,
                               passTimeout: timeout ?? Self.defaultPassTimeout(examples: examples),
                               stopTimeout: timeout ?? Self.defaultStopTimeout)
        } catch {
            connection.close()
            throw error
        }
    }

    /// The first fields of a check or ready line, read before the rest so an older or foreign script is named
    /// as such rather than by its first missing key.
    struct PeerHeader: Decodable {
        var tool: String?
        var protocolVersion: Int?
        var event: String?
        enum CodingKeys: String, CodingKey { case tool, protocolVersion = "protocol", event }
    }

    static func checkProtocol(tool: String?, version: Int?, source: String) throws {
        guard tool == PeerProtocol.tool, version == PeerProtocol.version else {
            throw ExperimentError.invalid("\(source): expected tool \(PeerProtocol.tool) protocol \(PeerProtocol.version), "
                + "got \(tool.map(PeerProtocol.oneLine) ?? "(no tool)") protocol \(version.map(String.init) ?? "(none)")")
        }
    }

    /// The interpreter as an executable path.
    func executable() throws -> String {
        if python.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: python) else {
                throw ExperimentError.badPath(path: python, reason: "no executable Python interpreter here (--peers)")
            }
            return python
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(python)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw ExperimentError.badPath(path: python, reason: "no such Python interpreter in PATH (--peers)")
    }
}

/// One started peer at one thread count: sends `warmup`/`run` commands and checks each answer (the configuration
/// and number echoed, the input digest equal to ours); `stop()` sends `quit` and waits for `bye` and exit 0.
public final class PeerSession: BenchPeer {
    public let ready: PeerReady
    private let connection: PeerConnection
    private let examples: Int
    private let digest: String
    private let passTimeout: Double
    private let stopTimeout: Double

    init(connection: PeerConnection, ready: PeerReady, examples: Int, digest: String, passTimeout: Double,
         stopTimeout: Double) {
        self.connection = connection
        self.ready = ready
        self.examples = examples
        self.digest = digest
        self.passTimeout = passTimeout
        self.stopTimeout = stopTimeout
    }

    deinit { connection.close() }

    public var configurations: [PeerConfiguration] { ready.configs }
    public var unavailable: [PeerUnavailable] { ready.unavailable }

    var source: String { "peer \(connection.command)" }

    public func pass(_ config: String, number: Int, warmUp: Bool) throws -> PeerPassReply {
        let command = PeerProtocol.command(config: config, number: number, warmUp: warmUp)
        try connection.send(command)
        let what = "`\(command)`"
        let reply = try Self.decodeReply(PeerPassReply.self, try connection.readLine(timeout: passTimeout, waitingFor: what),
                                         expecting: ["warmup", "pass"], source: source, waitingFor: what)
        let event = warmUp ? "warmup" : "pass"
        guard reply.event == event, reply.config == config, reply.pass == number else {
            throw ExperimentError.invalid("\(source) answered `\(command)` with event \(PeerProtocol.oneLine(reply.event)) "
                + "config \(PeerProtocol.oneLine(reply.config)) pass \(reply.pass): out of step with the protocol")
        }
        try Self.checkInputs(examples: reply.predictions?.count ?? examples, digest: reply.inputSHA256,
                             ourExamples: examples, ourDigest: digest, context: "in `\(command)`")
        return reply
    }

    public func stop() throws {
        try connection.send("quit")
        let line = try connection.readLine(timeout: stopTimeout, waitingFor: "`quit`")
        _ = try Self.decodeReply(ByeLine.self, line, expecting: ["bye"], source: source, waitingFor: "`quit`")
        try connection.finish(timeout: stopTimeout, waitingFor: "after `quit`")
    }

    private struct ByeLine: Decodable { var event: String }

    /// Decodes an answer; an `error` line becomes the peer's message, any other wrong `event` an error naming it.
    static func decodeReply<T: Decodable>(_ type: T.Type, _ line: Data, expecting expected: Set<String>, source: String,
                                          waitingFor what: String) throws -> T {
        let envelope = try PeerProtocol.decode(PeerEnvelope.self, line, source: source, waitingFor: what)
        if envelope.event == "error" {
            throw ExperimentError.invalid("\(source) answered \(what) with an error: "
                                          + PeerProtocol.oneLine(envelope.message ?? "(no message)"))
        }
        guard expected.contains(envelope.event) else {
            throw ExperimentError.invalid("\(source) answered \(what) with event \(PeerProtocol.oneLine(envelope.event)) "
                                          + "(expected \(expected.sorted().joined(separator: " or ")))")
        }
        return try PeerProtocol.decode(T.self, line, source: source, waitingFor: what)
    }

    /// Refuses a peer that timed other inputs than ours.
    static func checkInputs(examples: Int, digest: String, ourExamples: Int, ourDigest: String, context: String) throws {
        guard examples == ourExamples else {
            throw ExperimentError.invalid("the peer timed \(examples) examples \(context), we timed \(ourExamples)")
        }
        guard digest == ourDigest else {
            throw ExperimentError.invalid("the peer's inputs differ from ours \(context) (input sha256 "
                + "\(PeerProtocol.oneLine(digest)) vs \(ourDigest)): different tokenization, order or padding")
        }
    }
}

import Experiments
import Foundation
import _Support

/// The lines of the peer line protocol (protocol 2, `experiments/peers/qbench_peers.py`, docs/benchmarks.md): each
/// is one JSON object on one line of the peer's stdout, with an `event` naming its kind.
///
///     peer → qbench   {"tool": "qbench-peers", "protocol": 2, "event": "ready", "configs": [...], ...}
///     qbench → peer   warmup <config> <n>  |  run <config> <n>  |  quit
///     peer → qbench   {"event": "warmup" | "pass", "config": ..., "pass": n, "seconds": ..., "input_sha256": ...}
///                     {"event": "error", "message": ...}  |  {"event": "bye"}
public enum PeerProtocol {
    /// The protocol version this qbench speaks.
    public static let version = 2
    /// The `tool` of the first line.
    public static let tool = "qbench-peers"

    /// The command for one pass of `config` (`warmup` untimed, `run` timed); `number` counts from 1.
    public static func command(config: String, number: Int, warmUp: Bool) -> String {
        "\(warmUp ? "warmup" : "run") \(config) \(number)"
    }

    /// Decodes one line as `T`; a line that is not JSON, or lacks or mistypes a key, is one error naming `source`,
    /// what qbench was waiting for, and the key (the line's head is escaped onto the message).
    public static func decode<T: Decodable>(_ type: T.Type, _ line: Data, source: String, waitingFor: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: line)
        } catch {
            throw ExperimentError.invalid("\(source) did not answer \(waitingFor) with a \(tool) JSON line "
                                          + "(\(DecodingErrorText.describe(error))); its line began: \(head(line))")
        }
    }

    /// The first 200 bytes of `line` on one line, or `(nothing)`.
    static func head(_ line: Data) -> String {
        let text = oneLine(String(decoding: line.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        return text.isEmpty ? "(nothing)" : text
    }

    /// `text` on one line: newlines and other control characters escaped (`\n`, `\u{1B}`), so the error naming a
    /// peer's output stays one line and writes no terminal escapes.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.properties.generalCategory == .control || u.properties.generalCategory == .format {
                    out += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}

/// What every line carries: its kind, and for `error` the peer's message.
struct PeerEnvelope: Decodable {
    var event: String
    var message: String?
}

/// The one line of `qbench_peers.py --check`: the versions of the required packages and what optional ones lack.
public struct PeerCheck: Decodable, Sendable {
    public var tool: String
    public var protocolVersion: Int
    /// Package versions: python, torch, transformers, numpy, and onnxruntime / onnx when installed.
    public var versions: [String: String]
    /// Optional parts that cannot be used (`onnxruntime`, `optimizer`) with the reason.
    public var missing: [String: String]?

    enum CodingKeys: String, CodingKey { case tool, protocolVersion = "protocol", versions, missing }
}

/// PyTorch as the peer runs it.
public struct PeerTorchInfo: Codable, Sendable {
    /// `torch.backends.quantized.engine` at start (each `pytorch-dynamic-<engine>` configuration sets its own).
    public var quantizedEngine: String?
    /// `torch.backends.quantized.supported_engines`.
    public var supportedQuantizedEngines: [String]?
    /// `torch.backends.cpu.get_cpu_capability()` (AVX2, AVX512, …).
    public var cpuCapability: String?
    public var numThreads: Int?
    public var attnImplementation: String?
    enum CodingKeys: String, CodingKey {
        case quantizedEngine = "quantized_engine", supportedQuantizedEngines = "supported_quantized_engines"
        case cpuCapability = "cpu_capability", numThreads = "num_threads", attnImplementation = "attn_implementation"
    }
}

/// ONNX Runtime as the peer runs it.
public struct PeerONNXRuntimeInfo: Codable, Sendable {
    public var executionProviders: [String]?
    public var opset: Int?
    /// The attention implementation of the exported model (`eager`: the graph ORT's fusion matches).
    public var exportAttention: String?
    /// The `model_type` given to `onnxruntime.transformers.optimizer.optimize_model`, nil when not fused.
    public var fusionModelType: String?
    /// Fused operator counts of the fused model (`Attention`, `SkipLayerNormalization`, …).
    public var fusedOperators: [String: Int]?
    enum CodingKeys: String, CodingKey {
        case executionProviders = "execution_providers", opset, exportAttention = "export_attention"
        case fusionModelType = "fusion_model_type", fusedOperators = "fused_operators"
    }
}

/// One configuration the peer can time.
public struct PeerConfiguration: Codable, Sendable, Equatable {
    /// The protocol name (`pytorch-dynamic-onednn`, `ort-fp32-fused`, …): no spaces.
    public var name: String
    /// `pytorch` or `onnxruntime`.
    public var engine: String
    /// `fp32` or `quantize_dynamic`.
    public var scheme: String
    /// The quantized engine (`x86`, `fbgemm`, `onednn`) or graph (`plain`, `fused`); nil for PyTorch FP32.
    public var variant: String?
    /// `fp32` or `int8`: the group it competes in for "fastest peer".
    public var precision: String
    /// Serialized model size in MB.
    public var modelMB: Double?
    /// How it was made, in words (e.g. the fused operator counts).
    public var detail: String?

    public init(name: String, engine: String, scheme: String, variant: String? = nil, precision: String,
                modelMB: Double? = nil, detail: String? = nil) {
        self.name = name
        self.engine = engine
        self.scheme = scheme
        self.variant = variant
        self.precision = precision
        self.modelMB = modelMB
        self.detail = detail
    }

    /// `pytorch quantize_dynamic [onednn]`: engine, scheme and variant as the table shows them.
    public var displayName: String { "\(engine) \(scheme)" + (variant.map { " [\($0)]" } ?? "") }

    enum CodingKeys: String, CodingKey {
        case name, engine, scheme, variant, precision, modelMB = "model_mb", detail
    }
}

/// A configuration the peer cannot or does not time here, with the reason (`not available: …`).
public struct PeerUnavailable: Codable, Sendable, Equatable {
    public var name: String
    public var engine: String
    public var scheme: String
    public var variant: String?
    public var precision: String?
    public var reason: String

    public init(name: String, engine: String, scheme: String, variant: String? = nil, precision: String? = nil,
                reason: String) {
        self.name = name
        self.engine = engine
        self.scheme = scheme
        self.variant = variant
        self.precision = precision
        self.reason = reason
    }

    /// `pytorch quantize_dynamic [qnnpack]`.
    public var displayName: String { "\(engine) \(scheme)" + (variant.map { " [\($0)]" } ?? "") }
}

/// The peer's first line after start-up: its inputs, versions, configurations and what it cannot run.
public struct PeerReady: Decodable, Sendable {
    public var tool: String
    public var protocolVersion: Int
    public var threads: Int
    public var examples: Int
    public var inputSHA256: String
    public var modelType: String?
    public var versions: [String: String]
    public var torch: PeerTorchInfo?
    public var onnxruntime: PeerONNXRuntimeInfo?
    public var configs: [PeerConfiguration]
    public var unavailable: [PeerUnavailable]

    enum CodingKeys: String, CodingKey {
        case tool, protocolVersion = "protocol", threads, examples, inputSHA256 = "input_sha256"
        case modelType = "model_type", versions, torch, onnxruntime, configs, unavailable
    }

    /// Configuration names are unique words and precisions are `fp32` or `int8`; else one error naming the key.
    func validate(source: String) throws {
        var seen = Set<String>()
        for (i, c) in configs.enumerated() {
            guard !c.name.isEmpty, !c.name.contains(where: \.isWhitespace), seen.insert(c.name).inserted else {
                throw ExperimentError.invalid("\(source): key configs[\(i)].name: expected a unique name without "
                                              + "spaces, got \(PeerProtocol.oneLine(c.name).debugDescription)")
            }
            guard ["fp32", "int8"].contains(c.precision) else {
                throw ExperimentError.invalid("\(source): key configs[\(i)].precision: expected fp32 or int8, got "
                                              + PeerProtocol.oneLine(c.precision).debugDescription)
            }
        }
    }
}

/// The answer to one `warmup` or `run` command.
public struct PeerPassReply: Decodable, Sendable, Equatable {
    /// `warmup` or `pass`.
    public var event: String
    public var config: String
    /// The number sent with the command, echoed.
    public var pass: Int
    /// Wall seconds of the pass over all batches (`time.perf_counter`).
    public var seconds: Double
    /// Process CPU seconds of the pass (`time.process_time`).
    public var cpuSeconds: Double
    /// The SHA-256 of the input tensors the pass ran on (`Benchmark.inputDigest`).
    public var inputSHA256: String
    /// argmax of each example's logits, in data order.
    public var predictions: [Int]?
    public var f1: Double?
    public var accuracy: Double?

    public init(event: String, config: String, pass: Int, seconds: Double, cpuSeconds: Double, inputSHA256: String,
                predictions: [Int]? = nil, f1: Double? = nil, accuracy: Double? = nil) {
        self.event = event
        self.config = config
        self.pass = pass
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        self.inputSHA256 = inputSHA256
        self.predictions = predictions
        self.f1 = f1
        self.accuracy = accuracy
    }

    enum CodingKeys: String, CodingKey {
        case event, config, pass, seconds, cpuSeconds = "cpu_seconds", inputSHA256 = "input_sha256"
        case predictions, f1, accuracy
    }
}

import _TestSupport
import Experiments
import Foundation
import Quantization
import RunRecords
import Sweep
import TensorCore
import XCTest

/// Strict validation of experiment files: every bad case names the file, the key path and the expected type, and
/// no run folder is created.
final class ExperimentConfigTests: XCTestCase {
    var dir: URL!
    var runs: URL { dir.appendingPathComponent("runs") }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A valid experiment on the tiny fixture, plus `extra` lines.
    func yaml(_ extra: String = "", model: String? = nil) -> String {
        """
        name: bad-config
        model: \(model ?? Fixtures.tinyBert.path)
        data: {path: \(Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path), limit: 8}
        output: \(runs.path)
        \(extra)
        """
    }

    /// Writes `text`, loads and runs it as `qbench sweep` does, and returns the error message.
    func failure(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let url = dir.appendingPathComponent("experiment.yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        var message = ""
        XCTAssertThrowsError(try RunFolder.runAndWrite(try Experiment.load(file: url.path), command: []),
                             file: file, line: line) { error in
            message = "\(error)"
            XCTAssertTrue(error is ExperimentError, "\(type(of: error)): \(error)", file: file, line: line)
        }
        XCTAssertTrue(message.contains(url.path), "message must name the file: \(message)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs.path), "nothing may be written", file: file, line: line)
        return message
    }

    func testValidConfigLoads() throws {
        let url = dir.appendingPathComponent("ok.yaml")
        try yaml("schemes: [pytorch-dynamic, fp32]\nthreads: [1, 2]").write(to: url, atomically: true, encoding: .utf8)
        let e = try Experiment.load(file: url.path)
        XCTAssertEqual(e.schemes.map(\.name), ["fp32", "pytorch-dynamic"], "fp32 runs once, first")
        XCTAssertEqual(e.config.threads, [1, 2])
        XCTAssertEqual(e.config.batching.batchSize, 8)
    }

    /// The outlier-aware keys: `smooth_quant` in an inline scheme, `output` in a layer scheme, and the
    /// `smooth_quant_alpha` axis with `off` and numbers.
    func testSmoothQuantAndOutputSchemeKeysLoad() throws {
        let url = dir.appendingPathComponent("ok.yaml")
        try yaml("""
        schemes:
          - name: my-sq
            smooth_quant: {alpha: 0.75}
            default:
              weight: {bits: 8, signed: true, symmetric: true, narrow_range: true, scale_rule: max_abs}
              activation: {bits: 8, signed: true, symmetric: true, narrow_range: true, scale_rule: max_abs, range: dynamic_per_tensor}
              output: {bits: 16, signed: true, symmetric: true, narrow_range: true, scale_rule: max_abs, range: dynamic_per_tensor}
              options: {requantize_output: true}
        sweep:
          base: q8bert-dynamic
          axes:
            smooth_quant_alpha: [off, 0.5]
        calibration: {data: \(Fixtures.mrpc.path), split: train, examples: 8}
        """).write(to: url, atomically: true, encoding: .utf8)
        let e = try Experiment.load(file: url.path)
        let mine = try XCTUnwrap(e.schemes.first { $0.name == "my-sq" })
        XCTAssertEqual(mine.smoothQuant?.alpha, 0.75)
        XCTAssertEqual(mine.defaultScheme?.outputScheme?.qmax, 32767)
        XCTAssertEqual(e.schemes.filter { $0.name.hasPrefix("ablation.") }.map(\.smoothQuant), [nil, SmoothQuantSpec(alpha: 0.5)])
        let m = try failure(yaml("sweep: {base: q8bert-dynamic, axes: {smooth_quant_alpha: [off, maybe]}}"))
        XCTAssertTrue(m.contains("smooth_quant_alpha"), m)
        let k = try failure(yaml("schemes: [{name: x, smooth_quant: {alpha: 0.5, beta: 1}, default: {weight: {bits: 8, signed: true, symmetric: true}}}]"))
        XCTAssertTrue(k.contains("unknown key 'beta'"), k)
    }

    func testUnknownTopLevelKey() throws {
        let m = try failure(yaml("repeat: 3"))
        XCTAssertTrue(m.contains("key repeat:"), m)
        XCTAssertTrue(m.contains("unknown key 'repeat'"), m)
        XCTAssertTrue(m.contains("repeats"), "lists the known keys: \(m)")
        XCTAssertTrue(m.contains(":5:"), "names the line: \(m)")
    }

    func testUnknownNestedKey() throws {
        let m = try failure(yaml("batching: {batch_size: 8, pad_to_maks: true}"))
        XCTAssertTrue(m.contains("key batching.pad_to_maks:"), m)
        XCTAssertTrue(m.contains("batch_size, max_seq_length, pad_to_max"), m)
    }

    /// `statistics` takes only what a sweep's `stats.h5` honours: the former `weights`, `activations` and
    /// `input_ranges` switches changed nothing, so they are unknown keys (every category is always recorded).
    func testStatisticsCategorySwitchesAreUnknownKeys() throws {
        for key in ["weights", "activations", "input_ranges"] {
            let m = try failure(yaml("statistics: {\(key): false}"))
            XCTAssertTrue(m.contains("key statistics.\(key):"), m)
            XCTAssertTrue(m.contains("unknown key '\(key)'"), m)
        }
        let url = dir.appendingPathComponent("ok.yaml")
        try yaml("statistics: {sensitivity: true, examples: 4}").write(to: url, atomically: true, encoding: .utf8)
        let request = try XCTUnwrap(try Experiment.load(file: url.path).config.statistics)
        XCTAssertEqual(request, StatisticsRequest(sensitivity: true, examples: 4))
    }

    func testUnknownKeyInsideInlineScheme() throws {
        let m = try failure(yaml("""
            schemes:
              - name: mine
                default:
                  weight: {bits: 8, signed: true, symmetric: true, granularty: per_channel}
            """))
        XCTAssertTrue(m.contains("key schemes[0].default.weight.granularty:"), m)
        XCTAssertTrue(m.contains("granularity"), "lists the known keys: \(m)")
    }

    func testWrongTypeScalarForList() throws {
        let m = try failure(yaml("threads: 2"))
        XCTAssertTrue(m.contains("key threads:"), m)
        XCTAssertTrue(m.contains("expected a non-empty list of integers"), m)
    }

    func testWrongTypeStringForInteger() throws {
        let m = try failure(yaml("batching: {batch_size: eight}"))
        XCTAssertTrue(m.contains("key batching.batch_size:"), m)
        XCTAssertTrue(m.contains("expected an integer"), m)
        XCTAssertTrue(m.contains("'eight'"), m)
    }

    func testWrongTypeQuotedBoolean() throws {
        let m = try failure(yaml("batching: {pad_to_max: \"yes\"}"))
        XCTAssertTrue(m.contains("key batching.pad_to_max:"), m)
        XCTAssertTrue(m.contains("expected true or false"), m)
    }

    func testUnknownScheme() throws {
        let m = try failure(yaml("schemes: [pytorch-dynamic, pytorch-dynamc]"))
        XCTAssertTrue(m.contains("key schemes[1]:"), m)
        XCTAssertTrue(m.contains("unknown scheme 'pytorch-dynamc'"), m)
        XCTAssertTrue(m.contains("expected a registered scheme name"), m)
        XCTAssertTrue(m.contains("pytorch-dynamic-per-channel"), "lists the registered names: \(m)")
    }

    func testUnknownSweepBase() throws {
        let m = try failure(yaml("sweep: {base: q8bert, axes: {activation_bits: [7, 8]}}"))
        XCTAssertTrue(m.contains("key sweep.base:"), m)
        XCTAssertTrue(m.contains("unknown scheme 'q8bert'"), m)
    }

    func testMissingModelPath() throws {
        let m = try failure(yaml(model: dir.appendingPathComponent("no-such-model").path))
        XCTAssertTrue(m.contains("key model:"), m)
        XCTAssertTrue(m.contains("no-such-model does not exist"), m)
        XCTAssertTrue(m.contains("expected a path to a model folder"), m)
    }

    func testMissingRequiredKey() throws {
        let m = try failure("""
            name: x
            data: {path: \(Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path)}
            output: \(runs.path)
            """)
        XCTAssertTrue(m.contains("key model:"), m)
        XCTAssertTrue(m.contains("required key is missing; expected a string"), m)
    }

    func testDuplicateGeneratedNameIsRejected() throws {
        let m = try failure(yaml("""
            schemes: [{name: ablation.act-7bit, default: {weight: {bits: 8, signed: true, symmetric: true}}}]
            sweep: {base: pytorch-dynamic, axes: {activation_bits: [7, 8]}}
            """))
        XCTAssertTrue(m.contains("key sweep.name:"), m)
        XCTAssertTrue(m.contains("collides"), m)
    }

    func testQATEntryChecks() throws {
        var m = try failure(yaml("qat: [{scheme: fp32}]"))
        XCTAssertTrue(m.contains("key qat[0].scheme:"), m)
        XCTAssertTrue(m.contains("quantizes nothing"), m)
        m = try failure(yaml("qat: [{scheme: q8bert-static, epoch: 1}]"))
        XCTAssertTrue(m.contains("unknown key 'epoch'"), m)
        m = try failure(yaml("qat: [{scheme: q8bert-static, lr: fast}]"))
        XCTAssertTrue(m.contains("key qat[0].lr:"), m)
        m = try failure(yaml("qat: [{scheme: q8bert-static, lr: -1.0}]"))
        XCTAssertTrue(m.contains("key qat[0].lr:") && m.contains("positive"), m)
        m = try failure(yaml("qat: [{scheme: q8bert-static, split: nosuch}]"))
        XCTAssertTrue(m.contains("key qat[0].split:") && m.contains("no nosuch.tsv"), m)
        m = try failure(yaml("qat: [{scheme: q8bert-static}, {scheme: q8bert-static, epochs: 2}]"))
        XCTAssertTrue(m.contains("key qat[1]:") && m.contains("used twice"), m)
    }

    func testQATEntryResolves() throws {
        let url = dir.appendingPathComponent("ok.yaml")
        try yaml("qat: [{scheme: q8bert-static, epochs: 2, lr: 3e-5, train_examples: 64}]")
            .write(to: url, atomically: true, encoding: .utf8)
        let e = try Experiment.load(file: url.path)
        XCTAssertEqual(e.qat.map(\.name), ["q8bert-static+qat"])
        XCTAssertEqual(e.qat[0].spec, QATSpec(scheme: .named("q8bert-static"), epochs: 2, lr: 3e-5, trainExamples: 64))
        XCTAssertEqual(e.qat[0].dataPath, Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").standardizedFileURL.path)
        XCTAssertFalse(e.schemes.contains { $0.name.hasSuffix("+qat") }, "QAT rows are not post-training schemes")
    }

    /// The shipped MRPC experiments name the folder `make model` builds, and validate with `--model` replacing it
    /// before validation (a fresh clone has no model yet; the file's own path need not exist then).
    func testShippedExperimentsValidate() throws {
        for name in ["mrpc-tutorial", "q8bert-comparison"] {
            let path = Fixtures.projectRoot.appendingPathComponent("experiments/\(name).yaml").path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertTrue(text.contains("\nmodel: models/minilm-l6-mrpc"), "\(name): model is not the project's path")
            XCTAssertFalse(text.contains("shared/"), "\(name) names the developers' shared folder, which users do not have")
            let e = try Experiment.load(file: path, model: Fixtures.tinyBert.path, workingDirectory: Fixtures.projectRoot)
            XCTAssertEqual(e.config.name, name)
            XCTAssertEqual(e.modelPath, Fixtures.tinyBert.standardizedFileURL.path)
            XCTAssertEqual(e.schemes.first?.name, "fp32")
        }
        // Without --model, a missing model folder is reported against the file's `model` key.
        let missing = dir.appendingPathComponent("missing-model.yaml")
        try yaml(model: "/nonexistent/model").write(to: missing, atomically: true, encoding: .utf8)
        do {
            _ = try Experiment.load(file: missing.path)
            XCTFail("a missing model folder was accepted")
        } catch let ExperimentError.config(_, keyPath, _, _) {
            XCTAssertEqual(keyPath, "model")
        }
        // With --model the same file is valid.
        XCTAssertNoThrow(try Experiment.load(file: missing.path, model: Fixtures.tinyBert.path))
        // bert-base-size-speed's shape is valid; its model folder only exists after `qbench model init`.
        let path = Fixtures.projectRoot.appendingPathComponent("experiments/bert-base-size-speed.yaml").path
        do {
            _ = try Experiment.load(file: path, workingDirectory: Fixtures.projectRoot)
        } catch let ExperimentError.config(_, keyPath, _, _) {
            XCTAssertEqual(keyPath, "model")
        }
    }

    /// A sweep axis that repeats a level fails at its line and key before anything expands (a file of a few
    /// hundred repeated levels would otherwise expand to millions of cells, even with `--dry-run`).
    func testRepeatedSweepLevelIsRejectedBeforeExpanding() throws {
        let bits = Array(repeating: "8", count: 400).joined(separator: ", ")
        let m = try failure(yaml("sweep:\n  base: q8bert-dynamic\n  axes:\n    activation_symmetry: [symmetric, affine]\n"
                                 + "    activation_bits: [\(bits)]\n    requantize_output: [true, yes]"))
        XCTAssertTrue(m.contains("experiment.yaml:9: key sweep.axes.activation_bits[1]: level '8' repeats"), m)
        let b = try failure(yaml("sweep:\n  base: q8bert-dynamic\n  axes:\n    requantize_output: [true, yes]"))
        XCTAssertTrue(b.contains("key sweep.axes.requantize_output[1]"), b)
    }

    /// A bad activation-granularity level or PEG key fails at its key, in one line.
    func testActivationGranularityAndEmbeddingGroupKeys() throws {
        let m = try failure(yaml("sweep:\n  base: pytorch-dynamic\n  axes:\n    activation_granularity: [per_token, peg-6]"))
        XCTAssertTrue(m.contains("key sweep.axes.activation_granularity[1]"), m)
        XCTAssertTrue(m.contains("peg<K>"), m)
        XCTAssertEqual(m.split(separator: "\n").count, 1, m)
        let inline = "schemes:\n  - name: pegx\n    default:\n      weight: {bits: 8, signed: true, symmetric: true}\n"
            + "      activation: {bits: 8, signed: false, symmetric: false, range: static_min_max,\n"
        let k = try failure(yaml(inline + "                   granularity: {kind: per_embedding_group, groups: 6, permutes: true}}"))
        XCTAssertTrue(k.contains("schemes[0].default.activation.granularity.permutes"), k)
        let d = try failure(yaml(inline + "                   granularity: {kind: per_embedding_group, groups: 6, permute: 3}}"))
        XCTAssertTrue(d.contains("schemes[0].default.activation.granularity.permute"), d)
        let r = try failure(yaml(inline.replacingOccurrences(of: "static_min_max", with: "dynamic_per_tensor")
                                 + "                   granularity: {kind: per_embedding_group, groups: 6}}"))
        XCTAssertTrue(r.contains("range") && r.contains("static_min_max"), r)
    }

    /// The same rule in code (a manifest's sweep, or a spec built in Swift): checked before expanding.
    func testSweepCellsAreCheckedBeforeExpanding() throws {
        let spec = SweepSpec(base: .named("q8bert-dynamic"),
                             axes: SweepAxes(activationBits: Array(repeating: 8, count: 100_000),
                                             requantizeOutput: Array(repeating: true, count: 100_000)))
        XCTAssertThrowsError(try spec.expand(base: try SchemeRegistry.scheme(named: "q8bert-dynamic"))) { error in
            XCTAssertTrue("\(error)".contains("sweep.axes.activation_bits[1]"), "\(error)")
        }
    }

    /// `threads:` far beyond the machine is refused with the key (every OpenBLAS worker reserves a buffer).
    func testThreadsBeyondTheMaximumAreRejected() throws {
        let m = try failure(yaml("threads: [1, 100000]"))
        XCTAssertTrue(m.contains("key threads[1]: 100000 exceeds the maximum \(Limits.maxThreads)"), m)
    }

    /// `numerics`: absent means reproducible (and stays nil in the config as written); a bad value names the key.
    func testNumericsKey() throws {
        let url = dir.appendingPathComponent("numerics.yaml")
        try yaml().write(to: url, atomically: true, encoding: .utf8)
        let plain = try Experiment.load(file: url.path)
        XCTAssertNil(plain.config.numerics)
        XCTAssertEqual(plain.numerics, .reproducible)
        try yaml("numerics: fast").write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Experiment.load(file: url.path).numerics, .fast)
        let m = try failure(yaml("numerics: exact"))
        XCTAssertTrue(m.contains("key numerics: expected one of reproducible, fast, found 'exact'"), m)
    }
}

import _TestSupport
import Foundation
import XCTest

/// Whole-model agreement of the kernel families: `qbench eval --predictions` of every integer scheme with
/// `QBENCH_KERNEL` forcing each family this machine can run (the emulated ones everywhere), compared byte for byte.
/// The integer GEMMs of all families are exact, so families whose vector-math kernels give the same bits (GELU,
/// softmax, LayerNorm: `ref` for ref / amx_emu; AVX2 or its bit-identical AVX-512 versions, native or emulated, for
/// avx2 / avx512vnni / amx / avx512vnni_emu) must write identical logits under `--numerics fast`; with `--numerics reproducible` (deterministic FP32 GEMM and vector math) every
/// family must write the same logits.
final class KernelFamilyCLITests: XCTestCase {
    static let families = ["ref", "avx2", "avx512vnni", "amx", "amx_emu", "avx512vnni_emu"]
    static let integerSchemes = ["pytorch-dynamic", "pytorch-dynamic-per-channel", "pytorch-dynamic-8bit", "q8bert-dynamic"]

    static func vmathGroup(_ family: String) -> String {
        ["ref", "amx_emu"].contains(family) ? "ref" : "avx2"
    }

    /// The families `QBENCH_KERNEL` is applied for on this machine (as `qbench doctor` reports it).
    func runnableFamilies() throws -> [String] {
        var out: [String] = []
        for family in Self.families {
            let r = try CLI.run(["doctor"], env: ["QBENCH_KERNEL": family])
            XCTAssertEqual(r.status, 0, r.stderr)
            if r.stdout.contains("QBENCH_KERNEL: \(family) (applied)") {
                XCTAssertTrue(r.stdout.contains("int8 kernels: \(family)"), r.stdout)
                out.append(family)
            } else {
                XCTAssertTrue(r.stdout.contains("not supported"), "doctor neither applied nor refused \(family):\n\(r.stdout)")
            }
        }
        // The reference and the AMX emulation run everywhere, the AVX-512 emulation wherever avx2 does.
        for f in ["ref", "amx_emu"] { XCTAssertTrue(out.contains(f), "\(f) must always be applicable") }
        XCTAssertEqual(out.contains("avx512vnni_emu"), out.contains("avx2"), "avx512vnni_emu must be applicable where avx2 is")
        return out
    }

    func predictions(model: String, data: String, scheme: String, family: String, numerics: String, dir: URL) throws -> Data {
        let file = dir.appendingPathComponent("\(scheme)-\(family)-\(numerics).jsonl")
        let r = try CLI.run(["eval", "--model", model, "--data", data, "--split", "dev", "--scheme", scheme, "--threads", "2",
                             "--numerics", numerics, "--predictions", file.path], env: ["QBENCH_KERNEL": family])
        guard r.status == 0 else { throw CLI.Failure("eval \(scheme) under \(family) failed: \(r.stderr)") }
        return try Data(contentsOf: file)
    }

    func checkAgreement(model: String, data: String, families: [String], schemes: [String] = integerSchemes) throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for scheme in schemes {
          for numerics in ["fast", "reproducible"] {
            var byGroup: [String: (family: String, data: Data)] = [:]
            for family in families {
                let got = try predictions(model: model, data: data, scheme: scheme, family: family, numerics: numerics, dir: dir)
                XCTAssertFalse(got.isEmpty)
                let group = numerics == "reproducible" ? "all" : Self.vmathGroup(family)
                if let first = byGroup[group] {
                    XCTAssertEqual(got, first.data, "\(scheme) \(numerics): logits under \(family) differ from \(first.family)")
                } else {
                    byGroup[group] = (family, got)
                }
            }
          }
        }
    }

    /// The first `n` MRPC dev pairs as a TSV in `dir`.
    func devSlice(_ n: Int, in dir: URL) throws -> String {
        let all = try String(contentsOfFile: "\(Fixtures.projectRoot.path)/data/glue/MRPC/dev.tsv", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let tsv = dir.appendingPathComponent("dev-\(n).tsv")
        try (all.prefix(n + 1).joined(separator: "\n") + "\n").write(to: tsv, atomically: true, encoding: .utf8)
        return tsv.path
    }

    /// The tiny BERT on the first 128 MRPC dev pairs, every integer scheme, every family this machine runs.
    func testTinyModelLogitsIdenticalAcrossFamilies() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try checkAgreement(model: Fixtures.tinyBert.path, data: try devSlice(128, in: dir), families: try runnableFamilies())
    }

    /// MiniLM (the base + seeded head) on the first 12 MRPC dev pairs, u8·s8 and s8·s8 schemes, every family (the
    /// scalar ones are slow).
    func testMiniLMLogitsIdenticalAcrossFamilies() throws {
        let model = try BaseModel.classifier().path
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try checkAgreement(model: model, data: try devSlice(12, in: dir), families: try runnableFamilies(),
                           schemes: ["pytorch-dynamic", "q8bert-dynamic"])
    }
}

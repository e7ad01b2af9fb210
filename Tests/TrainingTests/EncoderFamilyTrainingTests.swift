import _TestSupport
import BERT
import Checkpoints
import Experiments
import Foundation
import Quantization
import TensorCore
import Training
import XCTest

/// Training RoBERTa, XLM-R and DistilBERT (`TrainableBert` on their `EncoderLayout`s): loss and every gradient of
/// the tiny fixtures against PyTorch, four optimizer steps against transformers' own `Trainer`, and the whole model
/// in float64 with dropout on against finite differences. Goldens: `Tests/Fixtures/encoders-training`
/// (`Tools/goldens/make_training_goldens.py`).
final class EncoderFamilyTrainingTests: XCTestCase {
    static let families = ["roberta", "xlm-roberta", "distilbert"]

    func fixture(_ family: String) -> URL { Fixtures.fixtures.appendingPathComponent("encoders/\(family)") }
    func golden(_ family: String, _ file: String) -> URL {
        Fixtures.fixtures.appendingPathComponent("encoders-training/\(family)/\(file)")
    }

    /// A batch as a golden stores it (`token_type_ids` null: the tokenizer returns none, the model runs on zeros).
    func batch(_ record: Any?) -> BertBatch {
        let r = record as! [String: Any]
        let ids = Golden.ints(r["input_ids"]), mask = Golden.ints(r["attention_mask"])
        let types = r["token_type_ids"] is NSNull ? ids.map { $0.map { _ in Int32(0) } } : Golden.ints(r["token_type_ids"])
        return BertBatch(batch: ids.count, seq: ids[0].count, inputIds: ids.flatMap { $0 }, tokenTypeIds: types.flatMap { $0 },
                         attentionMask: mask.flatMap { $0 }.map { Float($0) })
    }

    func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// `name` (canonical) as `named_parameters` spells it: the family's prefix except on the head.
    func torchName(_ name: String, _ family: any EncoderFamily.Type) -> String {
        family.isHeadTensor(name) ? name : family.prefix + name
    }

    /// Our values of `p` at the rows a golden stores for the word table (all of `p` otherwise).
    func values<T: TrainingScalar>(_ v: [T], of p: Parameter<T>, rows: [Int]) -> [Double] {
        guard p.name == "embeddings.word_embeddings.weight" else { return v.map { Double($0) } }
        let w = p.rowWidth
        return rows.flatMap { r in v[(r * w)..<((r + 1) * w)].map { Double($0) } }
    }

    func testLossAndEveryGradientMatchPyTorch() throws {
        let threads = Parallel.threads
        Parallel.setThreads(1)
        defer { Parallel.setThreads(threads) }
        for family in Self.families {
            try compareGradients(family, Float.self, tolerance: 1e-4)
            try compareGradients(family, Double.self, tolerance: 1e-4)
        }
    }

    func compareGradients<T: TrainingScalar>(_ name: String, _: T.Type, tolerance: Double) throws {
        let g = try json(golden(name, "grads.json"))
        let engine = try BertModel.load(folder: fixture(name))
        let family = EncoderFamilies.family(engine.config.modelType)!
        let model = try TrainableBert<T>(engine)
        let input = batch(g)
        let labels = (g["labels"] as! [NSNumber]).map(\.intValue)
        let pass = try model.forward(input, mode: .eval)
        let loss = model.backward(pass, labels: labels)
        let wantLoss = (g["loss"] as! NSNumber).doubleValue
        XCTAssertEqual(loss, wantLoss, accuracy: 1e-5 * wantLoss, "\(name) loss")
        XCTAssertNil(Golden.worst(pass.logits.map { Float($0) }, Golden.flat(g["logits"]), tol: 1e-5), "\(name) logits")
        let rows = (g["word_rows"] as! [NSNumber]).map(\.intValue)
        let file = try SafeTensorsFile(url: golden(name, "grads.safetensors"))
        let global = GradientClipping.globalNorm(model.parameters)
        var worst = (name: "", error: 0.0, abs: 0.0)
        for p in model.parameters {
            let key = torchName(p.name, family)
            let want = try file.floatTensor(key).data.map(Double.init)
            let ours = values(p.grad, of: p, rows: rows)
            XCTAssertEqual(ours.count, want.count, key)
            if p.name.hasSuffix(".key.bias") || p.name.hasSuffix(".k_lin.bias") {
                // ∂loss/∂b_key = 0 exactly (softmax shift invariance): both sides are rounding noise.
                XCTAssertLessThanOrEqual(ours.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-7 * global, key)
                continue
            }
            let err = GradientCheck.relativeError(ours, want)
            let absErr = zip(ours, want).map { abs($0 - $1) }.max() ?? 0
            if err > worst.error { worst = (key, err, worst.abs) }
            worst.abs = max(worst.abs, absErr)
            XCTAssertLessThanOrEqual(err, tolerance, "\(name) \(T.self): gradient of \(key), relative error \(err)")
        }
        XCTAssertEqual(model.parameters.count, file.names.count, "\(name): every parameter of the fixture is compared")
        let word = model.parameter(named: "embeddings.word_embeddings.weight")!
        XCTAssertEqual(word.touchedRows, rows, "\(name): the batch's ids carry the word gradient")
        print(String(format: "%@ gradients (%@): %d tensors, loss %.7f vs %.7f, worst relative error %.3e (%@), "
                     + "max |Δ| %.3e", name, "\(T.self)", model.parameters.count, loss, wantLoss, worst.error,
                     worst.name, worst.abs))
    }

    /// Four steps of AdamW with the linear schedule (1 warm-up step), clipping and weight decay, dropout 0, over
    /// the Trainer's own padded batches: every step's loss, every trained parameter and the trained model's logits.
    func testTrainingStepsMatchTransformersTrainer() throws {
        let threads = Parallel.threads
        Parallel.setThreads(1)
        defer { Parallel.setThreads(threads) }
        for name in Self.families {
            let s = try json(golden(name, "steps.json"))
            let engine = try BertModel.load(folder: fixture(name))
            let family = EncoderFamilies.family(engine.config.modelType)!
            let model = try TrainableBert<Float>(engine, hiddenDropout: 0, attentionDropout: 0)
            let steps = (s["steps"] as! NSNumber).intValue
            let schedule = LearningRateSchedule(baseLR: (s["lr"] as! NSNumber).doubleValue,
                                                warmupSteps: (s["warmup_steps"] as! NSNumber).intValue, totalSteps: steps)
            let optimizer = AdamW(parameters: model.parameters, weightDecay: (s["weight_decay"] as! NSNumber).doubleValue)
            let batches = (s["batches"] as! [Any]).map(batch)
            let labels = (s["labels"] as! [[NSNumber]]).map { $0.map(\.intValue) }
            let wantLosses = (s["losses"] as! [NSNumber]).map(\.doubleValue)
            var lossDiff = 0.0
            for step in 0..<steps {
                model.zeroGradients()
                let loss = model.backward(try model.forward(batches[step], mode: .train(seed: UInt64(step))),
                                          labels: labels[step])
                lossDiff = max(lossDiff, abs(loss - wantLosses[step]))
                XCTAssertEqual(loss, wantLosses[step], accuracy: 1e-5 * max(1, wantLosses[step]), "\(name) step \(step) loss")
                GradientClipping.clip(model.parameters, maxNorm: (s["max_grad_norm"] as! NSNumber).doubleValue)
                optimizer.update(lr: schedule.lr(atStep: step))
            }
            let rows = (s["word_rows"] as! [NSNumber]).map(\.intValue)
            let file = try SafeTensorsFile(url: golden(name, "steps.safetensors"))
            var worst = (name: "", diff: 0.0), keyBias = 0.0
            let lr = schedule.baseLR
            for p in model.parameters {
                let key = torchName(p.name, family)
                let want = try file.floatTensor(key).data.map(Double.init)
                let ours = values(p.value, of: p, rows: rows)
                let d = zip(ours, want).map { abs($0 - $1) }.max()!
                if p.name.hasSuffix(".key.bias") || p.name.hasSuffix(".k_lin.bias") {
                    // Its true gradient is 0 (softmax shift invariance), so both sides step on rounding noise, which
                    // Adam normalises to steps of up to ~lr in either direction: only bounded, not compared.
                    let initial = (engine.linears[String(p.name.dropLast(".bias".count))] as! DenseLinear).bias!.map(Double.init)
                    let moved = zip(ours, initial).map { abs($0 - $1) }.max()!
                    keyBias = max(keyBias, d)
                    XCTAssertLessThanOrEqual(moved, 3 * lr * Double(steps), "\(name): \(key) moved \(moved)")
                    continue
                }
                if d > worst.diff { worst = (key, d) }
                // lr 1e-3: Adam moves most weights by ~1e-3 per step; a tolerance 1/100 of one step.
                XCTAssertLessThanOrEqual(d, 1e-5, "\(name): trained \(key), max |Δ| \(d)")
            }
            let logits = try model.forward(batch(s["eval_batch"]), mode: .eval).logits
            let wantLogits = Golden.flat(s["eval_logits"])
            let logitDiff = zip(logits, wantLogits).map { abs(Double($0) - Double($1)) }.max()!
            XCTAssertLessThanOrEqual(logitDiff, 1e-4, "\(name): trained model's logits")
            print(String(format: "%@: %d Trainer steps, max |Δ loss| %.3e, trained parameters max |Δ| %.3e (%@; key "
                         + "biases, noise both sides: %.3e), eval logits max |Δ| %.3e", name, steps, lossDiff, worst.diff,
                         worst.name, keyBias, logitDiff))
        }
    }

    /// Small RoBERTa (padding-offset positions, a one-row token type table, dropout before the head's dense layer)
    /// and DistilBERT (no token types, no dropout after `out_lin`, ReLU head) in float64 with dropout on, every
    /// parameter against central finite differences.
    func testWholeModelWithDropoutAgainstFiniteDifferences() throws {
        let configs = [
            BertConfiguration(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 12,
                              maxPositionEmbeddings: 12, typeVocabSize: 1, padTokenId: 1, modelType: "roberta"),
            BertConfiguration(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 12,
                              maxPositionEmbeddings: 10, typeVocabSize: 0, classifierDropout: 0.3, modelType: "distilbert"),
        ]
        for config in configs {
            let family = EncoderFamilies.family(config.modelType)!
            var tensors: [String: Tensor] = [:]
            for (name, t) in BertRandomInit.weights(config: config, seed: 5, std: 0.5) { tensors[family.sanitize(name)] = t }
            for (name, t) in tensors where config.layout.normNames.contains(where: { name.hasPrefix($0 + ".") }) {
                var rng = SeededRandom(seed: UInt64(name.count))
                tensors[name] = Tensor(shape: t.shape, data: t.data.map { $0 + 0.3 * rng.normal() })
            }
            let model = try TrainableBert<Double>(config: config, tensors: tensors, hiddenDropout: 0.2, attentionDropout: 0.2,
                                                  classifierDropout: config.classifierDropout.map(Double.init))
            let pad = Int32(config.padTokenId)
            let batch = BertBatch(sequences: [(ids: [0, 7, 9, 2, 2, 4, 2], types: [0, 0, 0, 0, 0, 0, 0]),
                                              (ids: [0, 11, 2, 2, 5, 2], types: [0, 0, 0, 0, 0, 0]),
                                              (ids: [0, 8, 2, 2, 12, 29, 2], types: [0, 0, 0, 0, 0, 0, 0])], padId: pad)
            let labels = [1, 0, 1]
            let mode = ForwardMode.train(seed: 99)
            // Embedding tables: the rows the batch looks up (the others have zero gradient both ways).
            let worst = try GradientCheck.wholeModel(model, batch: batch, labels: labels, mode: mode,
                                                     label: "\(config.modelType) ") { p in
                p.touchedRows.map { rows in rows.flatMap { r in (0..<p.rowWidth).map { r * p.rowWidth + $0 } } }
                    ?? Array(0..<p.count)
            }
            if config.modelType == "roberta" {
                // Positions count from the padding index 1: real tokens 2…8, padding rows 1.
                XCTAssertEqual(model.parameter(named: "embeddings.position_embeddings.weight")!.touchedRows, Array(1...8))
                XCTAssertEqual(model.parameter(named: "embeddings.token_type_embeddings.weight")!.touchedRows, [0])
            } else {
                XCTAssertNil(model.parameter(named: "embeddings.token_type_embeddings.weight"), "DistilBERT has no token types")
            }
            print(String(format: "%@ whole model (float64, dropout 0.2): %d tensors, worst relative error %.3e",
                         config.modelType, model.parameters.count, worst))
        }
    }

    /// QAT on each family: after two training steps the fake-quantized forward pass equals the integer model built
    /// from the learned ranges (what `qbench eval --scheme` runs on the folder `qbench qat` writes).
    func testTrainedSimulationMatchesIntegerKernels() throws {
        let threads = Parallel.threads
        Parallel.setThreads(1)
        defer { Parallel.setThreads(threads) }
        for name in Self.families {
            let g = try json(golden(name, "grads.json"))
            let input = batch(g)
            let labels = (g["labels"] as! [NSNumber]).map(\.intValue)
            for scheme in [ModelScheme.q8bertStatic, .pytorchDynamic] {
                let model = try TrainableBert<Float>(try BertModel.load(folder: fixture(name)))
                try model.attachQuantization(scheme)
                let opt = AdamW(parameters: model.parameters)
                for step in 0..<2 {
                    model.zeroGradients()
                    model.backward(try model.forward(input, mode: .train(seed: UInt64(step))), labels: labels)
                    opt.update(lr: 1e-3)
                }
                let calibrations = model.calibrations()
                XCTAssertEqual(calibrations.count, scheme.requiresCalibration ? model.linearUnits.count : 0, "\(name) \(scheme.name)")
                let simulated = try model.forward(input, mode: .eval).logits
                let integer = try ModelQuantization.apply(scheme, to: model.engineModel(), calibrations: calibrations)
                let want = try integer.forward(input).logits.data
                let fp32 = try model.engineModel().forward(input).logits.data
                let diff = zip(simulated, want).map { abs($0 - $1) }.max()!
                let effect = zip(fp32, want).map { abs($0 - $1) }.max()!
                print(String(format: "%@ %@: |QAT simulation − integer kernels| ≤ %.2e (quantization moves logits %.2e)",
                             name, scheme.name, diff, effect))
                XCTAssertLessThan(diff, 1e-3, "\(name) \(scheme.name)")
                XCTAssertLessThan(diff, 0.1 * effect, "\(name) \(scheme.name): the simulation models the quantization")
            }
        }
    }

    /// The folder `ClassifierFolder.write` makes holds the checkpoint's own key names and reloads to the same logits.
    func testFolderRoundTrip() throws {
        for name in Self.families {
            let engine = try BertModel.load(folder: fixture(name))
            let model = try TrainableBert<Float>(engine)
            let opt = AdamW(parameters: model.parameters)
            let g = try json(golden(name, "grads.json"))
            let input = batch(g)
            model.backward(try model.forward(input, mode: .train(seed: 1)), labels: (g["labels"] as! [NSNumber]).map(\.intValue))
            opt.update(lr: 1e-3)
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("train-folder-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: out) }
            let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture(name).appendingPathComponent("config.json"))) as! [String: Any]
            try ClassifierFolder.write(tensors: model.tensors(), config: ClassifierFolder.classifierConfig(base: raw, numLabels: 2),
                                       vocabularyFrom: fixture(name), to: out)
            let written = try SafeTensorsFile(url: out.appendingPathComponent("model.safetensors")).names
            let original = try SafeTensorsFile(url: fixture(name).appendingPathComponent("model.safetensors")).names
            XCTAssertEqual(Set(written), Set(original), name)
            let loaded = try BertModel.load(folder: out)
            XCTAssertEqual(try loaded.forward(input).logits.data, try model.engineModel().forward(input).logits.data, name)
            XCTAssertNotEqual(try loaded.forward(input).logits.data, try engine.forward(input).logits.data, "\(name) trained")
        }
    }

    /// ELECTRA, ALBERT and DeBERTa-v2 are refused in one error naming the file and `model_type`.
    func testOtherFamiliesAreRefused() throws {
        for family in ["electra", "albert", "deberta-v2"] {
            XCTAssertThrowsError(try ClassifierFolder.loadBase(folder: fixture(family), seed: 0)) { error in
                XCTAssertTrue("\(error)".contains("\(family)/config.json"), "\(error)")
                XCTAssertTrue("\(error)".contains("training is not supported for model_type \(family) yet"), "\(error)")
            }
            let engine = try BertModel.load(folder: fixture(family))
            XCTAssertThrowsError(try TrainableBert<Float>(engine))
        }
    }

    /// A bare encoder without its head gets a fresh seeded one under the family's names.
    func testBaseWithoutHeadGetsTheFamilysHead() throws {
        let heads = ["roberta": ["classifier.dense", "classifier.out_proj"], "distilbert": ["pre_classifier", "classifier"]]
        for (name, head) in heads {
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("train-head-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: tmp) }
            try FileManager.default.copyItem(at: fixture(name).appendingPathComponent("config.json"),
                                             to: tmp.appendingPathComponent("config.json"))
            let src = try SafeTensorsFile(url: fixture(name).appendingPathComponent("model.safetensors"))
            var w = SafeTensorsWriter(metadata: ["format": "pt"])
            for key in src.names where !head.contains(where: { key.hasPrefix($0 + ".") }) { try w.add(key, try src.floatTensor(key)) }
            try w.write(to: tmp.appendingPathComponent("model.safetensors"))
            let base = try ClassifierFolder.loadBase(folder: tmp, seed: 3)
            XCTAssertEqual(base.freshlyInitialized, head.flatMap { ["\($0).weight", "\($0).bias"] }, name)
            XCTAssertEqual(base.classifierDropout, name == "distilbert" ? 0.2 : nil, name)
            XCTAssertNoThrow(try TrainableBert<Float>(config: base.config, tensors: base.tensors))
        }
    }
}

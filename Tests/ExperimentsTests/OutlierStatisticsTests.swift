import _TestSupport
import BERT
import Datasets
import Experiments
import Foundation
import LayerStats
import Quantization
import RunRecords
import TensorCore
import Tokenization
import XCTest

/// The outlier statistics of `stats.h5` (`/fp32/outliers`): the engine's residual-sum tap point, token classes from
/// the tokenizer (BERT and RoBERTa), and a planted outlier channel on `[SEP]` found exactly in the tiny model.
final class OutlierStatisticsTests: XCTestCase {
    static let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    /// Keeps every tensor of one batch by (point, name), the last call's.
    final class KeepingTap: ActivationTap {
        var tensors: [String: [Float]] = [:]
        func beginBatch(rowMask: [Float], batch: Int, seq: Int) {}
        func observe(_ point: TapPoint, name: String, values: UnsafeBufferPointer<Float>, rows: Int, width: Int) {
            tensors["\(point.rawValue) \(name)"] = Array(values)
        }
        func endBatch(logits: Tensor) {}
    }

    func batches(_ folder: ModelFolder, examples: Int) throws -> [BertBatch] {
        let data = try PairDataset.load(file: Self.dev)
        let subset = PairDataset(path: data.path, examples: Array(data.examples.prefix(examples)))
        return Evaluator.batches(Evaluator.encode(subset, tokenizer: folder.tokenizer, maxLength: 64),
                                 options: BatchingOptions(batchSize: 8, maxSeqLength: 64),
                                 padId: Int32(folder.model.config.padTokenId))
    }

    /// The residual sum is exactly `sublayer output + residual`: attention output + the block's input, and FFN
    /// output + the attention LayerNorm's output (the FFN's input); observing it leaves the logits unchanged.
    func testResidualSumIsTheTensorEnteringEachLayerNorm() throws {
        let folder = try ModelFolder(path: Fixtures.tinyBert.path)
        let batch = try batches(folder, examples: 4)[0]
        let tap = KeepingTap()
        let tapped = try folder.model.forward(batch, tap: tap)
        let plain = try folder.model.forward(batch)
        XCTAssertEqual(tapped.logits.data, plain.logits.data, "the tap changes nothing")
        func t(_ key: String) throws -> [Float] { try XCTUnwrap(tap.tensors[key], key) }
        for layer in 0..<2 {
            let p = "encoder.layer.\(layer)"
            let blockInput = try t(layer == 0 ? "hiddenState embeddings" : "hiddenState encoder.layer.\(layer - 1)")
            let attention = try t("linearOutput \(p).attention.output.dense")
            let ffnInput = try t("linearInput \(p).intermediate.dense")
            let ffn = try t("linearOutput \(p).output.dense")
            XCTAssertEqual(try t("residualSum \(p).attention.output.LayerNorm"), zip(attention, blockInput).map { $0 + $1 })
            XCTAssertEqual(try t("residualSum \(p).output.LayerNorm"), zip(ffn, ffnInput).map { $0 + $1 })
        }
        XCTAssertEqual(tap.tensors.keys.filter { $0.hasPrefix("residualSum") }.count, 4)
    }

    /// Classes come from the tokenizer's template and token strings: `[CLS]`/`[SEP]` for BERT, `<s>`/`</s>` for
    /// RoBERTa (whose pair template is `<s> a </s></s> b </s>`), punctuation from the text, padding from the mask.
    func testTokenClassesOfBertAndRobertaTokenizers() throws {
        for family in ["tiny", "roberta"] {
            let url = family == "tiny" ? Fixtures.tinyBert : Fixtures.fixtures.appendingPathComponent("encoders/roberta")
            let tokenizer = try TokenizerLoader.load(folder: url)
            let classifier = TokenClassifier(tokenizer: tokenizer)
            let long = tokenizer.encodePair("the cat , sat .", "a dog", maxLength: 64)
            let short = tokenizer.encodePair("yes", nil, maxLength: 64)
            let batch = BertBatch(sequences: [(long.inputIds, long.tokenTypeIds), (short.inputIds, short.tokenTypeIds)],
                                  padId: tokenizer.padId)
            let classes = classifier.classes(batch)
            let tokens = tokenizer.convertIdsToTokens(batch.inputIds.map(Int.init))
            let seq = batch.seq
            let first = Array(classes[0..<seq]), second = Array(classes[seq...])
            XCTAssertEqual(first.first, .cls, "\(family): \(tokens)")
            XCTAssertEqual(first.filter { $0 == .cls }.count, 1, family)
            XCTAssertEqual(first.filter { $0 == .sep }.count, family == "tiny" ? 2 : 3, "\(family): \(tokens)")
            XCTAssertEqual(first.filter { $0 == .punctuation }.count, 2, "\(family): ',' and '.': \(tokens)")
            XCTAssertEqual(first.last, .sep, family)
            XCTAssertEqual(second.first, .cls, family)
            XCTAssertEqual(second.filter { $0 == .padding }.count, seq - short.count, family)
            XCTAssertEqual(second[short.count - 1], .sep, family)
            XCTAssertTrue(second[1..<(short.count - 1)].allSatisfy { $0 == .other }, "\(family): \(tokens)")
        }
    }

    /// A planted outlier: the `[SEP]` embedding is 100 in dimension 5 and 0 elsewhere (and that dimension's LayerNorm
    /// scale 1), so after the embedding LayerNorm dimension 5 of every `[SEP]` row is far larger than any other value. The first block's query input
    /// (the embedding output) then has channel 5 on top, with the absmax of that column over real rows, and with
    /// `N` = the number of `[SEP]` rows, all `N` kept rows are `[SEP]`. The file holds the same numbers.
    func testPlantedOutlierChannelOnSEPIsFoundExactly() throws {
        let folder = try ModelFolder(path: Fixtures.tinyBert.path)
        var model = folder.model
        let sep = 3, dim = 5, hidden = model.config.hiddenSize
        var table = model.embeddingTables["embeddings.word_embeddings"]!
        XCTAssertEqual(folder.tokenizer.convertIdsToTokens([sep]), ["[SEP]"])
        for i in 0..<hidden { table.data[sep * hidden + i] = i == dim ? 100 : 0 }
        model.embeddingTables["embeddings.word_embeddings"] = table
        // The fixture's random LayerNorm scales are small; give dimension 5 a plain one (γ = 1, β = 0), so the
        // normalised [SEP] value (≈ √(H − 1) ≈ 7.9) is the largest of the tensor.
        model.layerNorms["embeddings.LayerNorm"]!.gamma[dim] = 1
        model.layerNorms["embeddings.LayerNorm"]!.beta[dim] = 0
        let batches = try batches(folder, examples: 24)
        let sepRows = batches.reduce(0) { n, b in n + b.inputIds.filter { $0 == Int32(sep) }.count }
        XCTAssertEqual(sepRows, 48, "two [SEP] per pair")

        // Expected, from the embedding output itself: the column's absmax over real rows, and the fixture's premise.
        var absMax: Float = 0, weakestSEP = Float.infinity, strongestOther: Float = 0
        for b in batches {
            let h = try model.forward(b, hiddenStates: true).hiddenStates![0].data
            for r in 0..<(b.batch * b.seq) {
                let v = abs(h[r * hidden + dim])
                if b.attentionMask[r] != 0 { absMax = max(absMax, v) }
                if b.inputIds[r] == Int32(sep) && b.attentionMask[r] != 0 { weakestSEP = min(weakestSEP, v) }
                else { strongestOther = max(strongestOther, v) }
            }
        }
        XCTAssertGreaterThan(weakestSEP, strongestOther, "premise: every [SEP] row beats every other row in dim 5")
        XCTAssertGreaterThan(absMax, 5, "premise: the planted value is the largest of the tensor")

        let options = StatsOptions(bins: 32, outlierTopK: 3, outlierRows: sepRows)
        let report = try StatsRun.run(model: model, schemes: [try SchemeRegistry.scheme(named: "pytorch-dynamic")],
                                      batches: batches, labels: nil, options: options, tokenClasses: folder.tokenClassifier)
        let name = "encoder.layer.0.attention.self.query"
        let query = try XCTUnwrap(report.fp32Outliers.first { $0.name == name })
        XCTAssertEqual(query.kind, .linearInput)
        let s = query.statistics.summary(topK: 3)
        XCTAssertEqual(s.topChannels.first, dim)
        XCTAssertEqual(s.topAbsMax.first, Double(absMax))
        XCTAssertEqual(s.topClassCounts.first, [0, sepRows, 0, 0, 0])
        XCTAssertEqual(query.statistics.classRows[TokenClass.sep.rawValue], sepRows)
        XCTAssertEqual(query.statistics.classRows[TokenClass.cls.rawValue], 24)
        // Every linear input and every residual sum is there, in forward order: 2 × (6 + 2) + pooler + classifier.
        XCTAssertEqual(report.fp32Outliers.count, 18)
        XCTAssertEqual(report.fp32Outliers.filter { $0.kind == .residualSum }.map(\.name),
                       ["encoder.layer.0.attention.output.LayerNorm", "encoder.layer.0.output.LayerNorm",
                        "encoder.layer.1.attention.output.LayerNorm", "encoder.layer.1.output.LayerNorm"])
        // The head sees one [CLS] row per sequence.
        let pooler = try XCTUnwrap(report.fp32Outliers.first { $0.name == "pooler.dense" })
        XCTAssertEqual(pooler.statistics.classRows, [24, 0, 0, 0, 0])

        // The file.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outliers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("run.h5").path
        try report.write(to: path, provenance: StatsProvenance(
            quantbenchVersion: "test", gitCommit: nil, created: Date(timeIntervalSince1970: 0), modelPath: "m",
            modelWeightsFile: "model.safetensors", modelSHA256: "0", modelConfigSHA256: "0", dataPath: Self.dev,
            dataSHA256: "0", command: "test"))
        let f = try HDF5File(path: path)
        XCTAssertEqual(try f.attribute("schema_version"), .int(2))
        let base = StatsFileLayout.outliers
        let names = try f.readStrings("\(base)/tensor_names")
        let row = try XCTUnwrap(names.firstIndex(of: name))
        let (channels, shape) = try f.read("\(base)/top_channels", as: Int64.self)
        XCTAssertEqual(shape, [18, 3])
        XCTAssertEqual(channels[row * 3], Int64(dim))
        let (counts, countShape) = try f.read("\(base)/top_class_counts", as: Int64.self)
        XCTAssertEqual(countShape, [18, 3, 5])
        XCTAssertEqual(Array(counts[(row * 15)..<(row * 15 + 5)]), [0, Int64(sepRows), 0, 0, 0])
        XCTAssertEqual(try f.read("\(base)/top_abs_max", as: Double.self).values[row * 3], Double(absMax))
        XCTAssertEqual(try f.readStrings("\(base)/token_classes"), ["cls", "sep", "punctuation", "padding", "other"])
        let column = try f.read("\(StatsFileLayout.outlierTensor(name))/channel_abs_max", as: Float.self).values
        XCTAssertEqual(column.count, hidden)
        XCTAssertEqual(column[dim], absMax)
    }
}

import _TestSupport
import Benchmark
import Datasets
import Experiments
import Foundation
import RunRecords
import XCTest

/// `bench --peers` refuses a peer whose input digest differs, so the peer script and `ModelFolder.batches` must
/// hash the same inputs for every family: token types as the model consumes them (all 0 for DistilBERT, whose
/// tokenizer returns types its model ignores). Goldens from `experiments/peers/qbench_peers.py`'s own
/// `make_batches` + `input_digest` (transformers 5.24) on the first 16 MRPC dev pairs, batch 8, max 128, padded to
/// the batch's longest.
final class EncoderFamilyDigestTests: XCTestCase {
    static let peerDigests = [
        "distilbert": "507c4190e3d53f86e8e87e342a23ba3d600e303b673b33ed49cd17be3e42b7cf",
        "electra": "f1d2487556432541c2907d5e61c36cc0963f3c1ebda9f3c9f57df9beb33d6799",
        "bert-uncased-tokenizer-json": "b3c967274c68ab211d35e2754c8af6f051ba1a59ce5bd51f3e8de75dfba9195f",
    ]

    func testOurInputDigestIsThePeersForEachFamily() throws {
        let dev = try PairDataset.load(path: Fixtures.mrpc.path)
        let first = PairDataset(path: dev.path, examples: Array(dev.examples.prefix(16)))
        for (family, digest) in Self.peerDigests.sorted(by: { $0.key < $1.key }) {
            let folder = try ModelFolder(path: Fixtures.fixtures.appendingPathComponent("encoders/\(family)").path)
            let batches = folder.batches(first, options: BatchingOptions(batchSize: 8, maxSeqLength: 128, padToMax: false))
            XCTAssertEqual(Benchmark.inputDigest(batches), digest, family)
        }
    }
}

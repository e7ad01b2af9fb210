import XCTest
import TensorCore

final class DenseLinearTests: XCTestCase {
    /// sgemm path against a scalar triple loop.
    func testMatchesScalarReference() {
        let rows = 5, k = 7, n = 3
        var g = SystemRandomNumberGenerator()
        let w = Tensor(shape: [n, k], data: (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &g) })
        let b: [Float] = (0..<n).map { Float($0) * 0.5 }
        let x = Tensor(shape: [rows, k], data: (0..<(rows * k)).map { _ in Float.random(in: -1...1, using: &g) })
        let y = DenseLinear(weight: w, bias: b)(x)
        XCTAssertEqual(y.shape, [rows, n])
        for r in 0..<rows {
            for j in 0..<n {
                var acc = b[j]
                for i in 0..<k { acc += x.data[r * k + i] * w.data[j * k + i] }
                XCTAssertEqual(y.data[r * n + j], acc, accuracy: 1e-5)
            }
        }
    }
}

import Foundation

/// Reads the PyTorch golden JSON files of `Tests/Fixtures` (`Tools/goldens/make_goldens.py`).
public enum Golden {
    public static func load(_ relative: String) throws -> [String: Any] {
        let url = Fixtures.fixtures.appendingPathComponent(relative)
        let data = try Data(contentsOf: url)
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    public static func matrix(_ any: Any?) -> [[Double]] {
        (any as! [Any]).map { ($0 as! [Any]).map { ($0 as! NSNumber).doubleValue } }
    }

    public static func ints(_ any: Any?) -> [[Int32]] {
        (any as! [Any]).map { ($0 as! [Any]).map { ($0 as! NSNumber).int32Value } }
    }

    /// Flattens nested arrays of numbers to Float.
    public static func flat(_ any: Any?) -> [Float] {
        var out: [Float] = []
        func walk(_ v: Any) {
            if let a = v as? [Any] { a.forEach(walk) } else { out.append(Float(truncating: v as! NSNumber)) }
        }
        walk(any!)
        return out
    }

    /// |a − b| ≤ tol, or relative where |b| > 1 (the golden tests' tolerance rule: absolute below 1, relative above). Returns the worst excess.
    public static func worst(_ a: [Float], _ b: [Float], tol: Float) -> (index: Int, got: Float, want: Float)? {
        precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
        for i in a.indices {
            let allowed = tol * max(1, abs(b[i]))
            if !(abs(a[i] - b[i]) <= allowed) { return (i, a[i], b[i]) }
        }
        return nil
    }
}

/// The one median of timings (benchmark rows, sweep rows, reproduce): the middle value, or the mean of the two
/// middle values for an even count; 0 for no values.
extension Collection where Element == Double {
    public var median: Double {
        guard !isEmpty else { return 0 }
        let s = sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

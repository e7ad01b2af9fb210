import ArgumentParser
import TensorCore

/// `--numerics reproducible|fast` (`sweep`, `stats`).
extension NumericsMode: ExpressibleByArgument {}

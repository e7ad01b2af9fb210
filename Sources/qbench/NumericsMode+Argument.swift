import ArgumentParser
import TensorCore

/// `--numerics reproducible|fast` (`sweep`, `stats`, `eval`, `bench`).
extension NumericsMode: ExpressibleByArgument {}

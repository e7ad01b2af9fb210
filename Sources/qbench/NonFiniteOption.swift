import ArgumentParser

/// `--allow-nonfinite`, shared by every command that loads a model: keep NaN or ±Inf weights and logits instead of
/// refusing them (the error names the tensor, or the data file and line of the first example). Recorded in a run
/// folder's manifest (`allow_nonfinite: true`); predictions files write such logits as "NaN", "Infinity", "-Infinity".
struct NonFiniteOption: ParsableArguments {
    @Flag(name: .customLong("allow-nonfinite"),
          help: "Keep going when the weights or the logits hold NaN or ±Inf (refused by default).")
    var allowNonFinite = false
}

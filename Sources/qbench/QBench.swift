import ArgumentParser
import TensorCore

/// `qbench`: the QuantBench command line. One file per subcommand; each parses arguments and calls the library.
@main
struct QBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qbench",
        abstract: "QuantBench: quantization research workbench for BERT encoders.",
        version: "0.1.0",
        subcommands: [Eval.self, Quantize.self, Finetune.self, Qat.self, Bench.self, ModelCommand.self, Schemes.self, Doctor.self]
    )

    static func main() {
        BLASRuntime.ensureOptimalCore()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

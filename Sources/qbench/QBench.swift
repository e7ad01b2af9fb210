import ArgumentParser
import Experiments
import TensorCore
import _Support

/// `qbench`: the QuantBench command line. One file per subcommand; each parses arguments and calls the library.
@main
struct QBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qbench",
        abstract: "QuantBench: quantization research workbench for BERT encoders.",
        version: QuantBenchVersion.current,
        subcommands: [Eval.self, Quantize.self, Bench.self, Stats.self, Sweep.self, Slurm.self, K8s.self, Reproduce.self, Report.self, Export.self,
                      ModelCommand.self, Finetune.self, Qat.self, Recommend.self, Schemes.self, Doctor.self]
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

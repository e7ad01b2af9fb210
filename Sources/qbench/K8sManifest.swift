import ArgumentParser
import Cluster
import Experiments
import Foundation
import Sweep
import _Support

/// `qbench k8s manifest CONFIG --image IMAGE --volume-claim NAME`: write the Indexed Job and the merge Job.
struct K8sManifest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Write a Kubernetes Indexed Job running the sweep's cells and the Job that merges them.",
        discussion: """
            The pods mount the volume claim at --mount-path and work there: CONFIG, and the model and data paths \
            inside it, must be relative paths that resolve under that folder (the same layout as here), or absolute \
            paths inside the pods. Writes <out>/cells-job.yaml and <out>/merge-job.yaml and prints the kubectl \
            commands that run them in order.
            """)

    @Argument(help: "Experiment file (YAML), relative to the volume's root.")
    var config: String
    @Option(help: "Container image with qbench on its PATH.")
    var image: String
    @Option(help: "PersistentVolumeClaim (ReadWriteMany) shared by every pod.")
    var volumeClaim: String
    @Option(help: "Where the claim is mounted in the pods (their working directory).")
    var mountPath = "/workspace"
    @Option(help: "Cells at once (default: all).")
    var parallelism: Int?
    @Option(help: "CPUs of each cell (default: the config's largest thread count).")
    var cpus: Int?
    @Option(help: "Evaluate this model folder instead of the config's `model` (a path in the pods).")
    var model: String?
    @Option(help: ArgumentHelp("The run directory, as the pods see it (default: runs/<name>-<UTC timestamp>.cells).", valueName: "DIR"))
    var runDir: String?
    @Option(help: ArgumentHelp("Folder for the two YAML files (default: <name>.k8s).", valueName: "DIR"))
    var out: String?

    func validate() throws {
        let options = KubernetesJobs.Options(image: image, volumeClaim: volumeClaim, mountPath: mountPath,
                                             parallelism: parallelism ?? 1, cpus: cpus ?? 1)
        do { try options.validate() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let experiment = try Experiment.load(file: config, model: model)
        let plan = try SweepPlan.make(experiment, configPath: config, model: model, run: experiment.config.name,
                                      workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        let options = KubernetesJobs.Options(image: image, volumeClaim: volumeClaim, mountPath: mountPath,
                                             parallelism: parallelism ?? plan.cells.count,
                                             cpus: cpus ?? experiment.config.threads.max() ?? 1)
        let dir = runDir ?? "runs/\(RunFolder.runID(name: experiment.config.name, date: Date())).cells"
        let (cells, merge) = try KubernetesJobs.manifests(name: experiment.config.name, cells: plan.cells.count, config: config,
                                                          model: model, runDirectory: dir, options: options)
        let folder = Sweep.absolute(out ?? "\(experiment.config.name).k8s")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try AtomicFile.write(Data(cells.utf8), to: folder.appendingPathComponent("cells-job.yaml").path)
            try AtomicFile.write(Data(merge.utf8), to: folder.appendingPathComponent("merge-job.yaml").path)
        } catch {
            throw ExperimentError.badPath(path: folder.path, reason: "cannot write the manifests: \(error)")
        }
        let name = cells.split(separator: "\n").first { $0.hasPrefix("  name: ") }.map { $0.dropFirst(8) } ?? "?"
        print("wrote \(folder.path)/cells-job.yaml (Indexed Job, \(plan.cells.count) cells, \(options.parallelism) at once) "
              + "and merge-job.yaml")
        print("run them in order (Kubernetes has no job dependencies):")
        print("  kubectl apply -f \(folder.path)/cells-job.yaml")
        print("  kubectl wait --for=condition=complete --timeout=24h job/\(name)")
        print("  kubectl apply -f \(folder.path)/merge-job.yaml")
        print("merged run folder: \(mountPath)/\(dir)/<run id>/ on the volume")
    }
}

import ArgumentParser

/// `qbench k8s`: run a sweep's cells as a Kubernetes Indexed Job (docs/clusters.md).
struct K8s: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s",
        abstract: "Run a sweep on Kubernetes: an Indexed Job of cells on a shared volume, then a merge Job.",
        subcommands: [K8sManifest.self])
}

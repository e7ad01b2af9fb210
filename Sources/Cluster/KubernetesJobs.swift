import Foundation
import Sweep
import Yams

/// `qbench k8s manifest`: a sweep's cells as a Kubernetes Indexed Job (`completionMode: Indexed`, `completions` =
/// the number of cells, `parallelism` = how many at once), each pod running `qbench sweep CONFIG --run-dir DIR` with
/// its cell index from `JOB_COMPLETION_INDEX`, on a shared PersistentVolumeClaim mounted as the pods' working
/// directory; and the merge Job (`qbench sweep --merge DIR`), applied once the Indexed Job is complete
/// (`kubectl wait --for=condition=complete`). Kubernetes has no job dependencies, so the order is kubectl's.
public enum KubernetesJobs {
    /// What the manifests need besides the plan.
    public struct Options: Sendable {
        /// The container image with `qbench` on its PATH.
        public var image: String
        /// The PersistentVolumeClaim (ReadWriteMany) holding the config, model, data and run directory.
        public var volumeClaim: String
        /// Where it is mounted in the pods, and their working directory.
        public var mountPath: String
        /// Pods at once.
        public var parallelism: Int
        /// CPU request and limit of each cell (integer: Guaranteed QoS).
        public var cpus: Int

        public init(image: String, volumeClaim: String, mountPath: String = "/workspace", parallelism: Int, cpus: Int) {
            self.image = image
            self.volumeClaim = volumeClaim
            self.mountPath = mountPath
            self.parallelism = parallelism
            self.cpus = cpus
        }

        /// Throws `ClusterError.invalid` naming the option.
        public func validate() throws {
            if image.isEmpty || image.contains(where: \.isWhitespace) { throw ClusterError.invalid("--image '\(image)': expected an image reference") }
            guard !volumeClaim.isEmpty, volumeClaim.count <= 253,
                  volumeClaim.allSatisfy({ ($0.isLowercase && $0.isASCII) || $0.isNumber || "-.".contains($0) }),
                  volumeClaim.first?.isLetter == true || volumeClaim.first?.isNumber == true else {
                throw ClusterError.invalid("--volume-claim '\(volumeClaim)': expected a Kubernetes name (lower-case letters, digits, '-', '.')")
            }
            if !mountPath.hasPrefix("/") { throw ClusterError.invalid("--mount-path '\(mountPath)': expected an absolute path") }
            if parallelism < 1 { throw ClusterError.invalid("--parallelism must be ≥ 1, got \(parallelism)") }
            if cpus < 1 { throw ClusterError.invalid("--cpus must be ≥ 1, got \(cpus)") }
        }
    }

    /// The two Jobs as YAML: (cells, merge).
    /// - Parameters:
    ///   - name: the experiment's name (Job names are `qbench-<name>-cells` and `-merge`).
    ///   - config, runDirectory: paths as the pods see them (relative ones are under `mountPath`).
    public static func manifests(name: String, cells: Int, config: String, model: String?, runDirectory: String,
                                 options: Options) throws -> (cells: String, merge: String) {
        let base = jobName(name)
        let cellCommand = ["qbench", "sweep", config] + (model.map { ["--model", $0] } ?? []) + ["--run-dir", runDirectory]
        let cellsJob = Job(name: "\(base)-cells", component: "cells", experiment: name,
                           spec: .init(completionMode: "Indexed", completions: cells, parallelism: min(options.parallelism, cells),
                                       backoffLimit: cells,
                                       template: pod(command: cellCommand, cpus: options.cpus, options: options, container: "cell")))
        let mergeJob = Job(name: "\(base)-merge", component: "merge", experiment: name,
                           spec: .init(completionMode: nil, completions: 1, parallelism: 1, backoffLimit: 0,
                                       template: pod(command: ["qbench", "sweep", "--merge", runDirectory], cpus: 1,
                                                     options: options, container: "merge")))
        let encoder = YAMLEncoder()
        return (try encoder.encode(cellsJob), try encoder.encode(mergeJob))
    }

    /// `qbench-<name>` as a DNS-1123 label (lower case, `-` for anything else, at most 52 characters so that
    /// `-cells` / `-merge` and Kubernetes' pod suffixes fit in 63).
    static func jobName(_ name: String) -> String {
        var out = "qbench-" + String(name.lowercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "-" })
        out = String(out.prefix(52))
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    static func pod(command: [String], cpus: Int, options: Options, container: String) -> Job.PodTemplate {
        .init(spec: .init(restartPolicy: "Never", containers: [
            .init(name: container, image: options.image, workingDir: options.mountPath, command: command,
                  resources: .init(requests: .init(cpu: String(cpus)), limits: .init(cpu: String(cpus))),
                  volumeMounts: [.init(name: "shared", mountPath: options.mountPath)]),
        ], volumes: [.init(name: "shared", persistentVolumeClaim: .init(claimName: options.volumeClaim))]))
    }

    /// A batch/v1 Job, as far as these manifests use it (fields in Kubernetes' order).
    struct Job: Encodable {
        var apiVersion = "batch/v1"
        var kind = "Job"
        var metadata: Metadata
        var spec: Spec

        init(name: String, component: String, experiment: String, spec: Spec) {
            metadata = Metadata(name: name, labels: Labels(component: component, experiment: experiment))
            self.spec = spec
        }

        struct Metadata: Encodable {
            var name: String
            var labels: Labels
        }

        struct Labels: Encodable {
            var app = "quantbench"
            var component: String
            var experiment: String
            enum CodingKeys: String, CodingKey {
                case app = "app.kubernetes.io/name", component = "app.kubernetes.io/component", experiment = "quantbench/experiment"
            }

            init(component: String, experiment: String) {
                self.component = component
                self.experiment = String(KubernetesJobs.jobName(experiment).dropFirst("qbench-".count))
            }
        }

        struct Spec: Encodable {
            var completionMode: String?
            var completions: Int
            var parallelism: Int
            var backoffLimit: Int
            var template: PodTemplate
        }

        struct PodTemplate: Encodable {
            var spec: PodSpec
        }

        struct PodSpec: Encodable {
            var restartPolicy: String
            var containers: [Container]
            var volumes: [Volume]
        }

        struct Container: Encodable {
            var name: String
            var image: String
            var workingDir: String
            var command: [String]
            var resources: Resources
            var volumeMounts: [VolumeMount]
        }

        struct Resources: Encodable {
            var requests: CPU
            var limits: CPU
        }

        struct CPU: Encodable { var cpu: String }

        struct VolumeMount: Encodable {
            var name: String
            var mountPath: String
        }

        struct Volume: Encodable {
            var name: String
            var persistentVolumeClaim: Claim
        }

        struct Claim: Encodable { var claimName: String }
    }
}

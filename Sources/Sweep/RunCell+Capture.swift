import Foundation
import RunRecords
import TensorCore

extension RunCell {
    /// This process's host, CPU, kernel family and scheduler task, for cell `index` of `plan`.
    /// - Parameter exclusive: true when the scheduler was asked for the whole node; nil outside a scheduler.
    static func capture(_ cell: SweepPlan.Cell, environment: RunEnvironment, exclusive: Bool, started: Date,
                        finished: Date) -> RunCell {
        let scheduler = schedulerTask()
        return RunCell(index: cell.index, kind: cell.kind, rows: cell.rows, host: hostName(), cpu: environment.cpu,
                       kernelFamily: KernelDispatch.family, blasCore: environment.blasCore,
                       exclusive: exclusive ? true : scheduler == nil ? nil : false, scheduler: scheduler,
                       started: RunManifest.iso8601(started), finished: RunManifest.iso8601(finished))
    }

    /// `gethostname(2)`.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(cString: buffer)
    }

    /// `slurm job <array job>_<task>` (or `slurm job <id>`), `kubernetes index <i>`, or nil.
    static func schedulerTask() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let job = env["SLURM_ARRAY_JOB_ID"], let task = env["SLURM_ARRAY_TASK_ID"] { return "slurm job \(job)_\(task)" }
        if let job = env["SLURM_JOB_ID"] { return "slurm job \(job)" }
        if let index = env["JOB_COMPLETION_INDEX"] {
            return "kubernetes index \(index)" + (env["HOSTNAME"].map { " (pod \($0))" } ?? "")
        }
        return nil
    }
}

import RunRecords

/// The manifest as a Markdown section: commit and dirty flag, config sha256, model and data hashes, machine,
/// CPU, BLAS core, threads, Swift and QuantBench versions, start and end time.
enum ManifestSummary {
    static func markdown(_ m: RunManifest, results r: SweepResults) -> String {
        let env = m.environment
        let dirty: String
        switch env.gitDirty {
        case true?: dirty = "**uncommitted changes** (dirty tree)"
        case false?: dirty = "clean tree"
        case nil: dirty = "dirty flag unknown"
        }
        let command = m.command.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        let split = m.config.data.split
        var rows: [(String, String)] = [
            ("run", "`\(m.run)`"),
            ("command", code(command)),
            ("git commit", env.gitCommit == "unknown" ? "unknown" : "`\(env.gitCommit)` · \(dirty)"),
            ("config", (m.configFile.map { "`\($0.path)` · " } ?? "") + "sha256 `\(m.configSHA256)`"),
            ("model", "`\(m.config.model)` · \(m.modelShape)" + (m.randomWeightsSeed.map { " · **random weights**, seed \($0)" } ?? "")),
            ("data", "`\(m.config.data.path)` (\(split)) · \(r.examples) examples" + (m.config.data.limit > 0 ? " (first \(m.config.data.limit))" : "")),
            ("machine", "\(env.cpu) · \(env.logicalCores) logical cores · \(env.os)"),
            ("CPU features", env.cpuFeatures.isEmpty ? "—" : env.cpuFeatures.joined(separator: ", ")),
            ("BLAS", "core \(env.blasCore) · \(env.blasConfig)"),
        ]
        // Fields of newer manifests only, so older runs export as before.
        if let numerics = m.numerics {
            rows.append(("FP32 numerics", numerics.rawValue + (env.fp32Gemm.map { " · \($0)" } ?? "")
                         + (env.kernelFamily.map { " · kernel family \($0)" } ?? "")))
        }
        rows += [
            ("threads", m.threads.map(String.init).joined(separator: ", ") + " · \(m.repeats) pass\(m.repeats == 1 ? "" : "es") per thread count · seed \(m.seed)"),
            ("batching", "batch \(m.config.batching.batchSize), max length \(m.config.batching.maxSeqLength)" + (m.config.batching.padToMax ? ", padded to max" : ", padded to the batch's longest")),
            ("Swift", "compiler \(env.swiftCompiler)" + (env.swiftRuntime.map { " · runtime \($0)" } ?? "")),
            ("QuantBench", env.quantbenchVersion),
            ("started", m.started),
            ("finished", m.finished + " · wall time " + SVGCanvas.num(m.wallSeconds, digits: 0) + " s"),
            ("statistics", m.statistics),
        ]
        if !m.variants.isEmpty { rows.append(("sweep variants", "\(m.variants.count)")) }
        var out = "## Run manifest\n\n| field | value |\n|---|---|\n"
        for (k, v) in rows { out += "| \(k) | \(cell(v)) |\n" }
        out += "\n### Input files\n\n| role | file | bytes | sha256 |\n|---|---|---|---|\n"
        for f in m.files {
            out += "| \(f.role) | `\(cell(f.name))` | \(f.bytes) | `\(f.sha256)` |\n"
        }
        return out
    }

    /// Inline code that survives backticks in the text.
    static func code(_ s: String) -> String { s.contains("`") ? "``\(s)``" : "`\(s)`" }

    /// A table cell: `|` escaped, newlines flattened.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

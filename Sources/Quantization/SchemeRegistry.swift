/// The one table of named model schemes (STYLE.md §3): sweeps, configs, the CLI and the parity tests all loop
/// over it. Adding a scheme = one `static let` on `ModelScheme` + one entry here.
///
/// Names written into result files are forever (STYLE.md §4): never rename an entry or reuse a name for
/// different numerics; retire a name by moving it to `retiredNames` below.
public enum SchemeRegistry {
    /// Every registered scheme, in display order.
    public static let table: [ModelScheme] = [
        .fp32,
        .pytorchDynamic,
        .pytorchDynamic8Bit,
        .pytorchDynamicPerChannel,
        .fp16,
        .bf16,
        .q8bertDynamic,
        .q8bertStatic,
        .weightOnlyInt8,
        .int4PerGroup,
        .smoothQuantPyTorchDynamic,
        .smoothQuantQ8BERTDynamic,
        .smoothQuantQ8BERTStatic,
        .pyTorchDynamicMP16,
        .q8bertDynamicMP16,
        .q8bertStaticMP16,
        .torchaoInt8Dynamic,
        .peg6,
        .peg6Permuted,
    ]

    /// Names that were published once and must never be registered again (none yet).
    public static let retiredNames: [String] = []

    /// Registered names, in table order.
    public static var names: [String] { table.map(\.name) }

    /// The scheme called `name`.
    /// - Throws: `QuantizationError.unknownScheme` listing every registered name.
    public static func scheme(named name: String) throws -> ModelScheme {
        guard let s = table.first(where: { $0.name == name }) else {
            throw QuantizationError.unknownScheme(name: name, registered: names)
        }
        return s
    }

    /// Self-check of the table: unique names, no retired name reused, every scheme valid.
    public static func validate() throws {
        var seen = Set<String>()
        for s in table {
            guard seen.insert(s.name).inserted, !retiredNames.contains(s.name) else {
                throw QuantizationError.duplicateScheme(name: s.name)
            }
            try s.validate()
        }
    }
}

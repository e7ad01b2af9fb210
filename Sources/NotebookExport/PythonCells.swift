/// The Python cells at the end of an export: paths, `results.json` as a pandas table, `stats.h5` as pandas
/// tables (h5py), and figure (b) — or (a) when there is no stats.h5 — redrawn with matplotlib. They run with the
/// notebook's folder as working directory (Jupyter's default) and need h5py, pandas and matplotlib.
enum PythonCells {
    /// `RUN` is the run folder relative to the notebook's folder (or absolute when they share no root).
    static func paths(run: String, hasStatistics: Bool) -> String {
        """
        # Paths relative to this notebook's folder (the working directory Jupyter gives a notebook).
        import os

        RUN = \(pythonString(run))  # the run folder, or the copy `qbench export` bundled beside the notebook
        RESULTS = os.path.join(RUN, "results.json")
        STATS = os.path.join(RUN, "stats.h5")\(hasStatistics ? "" : "  # this run has no stats.h5")
        """
    }

    static let results = """
        import json

        import pandas as pd

        with open(RESULTS) as f:
            results = json.load(f)
        table = pd.DataFrame(
            [
                {
                    "scheme": s["scheme"],
                    "kind": s["kind"],
                    "f1": (s.get("metrics") or {}).get("f1"),
                    "accuracy": (s.get("metrics") or {}).get("accuracy"),
                    "model_mb": s["model_bytes"] / 1e6,
                    "delta_f1": s.get("delta_f1"),
                    "flips_vs_fp32": s["flips_vs_fp32"],
                    # 95% paired-bootstrap intervals [lo, hi] and McNemar p vs FP32 (absent in older runs)
                    "f1_ci95": s.get("f1_ci95"),
                    "delta_f1_ci95": s.get("delta_f1_ci95"),
                    "mcnemar_p": s.get("mcnemar_p"),
                }
                for s in results["schemes"]
            ]
        ).set_index("scheme")
        table
        """

    static let statistics = """
        # stats.h5 layout: docs/hdf5-layout.md in QuantBench. Scheme groups use the scheme name with "/" replaced by "_".
        import h5py
        import numpy as np

        with h5py.File(STATS, "r") as f:
            layer_names = list(f["layer_names"].asstr()[()])
            schemes = [s for s in f.attrs["scheme_names"].splitlines() if s.replace("/", "_") in f["schemes"]]
            layer_sqnr = pd.DataFrame(
                {s: f["schemes"][s.replace("/", "_")]["summary"]["output_sqnr_db"][()] for s in schemes},
                index=pd.Index(layer_names, name="layer"),
            )
            depth_sqnr = pd.DataFrame(
                {
                    s: pd.Series(
                        f["schemes"][s.replace("/", "_")]["hidden_states"]["sqnr_db"][()],
                        index=f["schemes"][s.replace("/", "_")]["hidden_states"]["names"].asstr()[()],
                    )
                    for s in schemes
                }
            )
        print(depth_sqnr.round(2))
        layer_sqnr.replace(np.inf, np.nan).round(2)
        """

    static let redrawLayerSQNR = """
        # Figure (b) again, with matplotlib: output SQNR of every linear layer, one line per scheme.
        import matplotlib.pyplot as plt


        def short(name):
            parts = name.split(".")
            if name.startswith("encoder.layer."):
                rest = ".".join(parts[3:])
                names = {"attention.self.query": "query", "attention.self.key": "key", "attention.self.value": "value",
                         "attention.output.dense": "attn.out", "intermediate.dense": "ffn.in", "output.dense": "ffn.out"}
                return f"L{parts[2]} {names.get(rest, rest)}"
            return name


        x = np.arange(len(layer_sqnr))
        fig, ax = plt.subplots(figsize=(11, 4.8))
        for s in layer_sqnr.columns:
            ax.plot(x, layer_sqnr[s].replace(np.inf, np.nan), marker="o", markersize=3, linewidth=1.2, label=s)
        step = max(1, len(x) // 40)  # thin the labels when there are many layers
        ax.set_xticks(x[::step])
        ax.set_xticklabels([short(n) for n in layer_sqnr.index[::step]], rotation=90, fontsize=7)
        ax.set_xlabel("linear layer (forward order)")
        ax.set_ylabel("layer output SQNR (dB)")
        ax.set_title("Per-layer output SQNR vs FP32")
        ax.grid(alpha=0.3)
        # Legend below the axes (the inline backend saves with bbox_inches="tight", so it is kept whole).
        ax.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.42), frameon=False)
        plt.show()
        """

    static let redrawF1VersusSize = """
        # Figure (a) again, with matplotlib: F1 against model size, one point per scheme (error bar: 95% interval).
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 5))
        for name, row in table.dropna(subset=["f1"]).iterrows():
            points = ax.scatter(row["model_mb"], row["f1"], marker="*" if row["kind"] == "baseline" else "o", s=80)
            ci = row["f1_ci95"]
            if isinstance(ci, list):
                ax.errorbar(row["model_mb"], row["f1"], yerr=[[row["f1"] - ci[0]], [ci[1] - row["f1"]]], fmt="none",
                            capsize=3, ecolor=points.get_facecolor()[0])
            ax.annotate(name, (row["model_mb"], row["f1"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
        ax.set_xlabel("model size (MB)")
        ax.set_ylabel("F1")
        ax.set_title("F1 vs model size")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        plt.show()
        """

    /// A Python string literal (JSON's escapes are valid Python escapes).
    static func pythonString(_ s: String) -> String { JSONValue.quote(s) }
}

#!/usr/bin/env python3
"""Write the subset of a QuantBench stats.h5 that exported notebooks' Python cells read (keeps large runs' bundles
small enough for git): root attributes, /layer_names, and per scheme summary/output_sqnr_db and hidden_states/
{names, sqnr_db}. The SVG figures in the notebook were drawn from the full file at export time.

    python3 Tools/notebooks/prune_stats.py FULL.h5 OUT.h5
"""
import sys

import h5py


def main(src, dst):
    with h5py.File(src, "r") as f, h5py.File(dst, "w") as g:
        for k, v in f.attrs.items():
            g.attrs[k] = v
        g.attrs["quantbench_subset"] = "notebook subset of the run's stats.h5 (Tools/notebooks/prune_stats.py)"
        f.copy("layer_names", g)
        for name, scheme in f["schemes"].items():
            out = g.require_group(f"schemes/{name}")
            for k, v in scheme.attrs.items():
                out.attrs[k] = v
            if "summary" in scheme and "output_sqnr_db" in scheme["summary"]:
                f.copy(scheme["summary"]["output_sqnr_db"], out.require_group("summary"), name="output_sqnr_db")
            if "hidden_states" in scheme:
                hs = out.require_group("hidden_states")
                for k in ("names", "sqnr_db"):
                    if k in scheme["hidden_states"]:
                        f.copy(scheme["hidden_states"][k], hs, name=k)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

"""Benchmark: byoa's text/csv decoder against ``pandas.read_csv(header=None, dtype=str)``.

    python bench/serve/bench_csv.py          (or: make bench-csv)

The same bytes, side by side in one run: bank rows (10 of 20 columns text) and numeric rows
(60 floats) at 1, 100 and 10,000 rows per body. Figures are the best thread-CPU milliseconds per
call over several rounds (steady on a shared machine); ``ratio`` is pandas' time over byoa's
(above 1: byoa is faster). Goal (issue 14): at least 1 everywhere.
"""

from __future__ import annotations

import argparse
import functools
import io
import sys

import numpy as np
import pandas as pd
from bank import REPO_ROOT, bank_body
from bench_predict import per_call_ms

sys.path.insert(0, str(REPO_ROOT))  # this checkout's serve, not an installed copy

SIZES = (1, 100, 10_000)


def numeric_body(rows: int) -> bytes:
    values = np.round(np.random.default_rng(rows).uniform(0, 10, (rows, 60)), 1)
    buffer = io.StringIO()
    np.savetxt(buffer, values, delimiter=",", fmt="%.1f")
    return buffer.getvalue().encode()


def pandas_read(body: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(body), header=None, dtype=str)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.7, help="time per figure")
    arguments = parser.parse_args()

    from serve.codecs import csv_codec

    print("text/csv decoding, best thread-CPU ms per call (pandas / byoa = ratio)")
    print(f"{'body':>8} {'rows':>7} {'KB':>8} {'pandas':>9} {'byoa':>9} {'ratio':>7}")
    for name, make in (("bank", bank_body), ("numeric", numeric_body)):
        for rows in SIZES:
            body = make(rows)
            pandas_ms = min(per_call_ms(functools.partial(pandas_read, body), arguments.seconds)[1])
            decode = functools.partial(csv_codec.decode, body, {})
            byoa_ms = min(per_call_ms(decode, arguments.seconds)[1])
            print(f"{name:>8} {rows:>7} {len(body) / 1000:>8.1f} {pandas_ms:>9.3f} "
                  f"{byoa_ms:>9.3f} {pandas_ms / byoa_ms:>7.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

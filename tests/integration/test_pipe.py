"""Pipe mode through real FIFOs: the local feeder on one side, the channel reader on the other."""

from __future__ import annotations

import gzip
import os
import threading
import time
from pathlib import Path

import pytest

from container.channels import ChannelReader
from container.environment import ChannelConfig
from container.errors import DataError
from container.local_job import run_job
from container.local_pipe import FifoFeeder, feeding
from container.local_tree import ChannelInput, JobLayout
from container.pipe import PipeChannel, fifo_path, wait_for_fifo
from tests.fixtures.ddp_algorithm import SPEC
from tests.integration.scale_support import (
    hyperparameters,
    model_weights,
    use_fixture_algorithm,
    write_numeric_csv,
)

CSV = b"label,x\n1,0.5\n0,1.5\n1,2.5\n"


def pipe_reader(data_dir: Path, compression: str = "None") -> ChannelReader:
    config = ChannelConfig("train", "text/csv", "Pipe", compression, "FullyReplicated", "None")
    return ChannelReader("train", data_dir / "train", config)


def test_each_call_reads_the_next_epoch_fifo(tmp_path: Path) -> None:
    source = tmp_path / "source.csv"
    source.write_bytes(CSV)
    data_dir = tmp_path / "data"
    feeder = FifoFeeder(data_dir, "train", source)
    reader = pipe_reader(data_dir)
    with feeding([feeder]):
        first = reader.read_csv()
        second = reader.read_csv()
    assert first.equals(second)
    assert list(first["x"]) == [0.5, 1.5, 2.5]
    assert reader.pipe is not None and reader.pipe.next_epoch == 2
    assert feeder.epochs_fed >= 2
    assert not (data_dir / "train").exists(), "Pipe mode must not write the data to disk"


def test_gzip_channel_is_gunzipped_and_folder_files_are_concatenated(tmp_path: Path) -> None:
    source = tmp_path / "parts"
    source.mkdir()
    (source / "a.csv.gz").write_bytes(gzip.compress(b"1,0.5\n0,1.5\n"))
    (source / "b.csv.gz").write_bytes(gzip.compress(b"1,2.5\n"))
    data_dir = tmp_path / "data"
    reader = pipe_reader(data_dir, compression="Gzip")
    with feeding([FifoFeeder(data_dir, "train", source)]):
        table = reader.read_csv()
    assert table.shape == (3, 2)
    assert list(table["1"]) == [0.5, 1.5, 2.5]


def test_closing_an_epoch_early_moves_on_to_the_next(tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    source.write_bytes(b"0,1\n" * 500_000)
    data_dir = tmp_path / "data"
    channel = PipeChannel("train", data_dir, wait_seconds=10)
    with feeding([FifoFeeder(data_dir, "train", source)]):
        for _, stream in channel.open_epoch():
            assert stream.read(4) == b"0,1\n"
        for name, stream in channel.open_epoch():
            assert name == "train_1"
            assert len(stream.read()) == 2_000_000


def test_reader_waits_for_a_fifo_created_late(tmp_path: Path) -> None:
    path = fifo_path(tmp_path, "train", 0)
    timer = threading.Timer(0.3, os.mkfifo, args=(path,))
    started = time.monotonic()
    timer.start()
    try:
        assert wait_for_fifo(path, wait_seconds=10) == path
    finally:
        timer.cancel()
    assert time.monotonic() - started >= 0.25


def test_missing_fifo_is_a_clear_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"train_0 did not appear within 0.2 s"):
        wait_for_fifo(fifo_path(tmp_path, "train", 0), wait_seconds=0.2)


def test_a_regular_file_where_the_fifo_should_be_is_rejected(tmp_path: Path) -> None:
    fifo_path(tmp_path, "train", 0).write_text("not a pipe")
    with pytest.raises(DataError, match="is not a FIFO"):
        wait_for_fifo(fifo_path(tmp_path, "train", 0), wait_seconds=1)


def test_pipe_mode_model_equals_file_mode_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fixture_algorithm(monkeypatch)
    data = write_numeric_csv(tmp_path / "train.csv")
    weights = {}
    for mode in ("File", "Pipe"):
        layout = JobLayout(tmp_path / mode)
        channel = ChannelInput("train", data, "text/csv", input_mode=mode)
        layout.create([channel], hyperparameters(pipe_epochs=2 if mode == "Pipe" else 1))
        result = run_job(layout, SPEC, pipes=[channel])
        assert result.status == "Completed", result.failure_reason
        weights[mode] = model_weights(layout)
    assert not (tmp_path / "Pipe" / "opt" / "ml" / "input" / "data" / "train").exists()
    assert weights["Pipe"] == weights["File"]

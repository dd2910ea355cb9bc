"""Reading CSV channels in File mode: headers, separators, gzip, many files, nested folders."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from container.channels import (
    ChannelReader,
    csv_header_parameter,
    detect_separator,
    looks_like_header,
)
from container.environment import ChannelConfig
from container.errors import DataError


def reader(path: Path, content_type: str | None = None) -> ChannelReader:
    config = ChannelConfig("train", content_type, "File", "None", "FullyReplicated", "None")
    return ChannelReader("train", path, config)


def test_header_detected_and_semicolons_understood(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text('"age";"job";"y"\n56;"housemaid";"no"\n57;"services";"yes"\n')
    table = reader(tmp_path).read_csv()
    assert list(table.columns) == ["age", "job", "y"]
    assert table["job"].tolist() == ["housemaid", "services"]


def test_headerless_file_gets_numbered_columns(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("1,2.5,x\n0,3.5,y\n")
    table = reader(tmp_path).read_csv()
    assert list(table.columns) == ["0", "1", "2"]
    assert len(table) == 2


def test_content_type_header_parameter_wins_over_detection(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("red,blue\ngreen,red\n")
    assert len(reader(tmp_path, "text/csv;header=absent").read_csv()) == 2
    assert len(reader(tmp_path, "text/csv; header=present").read_csv()) == 1


def test_gzip_many_files_and_nested_folders_in_key_order(tmp_path: Path) -> None:
    (tmp_path / "part-2").mkdir()
    (tmp_path / "part-1.csv").write_text("a,b\n1,2\n")
    with gzip.open(tmp_path / "part-2" / "data.csv.gz", "wt") as handle:
        handle.write("a,b\n3,4\n5,6\n")
    (tmp_path / "part-2" / "plain-gzip-without-suffix").write_bytes(gzip.compress(b"a,b\n7,8\n"))
    (tmp_path / ".hidden.csv").write_text("a,b\n99,99\n")
    (tmp_path / "empty.csv").write_text("")
    table = reader(tmp_path).read_csv()
    assert table["a"].tolist() == [1, 3, 5, 7]


def test_files_with_different_columns_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1.csv").write_text("a,b\n1,2\n")
    (tmp_path / "2.csv").write_text("a,c\n1,2\n")
    with pytest.raises(DataError, match="all files of a channel need the same columns"):
        reader(tmp_path).read_csv()


def test_empty_channel_says_which_and_where(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"channel 'train' is empty: no data files under"):
        reader(tmp_path).data_files()


def test_header_only_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("age,y\n")
    with pytest.raises(DataError, match="has a header but no data rows"):
        reader(tmp_path).read_csv()


@pytest.mark.parametrize(
    ("line", "separator"),
    [
        ("a,b,c", ","),
        ("a;b;c", ";"),
        ("a\tb", "\t"),
        ("a|b|c", "|"),
        ('"x;y",z', ","),
        ("single", ","),
    ],
)
def test_separator_detection(line: str, separator: str) -> None:
    assert detect_separator(line) == separator


def test_header_heuristics() -> None:
    assert looks_like_header(["age,job", "56,housemaid"], ",")
    assert not looks_like_header(["56,housemaid", "57,services"], ",")
    assert csv_header_parameter("text/csv;charset=utf-8;header=present") is True
    assert csv_header_parameter("text/csv") is None


def test_header_of_a_very_wide_gzipped_file_is_detected(tmp_path: Path) -> None:
    names = [f"feature_with_a_long_name_{i}" for i in range(1500)]
    rows = [",".join(names), ",".join(["1.5"] * 1500), ",".join(["2.5"] * 1500)]
    (tmp_path / "wide.csv.gz").write_bytes(gzip.compress("\n".join(rows).encode() + b"\n"))
    table = reader(tmp_path).read_csv()
    assert table.shape == (2, 1500)
    assert table.columns[-1] == "feature_with_a_long_name_1499"

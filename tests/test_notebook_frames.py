"""notebooks/data-frames.ipynb runs top to bottom and shows what its text promises.

The word counts are computed here from the CSV with Python's own `re`, so the
check follows the notebook's data, not copied outputs.
"""

from __future__ import annotations

import base64
import re
from collections import Counter

import nbformat
import pandas as pd
import pytest

from tests.notebook_helpers import (
    NOTEBOOKS,
    cell_containing,
    result_text,
    run_tour_notebook,
    stream_text,
)

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def frames() -> nbformat.NotebookNode:
    return run_tour_notebook("data-frames.ipynb")


def expected_counts() -> Counter[tuple[str, str]]:
    reviews = pd.read_csv(NOTEBOOKS / "data" / "reviews.csv")
    counts: Counter[tuple[str, str]] = Counter()
    for rating, text in zip(reviews.rating, reviews.text, strict=True):
        group = "high" if rating >= 4 else "low" if rating <= 2 else None
        if group:
            counts.update((group, word) for word in re.findall("[a-z]+", text.lower()))
    return counts


def test_lua_reads_the_text_and_rating_columns_in_place(frames: nbformat.NotebookNode) -> None:
    reviews = pd.read_csv(NOTEBOOKS / "data" / "reviews.csv")
    printed = stream_text(cell_containing(frames, 'print("first review:"')).splitlines()
    assert printed == [
        f"text column of {len(reviews)} strings",
        f"first review:\t{reviews.text[0]}\trated\t{reviews.rating[0]}",
    ]


def test_the_lua_word_counts_come_back_as_a_typed_frame(frames: nbformat.NotebookNode) -> None:
    counts = expected_counts()
    assert stream_text(cell_containing(frames, "distinct (group, word)")) == (
        f"{len(counts)}\tdistinct (group, word) pairs\n"
    )
    dtypes = result_text(cell_containing(frames, "word_counts.dtypes")).split()
    assert dtypes[:6] == ["group", "str", "word", "str", "count", "int64"]
    top = result_text(cell_containing(frames, "groupby"))
    stop = {"the", "a", "my", "this", "is"}
    ranked = sorted(
        ((-n, word, group) for (group, word), n in counts.items() if word not in stop),
    )
    best_high = next((word, -n) for n, word, group in ranked if group == "high")
    assert re.search(rf"high\s+{best_high[0]}\s+{best_high[1]}\b", top)


def test_the_plot_is_an_image(frames: nbformat.NotebookNode) -> None:
    cell = cell_containing(frames, "plot.barh")
    images = [o["data"]["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1 and base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_pitfall_and_the_right_way(frames: nbformat.NotebookNode) -> None:
    cell = cell_containing(frames, "ilupa.frames.to_frame(small, session)")
    assert stream_text(cell) == "pd.DataFrame(t): (2, 1) - not the records\n"
    assert result_text(cell).split() == ["n", "name", "0", "1", "one", "1", "2", "two"]

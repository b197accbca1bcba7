"""The Lua-libraries tour stop runs top to bottom: lpeg, Penlight and cjson on data from Python."""

from __future__ import annotations

import pytest

from tests.notebook_helpers import cell_containing, result_text, run_tour_notebook, stream_text

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def notebook():
    return run_tour_notebook("lua-libraries.ipynb")


def test_lpeg_parses_every_line_of_the_python_list(notebook):
    assert result_text(cell_containing(notebook, "require 'lpeg'")) == "4"


def test_penlight_pretty_prints_the_parsed_entries(notebook):
    text = stream_text(cell_containing(notebook, "require 'pl.pretty'"))
    assert 'level = "ERROR"' in text and 'message = "cell 7 failed"' in text
    assert "{ERROR=1,INFO=2,WARN=1}" in text


def test_cjson_hands_python_the_counts(notebook):
    assert (
        result_text(cell_containing(notebook, "json.loads")) == "{'ERROR': 1, 'INFO': 2, 'WARN': 1}"
    )


def test_the_search_path_is_shown_with_origins(notebook):
    text = stream_text(cell_containing(notebook, "%lua_path"))
    assert "distribution" in text and "user LuaRocks tree" in text


def test_a_module_of_another_lua_version_is_refused_and_the_state_kept(notebook):
    cell = cell_containing(notebook, "pcall(require, 'lfs')")
    assert "false\terror loading module 'lfs'" in stream_text(cell)
    assert "built for Lua 5.3" in stream_text(cell)
    assert result_text(cell) == "4"

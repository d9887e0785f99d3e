"""A notebook's code cells as one virtual script: IPython syntax blanked in place, positions mapped
both ways, ``.ipynb`` read with clear errors and written back with only cell sources changed."""

from __future__ import annotations

import json

import pytest
from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.notebook import (
    Cell,
    NotebookError,
    blank_ipython,
    read_notebook,
    virtual_script,
    write_sources,
)
from fxlens.workspace.parse import parse_document


def test_code_cells_in_order_make_one_script_and_markdown_is_skipped() -> None:
    cells = [
        Cell("markdown", "# Title\nprose"),
        Cell("code", "import torch\n"),
        Cell("raw", "x"),
        Cell("code", "y = 1"),
    ]
    script = virtual_script(cells)
    assert script.text == "import torch\n\ny = 1"
    assert [(s.index, s.start, s.lines) for s in script.spans] == [(1, 0, 2), (3, 2, 1)]


def test_magics_and_shell_lines_are_blanked_to_spaces_of_the_same_length() -> None:
    source = "%matplotlib inline\nimport torch\n  !pip install timm\nfiles = !ls\nx = 5 % 2\ny = a != b\n"
    blanked = blank_ipython(source)
    assert blanked.splitlines() == [
        " " * len("%matplotlib inline"),
        "import torch",
        " " * len("  !pip install timm"),
        " " * len("files = !ls"),
        "x = 5 % 2",
        "y = a != b",
    ]
    assert len(blanked) == len(source)


def test_a_cell_magic_blanks_the_whole_cell_and_keeps_its_lines() -> None:
    source = "%%time\nmodel = resnet18()\r\nprint(model)"
    assert blank_ipython(source) == "      \n" + " " * 18 + "\r\n" + " " * 12


def test_a_continued_magic_line_is_blanked_with_its_continuation() -> None:
    assert blank_ipython("%pip install \\\n    timm\nx = 1") == " " * 14 + "\n" + " " * 8 + "\nx = 1"


def test_positions_map_from_virtual_script_to_cell_and_back() -> None:
    script = virtual_script(
        [Cell("code", "a = 1\nb = 2", "cell-a"), Cell("markdown", "m"), Cell("code", "c = 3", "cell-c")]
    )
    span, where = script.to_cell(Position(2, 4))
    assert (span.key, span.index, where) == ("cell-c", 2, Position(0, 4))
    assert script.from_cell(span, where) == Position(2, 4)
    assert script.span_of("cell-a").start == 0 and script.span_of("missing") is None
    assert script.span_at(7) is None


def test_a_range_reaching_into_the_next_cell_is_cut_at_its_own_cell_end() -> None:
    script = virtual_script([Cell("code", "a = [\n  1,"), Cell("code", "]")])
    span, where = script.range_to_cell(Range(Position(0, 4), Position(2, 1)))
    assert span.index == 0 and where == Range(Position(0, 4), Position(1, 4))


def test_crlf_cells_keep_their_line_numbers_in_the_parsed_script() -> None:
    script = virtual_script(
        [
            Cell("code", "from torchvision.models.feature_extraction import create_feature_extractor\r\n\r\n"),
            Cell("code", 'create_feature_extractor(m, return_nodes=["x"])'),
        ]
    )
    doc = parse_document("file:///nb.ipynb", script.text)
    (site,) = doc.call_sites
    (query,) = site.node_arguments[0].queries
    span, where = script.range_to_cell(query.name.range)
    assert span.index == 1 and where.start.line == 0 and where.start.column == 43


def _notebook(cells: list[dict]) -> str:
    return (
        json.dumps(
            {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5},
            indent=1,
        )
        + "\n"
    )


def test_reading_an_ipynb_takes_sources_given_as_lists_or_strings() -> None:
    text = _notebook([
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": ["a = 1\n", "b = 2"]},
        {"cell_type": "markdown", "metadata": {}, "source": "# hi"},
    ])  # fmt: skip
    notebook = read_notebook(text)
    assert notebook.cells == (Cell("code", "a = 1\nb = 2"), Cell("markdown", "# hi"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a notebook: invalid JSON at line 1, column 2"),
        ('{"nbformat": 4}', "no `cells` list"),
        ('{"cells": [], "nbformat": 3}', "not an nbformat 4 notebook (nbformat is 3)"),
        ('{"cells": [{"source": "x"}], "nbformat": 4}', "cell 1 is not a cell"),
        ('{"cells": [{"cell_type": "code", "source": 5}], "nbformat": 4}', "cell 1: `source` is neither"),
    ],
)
def test_a_file_that_is_no_nbformat_4_notebook_says_why(text: str, message: str) -> None:
    with pytest.raises(NotebookError, match=None) as raised:
        read_notebook(text)
    assert message in str(raised.value)


def test_writing_back_changes_only_the_given_cell_sources() -> None:
    outputs = [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}]
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["t"]}, "outputs": outputs, "execution_count": 3,
         "source": ["a = 1\n", "b = 2\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "c = 3"},
    ]  # fmt: skip
    text = _notebook(cells)
    written = write_sources(read_notebook(text), {0: "a = 10\nb = 2\n"})
    assert json.loads(written)["cells"][0] == {**cells[0], "source": ["a = 10\n", "b = 2\n"]}
    assert json.loads(written)["cells"][1] == cells[1]
    assert written == text.replace('"a = 1\\n"', '"a = 10\\n"')

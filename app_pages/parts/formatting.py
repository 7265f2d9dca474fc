"""Tables written for the page (percentages: mnist_core.analysis.evaluate.pct)."""

from __future__ import annotations


def markdown_table(rows: list[dict], align: dict | None = None) -> str:
    """Rows as a Markdown table for st.markdown. A small static table drawn this way needs no
    pandas in the server nor the data grid's code in the browser (st.table and st.dataframe
    need both, a second on a fresh server's first page)."""
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    heads = list(rows[0]) if rows else []
    marks = {"left": ":--", "right": "--:"}
    lines = ["| " + " | ".join(heads) + " |",
             "| " + " | ".join(marks.get((align or {}).get(h, "left"), ":--") for h in heads) + " |"]
    lines += ["| " + " | ".join(cell(row[h]) for h in heads) + " |" for row in rows]
    return "\n".join(lines)

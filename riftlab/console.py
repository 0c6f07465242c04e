"""How riftlab shows results: one renderer for each kind of result, whichever command or stage shows it."""

from __future__ import annotations

from warehouse.runner.build import NodeResult

#: node status -> (label, colour)
NODE_STATUS = {
    "success": ("OK", "green"),
    "error": ("ERROR", "red"),
    "skipped": ("SKIP", "yellow"),
    # data tests, as dbt build shows them
    "pass": ("PASS", "green"),
    "fail": ("FAIL", "red"),
    "warn": ("WARN", "yellow"),
}


def node_line(index: int, total: int, result: NodeResult) -> tuple[str, str, str, str]:
    """A node's line, dbt-style, in parts, and the label's colour.

    The parts: '  3 of 12 ', 'OK   ', ' table  champions ....... 171 rows in 0.12s'.
    """
    label, colour = NODE_STATUS[result.status]
    kind = result.materialized if result.kind == "model" else result.kind
    if result.kind == "test":
        detail = f"{result.rows} failing row(s)" if result.status in ("fail", "warn") else ""
    else:
        detail = f"{result.rows} rows in {result.seconds:.2f}s" if result.status == "success" else ""
    tail = f" {kind:<11} {result.name} " + "." * max(3, 60 - len(result.name) - len(kind)) + f" {detail}"
    return f"{index:>3} of {total} ", f"{label:<5}", tail, colour


def summarize_build(results: list[NodeResult]) -> str:
    nodes = [r for r in results if r.kind != "test"]
    counts = {status: sum(r.status == status for r in nodes) for status in NODE_STATUS}
    summary = f"{counts['success']} built, {counts['error']} failed, {counts['skipped']} skipped"
    tests = [r for r in results if r.kind == "test"]
    if tests:
        summary += "; " + summarize_tests(tests)
    return summary


def summarize_tests(results: list[NodeResult]) -> str:
    """'tests: 9 passed, 1 failed, 1 warned, 0 errored, 2 skipped'."""
    counts = {
        status: sum(r.status == status for r in results) for status in ("pass", "fail", "warn", "error", "skipped")
    }
    return (
        f"tests: {counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warned, "
        f"{counts['error']} errored, {counts['skipped']} skipped"
    )


def print_node(console, index: int, total: int, result: NodeResult) -> None:
    """One node's line (and its error lines) on a rich console."""
    head, label, tail, colour = node_line(index, total, result)
    console.print(f"{head}[{colour}]{label}[/]{tail}", highlight=False, soft_wrap=True)
    for line in (result.error or "").splitlines():
        console.print(f"      {line}", style=colour, markup=False, highlight=False, soft_wrap=True)

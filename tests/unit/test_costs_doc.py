"""docs/costs.md and the README's cost line are the estimate's output
(scripts/costs_doc.py), from the roles' defaults and the price table, not
typed by hand."""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("costs_doc", ROOT / "scripts/costs_doc.py")
costs_doc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(costs_doc)


def test_docs_costs_md_is_the_estimates_output():
    assert (ROOT / "docs/costs.md").read_text() == costs_doc.render(), \
        "docs/costs.md differs from the estimate: run python3 scripts/costs_doc.py --write"


def test_the_readme_cost_line_is_the_estimates_output():
    readme = (ROOT / "README.md").read_text()
    assert f"<!-- cost line: scripts/costs_doc.py -->\n{costs_doc.readme_line()}\n<!-- end of the cost line -->" \
        in readme, "the README's cost line differs from the estimate: run python3 scripts/costs_doc.py --write"


def test_the_defaults_worst_case_is_within_the_budget():
    _, worst = costs_doc.totals()["worst"]
    print(f"the defaults' worst case: ${worst} a month of ${costs_doc.BUDGET}")
    assert worst <= costs_doc.BUDGET

"""The small fast task: a typed shopping-cart library broken in six places.

Shipped inside the package (`project/`) so the default demo and CI need nothing from the
network. The six breaks cover all three judges: two wrong annotations (3 mypy errors), two
lint errors (F401, F841) and two logic bugs (4 failing tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tasks.judge import JudgeCommand, JudgeResult, run_judge
from tasks.model import Fix
from tasks.protected import clear_tool_caches, remove_unjudgeable, restore_protected
from tasks.sandbox import Sandbox
from tasks.type_cache import seed_mypy_cache
from tasks.workspace import TOOL_CACHE_DIRS, apply_replacement, copy_tree, tree_digest
from tasks.workspace_files import read_text, regular_files

PROJECT_DIR = Path(__file__).parent / "project"
# What the prompt lets the agent change; everything else is put back before judging.
EDITABLE = ("shopcart",)

_SUPPRESSION = re.compile(r"#\s*(type:\s*ignore|noqa)")

FIXES: tuple[Fix, ...] = (
    Fix(
        id="tiny-mypy-format",
        path="shopcart/money.py",
        category="mypy",
        description="Money.format is annotated to return int but builds a str",
        broken="    def format(self) -> int:\n",
        original="    def format(self) -> str:\n",
    ),
    Fix(
        id="tiny-mypy-receipt",
        path="shopcart/receipt.py",
        category="mypy",
        description="render_receipt is annotated to return list[str] but returns a str",
        broken="def render_receipt(cart: Cart, rate_percent: int) -> list[str]:\n",
        original="def render_receipt(cart: Cart, rate_percent: int) -> str:\n",
    ),
    Fix(
        id="tiny-ruff-f401",
        path="shopcart/pricing.py",
        category="ruff",
        description="unused import os (F401)",
        broken="from shopcart.money import ZERO, Money\nimport os\n",
        original="from shopcart.money import ZERO, Money\n",
    ),
    Fix(
        id="tiny-ruff-f841",
        path="shopcart/cart.py",
        category="ruff",
        description="unused local variable count in Cart.subtotal (F841)",
        broken=(
            "    def subtotal(self) -> Money:\n"
            "        count = len(self.lines)\n"
            "        amount = ZERO\n"
        ),
        original="    def subtotal(self) -> Money:\n        amount = ZERO\n",
    ),
    Fix(
        id="tiny-pytest-threshold",
        path="shopcart/pricing.py",
        category="pytest",
        description="the bulk discount skips carts holding exactly BULK_THRESHOLD items",
        broken="    if cart.item_count() > BULK_THRESHOLD:\n",
        original="    if cart.item_count() >= BULK_THRESHOLD:\n",
    ),
    Fix(
        id="tiny-pytest-rounding",
        path="shopcart/money.py",
        category="pytest",
        description="Money.percent truncates instead of rounding half up",
        broken="        return Money((self.cents * pct) // 100)\n",
        original="        return Money((self.cents * pct + 50) // 100)\n",
    ),
)

PROMPT = """\
You are working in a checkout of `shopcart`, a small typed Python library (package in
`shopcart/`, tests in `tests/`). Its checks currently fail. Make all three pass:

    mypy shopcart
    ruff check .
    pytest -q

Rules: do not edit or delete tests, do not add `# type: ignore` or `# noqa`, and change only
files under `shopcart/`. When the checks pass, reply with a short summary of what you changed.
"""


class TinyTask:
    id = "tiny"
    version = "1"
    title = "shopcart: 2 mypy, 2 ruff and 2 logic breaks (small, fast)"
    prompt = PROMPT
    check_command = (
        "mypy shopcart; ruff check --output-format concise .; pytest -q -p no:cacheprovider"
    )
    recheck_command = check_command
    command_timeout_s = 120.0
    cpus = 1
    fixes = FIXES

    def environment(self, root: Path) -> dict[str, str]:
        return {}

    def category_command(self, category: str) -> str:
        for part in self.check_command.split(";"):
            if part.strip().startswith(category):
                return part.strip()
        return self.check_command

    def provision(self, say: Callable[[str], None]) -> None:
        """Shipped inside the package: nothing to fetch."""

    def provisioned(self) -> bool:
        return True

    def prepare_clean(self, root: Path) -> None:
        copy_tree(PROJECT_DIR, root)

    def prepare(self, root: Path) -> None:
        copy_tree(PROJECT_DIR, root)
        seed_mypy_cache(root, PROJECT_DIR, ("shopcart",))
        for fix in self.fixes:
            apply_replacement(root / fix.path, fix.original, fix.broken)

    def judge_commands(self) -> tuple[JudgeCommand, ...]:
        return (
            # -P: the workspace is not put first on sys.path, so no `pytest.py` or `mypy/`
            # the agent wrote runs in place of the real tool.
            JudgeCommand("mypy", ("python", "-P", "-m", "mypy", "shopcart")),
            JudgeCommand(
                "ruff", ("python", "-P", "-m", "ruff", "check", "--output-format", "json", ".")
            ),
            JudgeCommand(
                "pytest", ("python", "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider")
            ),
        )

    def verify(self, root: Path) -> list[str]:
        problems: list[str] = []
        if tree_digest(root, "tests") != tree_digest(PROJECT_DIR, "tests"):
            problems.append("tests/ was changed; the task forbids editing or deleting tests")
        for relative in regular_files(root / "shopcart", TOOL_CACHE_DIRS):
            if relative.endswith(".py"):
                text = read_text(root / "shopcart", relative)
                if _SUPPRESSION.search(text):
                    problems.append(f"shopcart/{relative} adds a type: ignore or noqa comment")
        return problems

    def read_only_paths(self) -> tuple[Path, ...]:
        return ()

    def judge(self, root: Path, sandbox: Sandbox | None = None) -> JudgeResult:
        problems = self.verify(root) + remove_unjudgeable(root)
        clear_tool_caches(root)
        owner = sandbox.owner if sandbox is not None else None
        protected = restore_protected(root, PROJECT_DIR, EDITABLE, owner=owner)
        seed_mypy_cache(root, PROJECT_DIR, ("shopcart",))
        if sandbox is not None and (root / ".mypy_cache").is_dir():
            sandbox.adopt(root / ".mypy_cache")
        return run_judge(
            root, self.judge_commands(), problems, sandbox=sandbox, protected=protected
        )

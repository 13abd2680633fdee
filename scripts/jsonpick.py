#!/usr/bin/env python3
"""Reads JSON on stdin and prints some of its fields: what the docs use instead of ``jq``.

    curl -s ... | python3 scripts/jsonpick.py access            # one field: its raw value
    curl -s ... | python3 scripts/jsonpick.py id status          # several: {"id": 7, "status": ...}
    curl -s ... | python3 scripts/jsonpick.py results.0.id       # dots go into objects and lists
    curl -s ... | python3 scripts/jsonpick.py 'transactions[].amount'   # [] maps over a list
    curl -s ... | python3 scripts/jsonpick.py                    # the whole document, one line

Only the standard library: it runs with the system python3. A missing field is printed as
null; input that is not JSON is echoed to stderr and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def pick(value: Any, path: str) -> Any:
    if not path:
        return value
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = pick(value, head[:-2]) if head[:-2] else value
        return [pick(item, rest) for item in items or []]
    if isinstance(value, list):
        try:
            return pick(value[int(head)], rest)
        except (ValueError, IndexError):
            return None
    if isinstance(value, dict):
        return pick(value.get(head), rest) if head in value else None
    return None


def render(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def main(argv: list[str]) -> int:
    text = sys.stdin.read()
    try:
        document = json.loads(text)
    except ValueError:
        sys.stderr.write(f"não é JSON: {text[:500]}\n")
        return 1
    if not argv:
        print(render(document))
    elif len(argv) == 1:
        print(render(pick(document, argv[0])))
    else:
        print(json.dumps({path: pick(document, path) for path in argv}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The shell blocks of README.md and docs/: extraction, the markers, and output matching.

Conventions (written in the markdown, visible to anyone editing it):

- every fenced ````bash`` block runs, in the order of ``DOCUMENTS`` and of the file, in one
  shared ``bash -euo pipefail`` session (variables carry over from block to block);
- ``<!-- doc-test: skip (reason) -->`` right before a block keeps it out (Docker-mode
  commands, ``./setup.sh`` itself, ``./run_tests.sh``...); the reason is mandatory;
- a ``# → text`` line inside a block is output the block must print: ``…`` stands for
  anything, whitespace is ignored, and the lines must match in order;
- ``<!-- doc-test: output -->`` right before a non-bash block says the previous bash block
  prints it (same matching).

The documented ports (8000 for the API, 8001 for the emulator) are rewritten to the ports
of the stack the test starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Reading order: the README first, then the docs it links, in the order it lists them.
DOCUMENTS: tuple[str, ...] = (
    "README.md",
    "docs/api.md",
    "docs/agenda.md",
    "docs/pagamentos.md",
    "docs/demo.md",
    "docs/operacao.md",
    "docs/testes.md",
    "docs/arquitetura.md",
    "docs/RELIABILITY.md",
    "docs/BENCHMARKS.md",
)

FENCE = re.compile(r"^(\s*)(`{3,})\s*([\w+-]*)(.*)$")
SKIP = re.compile(r"<!--\s*doc-test:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->")
OUTPUT = re.compile(r"<!--\s*doc-test:\s*output\s*-->")
ARROW = re.compile(r"^\s*#\s*→\s?(?P<expected>.*)$")


@dataclass
class Block:
    path: str
    line: int
    code: str
    skip_reason: str = ""
    expected: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.path}:{self.line}"


def parse(path: str, text: str) -> list[Block]:
    """The bash blocks of one markdown file, with their markers and expected output."""
    blocks: list[Block] = []
    lines = text.splitlines()
    previous = ""  # the last non-blank line outside a block
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        indent, fence, lang = match.group(1), match.group(2), match.group(3)
        start = index + 1
        end = start
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        body = "\n".join(
            line[len(indent) :] if line.startswith(indent) else line for line in lines[start:end]
        )
        if lang == "bash":
            skip = SKIP.search(previous)
            reason = skip["reason"] if skip else ""
            block = Block(path=path, line=start, code=body, skip_reason=reason)
            block.expected = [m["expected"] for m in map(ARROW.match, body.splitlines()) if m]
            blocks.append(block)
        elif OUTPUT.search(previous):
            if not blocks:
                raise ValueError(f"{path}:{start}: an output block with no bash block before it")
            blocks[-1].expected.append(body)
        previous = ""
        index = end + 1
    return blocks


def all_blocks(root: Path = ROOT) -> list[Block]:
    blocks: list[Block] = []
    for name in DOCUMENTS:
        blocks.extend(parse(name, (root / name).read_text(encoding="utf-8")))
    return blocks


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def missing_output(
    expected: list[str], output: str, *, web_port: int = 8000, emulator_port: int = 8001
) -> str | None:
    """The first expected text the output lacks (in order, ``…`` = anything), or ``None``."""
    haystack = _squeeze(output)
    position = 0
    for documented in expected:
        text = rewrite_ports(documented, web_port=web_port, emulator_port=emulator_port)
        for fragment in _squeeze(text).split("…"):
            if not fragment:
                continue
            found = haystack.find(fragment, position)
            if found < 0:
                return fragment
            position = found + len(fragment)
    return None


def rewrite_ports(code: str, *, web_port: int, emulator_port: int) -> str:
    code = re.sub(r"\b(localhost|127\.0\.0\.1):8000\b", rf"\g<1>:{web_port}", code)
    return re.sub(r"\b(localhost|127\.0\.0\.1):8001\b", rf"\g<1>:{emulator_port}", code)


BEGIN = "@@doc-block-begin {}@@"
END = "@@doc-block-end {}@@"


def session_script(blocks: list[Block], *, web_port: int, emulator_port: int) -> str:
    """One bash script running every block in order, each between markers on stdout."""
    parts = ["set -euo pipefail"]
    for number, block in enumerate(blocks):
        code = rewrite_ports(block.code, web_port=web_port, emulator_port=emulator_port)
        parts += [f"echo '{BEGIN.format(number)}'", code, f"echo '{END.format(number)}'"]
    return "\n".join(parts) + "\n"


def split_output(output: str, count: int) -> tuple[dict[int, str], set[int]]:
    """Per block: its output, and which blocks reached their end marker."""
    outputs: dict[int, str] = {}
    finished: set[int] = set()
    for number in range(count):
        begin = output.find(BEGIN.format(number))
        if begin < 0:
            break
        begin += len(BEGIN.format(number))
        end = output.find(END.format(number), begin)
        if end < 0:
            outputs[number] = output[begin:]
            break
        outputs[number] = output[begin:end]
        finished.add(number)
    return outputs, finished

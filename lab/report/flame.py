"""A sampling profile in collapsed-stack form, written as a speedscope profile and an SVG flame graph.

py-spy records once (``--format raw``: one line per distinct stack, ``frame;frame;frame count``);
both files are made from those same samples.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from html import escape
from pathlib import Path

__all__ = ["read_collapsed", "speedscope", "flame_svg"]

Stacks = list[tuple[list[str], int]]


def read_collapsed(path: Path) -> Stacks:
    """The stacks and their sample counts of a collapsed-stack file (root frame first)."""
    stacks: Stacks = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def speedscope(stacks: Stacks, name: str) -> dict:
    """A speedscope "sampled" profile of ``stacks`` (weights are sample counts)."""
    index: dict[str, int] = {}
    samples, weights = [], []
    for frames, count in stacks:
        samples.append([index.setdefault(f, len(index)) for f in frames])
        weights.append(count)
    total = sum(weights)
    return {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": [{"name": f} for f in index]},
        "profiles": [
            {
                "type": "sampled",
                "name": name,
                "unit": "none",
                "startValue": 0,
                "endValue": total,
                "samples": samples,
                "weights": weights,
            }
        ],
        "name": name,
        "exporter": "lab",
    }


def _tree(stacks: Iterable[tuple[list[str], int]]) -> dict:
    root: dict = {"count": 0, "children": {}}
    for frames, count in stacks:
        node = root
        node["count"] += count
        for frame in frames:
            node = node["children"].setdefault(frame, {"count": 0, "children": {}})
            node["count"] += count
    return root


def flame_svg(stacks: Stacks, title: str, width: int = 1200, row: int = 16) -> str:
    """An SVG flame graph (root at the bottom, width proportional to samples; hover for the counts)."""
    root = _tree(stacks)
    total = root["count"] or 1
    boxes: list[str] = []
    depth_max = 0

    def draw(node: dict, name: str, x: float, depth: int) -> None:
        nonlocal depth_max
        w = node["count"] / total * width
        if w < 0.5:
            return
        depth_max = max(depth_max, depth)
        label = f"{name} ({node['count']:,} samples, {node['count'] / total:.1%})"
        hue = 20 + zlib.crc32(name.encode()) % 40
        boxes.append(
            f'<g><title>{escape(label)}</title><rect x="{x:.1f}" y="{{y{depth}}}" width="{w:.1f}" '
            f'height="{row - 1}" fill="hsl({hue},85%,60%)"/>'
            + (
                f'<text x="{x + 3:.1f}" y="{{t{depth}}}" font-size="11">{escape(name[: int(w / 7)])}</text>'
                if w > 30
                else ""
            )
            + "</g>"
        )
        offset = x
        for child_name, child in node["children"].items():
            draw(child, child_name, offset, depth + 1)
            offset += child["count"] / total * width

    draw(root, "all", 0.0, 0)
    height = (depth_max + 2) * row + 20
    body = "".join(boxes)
    for depth in range(depth_max + 1):
        y = height - (depth + 1) * row
        body = body.replace(f"{{y{depth}}}", str(y)).replace(f"{{t{depth}}}", str(y + row - 4))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace"><text x="4" y="14" font-size="13">{escape(title)}</text>{body}</svg>'
    )

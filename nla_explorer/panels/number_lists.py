"""Lines of a card cut into words that never split a list of numbers, and lists made shorter.

A list such as ``[-0.746, 0.246, …]`` read from the back row must stay one thing: a line may
break between words, never between its ``[`` and ``]``. Where a list is wider than a whole line
it shows fewer of its numbers (``[[-2.157, -1.393, …]]``) instead. No Qt here: the widths come
from the label that lays the words out (``list_labels``).
"""

from __future__ import annotations

import re
from typing import Callable

#: What ``card_numbers.fmt`` and ``value_text.short_text`` write inside a list of numbers.
_NUMBER_LIST = re.compile(r"\[[\[\]\s\d.,+\-eE…nanif]*\]")
#: Words that read with their neighbour: "∂f/∂x +=" and "→ x.grad" keep together.
_WITH_PREVIOUS = {"=", "+="}
_WITH_NEXT = {"→"}


def list_spans(text: str) -> list[tuple[int, int]]:
    """Where the outermost bracketed lists of ``text`` start and end (end exclusive)."""
    spans, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "[":
            start = i if depth == 0 else start
            depth += 1
        elif char == "]" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def parse_list(text: str):
    """``"[[1, 2], [3, 4]]"`` → ``[["1", "2"], ["3", "4"]]``; None if ``text`` is not a whole
    list of numbers."""
    if not _NUMBER_LIST.fullmatch(text) or not re.search(r"\d|nan|inf", text):
        return None
    at = 0

    def item():
        nonlocal at
        if text[at] != "[":
            end = at
            while end < len(text) and text[end] not in ",]":
                end += 1
            leaf, at = text[at:end].strip(), end
            return leaf
        at += 1
        items = []
        while text[at] != "]":
            items.append(item())
            if text[at] == ",":
                at += 1
                while text[at] == " ":
                    at += 1
        at += 1
        return items

    try:
        tree = item()
    except IndexError:
        return None
    return tree if at == len(text) and isinstance(tree, list) else None


def leaves(tree) -> int:
    """How many numbers a parsed list holds."""
    return 1 if isinstance(tree, str) else sum(leaves(child) for child in tree)


def render(tree, budget: int) -> tuple[str, int]:
    """The list written with its first ``budget`` numbers, ``…`` where it is cut; and how many
    numbers that shows."""
    if isinstance(tree, str):
        return tree, 1
    parts, used = [], 0
    for child in tree:
        if used >= budget:
            parts.append("…")
            break
        text, shown = render(child, budget - used)
        parts.append(text)
        used += shown
    return "[" + ", ".join(parts) + "]", used


def forms(word: str) -> tuple[str, ...]:
    """``word`` as written, then with its lists of numbers shorter and shorter, down to one
    number each (a word without a list has one form)."""
    spans = [(a, b, parse_list(word[a:b])) for a, b in list_spans(word)]
    spans = [(a, b, tree) for a, b, tree in spans if tree is not None]
    if not spans:
        return (word,)
    most = max(leaves(tree) for _, _, tree in spans)
    out = [word]
    for budget in range(most - 1, 0, -1):
        text, end = [], 0
        for a, b, tree in spans:
            text += [word[end:a], render(tree, budget)[0]]
            end = b
        out.append("".join(text) + word[end:])
    return tuple(dict.fromkeys(out))  # the same text once, in order


def words(line: str) -> list[tuple[str, ...]]:
    """The line's words (split at spaces outside brackets, "=" kept with the word before it and
    "→" with the word after it), each as its ``forms``."""
    cut, depth, start = [], 0, 0
    for i, char in enumerate(line):
        depth += (char == "[") - (char == "]" and depth > 0)
        if char == " " and depth == 0:
            cut.append(line[start:i])
            start = i + 1
    cut.append(line[start:])
    glued: list[str] = []
    pending = ""
    for token in (t for t in cut if t):
        if token in _WITH_PREVIOUS and glued and not pending:
            glued[-1] += " " + token
        elif token in _WITH_NEXT:
            pending += token + " "
        else:
            glued.append(pending + token)
            pending = ""
    if pending:
        glued.append(pending.rstrip())
    return [forms(word) for word in glued]


def wrap(lines: list[list[tuple[str, ...]]], width: float,
         measure: Callable[[str], float]) -> tuple[str, ...]:
    """The lines (each as its ``words``) broken to ``width``: a word goes whole onto the line,
    or to the next line; one wider than a line of its own shows fewer numbers (the longest form
    that fits, or its shortest)."""
    space = measure(" ")
    out = []
    for line in lines:
        current, used = "", 0.0
        for word in line:
            whole = measure(word[0])
            if current and used + space + whole <= width:
                current, used = f"{current} {word[0]}", used + space + whole
                continue
            alone = next((form for form in word if measure(form) <= width), word[-1])
            if current and used + space + measure(alone) <= width:  # shortened anyway: here
                current, used = f"{current} {alone}", used + space + measure(alone)
                continue
            if current:
                out.append(current)
            current, used = alone, measure(alone)
        out.append(current)
    return tuple(out)

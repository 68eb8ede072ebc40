#!/usr/bin/env python3
"""Writes the swiftgc(3) man page from the sources that already say it all:
the functions of include/swiftgc.h with their contract comments, and the
options and trace fields of README.md's tables (README's option table is
checked against the option table in Sources/GCCore/Config/Options.swift).

    scripts/make_manpage.py VERSION OUT.3
"""

import re
import sys

HEADER = "include/swiftgc.h"
README = "README.md"


def roff(text):
    """Text safe in a roff paragraph: backslashes escaped, no line starting with a dot."""
    text = text.replace("\\", "\\e")
    return "\n".join(("\\&" + line if line.startswith((".", "'")) else line) for line in text.split("\n"))


def plain(markdown):
    """README cell text without Markdown's backquotes and emphasis."""
    return re.sub(r"\*\*?([^*]+)\*\*?", r"\1", markdown.replace("`", ""))


def functions():
    """(declaration, comment) for every function the header declares, in order."""
    source = open(HEADER).read()
    body = source.split("extern \"C\" {", 1)[-1]
    found = []
    comment = ""
    for block in re.finditer(r"/\*(.*?)\*/|([a-z_][^;{}#/]*?\([^;{}]*?\)\s*;)", body, re.S):
        if block.group(1) is not None:
            comment = block.group(1)
            continue
        declaration = " ".join(block.group(2).split())
        if not re.search(r"\bgc_\w+\s*\(", declaration):
            continue
        lines = [re.sub(r"^\s*\*? ?", "", line) for line in comment.strip().split("\n")]
        found.append((declaration, " ".join(line for line in lines if line)))
        comment = ""
    return found


def table_rows(first_cell_pattern):
    """The cells of README table rows whose first cell matches."""
    rows = []
    for line in open(README):
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if re.match(first_cell_pattern, cells[0]):
            rows.append(cells)
    return rows


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: scripts/make_manpage.py VERSION OUT.3")
    version, output = sys.argv[1], sys.argv[2]
    page = [
        f'.TH SWIFTGC 3 "" "SwiftGC {version}" "Library Functions Manual"',
        ".SH NAME",
        "swiftgc \\- a conservative garbage collector for C, with a C API",
        ".SH SYNOPSIS",
        ".nf",
        ".B #include <swiftgc.h>",
        ".PP",
        "Link with \\fB\\-lswiftgc\\fP (pkg-config: swiftgc).",
        ".fi",
        ".SH DESCRIPTION",
        "Memory from gc_malloc and its relatives is reclaimed once no pointer to it can be found in the",
        "stacks, registers and thread-local storage of registered threads, the writable data segments of",
        "the program and its libraries, and ranges added with gc_add_roots. libswiftgc-preload.so replaces",
        "malloc for an unchanged program (SWIFTGC_MODE). README.md gives the whole story.",
        ".SH FUNCTIONS",
    ]
    for declaration, comment in functions():
        page += [".TP", ".B " + roff(declaration), roff(comment) if comment else "(See swiftgc.h.)"]
    page += [".SH ENVIRONMENT", "Options are read at the first call, from environ."]
    for cells in table_rows(r"`SWIFTGC_"):
        name, default, meaning = plain(cells[0]), plain(cells[1]), plain(" | ".join(cells[2:]))
        page += [".TP", ".B " + roff(name), roff(f"Default {default}. {meaning}")]
    page += [".SH TRACE", "With SWIFTGC_TRACE=1 each collection prints a line beginning",
             "\"swiftgc: gc N\"; SWIFTGC_TRACE_FILE writes the same fields as JSON Lines. The fields:"]
    for cells in table_rows(r"`(gc N|kind|@|3%|start pause|concurrent|pause|heap|goal|live|allocated|markers)"):
        page += [".TP", ".B " + roff(plain(cells[0]) + " (" + plain(cells[1]) + ")"), roff(plain(cells[2]))]
    page += [".SH FILES", "libswiftgc.so.0 (SONAME), libswiftgc-preload.so, swiftgc.pc, swiftgc-boehm.pc,",
             "swiftgc-plot(1) draws a trace file.", ".SH SEE ALSO", "README.md, docs/DESIGN.md in the sources."]
    with open(output, "w") as out:
        out.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()

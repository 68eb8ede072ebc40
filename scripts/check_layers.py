#!/usr/bin/env python3
"""Checks that no folder of Sources/GCCore names what a folder above it defines.

The layer order is the table in Sources/GCCore/README.md, read from there
(the first column, top row lowest), so the README stays the only list. A
folder may use the folders listed before it; `make check-layers` fails when
a Swift file in a lower folder names a type or function that only a higher
folder defines. A subfolder (Collector/Marking) belongs to its folder unless
the table gives it a row of its own. Every folder of Sources/GCCore must be
in the table, and every row must be a folder.

What counts, found from the token stream (comments and string literals
removed), not from a compiler:
  definitions  type names (struct, enum, class, protocol, typealias, at any
               depth), members declared in an extension (func, var, let,
               static ...), and top-level func, var and let;
  references   every other identifier token, except argument labels and
               parameter names (an identifier before ':') and names the same
               file declares itself (let, var, parameters, closure arguments).
A name that the referring folder or a lower one also defines is taken to be
its own and not reported: the check cannot tell same-named members apart.

Run by hand from the repository root:
    python3 scripts/check_layers.py
Each violation is printed as
    path:line: <Folder> names <Identifier> defined in <HigherFolder>
and the exit status is 1 if there is any.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join("Sources", "GCCore")
README = os.path.join(CORE, "README.md")

# Swift's keywords, and the contextual ones that can stand where a name would.
KEYWORDS = set("""
    associatedtype borrowing class consuming deinit enum extension fileprivate func import init inout
    internal let nonisolated open operator precedencegroup private protocol public rethrows static struct
    subscript typealias var break case catch continue default defer do else fallthrough for guard if in
    repeat return throw switch where while as false is nil self Self super throws true try await async
    mutating nonmutating lazy weak unowned final override convenience required dynamic indirect optional
    some any get set willSet didSet actor consume copy each package
""".split())
TYPE_KEYWORDS = {"struct", "enum", "class", "protocol", "actor"}
MEMBER_KEYWORDS = {"func", "var", "let"}

IDENTIFIER = re.compile(r"`?[A-Za-z_][A-Za-z0-9_]*`?")


def layer_order():
    """The folders of the README's layer table (the table whose first column is "Folder"), bottom up.

    A row may name a subfolder (`Collector/Marking/`); a file belongs to the
    longest folder listed that contains it."""
    folders = []
    in_table = False
    with open(os.path.join(ROOT, README)) as readme:
        for line in readme:
            if re.match(r"\|\s*Folder\s*\|", line):
                in_table = True
            elif in_table and not line.startswith("|"):
                break
            elif in_table:
                match = re.match(r"\|\s*`([A-Za-z/]+)/`\s*\|", line)
                if match:
                    folders.append(match.group(1))
    return folders


def strip_comments_and_strings(text):
    """The source with comments and string literals blanked; newlines stay, so line numbers do too."""
    output = []
    index, length = 0, len(text)
    while index < length:
        character = text[index]
        if text.startswith("//", index):
            end = text.find("\n", index)
            index = length if end < 0 else end
        elif text.startswith("/*", index):
            depth, index = 1, index + 2
            while index < length and depth > 0:
                if text.startswith("/*", index):
                    depth, index = depth + 1, index + 2
                elif text.startswith("*/", index):
                    depth, index = depth - 1, index + 2
                else:
                    if text[index] == "\n":
                        output.append("\n")
                    index += 1
        elif character == '"' or (character == "#" and re.match(r'#+"', text[index:])):
            hashes = len(re.match(r"#*", text[index:]).group(0))
            index += hashes
            delimiter = '"""' if text.startswith('"""', index) else '"'
            closing = delimiter + "#" * hashes
            index += len(delimiter)
            while index < length and not text.startswith(closing, index):
                if text[index] == "\\" and hashes == 0:
                    index += 1
                if index < length and text[index] == "\n":
                    output.append("\n")
                index += 1
            index += len(closing)
            output.append('""')
        else:
            output.append(character)
            index += 1
    return "".join(output)


def tokens(text):
    """(line, token) pairs: identifiers (backticks removed) and single punctuation characters."""
    result = []
    for number, line in enumerate(text.split("\n"), start=1):
        position = 0
        while position < len(line):
            if line[position].isspace():
                position += 1
                continue
            match = IDENTIFIER.match(line, position)
            if match:
                result.append((number, match.group(0).strip("`")))
                position = match.end()
            elif line[position].isdigit():
                match = re.compile(r"[0-9][0-9A-Za-z_.]*").match(line, position)
                position = match.end()
            else:
                result.append((number, line[position]))
                position += 1
    return result


def is_identifier(token):
    return token not in KEYWORDS and IDENTIFIER.fullmatch(token) is not None


def extension_subject(stream, index):
    """The type an extension starting at stream[index] extends: X in `extension X` or in `where Pointee == X`."""
    subject = stream[index + 1][1] if index + 1 < len(stream) else ""
    if index + 3 < len(stream) and stream[index + 2][1] == "<":
        subject = stream[index + 3][1]  # extension UnsafeMutablePointer<X>
    ahead = index + 1
    while ahead < len(stream) and stream[ahead][1] != "{":
        if stream[ahead][1] == "Pointee" and ahead + 3 < len(stream) and stream[ahead + 1][1] == "=":
            subject = stream[ahead + 3][1]
        ahead += 1
    return subject


def is_private(stream, index):
    """Whether the declaration whose keyword is at stream[index] is private or fileprivate."""
    line = stream[index][0]
    back = index - 1
    while back >= 0 and stream[back][0] == line and stream[back][1] not in ("{", "}", ";"):
        if stream[back][1] in ("private", "fileprivate"):
            return True
        back -= 1
    return False


class Definitions:
    """What one file declares.

    types: type names; top_level: top-level functions and variables;
    members: (extended type, name) for each extension member; declared: every
    name the file declares at type level or above (fields, cases and private
    names included), which a folder counts as its own."""

    def __init__(self, stream):
        self.types, self.top_level, self.members, self.declared = set(), set(), set(), set()
        scopes = []  # one per open brace: ("type" | "extension" | "function" | "other", extended type)
        pending = None  # what the next brace opens
        for index, (_, token) in enumerate(stream):
            following = stream[index + 1][1] if index + 1 < len(stream) else ""
            kind, subject = scopes[-1] if scopes else ("top", None)
            at_declaration_level = kind in ("top", "type", "extension")
            if token in TYPE_KEYWORDS or token == "typealias":
                if is_identifier(following) and at_declaration_level:
                    self.declared.add(following)
                    if not is_private(stream, index):
                        self.types.add(following)
                if token != "typealias":
                    pending = ("type", following)
            elif token == "extension":
                pending = ("extension", extension_subject(stream, index))
            elif token in ("func", "init", "deinit", "subscript", "var", "let", "case"):
                if is_identifier(following) and at_declaration_level:
                    self.declared.add(following)
                    if token in ("func", "var", "let") and not is_private(stream, index):
                        if kind == "top":
                            self.top_level.add(following)
                        elif kind == "extension":
                            self.members.add((subject, following))
                pending = ("function", None) if token in ("func", "init", "deinit", "subscript") else None
            elif token == "{":
                scopes.append(pending or ("other", None))
                pending = None
            elif token == "}":
                if scopes:
                    scopes.pop()
                pending = None


def local_names(stream):
    """Names the file declares for its own use: bindings, parameters, labels, closure arguments."""
    names = set()
    for index, (_, token) in enumerate(stream):
        previous = stream[index - 1][1] if index > 0 else ""
        following = stream[index + 1][1] if index + 1 < len(stream) else ""
        if not is_identifier(token):
            continue
        if previous in ("let", "var", "case", "for") or following == ":":
            names.add(token)
        elif following in (",", "in") and any(stream[back][1] == "{" for back in range(max(0, index - 8), index)):
            # Closure arguments: `{ low, high, context in`.
            window = [stream[ahead][1] for ahead in range(index, min(len(stream), index + 8))]
            if "in" in window:
                names.add(token)
    return names


def references(stream, local):
    """(line, identifier) for each use of a name the file does not declare itself."""
    used = []
    for index, (line, token) in enumerate(stream):
        previous = stream[index - 1][1] if index > 0 else ""
        following = stream[index + 1][1] if index + 1 < len(stream) else ""
        if not is_identifier(token) or token in local or following == ":":
            continue
        if previous in TYPE_KEYWORDS or previous in MEMBER_KEYWORDS or previous in ("typealias", "func"):
            continue
        used.append((line, token))
    return used


def main():
    os.chdir(ROOT)
    order = layer_order()
    if not order:
        print(f"check-layers: no layer table found in {README}")
        return 1
    present = sorted(entry for entry in os.listdir(CORE) if os.path.isdir(os.path.join(CORE, entry)))
    unlisted = [folder for folder in present if folder not in order]
    missing = [folder for folder in order if not os.path.isdir(os.path.join(CORE, folder))]
    if unlisted or missing:
        for folder in unlisted:
            print(f"check-layers: {CORE}/{folder} is not in the layer table of {README}")
        for folder in missing:
            print(f"check-layers: {README} lists {folder}/, which {CORE} does not have")
        return 1

    files = {}  # folder -> [(path, stream)]
    for directory, _, names in os.walk(CORE):
        relative = os.path.relpath(directory, CORE)
        containing = [folder for folder in order if relative == folder or relative.startswith(folder + "/")]
        for name in sorted(names):
            if name.endswith(".swift") and containing:
                path = os.path.join(directory, name)
                with open(path) as source:
                    stream = tokens(strip_comments_and_strings(source.read()))
                files.setdefault(max(containing, key=len), []).append((path, stream))
    per_folder = {folder: [Definitions(stream) for _, stream in files.get(folder, [])] for folder in order}
    declared_in = {folder: set().union(*(found.declared for found in per_folder[folder])) for folder in order}
    defined_in = {}
    for folder in order:
        own_types = set().union(*(found.types for found in per_folder[folder]))
        defined_in[folder] = own_types.union(*(found.top_level for found in per_folder[folder]))
        # A member of an extension of the folder's own type needs a value of
        # that type, whose name is checked; one added to a lower (or the
        # standard library's) type is what a lower folder could call unawares.
        for found in per_folder[folder]:
            defined_in[folder] |= {name for subject, name in found.members if subject not in own_types}

    violations = []
    for position, folder in enumerate(order):
        own_or_lower = set().union(*(declared_in[lower] for lower in order[: position + 1]))
        higher = order[position + 1:]
        for path, stream in sorted(files.get(folder, [])):
            seen = set()
            for line, name in references(stream, local_names(stream)):
                if name in own_or_lower or (line, name) in seen:
                    continue
                owner = next((above for above in higher if name in defined_in[above]), None)
                if owner:
                    seen.add((line, name))
                    violations.append(f"{path}:{line}: {folder} names {name} defined in {owner}")
    for violation in violations:
        print(violation)
    layers = " -> ".join(order)
    if violations:
        print(f"check-layers: {len(violations)} names in lower folders of {CORE} refer to higher ones "
              f"(layers from {README}: {layers})")
        return 1
    print(f"check-layers: no folder of {CORE} names what a higher folder defines ({layers})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

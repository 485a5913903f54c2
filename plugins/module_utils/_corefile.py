# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Read and edit CoreDNS Corefiles without touching what this collection does not own.

The lexer and parser follow the Caddyfile v1 rules that CoreDNS uses (the ``coredns/caddy``
fork, ``caddyfile/lexer.go`` and ``caddyfile/parse.go``):

- tokens are separated by whitespace; a ``"`` at the start of a token opens a quoted token
  that may span lines, in which ``\\"`` is a quote and any other backslash is kept as is;
- ``#`` starts a comment up to the end of the line (inside a bare word the lexer drops the
  rest of that word only, as CoreDNS does);
- a server block is one line of keys (a trailing comma continues the keys on the next
  line) followed by ``{`` ... ``}``; a single-key block ``(name) {...}`` is a snippet;
- inside a block each line starts a directive; a ``{`` anywhere in a directive opens a
  nested block, and ``import`` on its own line is expanded at load time.

:func:`corefile_zone` adds, replaces or removes one server block per zone, framed by two
marker comments (``# crosscluster.link managed: <zone>`` and ``# crosscluster.link end:
<zone>``), and leaves every other byte of the text as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ansible_collections.crosscluster.link.plugins.module_utils import _zones

MARK_BEGIN = "# crosscluster.link managed: "
MARK_END = "# crosscluster.link end: "
DEFAULT_INDENT = "    "
# Directives whose arguments are zones they serve: a new server block for one of those
# zones (or a name under it) would take its queries away from them.
ZONE_SERVING_PLUGINS = frozenset({"kubernetes", "kubernetai"})

_MARKER_RE = re.compile(r"^#\s*crosscluster\.link\s+(managed|end):\s*(\S*)\s*$")
_SCHEME_RE = re.compile(r"^[a-z0-9+.-]*://")
_PORT_RE = re.compile(r":[0-9]*$")
# Python counts the ASCII separators 0x1c-0x1f as space; Go's unicode.IsSpace does not.
_NOT_GO_SPACE = frozenset("\x1c\x1d\x1e\x1f")


class CorefileError(ValueError):
    """A Corefile or an edit request that cannot be handled; names the zone and/or line."""

    def __init__(self, message: str, zone: str | None = None, line: int | None = None):
        self.zone = zone
        self.line = line
        prefix = f"line {line}: " if line is not None else ""
        super().__init__(prefix + message)


@dataclass(frozen=True)
class Token:
    text: str
    line: int  # line where the token starts (1-based)
    end_line: int  # line where it ends (differs for a quoted token spanning lines)
    start: int  # offsets into the text
    end: int
    quoted: bool = False


@dataclass(frozen=True)
class Comment:
    text: str  # from '#' to the end of the line, without the line ending
    line: int
    start: int
    end: int
    own_line: bool  # nothing but whitespace before it on its line


@dataclass(frozen=True)
class Directive:
    """One directive line: ``name args... { block }``."""

    name: str
    args: tuple[str, ...]
    line: int
    block: tuple[Directive, ...] = ()


@dataclass(frozen=True)
class ServerBlock:
    """A server block (or a snippet). ``start``/``end`` are offsets of its first key and
    just after its closing brace; ``managed`` is the zone when this collection manages it."""

    keys: tuple[str, ...]
    line: int
    directives: tuple[Directive, ...]
    start: int
    end: int
    braces: bool = True
    snippet: bool = False
    managed: str | None = None


@dataclass(frozen=True)
class ManagedBlock:
    """A block this collection manages: ``text[start:end]`` is exactly what it inserted."""

    zone: str
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class Corefile:
    blocks: tuple[ServerBlock, ...]  # server blocks, in order
    snippets: tuple[ServerBlock, ...] = ()
    imports: tuple[Directive, ...] = ()  # top-level ``import`` lines (e.g. k3s ``*.server``)
    comments: tuple[Comment, ...] = ()
    managed: tuple[ManagedBlock, ...] = ()


# --- zones ----------------------------------------------------------------------------


def normalize_zone(zone: object) -> str:
    """Return ``zone`` lower-cased without a trailing dot; raise if it is not a DNS name."""
    if not isinstance(zone, str) or not zone.strip():
        raise CorefileError("zone must be a non-empty DNS name, e.g. aws-euwest1.local")
    if ":" in zone:
        raise CorefileError(
            f"zone {zone!r} must be a bare DNS name, without scheme or port", zone=zone
        )
    name = _zones.normalize(zone)
    if not name:
        raise CorefileError("zone must be a DNS name below the root, not '.'", zone=zone)
    syntax = _zones.syntax_problem(name)
    if syntax:
        raise CorefileError(f"zone {zone!r} {syntax}", zone=zone)
    return name


def key_zone(key: str) -> str:
    """The zone of a server-block key: ``dns://Example.ORG.:53`` -> ``example.org``.

    Drops any ``scheme://`` and ``:port``, lower-cases, and strips a trailing dot (the
    root stays ``.``). Placeholders such as ``{$ZONE}`` are returned as written.
    """
    if "{$" in key or "{%" in key:  # an environment placeholder: unknown until CoreDNS starts
        return key.strip()
    name = _SCHEME_RE.sub("", key.strip().lower())
    name = _PORT_RE.sub("", name)
    if len(name) > 1 and name.endswith("."):
        name = name[:-1]
    return name or "."


def _under(name: str, zone: str) -> bool:
    return name == zone or zone == "." or name.endswith("." + zone)


# --- lexer ----------------------------------------------------------------------------


def _is_space(ch: str) -> bool:
    return ch.isspace() and ch not in _NOT_GO_SPACE


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _lex(text: str) -> tuple[list[Token], list[Comment]]:
    lone_cr = re.search(r"\r(?!\n)", text)
    if lone_cr:
        raise CorefileError(
            "carriage return not followed by a line feed; use LF or CRLF line endings",
            line=_line_of(text, lone_cr.start()),
        )
    tokens: list[Token] = []
    comments: list[Comment] = []
    i, n, line = 0, len(text), 1
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif _is_space(ch):
            i += 1
        elif ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            end = j - 1 if text[j - 1] == "\r" and j - 1 > i else j
            own = not text[text.rfind("\n", 0, i) + 1 : i].strip()
            comments.append(Comment(text[i:end], line, i, end, own))
            i = j
        elif ch == '"':
            start, first = i, line
            buf: list[str] = []
            escaped = False
            i += 1
            while True:
                if i >= n:
                    raise CorefileError("unterminated quoted string", line=first)
                c = text[i]
                i += 1
                if not escaped and c == "\\":
                    escaped = True
                    continue
                if not escaped and c == '"':
                    break
                if c == "\n":
                    line += 1
                if escaped and c != '"':
                    buf.append("\\")
                buf.append(c)
                escaped = False
            tokens.append(Token("".join(buf), first, line, start, i, quoted=True))
        else:
            j = i
            while j < n and not _is_space(text[j]) and text[j] != "#":
                j += 1
            tokens.append(Token(text[i:j], line, line, i, j))
            # CoreDNS quirk: a '#' inside a word comments out the rest of that word only.
            while j < n and not _is_space(text[j]):
                j += 1
            i = j
    return tokens, comments


# --- parser ---------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def new_line(self) -> bool:
        """Is the current token the first on its line (after the previous token ended)?"""
        return self.pos == 0 or self.tokens[self.pos - 1].end_line < self.peek().line

    def body(self, opened: Token, server_level: bool) -> tuple[list[Directive], int]:
        """Parse directive lines up to the ``}`` matching ``opened``; return them and the
        offset just after that ``}``."""
        items: list[Directive] = []
        while True:
            if self.at_end():
                raise CorefileError("'{' is never closed (unbalanced braces)", line=opened.line)
            tok = self.peek()
            if tok.text == "}":
                self.pos += 1
                return items, tok.end
            if tok.text == "{":
                if server_level:
                    raise CorefileError("unexpected '{' where a directive should be", line=tok.line)
                self.pos += 1
                children, _end = self.body(tok, server_level=False)
                items.append(Directive("", (), tok.line, tuple(children)))
                continue
            items.append(self.directive(server_level))

    def directive(self, server_level: bool) -> Directive:
        name = self.peek()
        self.pos += 1
        args: list[str] = []
        children: list[Directive] = []
        while not self.at_end():
            tok = self.peek()
            if tok.text == "{":  # CoreDNS attaches a '{' to the directive, even on a new line
                self.pos += 1
                nested, _end = self.body(tok, server_level=False)
                children.extend(nested)
                continue
            if self.new_line():
                break
            if tok.text == "}":
                if server_level:
                    raise CorefileError(
                        "unexpected '}' after a directive on the same line", line=tok.line
                    )
                break
            args.append(tok.text)
            self.pos += 1
        return Directive(name.text, tuple(args), name.line, tuple(children))

    def keys(self) -> list[str]:
        keys: list[str] = []
        expecting = False
        first = self.peek()
        while True:
            tok = self.peek()
            if tok.text == "{":
                if expecting:
                    raise CorefileError("server block keys end with a comma", line=tok.line)
                return keys
            text = tok.text
            if text:
                expecting = text.endswith(",")
                keys.append(text[:-1] if expecting else text)
            self.pos += 1
            if self.at_end():
                if expecting:
                    raise CorefileError("server block keys end with a comma", line=first.line)
                return keys
            if not expecting and self.new_line():
                return keys

    def corefile(self) -> Corefile:
        blocks: list[ServerBlock] = []
        snippets: list[ServerBlock] = []
        imports: list[Directive] = []
        while not self.at_end():
            tok = self.peek()
            if tok.text == "}":
                raise CorefileError("unexpected '}' (unbalanced braces)", line=tok.line)
            if tok.text == "import" and self.new_line():
                imports.append(self.directive(server_level=True))
                continue
            keys = self.keys()
            snippet = len(keys) == 1 and keys[0].startswith("(") and keys[0].endswith(")")
            if not self.at_end() and self.peek().text == "{":
                opened = self.peek()
                self.pos += 1
                directives, end = self.body(opened, server_level=not snippet)
                block = ServerBlock(tuple(keys), tok.line, tuple(directives), tok.start, end)
            elif snippet:
                raise CorefileError(f"snippet {keys[0]} needs a '{{ ... }}' block", line=tok.line)
            else:  # CoreDNS accepts one brace-less server block: directives up to EOF
                directives = []
                while not self.at_end():
                    if self.peek().text == "}":
                        raise CorefileError("unexpected '}' (unbalanced braces)", line=tok.line)
                    directives.append(self.directive(server_level=True))
                end = self.tokens[-1].end
                block = ServerBlock(
                    tuple(keys), tok.line, tuple(directives), tok.start, end, braces=False
                )
            if snippet:
                snippets.append(replace(block, snippet=True))
            else:
                blocks.append(block)
        return Corefile(tuple(blocks), tuple(snippets), tuple(imports))


def _managed(text: str, cf: Corefile, comments: list[Comment]) -> Corefile:
    """Find the marker pairs, check each frames exactly one block for its zone."""
    spans = [(b.start, b.end) for b in (*cf.blocks, *cf.snippets)]
    markers = []
    for c in comments:
        m = _MARKER_RE.match(c.text.rstrip())
        if not m:
            continue
        if not c.own_line or any(s <= c.start < e for s, e in spans):
            raise CorefileError(
                "crosscluster.link marker comment must stand on its own line between "
                "server blocks; remove or move it",
                line=c.line,
            )
        markers.append((m.group(1), m.group(2).lower(), c))
    managed: list[ManagedBlock] = []
    blocks = list(cf.blocks)
    seen: set[str] = set()
    for idx in range(0, len(markers), 2):
        kind, zone, begin = markers[idx]
        if kind != "managed":
            raise CorefileError("end marker without its 'managed' marker", zone, begin.line)
        if idx + 1 >= len(markers) or markers[idx + 1][0] != "end":
            raise CorefileError(
                f"managed block for zone {zone} has no end marker '{MARK_END}{zone}'",
                zone,
                begin.line,
            )
        end_zone, end = markers[idx + 1][1:]
        if end_zone != zone:
            raise CorefileError(
                f"managed block for zone {zone} ends with a marker for {end_zone}",
                zone,
                end.line,
            )
        if zone in seen:
            raise CorefileError(f"zone {zone} has two managed blocks", zone, begin.line)
        seen.add(zone)
        inner = [i for i, b in enumerate(blocks) if begin.end <= b.start and b.end <= end.start]
        strays = [d for d in cf.imports if begin.line < d.line < end.line]
        strays += [s for s in cf.snippets if begin.end <= s.start < end.start]
        wrong = [blocks[i] for i in inner if any(key_zone(k) != zone for k in blocks[i].keys)]
        if len(inner) != 1 or strays or wrong:
            raise CorefileError(
                f"managed block for zone {zone} must hold exactly one server block for "
                f"that zone between its markers",
                zone,
                begin.line,
            )
        blocks[inner[0]] = replace(blocks[inner[0]], managed=zone)
        start = text.rfind("\n", 0, begin.start) + 1
        stop = end.end
        if text.startswith("\r\n", stop):
            stop += 2
        elif text.startswith("\n", stop):
            stop += 1
        elif text.endswith("\r\n", 0, start):  # at EOF: the newline before it was added too
            start -= 2
        elif start > 0:
            start -= 1
        managed.append(ManagedBlock(zone, begin.line, start, stop))
    return Corefile(tuple(blocks), cf.snippets, cf.imports, tuple(comments), tuple(managed))


# --- public read API ------------------------------------------------------------------


def parse(text: str) -> Corefile:
    """Parse a Corefile; raise :class:`CorefileError` (with the line) when it is malformed."""
    if not isinstance(text, str):
        raise CorefileError(f"Corefile must be a string, not {type(text).__name__}")
    tokens, comments = _lex(text)
    return _managed(text, _Parser(tokens).corefile(), comments)


def zones_in(text: str) -> list[str]:
    """Zones of every server block's keys, normalised (see :func:`key_zone`), in order."""
    zones: list[str] = []
    for block in parse(text).blocks:
        zones.extend(z for z in map(key_zone, block.keys) if z not in zones)
    return zones


def managed_zones(text: str) -> list[str]:
    """Zones whose server block this collection manages, in order."""
    return [m.zone for m in parse(text).managed]


def directives_in(text: str) -> set[str]:
    """Names of the plugins used by server blocks and snippets (``import`` excluded).

    Compare it with an image's plugin list before CoreDNS is given this Corefile.
    """
    cf = parse(text)
    return {d.name for b in (*cf.blocks, *cf.snippets) for d in b.directives if d.name != "import"}


def served_zones(text: str) -> list[tuple[str, int]]:
    """``(zone, line)`` for each zone a ``kubernetes``/``kubernetai`` directive serves."""
    cf = parse(text)
    return [
        (key_zone(arg), d.line)
        for b in cf.blocks
        for d in b.directives
        if d.name in ZONE_SERVING_PLUGINS
        for arg in d.args
    ]


# --- editing --------------------------------------------------------------------------


def _newline(text: str) -> str:
    """The file's line ending: that of its first line, LF when it has none."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def _indent(text: str, cf: Corefile) -> str:
    """The indentation of the first directive that starts its own line, else four spaces."""
    lines = text.split("\n")
    for block in (*cf.blocks, *cf.snippets):
        for d in block.directives:
            raw = lines[d.line - 1]
            rest = raw.lstrip(" \t")
            lead = raw[: len(raw) - len(rest)]
            if lead and rest.startswith(d.name):
                return "\t" if "\t" in lead else lead
    return DEFAULT_INDENT


def _body_lines(body: object, zone: str) -> list[tuple[int, str]]:
    """Validate the body; return ``(depth, line)`` pairs, lines stripped."""
    if isinstance(body, str) or not isinstance(body, Sequence):
        raise CorefileError(
            f"zone {zone}: body must be a list of directive lines, e.g. "
            "['errors', 'cache 30', 'forward . 10.96.0.53']",
            zone,
        )
    out: list[tuple[int, str]] = []
    depth = 0
    directives = 0
    for number, item in enumerate(body, start=1):
        if not isinstance(item, str):
            raise CorefileError(
                f"zone {zone}: body line {number} must be a string, not {type(item).__name__}",
                zone,
            )
        line = item.strip()
        if not line:
            continue
        if "\n" in line or "\r" in line:
            raise CorefileError(
                f"zone {zone}: body line {number} holds a line break; give one line per item",
                zone,
            )
        if "crosscluster.link" in line and re.search(r"crosscluster\.link\s+(managed|end):", line):
            raise CorefileError(
                f"zone {zone}: body line {number} contains a crosscluster.link marker", zone
            )
        try:
            tokens = _lex(line)[0]
        except CorefileError as exc:
            raise CorefileError(
                f"zone {zone}: body line {number} ({line!r}): {exc}".replace("line 1: ", ""),
                zone,
            ) from None
        if not tokens:  # a comment line
            out.append((depth, line))
            continue
        if depth == 0 and tokens[0].text == "{":
            raise CorefileError(
                f"zone {zone}: body line {number} starts with '{{'; put it after a directive",
                zone,
            )
        if depth == 0:
            directives += 1
        shown = depth - 1 if tokens[0].text == "}" else depth
        for tok in tokens:
            depth += {"{": 1, "}": -1}.get(tok.text, 0)
            if depth < 0:
                raise CorefileError(
                    f"zone {zone}: body line {number} closes a '}}' that was never opened",
                    zone,
                )
        out.append((max(shown, 0), line))
    if depth:
        raise CorefileError(f"zone {zone}: body leaves {depth} '{{' unclosed", zone)
    if not directives:
        raise CorefileError(f"zone {zone}: body must hold at least one directive", zone)
    return out


def render_block(
    zone: str, body: Iterable[str], *, port: int | None = 53, newline: str = "\n", indent: str = ""
) -> str:
    """The managed block for ``zone``, markers included, without a final line ending."""
    name = normalize_zone(zone)
    lines = _body_lines(list(body) if not isinstance(body, str) else body, name)
    unit = indent or DEFAULT_INDENT
    key = name if port is None else f"{name}:{port}"
    out = [MARK_BEGIN + name, key + " {"]
    out += [unit * (depth + 1) + line for depth, line in lines]
    out += ["}", MARK_END + name]
    return newline.join(out)


def corefile_zone(
    corefile_text: str,
    zone: str,
    body: Sequence[str] | None = None,
    state: str = "present",
    port: int | None = 53,
) -> str:
    """Return ``corefile_text`` with the managed server block for ``zone`` added, replaced
    (``state='present'``) or removed (``state='absent'``); every other byte is kept.

    ``port`` is appended to the block's key (``zone:53``); ``None`` writes the bare zone.
    Raises :class:`CorefileError` for a malformed Corefile, an invalid zone or body, or a
    server block for the zone that this collection does not manage.
    """
    if state not in ("present", "absent"):
        raise CorefileError(f"state must be 'present' or 'absent', not {state!r}")
    name = normalize_zone(zone)
    if port is not None and (
        isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536
    ):
        raise CorefileError(f"zone {name}: port must be 1-65535 or None, not {port!r}", name)
    cf = parse(corefile_text)
    mine = [m for m in cf.managed if m.zone == name]
    if state == "absent":
        if not mine:
            return corefile_text
        return corefile_text[: mine[0].start] + corefile_text[mine[0].end :]
    _check_free(cf, name)
    if mine:
        base = corefile_text[: mine[0].start] + corefile_text[mine[0].end :]
        pos = mine[0].start
        base_cf = parse(base)
    else:
        base, pos, base_cf = corefile_text, len(corefile_text), cf
    block = render_block(
        name,
        body if body is not None else [],
        port=port,
        newline=_newline(base),
        indent=_indent(base, base_cf),
    )
    if pos == len(base) and base and not base.endswith("\n"):
        chunk = _newline(base) + block
    else:
        chunk = block + _newline(base)
    result = base[:pos] + chunk + base[pos:]
    check = parse(result)  # never hand back a Corefile this parser cannot read back
    if [m.zone for m in check.managed].count(name) != 1:
        raise CorefileError(f"zone {name}: internal error, managed block not found", name)
    return result


def _check_free(cf: Corefile, zone: str) -> None:
    """Refuse a second block for ``zone``, and a Corefile that cannot take another block."""
    for block in cf.blocks:
        if not block.braces:
            raise CorefileError(
                "the server block has no '{ }'; CoreDNS allows that only for a single block, "
                "so no block can be added. Wrap its directives in braces first",
                zone=zone,
                line=block.line,
            )
        if block.managed != zone and zone in map(key_zone, block.keys):
            raise CorefileError(
                f"zone {zone} already has a server block ({' '.join(block.keys)}) that "
                "crosscluster.link does not manage; remove it or choose another zone",
                zone,
                block.line,
            )
        if block.managed == zone:
            continue
        for d in block.directives:
            if d.name not in ZONE_SERVING_PLUGINS:
                continue
            for arg in d.args:
                served = key_zone(arg)
                if _under(zone, served) and served != ".":
                    raise CorefileError(
                        f"zone {zone} is served by the '{d.name}' plugin ({served}) of the "
                        f"server block at line {block.line}; choose another zone",
                        zone,
                        d.line,
                    )

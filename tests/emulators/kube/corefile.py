"""A minimal Corefile reader for the DNS readiness model (not an editor).

It follows the Caddyfile syntax CoreDNS uses (coredns.io manual, "Configuration":
server blocks, plugins with arguments and optional blocks, ``#`` comments, ``import``
of files/globs and ``(snippet)`` definitions) and reports errors the way CoreDNS logs
them: ``/etc/coredns/Corefile:12 - Error during parsing: Unknown directive 'kubernetai'``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

# Plugins of a stock CoreDNS v1.11 build, in plugin.cfg order
# (github.com/coredns/coredns/blob/v1.11.3/plugin.cfg).
STANDARD_PLUGINS: tuple[str, ...] = (
    "root",
    "metadata",
    "geoip",
    "cancel",
    "tls",
    "timeouts",
    "reload",
    "nsid",
    "bufsize",
    "bind",
    "debug",
    "trace",
    "ready",
    "health",
    "pprof",
    "prometheus",
    "errors",
    "log",
    "dnstap",
    "local",
    "dns64",
    "acl",
    "any",
    "chaos",
    "loadbalance",
    "tsig",
    "cache",
    "rewrite",
    "header",
    "dnssec",
    "autopath",
    "minimal",
    "template",
    "transfer",
    "hosts",
    "route53",
    "azure",
    "clouddns",
    "k8s_external",
    "kubernetes",
    "file",
    "auto",
    "secondary",
    "etcd",
    "loop",
    "forward",
    "grpc",
    "erratic",
    "whoami",
    "on",
    "sign",
    "view",
)

# (path) -> file content or None; (pattern) -> matching paths
ReadFile = Callable[[str], "str | None"]
Glob = Callable[[str], list[str]]


class CorefileError(Exception):
    """A parse or setup error, formatted like CoreDNS's startup error."""

    def __init__(self, filename: str, line: int, message: str) -> None:
        super().__init__(f"{filename}:{line} - Error during parsing: {message}")


@dataclass
class Token:
    text: str
    file: str
    line: int
    quoted: bool = False


@dataclass
class Directive:
    name: str
    args: list[str]
    file: str
    line: int


@dataclass
class ServerBlock:
    keys: list[str]
    directives: list[Directive] = field(default_factory=list)


def tokenize(text: str, filename: str) -> list[Token]:
    tokens: list[Token] = []
    line = 1
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch in " \t\r":
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif ch == '"':
            start_line = line
            i += 1
            buf: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] == '"':
                    i += 1
                if text[i] == "\n":
                    line += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                raise CorefileError(filename, start_line, "Unexpected EOF")
            i += 1
            tokens.append(Token("".join(buf), filename, start_line, quoted=True))
        else:
            start = i
            while i < n and text[i] not in " \t\r\n":
                i += 1
            tokens.append(Token(text[start:i], filename, line))
    return tokens


def _lines(tokens: list[Token]) -> list[list[Token]]:
    out: list[list[Token]] = []
    for tok in tokens:
        if out and out[-1][-1].line == tok.line and out[-1][-1].file == tok.file:
            out[-1].append(tok)
        else:
            out.append([tok])
    return out


class _Parser:
    def __init__(self, plugins: set[str], read_file: ReadFile, glob: Glob) -> None:
        self.plugins = plugins
        self.read_file = read_file
        self.glob = glob
        self.snippets: dict[str, list[Token]] = {}
        self.depth = 0

    def load(self, path: str, at: Token | None) -> list[Token]:
        self.depth += 1
        if self.depth > 20:
            raise CorefileError(path, 0, "import depth exceeded (import loop?)")
        paths = self.glob(path) if any(c in path for c in "*?[") else [path]
        tokens: list[Token] = []
        for p in sorted(paths):
            text = self.read_file(p)
            if text is None:
                where = (at.file, at.line) if at else (p, 0)
                raise CorefileError(*where, f"open {p}: no such file or directory")
            tokens.extend(tokenize(text, p))
        return tokens

    def expand_import(self, tok: Token, args: list[Token]) -> list[Token]:
        if len(args) != 1:
            raise CorefileError(
                tok.file, tok.line, "Wrong argument count or unexpected line ending after 'import'"
            )
        target = args[0].text
        if target in self.snippets:
            return list(self.snippets[target])
        if target.startswith("/") or "*" in target or "." in target:
            return self.load(target, tok)
        raise CorefileError(tok.file, tok.line, f"File to import not found: {target}")

    def server_blocks(self, tokens: list[Token]) -> list[ServerBlock]:
        blocks: list[ServerBlock] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.text == "import" and not tok.quoted:
                arg = tokens[i + 1 : i + 2]
                expanded = self.expand_import(tok, arg)
                tokens = tokens[:i] + expanded + tokens[i + 2 :]
                continue
            keys: list[Token] = []
            while i < len(tokens) and tokens[i].text != "{":
                if tokens[i].text == "}":
                    raise CorefileError(
                        tokens[i].file,
                        tokens[i].line,
                        "Unexpected '}' because no matching opening brace",
                    )
                keys.extend(
                    Token(k, tokens[i].file, tokens[i].line) for k in tokens[i].text.split(",") if k
                )
                i += 1
            if i >= len(tokens):
                last = keys[-1] if keys else tok
                raise CorefileError(last.file, last.line, "Unexpected EOF")
            body, i = self._block_body(tokens, i + 1, tokens[i])
            if len(keys) == 1 and keys[0].text.startswith("(") and keys[0].text.endswith(")"):
                self.snippets[keys[0].text[1:-1]] = body
                continue
            blocks.append(ServerBlock([k.text for k in keys], self._directives(body)))
        return blocks

    def _block_body(self, tokens: list[Token], i: int, opening: Token) -> tuple[list[Token], int]:
        depth = 1
        start = i
        while i < len(tokens):
            text = tokens[i].text
            if text == "{" and not tokens[i].quoted:
                depth += 1
            elif text == "}" and not tokens[i].quoted:
                depth -= 1
                if depth == 0:
                    return tokens[start:i], i + 1
            i += 1
        raise CorefileError(opening.file, opening.line, "Unexpected EOF")

    def _directives(self, body: list[Token]) -> list[Directive]:
        out: list[Directive] = []
        i = 0
        while i < len(body):
            tok = body[i]
            line = [t for t in body[i:] if t.line == tok.line and t.file == tok.file]
            args = [t for t in line[1:] if t.text != "{"]
            if tok.text == "import":
                expanded = self.expand_import(tok, args)
                body = body[:i] + expanded + body[i + len(line) :]
                continue
            if tok.text in ("{", "}"):
                raise CorefileError(tok.file, tok.line, f"Unexpected '{tok.text}'")
            if tok.text not in self.plugins:
                raise CorefileError(tok.file, tok.line, f"Unknown directive '{tok.text}'")
            i += len(line)
            if line[-1].text == "{":
                _unused, i = self._block_body(body, i, line[-1])
            out.append(Directive(tok.text, [a.text for a in args], tok.file, tok.line))
        return out


def _zone_key(key: str) -> str:
    scheme = "dns://"
    if "://" in key:
        scheme, key = key.split("://", 1)[0] + "://", key.split("://", 1)[1]
    port = "53"
    if ":" in key:
        key, port = key.rsplit(":", 1)
    zone = key.lower() if key.endswith(".") else key.lower() + "."
    return f"{scheme}{zone}:{port}"


def check(
    path: str,
    plugins: set[str] | frozenset[str],
    read_file: ReadFile,
    glob: Glob | None = None,
) -> list[ServerBlock]:
    """Parse the Corefile at ``path`` as CoreDNS would at start-up; raise CorefileError."""
    parser = _Parser(set(plugins), read_file, glob or (lambda _pattern: []))
    blocks = parser.server_blocks(parser.load(path, None))
    seen: set[str] = set()
    for block in blocks:
        for key in block.keys:
            normal = _zone_key(key)
            if normal in seen:
                first = block.directives[0] if block.directives else None
                raise CorefileError(
                    first.file if first else path,
                    first.line if first else 0,
                    f"cannot serve {normal} - it is already defined",
                )
            seen.add(normal)
        for name in ("kubernetes", "forward", "cache"):
            uses = [d for d in block.directives if d.name == name]
            if len(uses) > 1:
                raise CorefileError(
                    uses[1].file,
                    uses[1].line,
                    f"plugin/{name}: this plugin can only be used once per Server Block",
                )
    return blocks


def glob_in(files: dict[str, str]) -> Glob:
    """A glob over an in-memory file map."""
    return lambda pattern: [p for p in files if fnmatch.fnmatchcase(p, pattern)]

"""Read a Microsoft Graph API reference page (Markdown) into plain data.

Graph docs pages follow one format: an ``http`` block under "HTTP request" naming the
method and path forms, a request-headers table, prose for the body and response, and
example request/response ``http`` blocks, each preceded by an HTML comment holding a JSON
annotation (``blockType``, ``name``, ``@odata.type``, ``isCollection`` ...). This module
knows that format and nothing about OpenAPI, so the deriver can be tested on its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from mockgraph.exceptions import PageFormatError

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*```\s*(\w*)\s*$")
_ANNOTATION = re.compile(r"<!--\s*(\{.*?\})\s*-->", re.DOTALL)
_REQUEST_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S.*?)\s*$", re.IGNORECASE)
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})\b")
_PROSE_STATUS = re.compile(r"`\s*(\d{3})\b[^`]*`")
_QUERY_OPTION = re.compile(r"(?<![\w$])\$(filter|select|orderby|top|skip|count|search|expand|skiptoken)\b")
_LINK_TARGET = re.compile(r"\[(\w+)\]\([^)]*resources/[^)]*\)")


@dataclass
class HttpMessage:
    """One ``http`` example block: a request or a response."""

    headers: dict[str, str]
    body: object | None
    raw_body: str
    method: str | None = None
    url: str | None = None
    status: int | None = None


@dataclass
class Example:
    """A request example and the response example that follows it on the page."""

    name: str | None
    request: HttpMessage | None
    response: HttpMessage | None
    response_annotation: dict = field(default_factory=dict)


@dataclass
class HeaderRow:
    name: str
    description: str

    @property
    def required(self) -> bool:
        text = self.description.lower()
        if "optional" in text or re.search(r"required\s+(when|if|for|only)", text):
            return False
        return "required" in text


@dataclass
class Page:
    """What a Graph docs page says about one operation."""

    source: str
    title: str
    description: str
    requests: list[tuple[str, str]]  # (METHOD, path template) from the "HTTP request" block
    headers: list[HeaderRow]
    query_options: list[str]  # OData system query options the page mentions, without '$'
    resource: str | None  # the resource the body/response links to, e.g. privilegedOperationEvent
    status: int | None  # status named in the Response prose
    examples: list[Example]

    @property
    def method(self) -> str:
        return self.requests[0][0]


def read_page(path: str | Path) -> Page:
    """Parse the Graph docs page at ``path``."""
    path = Path(path)
    return parse_page(path.read_text(encoding="utf-8"), source=path.name)


def parse_page(text: str, source: str = "<page>") -> Page:
    """Parse Graph docs Markdown; raise PageFormatError naming what is missing."""
    lines = text.splitlines()
    sections = _split_sections(lines)
    title = next((h for level, h, _ in sections if level == 1), "")
    if not title:
        raise PageFormatError(f"{source}: no '# Title' heading")
    description = _first_paragraph(_section(sections, title))

    http_section = _section(sections, "HTTP request")
    if http_section is None:
        raise PageFormatError(f"{source}: no 'HTTP request' section")
    requests = []
    for _lang, block, _ann in _fenced_blocks(http_section):
        for line in block:
            match = _REQUEST_LINE.match(line.strip())
            if match:
                requests.append((match.group(1).upper(), _strip_host(match.group(2))))
    if not requests:
        raise PageFormatError(f"{source}: the 'HTTP request' block names no 'METHOD /path' line")

    headers = _parse_header_table(_section(sections, "Request headers") or [])
    query_text = "\n".join(_section(sections, "Optional query parameters") or [])
    query_options = sorted(set(_QUERY_OPTION.findall(query_text)))

    resource = None
    for name in ("Response", "Request body"):
        body = "\n".join(_section(sections, name) or [])
        found = _LINK_TARGET.search(body)
        if found:
            resource = found.group(1)
            break
    response_prose = "\n".join(_section(sections, "Response") or [])
    prose_status = _PROSE_STATUS.search(response_prose)
    status = int(prose_status.group(1)) if prose_status else None

    examples = _parse_examples(lines, source)
    for example in examples:
        if example.request and example.request.url:
            for key, _value in parse_qsl(urlsplit(example.request.url).query, keep_blank_values=True):
                option = key.lstrip("$").lower()
                if key.startswith("$") and option not in query_options:
                    query_options.append(option)
    return Page(
        source=source,
        title=title,
        description=description,
        requests=requests,
        headers=headers,
        query_options=sorted(query_options),
        resource=resource,
        status=status,
        examples=examples,
    )


def _split_sections(lines: list[str]) -> list[tuple[int, str, list[str]]]:
    """Split into (level, heading, body lines); headings inside fences are not headings."""
    sections: list[tuple[int, str, list[str]]] = [(0, "", [])]
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            sections.append((len(heading.group(1)), heading.group(2).strip(), []))
        else:
            sections[-1][2].append(line)
    return sections


def _section(sections: list[tuple[int, str, list[str]]], name: str) -> list[str] | None:
    for _level, heading, body in sections:
        if heading.lower() == name.lower():
            return body
    return None


def _first_paragraph(body: list[str] | None) -> str:
    words: list[str] = []
    for line in body or []:
        if line.strip():
            words.append(line.strip())
        elif words:
            break
    return " ".join(words)


def _fenced_blocks(lines: list[str]):
    """Yield (language, block lines, annotation before it) for each fenced block."""
    annotation: dict = {}
    pending: list[str] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            pending.append(lines[index])
            index += 1
            continue
        found = _ANNOTATION.findall("\n".join(pending))
        annotation = _load_annotation(found[-1]) if found else {}
        pending = []
        block: list[str] = []
        index += 1
        while index < len(lines) and not _FENCE.match(lines[index]):
            block.append(lines[index])
            index += 1
        index += 1
        yield fence.group(1).lower(), block, annotation


def _load_annotation(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _parse_header_table(lines: list[str]) -> list[HeaderRow]:
    rows = []
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0] or set(cells[0]) <= set(":- "):
            continue
        if cells[0].lower() in ("name", "header"):
            continue
        rows.append(HeaderRow(name=cells[0], description=" | ".join(cells[1:])))
    return rows


def _parse_examples(lines: list[str], source: str) -> list[Example]:
    examples: list[Example] = []
    for _lang, block, annotation in _fenced_blocks(lines):
        kind = annotation.get("blockType")
        if kind == "request":
            message = _parse_message(block, source)
            examples.append(Example(name=annotation.get("name"), request=message, response=None))
        elif kind == "response":
            message = _parse_message(block, source)
            if examples and examples[-1].response is None:
                examples[-1].response = message
                examples[-1].response_annotation = annotation
            else:
                examples.append(Example(None, None, message, annotation))
    return examples


def _parse_message(block: list[str], source: str) -> HttpMessage:
    while block and not block[0].strip():
        block = block[1:]
    if not block:
        raise PageFormatError(f"{source}: an empty example block")
    first = block[0].strip()
    headers: dict[str, str] = {}
    index = 1
    while index < len(block) and block[index].strip():
        name, sep, value = block[index].partition(":")
        if sep:
            headers[name.strip()] = value.strip()
        index += 1
    raw_body = "\n".join(block[index:]).strip()
    body = _load_body(raw_body, source)
    status_line = _STATUS_LINE.match(first)
    if status_line:
        return HttpMessage(headers, body, raw_body, status=int(status_line.group(1)))
    request_line = _REQUEST_LINE.match(first)
    if request_line:
        return HttpMessage(headers, body, raw_body, method=request_line.group(1).upper(), url=request_line.group(2))
    raise PageFormatError(f"{source}: example block starts with neither a request nor a status line: {first!r}")


def _load_body(raw: str, source: str) -> object | None:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:
        return int(raw)
    except ValueError:
        pass
    raise PageFormatError(f"{source}: an example body is neither JSON nor a number: {raw[:60]!r}")


def _strip_host(url: str) -> str:
    """Turn an absolute Graph URL or a bare path into a path without the version root."""
    path = urlsplit(url).path if "://" in url else url.split("?")[0]
    for root in ("/v1.0", "/beta"):
        if path.startswith(root + "/"):
            path = path[len(root) :]
    return path


def example_path(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The version-relative path and the query pairs of an example request URL."""
    split = urlsplit(url)
    return _strip_host(split.path if "://" in url else url.split("?")[0]), parse_qsl(
        split.query, keep_blank_values=True
    )

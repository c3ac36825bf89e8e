"""Bounded HTML parsing: a linear pre-scan refuses markup that would make lexbor slow, then parses."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser

from monitor.errors import ParseLimitExceeded

# lexbor walks its stack of open elements (and its list of active formatting elements) for most
# tags, compares every attribute of a tag with the ones before it and every <option> with those of
# its <select>: deep nesting, long formatting lists, huge attribute lists and selects cost quadratic
# time (benchmarks/parse.py). Real pages stay far below these limits (deepest real nesting: 29);
# hostile ones are refused before lexbor sees them.
#
# The pre-scan models lexbor's stack cheaply and errs deep: implied end tags it knows (p, li,
# dd/dt, option, headings, table parts, form) are applied, others keep elements open. Elements
# lexbor rebuilds from its formatting list add at most MAX_FORMATTING to the real depth.
MAX_DEPTH = 512
MAX_ELEMENTS = 100_000
MAX_ATTRIBUTES = 256
MAX_FORMATTING = 512
MAX_OPTIONS = 2_000
# End tags cost lexbor a walk down its stack each, even when they close nothing.
MAX_END_TAGS = 100_000
# How far down the model looks for the element an end tag closes (see _Model._pop_to).
_REACH = 48


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# One token per match: comments (with the short `<!-->` forms), bogus comments, start and end tags.
_TOKEN = re.compile(
    r"<(?:!--(?:-?>|.*?(?:--!?>|\Z))|[!?][^>]*>?|(/?)([A-Za-z][^\t\n\f\r />]*)([^>]*)>?|/[^>]*>?)",
    re.S,
)
_QUOTED_VALUE = re.compile(r"=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]*)")
_ATTRIBUTE_NAME = re.compile(r"[^\s/=]+")
_RAWTEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
_RAWTEXT_END = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.I) for name in _RAWTEXT}
_VOID = _names(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param source track wbr"
)
_IGNORED_IN_BODY = frozenset({"html", "head", "body", "frameset"})
_TABLE_PARTS = frozenset({"caption", "colgroup", "tbody", "thead", "tfoot", "tr", "td", "th"})
_SECTIONS = frozenset({"tbody", "thead", "tfoot"})
_CELLS = frozenset({"td", "th"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_FORMATTING = _names("a b big code em font i nobr s small strike strong tt u")
_FOREIGN = frozenset({"svg", "math"})
# Start tags that close an open <p> first (the "p in button scope" check).
_CLOSES_P = _names(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure "
    "footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre listing "
    "form plaintext hr xmp li dd dt"
)
# Elements that end the search of "has an element in scope".
_SCOPE = _names(
    "applet caption html table td th marquee object template mi mo mn ms mtext annotation-xml "
    "foreignobject desc"
)
_BUTTON_SCOPE = _SCOPE | {"button"}
_LIST_SCOPE = _SCOPE | {"ol", "ul"}
_TABLE_SCOPE = frozenset({"html", "table", "template"})
_SPECIAL = _SCOPE | _names(
    "address area article aside base basefont bgsound blockquote body br button center col colgroup dd "
    "details dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 "
    "head header hgroup hr iframe img input keygen li link listing main menu meta nav noembed noframes "
    "noscript ol p param plaintext pre script search section select source style summary tbody "
    "textarea tfoot thead title tr track ul wbr xmp"
)
# In SVG or MathML these leave foreign content; afterwards "/>" is no longer taken at its word.
_BREAKOUT = _names(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li "
    "listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var font"
)


@dataclass
class MarkupShape:
    """What the pre-scan saw: start and end tags, deepest nesting, longest formatting and attribute lists."""

    elements: int = 0
    depth: int = 0
    formatting: int = 0
    attributes: int = 0
    end_tags: int = 0


@dataclass
class _Model:
    """A cheap model of lexbor's stack of open elements; it errs on the deep side."""

    limits: tuple[int, int, int, int]
    shape: MarkupShape = field(default_factory=MarkupShape)
    stack: list[str] = field(default_factory=list)
    open: dict[str, int] = field(default_factory=dict)  # how many of each name are on the stack
    foreign: int = 0  # svg and math elements on the stack
    active: dict[str, list[str]] = field(default_factory=dict)  # active formatting elements by name
    same: Counter[tuple[str, str]] = field(default_factory=Counter)
    formatting: int = 0
    options: int = 0  # <option>s in the open <select>
    strict: bool = False  # foreign content was left: "/>" no longer closes anything
    form: bool = False

    def start(self, name: str, attrs: str) -> None:
        shape = self.shape
        shape.elements += 1
        max_depth, max_elements, max_attributes, _ = self.limits
        if shape.elements > max_elements:
            raise ParseLimitExceeded("elements", shape.elements, max_elements)
        if len(attrs) > max_attributes:  # each attribute takes two characters at least
            count = len(_attribute_names(attrs))
            shape.attributes = max(shape.attributes, count)
            if count > max_attributes:
                raise ParseLimitExceeded("attributes", count, max_attributes)
        foreign = self.foreign
        closed = (foreign or name in _FOREIGN) and _self_closing(attrs)
        if foreign:
            if name in _BREAKOUT:
                self.strict = True
                if name in _VOID:
                    return
            elif closed and not self.strict:
                return
        elif not self._html_start(name):
            return
        if name in _FOREIGN and closed:
            return
        if name in _FORMATTING:
            self._remember(name, attrs)
        self._push(name)
        shape.depth = max(shape.depth, len(self.stack))
        if shape.depth > max_depth:
            raise ParseLimitExceeded("depth", shape.depth, max_depth)

    def _html_start(self, name: str) -> bool:
        """Apply the implied closes of an HTML start tag; False when nothing is pushed."""
        if name in _IGNORED_IN_BODY or name in _VOID or name in _RAWTEXT:
            return False  # raw text elements end with their own end tag, skipped with their text
        if name == "form":
            if self.form:
                return False
            self.form = True
        if name in _TABLE_PARTS:
            return self._table_start(name)
        if name in _CLOSES_P:
            self._pop_to({"p"}, _BUTTON_SCOPE)
        if name == "li":
            self._close_item({"li"})
        elif name in ("dd", "dt"):
            self._close_item({"dd", "dt"})
        elif name == "select":
            self.options = 0
        elif name in ("option", "optgroup"):
            self._option()
        elif name in _HEADINGS and self.stack and self.stack[-1] in _HEADINGS:
            self._truncate(len(self.stack) - 1)
        elif name == "a" and self.active.get("a"):
            self.end("a")
        return True

    def _option(self) -> None:
        # lexbor's work per <option> grows with the options of its <select> before it.
        if self.open.get("select"):
            self.options += 1
            if self.options > MAX_OPTIONS:
                raise ParseLimitExceeded("options", self.options, MAX_OPTIONS)
        if self.stack and self.stack[-1] == "option":
            self._truncate(len(self.stack) - 1)

    def _table_start(self, name: str) -> bool:
        if not self.open.get("table"):
            return False  # outside a table these are ignored
        if name in _CELLS:
            self._pop_to(_CELLS, _TABLE_SCOPE)
            if self.stack[-1] != "tr":
                self._push("tr")
        elif name == "tr":
            self._pop_to({"tr"}, _TABLE_SCOPE)
            if self.stack[-1] not in _SECTIONS:
                self._push("tbody")
        elif name in _SECTIONS:
            self._pop_to(_SECTIONS, _TABLE_SCOPE)
        return True

    def end(self, name: str) -> None:
        if self.foreign and name in ("p", "br"):
            self.strict = True
        if name in _HEADINGS:
            self._pop_to(_HEADINGS, _SCOPE)
        elif name == "p":
            self._pop_to({"p"}, _BUTTON_SCOPE)
        elif name == "li":
            self._pop_to({"li"}, _LIST_SCOPE)
        elif name == "form":
            self.form = False
            if self.open.get("form"):  # only the form element leaves the stack, not its children
                index = len(self.stack) - 1 - self.stack[::-1].index("form")
                self.open["form"] -= 1
                del self.stack[index]
        elif name in _TABLE_PARTS or name == "table":
            self._pop_to({name}, _TABLE_SCOPE)
        elif name in _SPECIAL:
            self._pop_to({name}, _SCOPE)
        else:
            found = self._pop_to({name}, _SPECIAL)
            if name in _FORMATTING and (found or not self.open.get(name)):
                self._forget(name)

    def _push(self, name: str) -> None:
        self.stack.append(name)
        self.open[name] = self.open.get(name, 0) + 1
        if name in _FOREIGN:
            self.foreign += 1

    def _truncate(self, index: int) -> None:
        opened = self.open
        for entry in self.stack[index:]:
            opened[entry] -= 1
            if entry in _FOREIGN:
                self.foreign -= 1
        del self.stack[index:]

    def _pop_to(self, names: set[str] | frozenset[str], barriers: frozenset[str]) -> bool:
        """Pop through the topmost element named in `names`, unless a barrier comes first.

        The search looks _REACH elements down at most: past that the model keeps the elements
        (deeper than lexbor, never shallower) and each tag costs bounded time.
        """
        opened = self.open
        for name in names:
            if opened.get(name):
                break
        else:
            return False
        stack = self.stack
        for index in range(len(stack) - 1, max(-1, len(stack) - 1 - _REACH), -1):
            entry = stack[index]
            if entry in names:
                self._truncate(index)
                return True
            if entry in barriers:
                return False
        return False

    def _close_item(self, names: set[str]) -> None:
        """<li>, <dd> and <dt> close an open sibling unless a special element lies between."""
        if not any(self.open.get(name) for name in names):
            return
        stack = self.stack
        for index in range(len(stack) - 1, max(-1, len(stack) - 1 - _REACH), -1):
            entry = stack[index]
            if entry in names:
                self._truncate(index)
                return
            if entry in _SPECIAL and entry not in ("address", "div", "p"):
                return

    def _remember(self, name: str, attrs: str) -> None:
        key = (name, attrs.strip())  # spelled differently, equal attributes count twice: errs deep
        if self.same[key] >= 3:  # lexbor keeps at most three identical entries: one replaces another
            return
        self.same[key] += 1
        self.active.setdefault(name, []).append(key[1])
        self.formatting += 1
        self.shape.formatting = max(self.shape.formatting, self.formatting)
        if self.formatting > self.limits[3]:
            raise ParseLimitExceeded("formatting", self.formatting, self.limits[3])

    def _forget(self, name: str) -> None:
        entries = self.active.get(name)
        if entries:
            self.same[(name, entries.pop())] -= 1
            self.formatting -= 1


def _attribute_names(attrs: str) -> list[str]:
    return _ATTRIBUTE_NAME.findall(_QUOTED_VALUE.sub("=", attrs).lower())


def _self_closing(attrs: str) -> bool:
    """Whether the tag ends with "/>" (a "/" inside an unquoted value does not count)."""
    return _QUOTED_VALUE.sub("=", attrs).rstrip().endswith("/")


def prescan(
    html: str,
    *,
    max_depth: int = MAX_DEPTH,
    max_elements: int = MAX_ELEMENTS,
    max_attributes: int = MAX_ATTRIBUTES,
    max_formatting: int = MAX_FORMATTING,
) -> MarkupShape:
    """The shape of `html` in one linear pass; raises ParseLimitExceeded as soon as a limit is passed."""
    model = _Model((max_depth, max_elements, max_attributes, max_formatting))
    search = _TOKEN.search
    position = 0
    end = len(html)
    while position < end:
        token = search(html, position)
        if token is None:
            break
        position = token.end()
        raw_name = token.group(2)
        if raw_name is None:
            continue  # a comment, a doctype or a bogus comment
        name = raw_name.lower()
        if token.group(1):
            model.shape.end_tags += 1
            if model.shape.end_tags > MAX_END_TAGS:
                raise ParseLimitExceeded("end_tags", model.shape.end_tags, MAX_END_TAGS)
            model.end(name)
            continue
        model.start(name, token.group(3) or "")
        if name == "plaintext" and not model.foreign:
            break  # everything after it is text
        if name in _RAWTEXT and not model.foreign:
            closing = _RAWTEXT_END[name].search(html, position)
            position = closing.end() if closing is not None else end
    return model.shape


def parse_html(html: str) -> LexborHTMLParser:
    """A lexbor tree of `html` after the pre-scan; raises ParseLimitExceeded for hostile markup."""
    prescan(html)
    return LexborHTMLParser(html)

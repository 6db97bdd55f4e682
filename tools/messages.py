"""The message catalogues of the command line: extract, update, compile, check (with Babel).

    python tools/messages.py extract   # src/pmae/locale/{pmae,click}.pot from the sources
    python tools/messages.py update    # merge the .pot into every <lang>/LC_MESSAGES/*.po
    python tools/messages.py compile   # every .po into its .mo (committed: pip install . has it)
    python tools/messages.py check     # what tests/test_i18n.py checks; exit 1 on a gap

Two domains: ``pmae`` (pmae's messages: the strings wrapped in ``_()``/``ngettext()``/``N_()``,
every ``help=``/``short_help=``/``epilog=`` literal, the docstring of every click command) and
``click`` (click's own strings, extracted from the installed click). Babel is in pmae's
``test`` extra. See docs/languages.md, "Translating".
"""

from __future__ import annotations

import ast
import inspect
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "pmae"
LOCALE = SOURCE / "locale"
LANGUAGES = ("fr",)
DOMAINS = ("pmae", "click")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
#: The keyword arguments of click whose literal values are help texts, shown translated.
HELP_KEYWORDS = ("help", "short_help", "epilog")
#: click's strings it translates through a variable (``_(extra["required"])``), which no
#: extraction can see.
CLICK_DYNAMIC = ("required",)


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_command_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return isinstance(target, ast.Attribute | ast.Name) and (
        (target.attr if isinstance(target, ast.Attribute) else target.id) in ("command", "group"))


def help_texts(path: Path) -> Iterator[tuple[int, str]]:
    """The help texts of ``path`` that click shows: ``help=`` literals and the docstrings of
    click commands (cleaned, before click's form feed, as :mod:`pmae.cli.translate` looks
    them up)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                text = _literal(keyword.value)
                if keyword.arg in HELP_KEYWORDS and text:
                    yield node.lineno, inspect.cleandoc(text)
        elif isinstance(node, ast.FunctionDef) and any(
                _is_command_decorator(d) for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.lineno, doc.partition("\f")[0]


def extract(domain: str) -> Catalog:
    """The catalogue template of ``domain`` from the sources (pmae's, or the installed
    click's)."""
    catalog = Catalog(project="pmae", domain=domain, fuzzy=False)
    if domain == "click":
        import click

        root = Path(click.__file__).parent
        for message in CLICK_DYNAMIC:
            catalog.add(message, locations=[("click/core.py", 0)])
    else:
        root = SOURCE
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root.parent).as_posix()
        for lineno, message, _, _ in extract_from_file("python", str(path), keywords=KEYWORDS):
            if isinstance(message, str) and "\n " in message:
                # A docstring-like text marked N_() is shown as click cleans a docstring.
                message = inspect.cleandoc(message)
            catalog.add(message, locations=[(where, lineno)])
        if domain == "pmae":
            for lineno, text in help_texts(path):
                catalog.add(text, locations=[(where, lineno)])
    return catalog


def _po_path(lang: str, domain: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"


def read(lang: str, domain: str) -> Catalog:
    """The committed translations of ``domain`` into ``lang``."""
    with _po_path(lang, domain).open("rb") as file:
        return read_po(file, locale=lang, domain=domain)


def compiled(catalog: Catalog) -> bytes:
    """``catalog`` as a .mo file."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def gaps(lang: str, domain: str) -> list[str]:
    """The messages of the sources that ``lang`` does not translate (missing, empty, fuzzy)."""
    translated = read(lang, domain)
    missing = []
    for message in extract(domain):
        if not message.id:
            continue
        done = translated.get(message.id)
        strings = () if done is None else (
            done.string if isinstance(done.string, tuple) else (done.string,))
        if done is None or done.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def _new(lang: str, domain: str) -> Catalog:
    catalog = Catalog(locale=lang, domain=domain, project="pmae", fuzzy=False,
                      header_comment=f"# {domain}: translations into {lang} for pmae.")
    # French as people write it: 0 and 1 are singular (CLDR's third form, for a million,
    # is never needed in pmae's messages).
    catalog.mime_headers = [("Plural-Forms", "nplurals=2; plural=(n > 1);")]
    return catalog


def _write_po(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        # No line numbers in the translations: a moved line must not conflict in a merge.
        write_po(file, catalog, width=100, sort_output=True, include_lineno=False)


def main(argv: list[str]) -> int:
    """Run one step of the translator's workflow."""
    step = argv[0] if argv else "check"
    for domain in DOMAINS:
        if step == "extract":
            _write_po(extract(domain), LOCALE / f"{domain}.pot")
        elif step == "update":
            template = extract(domain)
            for lang in LANGUAGES:
                path = _po_path(lang, domain)
                catalog = read(lang, domain) if path.exists() else _new(lang, domain)
                catalog.update(template, no_fuzzy_matching=True)
                _write_po(catalog, path)
        elif step == "compile":
            for lang in LANGUAGES:
                _po_path(lang, domain).with_suffix(".mo").write_bytes(
                    compiled(read(lang, domain)))
        elif step == "check":
            for lang in LANGUAGES:
                for message in gaps(lang, domain):
                    print(f"{_po_path(lang, domain).relative_to(ROOT)}: untranslated: "
                          f"{message!r}")
        else:
            print(__doc__)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

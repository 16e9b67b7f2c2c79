"""The ``critmat`` command line: a thin shell over the model and warehouse functions.

Each topic module in this package exposes ``register(app)``; the root app registers them in
:data:`TOPICS`. A :class:`~critmat.errors.CritmatError` (or a file-system / warehouse error) becomes one red
line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys

import typer
from rich.console import Console

from critmat.errors import CritmatError

# topic module -> the root commands and groups it registers (tests/test_cli_ux.py checks this against the
# modules). A command line names its topic first, so only that module is imported and turned into click
# commands; help at the root, or anything unknown, gets the whole app.
TOPICS: dict[str, tuple[str, ...]] = {
    "materials": ("materials",),
    "risk": ("risk", "disrupt", "disrupt-component", "benchmarks"),
    "regional": ("assets", "region"),
    "stock": ("stock", "export"),
    "flows": ("flows", "scenario"),
    "capabilities": ("companies", "capabilities", "match"),
    "report": ("report",),
    "core": ("build", "sources", "data"),
    "serve": ("serve",),
}
HELP = ("critmat: an observatory for critical raw materials (CRM) in a region.\n\n"
        "Knowledge base of the EU CRM lists, supply, risk and export controls; regional stocks of CRM in "
        "strategic assets; end-of-life flows; disruption scenarios; supply-chain capabilities. Every figure "
        "carries its source (`critmat sources`). Tonnes (t) are metric tonnes of contained material; shares are "
        "fractions 0..1. Every listing takes --format table|csv|json; errors exit with code 2.")


def _version(value: bool) -> None:
    if value:
        from critmat import __version__

        typer.echo(f"critmat {__version__}")
        raise typer.Exit()


def _root(version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                       help="Print critmat's version and exit.")) -> None:
    """critmat: an observatory for critical raw materials (CRM) in a region."""


def make_app(topics: list[str] | None = None) -> typer.Typer:
    """The root app with the commands of ``topics`` (default: all, in :data:`TOPICS` order)."""
    root = typer.Typer(name="critmat", help=HELP, no_args_is_help=True, pretty_exceptions_enable=False,
                       rich_markup_mode="rich")
    root.callback()(_root)
    for topic in topics or TOPICS:
        importlib.import_module(f"critmat.cli.{topic}").register(root)
    _reflow_all(root)
    return root


def topic_of(argv: list[str]) -> str | None:
    """The topic module of a command line's first word (``materials show x`` -> ``materials``); None for a
    root option (``--help``, ``--version``) or an unknown word, which the whole app answers."""
    if not argv:
        return None
    return next((t for t, names in TOPICS.items() if argv[0] in names), None)


_FULL: list[typer.Typer] = []


def __getattr__(name: str) -> typer.Typer:  # PEP 562: ``critmat.cli.app``, the whole app, built on first use
    if name == "app":
        if not _FULL:
            _FULL.append(make_app())
        return _FULL[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reflow(doc: str | None) -> str | None:
    """Help text from a docstring: lines of a paragraph joined (rich mode would keep the source's line
    breaks and wrap them again); a paragraph starting with a line ``\\b`` keeps its lines."""
    if not doc:
        return doc
    paragraphs = re.split(r"\n\s*\n", inspect.cleandoc(doc))
    out = []
    for p in paragraphs:
        if p.startswith("\b"):
            out.append(p.lstrip("\b").strip("\n"))
        else:
            out.append(" ".join(line.strip() for line in p.splitlines()))
    return "\n\n".join(out)


def _reflow_all(typer_app: typer.Typer) -> None:
    for cmd in typer_app.registered_commands:
        if cmd.help is None and cmd.callback is not None:
            cmd.help = reflow(cmd.callback.__doc__)
    for grp in typer_app.registered_groups:
        if grp.typer_instance is not None:
            _reflow_all(grp.typer_instance)



MAX_MESSAGE = 1000  # characters of an error line


def _message(exc: BaseException) -> str | None:
    """One line for an error a user can fix (bad input, a path, the warehouse file); None for a bug."""
    if isinstance(exc, CritmatError):
        text = str(exc)
    elif isinstance(exc, OSError):
        what = f"{exc.filename}: " if exc.filename else ""
        text = f"{what}{exc.strerror or exc}"
        if getattr(exc, "filename2", None):
            text = f"{exc.filename} -> {exc.filename2}: {exc.strerror or exc}"
    elif type(exc).__module__.split(".")[0] in ("duckdb", "_duckdb"):
        text = f"warehouse: {exc}"
    elif type(exc).__module__.startswith("pyogrio"):
        text = f"GeoPackage/GeoJSON: {exc}"
    else:
        return None
    text = " ".join(text.split())  # one line, even when a library's message spans several
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"  # never echo a whole input


def main() -> None:
    """Entry point: run the app; a critmat error becomes one red line on stderr and exit code 2."""
    import warnings

    from critmat.errors import DataWarning

    plain = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, DataWarning):
            Console(stderr=True).print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)
        else:
            plain(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    from critmat.warehouse.staging import clean_home, install_signal_handlers

    install_signal_handlers()  # SIGTERM: writers remove their temporary files, as for Ctrl-C
    try:
        clean_home()  # staging folders and temp files of killed critmat processes
        topic = topic_of(sys.argv[1:])
        run = make_app([topic]) if topic else __getattr__("app")
        run()  # standalone mode: usage errors and --help exit through SystemExit as usual
    except BrokenPipeError:  # `critmat ... | head`: the reader left; no message
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:
        text = _message(exc)
        if text is None:
            raise
        from rich.markup import escape

        Console(stderr=True).print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
        sys.exit(2)

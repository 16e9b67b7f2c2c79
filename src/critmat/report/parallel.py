"""A helper process for the report's drawing work: figure files (PNG, then SVG) and the data appendix.

The report's own process asks the services and composes the sections; making and drawing the figures
(matplotlib) needs no data access, only CPU, so it runs in one helper process on the second core while the
main process goes on. The work is split so that both processes stay busy:

1. while the main process composes, the helper makes each figure, lays it out and draws its PNG (what the
   PDF shows), and keeps the figure;
2. while the main process paginates the PDF (WeasyPrint, the longest single step), the helper draws the
   kept figures' SVGs (for report.html and the figure files) and writes the data appendix (CSV, XLSX).

The helper runs the same functions as the in-process path (:func:`critmat.report.figures.png`, then
:func:`~critmat.report.figures.svg` on the same layout), so the files are the same as drawn in-process.

The helper is ``python -m critmat.report.parallel`` talking over its stdin/stdout (length-prefixed
pickles, answers in order), not :mod:`multiprocessing`: a spawned multiprocessing child re-imports the
caller's ``__main__``, which would rerun any script that calls :func:`critmat.report.build_report` without
an ``if __name__ == "__main__"`` guard. Two threads of the main process feed and drain the pipes so that
neither side waits on a full pipe.

By default the helper starts when half a core is free (the 1-minute load average and the processes running
now, other than this one, both below CPUs - 0.5: :func:`workers_wanted`); on a machine whose cores are all
busy it would only add its start-up. ``CRITMAT_REPORT_WORKERS=1`` forces it, ``=0`` draws
in-process (as does any failure of the helper).

Figures arrive as :class:`~critmat.report.figures.Plan` objects (a figure function's name and its frames): the
helper makes them too, so the report's main process never imports matplotlib.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

Pending = Callable[[], Any]
_LEN = 8  # bytes of the length prefix
#: Seconds the main process waits for the helper's next answer before it gives up on the helper (stops it and
#: does the rest in-process). One figure or the appendix takes under 2 s; a 20-figure report's SVGs ~5 s.
STALL_SECONDS = 120.0
#: How the helper process is started (tests start one that never answers).
HELPER_COMMAND = [sys.executable, "-m", "critmat.report.parallel"]


_FIGS: dict[int, Any] = {}  # in the helper: the figures drawn to PNG, kept for their SVG


def _figure(k: int, fig_bytes: bytes) -> bytes:
    """Make figure ``k`` (a pickled plan or figure), lay it out and draw its PNG; keep it for :func:`_svgs`."""
    from critmat.report.figures import Plan, png

    fig = pickle.loads(fig_bytes)
    if isinstance(fig, Plan):
        fig = fig.make()
    _FIGS[k] = fig
    return png(fig)


_NICED: list[bool] = []


def _yield_cpu() -> None:
    """Lower this process's priority for the rest of the report: from here on the main process's PDF is the
    critical path and this process's work (SVGs, appendix: ~3 CPU s against the PDF's ~4.5) has slack, so
    on a machine whose cores are shared with other work the PDF should get the CPU first. No effect on two
    free cores."""
    if _NICED:
        return
    _NICED.append(True)
    try:
        os.nice(5)
    except (AttributeError, OSError):  # no nice() on this platform
        pass


def _svgs(keys: list[int]) -> list[str]:
    """The SVGs of figures drawn by :func:`_figure` (on their PNG's layout); the figures are then let go."""
    from critmat.report.figures import svg

    _yield_cpu()
    return [svg(_FIGS.pop(k)) if k in _FIGS else None for k in keys]  # None: its PNG failed, drawn there


def _appendix(out: str, frames: dict, meta: dict) -> list[str]:
    from critmat.report.appendix import write_frames

    return [str(p) for p in write_frames(Path(out), frames, meta)]


TASKS: dict[str, Callable[..., Any]] = {"figure": _figure, "svgs": _svgs, "appendix": _appendix}


def _warm() -> None:
    """Import what the helper will need while the main process is still reading data."""
    from critmat.report import figures

    figures._mpl()
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401


def _read(stream: Any) -> Any:
    head = stream.read(_LEN)
    if len(head) < _LEN:
        raise EOFError
    n = int.from_bytes(head, "little")
    data = stream.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)


def _write(stream: Any, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_LEN, "little"))
    stream.write(data)
    stream.flush()


#: Allocations between two collections of the youngest generation while a report is made (Python's default:
#: 700); see :func:`critmat.report.build.fewer_collections`.
GC_GEN0 = 10_000


def serve() -> None:
    """The helper's loop: read (task, args), answer ("ok", result) or ("error", message), in order."""
    proto = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    requests = sys.stdin.buffer
    _warm()
    import gc

    gc.freeze()  # matplotlib's objects: out of the collector's passes, and fewer passes (build.fewer_collections)
    gc.set_threshold(GC_GEN0, *gc.get_threshold()[1:])
    while True:
        try:
            task, args = _read(requests)
        except EOFError:  # the report is done: leave without the interpreter's teardown (~0.5 s the report
            proto.close()  # would wait for); every answer has been written and flushed
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        try:
            answer = ("ok", TASKS[task](*args))
        except Exception as exc:  # noqa: BLE001 - reported to the main process, which redoes it itself
            answer = ("error", f"{type(exc).__name__}: {exc}")
        _write(proto, answer)


def workers_wanted() -> int:
    env = os.environ.get("CRITMAT_REPORT_WORKERS")
    if env is not None:
        try:
            return max(0, int(env))
        except ValueError:
            return 0
    n = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform: assume a free core
        busy = 0.0
    others = running_others()
    if others is not None:  # the 1-minute average still counts a report that has just finished
        busy = min(busy, float(others))
    # a helper pays off only on a free core: with every core busy it adds its start-up (~2 s CPU) and gains
    # nothing; half a core free is enough (measured: at load 0.9-1.1 on 2 cores, 15.2 s with the helper,
    # 21.3 s without; session 11, other sessions at load 1.2-2.4: 21.8-25.3 s with it, 30.0-31.4 s without,
    # while the 1-minute load, counting the benchmark's previous report, had kept it off)
    return 1 if n > 1 and busy < n - 0.5 else 0


def running_others(samples: int = 3, gap: float = 0.005) -> int | None:
    """Other processes running right now: the most of a few readings of ``procs_running`` (Linux
    ``/proc/stat``, which counts this process too) a few milliseconds apart; None where there is no such file."""
    import time

    most = None
    for i in range(samples):
        try:
            with open("/proc/stat", "rb") as f:
                for line in f:
                    if line.startswith(b"procs_running"):
                        n = int(line.split()[1]) - 1
                        most = n if most is None else max(most, n)
                        break
        except (OSError, ValueError):
            return None
        if i + 1 < samples:
            time.sleep(gap)
    return most


class HelperError(RuntimeError):
    pass


class Drawing:
    """A figure being drawn: :meth:`png` and :meth:`svg` give its files, waiting for the helper process when it
    draws them (and drawing them here if it failed); calling it gives both, ``(svg, png)``."""

    def __init__(self, helper: Helper | None, fig: Any, k: int | None, key: int = -1) -> None:
        self._helper, self._fig, self._k = helper, fig, k  # k: index of the helper's PNG answer, None: here
        self._png: bytes | None = None
        self._svg: str | None = None
        self._svg_at: tuple[int, int] | None = None  # (index of the helper's "svgs" answer, position in it)
        self.key = key                   # the helper's number for the figure it keeps
        if k is None:
            self._here()

    def _here(self) -> None:
        from critmat.report.figures import render

        self._svg, self._png = render(self._fig)

    def png(self) -> bytes:
        if self._png is None:
            assert self._helper is not None and self._k is not None
            try:
                self._png = self._helper._wait(self._k)
            except HelperError as exc:
                self._helper.note(exc)
                self._here()
        assert self._png is not None
        return self._png

    def svg(self) -> str:
        if self._svg is None:
            assert self._helper is not None
            if self._svg_at is None:
                self._helper.request_svgs()
            if self._svg_at is not None:  # asked of the helper (not when it had already failed)
                try:
                    self._svg = self._helper._wait(self._svg_at[0])[self._svg_at[1]]  # None: it does not hold it
                except HelperError as exc:
                    self._helper.note(exc)
            if self._svg is None:
                from critmat.report.figures import render

                self._svg = render(self._fig)[0]  # made and laid out again: the same file
        return self._svg

    def __call__(self) -> tuple[str, bytes]:
        return self.svg(), self.png()


class Helper:
    """Runs figure drawing and the data appendix in a helper process when it can, in-process otherwise.

    Each call returns something that gives the result when asked (waiting for the helper if needed); if the
    helper fails, the work is done in-process instead.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.proc: subprocess.Popen | None = None
        self._answers: list[Any] = []
        self._sent = 0
        self._cond = threading.Condition()
        self._broken = False
        self._out: queue.Queue = queue.Queue()
        self._unsvg: list[Drawing] = []  # drawn to PNG by the helper, SVG not asked for yet
        self._nfig = 0                   # figures sent to the helper: the next one's number
        self._noted = False              # a fallback to in-process work was logged
        if (workers_wanted() if workers is None else workers) <= 0:
            return
        import tempfile

        self._stderr = tempfile.TemporaryFile()  # what the helper says when it fails, for the error message
        try:
            self.proc = subprocess.Popen(HELPER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._stderr)
        except OSError:
            self.proc = None
            self._stderr.close()
            return
        threading.Thread(target=self._feed, daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    # -- pipes ----------------------------------------------------------------------------------------------
    def _feed(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        stdin = self.proc.stdin  # close() may drop self.proc while this thread still runs
        while True:
            item = self._out.get()
            if item is None:
                break
            try:
                _write(stdin, item)
            except (OSError, ValueError):
                self._fail()
                break
        try:
            stdin.close()
        except (OSError, ValueError):
            pass

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        while True:
            try:
                answer = _read(stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                self._fail()
                return
            with self._cond:
                self._answers.append(answer)
                self._cond.notify_all()

    def _fail(self) -> None:
        with self._cond:
            self._broken = True
            self._cond.notify_all()

    def _submit(self, task: str, *args: Any) -> int | None:
        if self.proc is None or self._broken:
            return None
        with self._cond:
            k = self._sent
            self._sent += 1
        self._out.put((task, args))
        return k

    def _wait(self, k: int) -> Any:
        """Answer ``k``, once the helper gives it; :class:`HelperError` if it stopped, failed the task, or
        gave no answer for :data:`STALL_SECONDS` (then it is stopped)."""
        import time

        with self._cond:
            last = (len(self._answers), time.monotonic())
            while len(self._answers) <= k and not self._broken:
                if len(self._answers) != last[0]:
                    last = (len(self._answers), time.monotonic())
                left = STALL_SECONDS - (time.monotonic() - last[1])
                if left <= 0:
                    self._broken = True
                    if self.proc is not None:
                        self.proc.kill()
                    raise HelperError(f"the helper process gave no answer for {STALL_SECONDS:g} s; stopped")
                self._cond.wait(timeout=left)
            if len(self._answers) <= k:
                raise HelperError(f"the helper process stopped{self._said()}")
            status, value = self._answers[k]
        if status != "ok":
            raise HelperError(value)
        return value

    def note(self, exc: HelperError) -> None:
        """Log, once, why the rest is done in this process (the report is the same, only slower)."""
        if not self._noted:
            import logging

            self._noted = True
            logging.getLogger("critmat.report").warning("report helper: %s; drawing the rest here", exc)

    def _said(self) -> str:
        """``: <the last line the helper wrote to stderr>``, or nothing."""
        try:
            self._stderr.seek(0)
            lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        except (AttributeError, OSError, ValueError):
            return ""
        return f": {lines[-1][:300]}" if lines else ""

    # -- tasks ----------------------------------------------------------------------------------------------
    def figure(self, fig: Any) -> Drawing:
        """A matplotlib figure or a :class:`~critmat.report.figures.Plan` of one, to be drawn: the helper makes
        it and draws its PNG now, its SVG when :meth:`request_svgs` asks (or when the SVG is first wanted)."""
        k = None
        if self.proc is not None:
            try:
                data = pickle.dumps(fig, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - a figure that does not pickle is drawn here
                data = None
            if data is not None:
                k = self._submit("figure", self._nfig, data)  # the helper keeps the figure under this number
        if k is None:
            return Drawing(self, fig, None)
        d = Drawing(self, fig, k, key=self._nfig)
        self._nfig += 1
        self._unsvg.append(d)
        return d

    def request_svgs(self) -> None:
        """Ask the helper for the SVGs of every figure it has drawn to PNG so far (one task: it draws them while
        this process paginates the PDF)."""
        todo, self._unsvg = self._unsvg, []
        if not todo:
            return
        k = self._submit("svgs", [d.key for d in todo])
        if k is None:
            return  # Drawing.svg draws it here
        for i, d in enumerate(todo):
            d._svg_at = (k, i)

    def appendix(self, out: Path, frames: dict, meta: dict) -> Pending:
        """Write the data appendix (:func:`critmat.report.appendix.write_frames`); gives its paths."""
        from critmat.report.appendix import write_frames

        k = self._submit("appendix", str(out), frames, meta)
        if k is None:
            paths = write_frames(out, frames, meta)
            return lambda: paths

        def get() -> list[Path]:
            try:
                return [Path(p) for p in self._wait(k)]
            except HelperError as exc:
                self.note(exc)
                return write_frames(out, frames, meta)
        return get

    def close(self, kill: bool = False) -> None:
        """Let the helper finish what it was given and stop (``kill``: stop it now, e.g. after an error)."""
        if self.proc is None:
            return
        self._out.put(None)
        if kill:
            self.proc.kill()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self._stderr.close()

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(kill=exc_type is not None)


if __name__ == "__main__":
    serve()

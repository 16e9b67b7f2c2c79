"""The assessment report face: ``critmat report`` (HTML + PDF + figures + data appendix) from the services.

Modules: build (orchestration), sections (what each section shows), data (the service calls), figures and
maps (matplotlib), i18n (en/nl text), render (Jinja2 HTML, WeasyPrint PDF), appendix (XLSX + Frictionless CSV).
Imports are lazy: ``import critmat.report`` loads nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from critmat.report.build import ReportResult


def build_report(*args: Any, **kwargs: Any) -> ReportResult:
    """See :func:`critmat.report.build.build_report`."""
    from critmat.report.build import build_report as _build

    return _build(*args, **kwargs)

"""The main job: data folder -> pathways -> KPIs -> every analysis area -> one offline HTML report.

``run_report`` does it for a real data folder, ``run_demo`` first synthesises a demo provider.
Both write, into one output folder:

- ``report.html``  the self-contained report (inline CSS and SVG, no scripts, no network)
- ``pathways.parquet``  one row per referral, as derived by the engine
- ``kpis.csv``  every figure in the report: headline, monthly and each breakdown (long format)
- ``accounting.csv``, ``quarantine.csv``, ``findings.csv``  what happened to every input row
- each analysis area's own outputs and ``manifest.json`` (what ran, how long):
  benchmarking ``benchmark.csv``, ``equity.csv``, ``spc.csv``; integrity ``findings.json`` and
  ``findings.parquet``; feedback ``alerts.csv``, ``validation.csv``, ``etr_bands.csv``,
  ``caseload.csv``, ``client_series.csv`` and ``charts/*.svg``; workforce ``workload_*.csv``
  and, when a survey file is supplied, ``wellbeing_*.csv``

The anonymous staff survey (``CWWellbeingResponses.csv`` or ``.parquet``) is not part of the data
contract: when the data folder holds one it is read here, apart from the service data, and its
rows join the row accounting.

An analysis area that cannot run on these data (it raises :class:`ClearwaterError`, e.g. no staff
table for the workforce section) gets a section in the report saying so.  Any other exception is
a fault in Clearwater: it never costs the whole report.  The area's section says it failed and
why, the traceback goes to ``errors.log`` beside the report, the area's partial files are
removed, and the command exits non-zero (:attr:`ReportRun.failed`).

The run is written into a temporary folder beside ``--out`` and moved into place only when it
is complete (:class:`clearwater.outputs.RunFolder`); ``manifest.json`` with ``"status":
"complete"`` marks a finished run and lists every file it made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from clearwater.dataset.model import CleanData
from clearwater.errors import ClearwaterError
from clearwater.instruments import Instruments, load_instruments
from clearwater.outputs import RunFolder, write_csv
from clearwater.report import sections as rs
from clearwater.report.config import ReportConfig, load_config
from clearwater.report.core import Section, escape
from clearwater.report.render import write_report_pages
from clearwater.report.summary import NATIONAL_STANDARDS, summary_section

DEFAULT_DEMO_DIR = Path("clearwater-output") / "demo"

BREAKDOWNS: tuple[str, ...] = ("imd_decile", "ethnic_group", "age_band", "problem_descriptor")

# Which measures go where.  Ids absent from the registry are skipped, so the report follows
# whatever ``clearwater.measures.definitions.MEASURES`` declares.
TREND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Referrals, people entering treatment and finished courses",
        ("referrals", "entered_treatment", "finished_course"),
    ),
    (
        "Recovery and improvement",
        ("recovery_rate", "reliable_improvement_rate", "reliable_recovery_rate"),
    ),
    ("Waiting times", ("wait_6_weeks", "wait_18_weeks", "first_to_second_over_90_days")),
)
BREAKDOWN_MEASURES: tuple[str, ...] = (
    "finished_course",
    "recovery_rate",
    "reliable_improvement_rate",
    "reliable_recovery_rate",
    "wait_6_weeks",
)
BREAKDOWN_CHART = "recovery_rate"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AreaOutcome:
    """What happened to one analysis area in a run."""

    area: str
    title: str
    status: str  # 'done' | 'unavailable' (not possible on these data) | 'not built' | 'failed'
    message: str = ""
    outputs: tuple[Path, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class ReportRun:
    """The result of one main-job run."""

    report_path: Path
    out_dir: Path
    outputs: tuple[Path, ...]
    stages: tuple[tuple[str, float], ...]
    areas: tuple[AreaOutcome, ...]
    headline_period: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    referrals: int
    referrals_in_period: int | None = None  # referrals received in the headline period

    @property
    def seconds(self) -> float:
        return sum(s for _, s in self.stages)

    @property
    def failed(self) -> tuple[AreaOutcome, ...]:
        """Areas that failed with an unexpected error (the command then exits non-zero)."""
        return tuple(a for a in self.areas if a.status == "failed")


@dataclass(frozen=True)
class Survey:
    """The anonymous staff wellbeing survey found beside the data (or why it could not be used)."""

    path: Path | None = None
    data: Any = None  # clearwater.workforce.wellbeing.WellbeingData when read
    problem: str = ""  # why a survey file that is present could not be read


@dataclass(frozen=True)
class RunContext:
    """Everything an analysis area may use; handed to each area's runner."""

    data: CleanData
    pathways: ibis.Table
    instruments: Instruments
    headline: Any  # clearwater.measures.periods.Period
    months: tuple[Any, ...]
    first: dt.date
    last: dt.date
    out_dir: Path
    thresholds: Path | None = None
    progress: bool = False
    step: Callable[[str], None] = field(default=lambda label: None, repr=False)
    monthly_kpis: pd.DataFrame | None = field(default=None, repr=False)
    survey: Survey = field(default_factory=Survey)


@dataclass(frozen=True)
class AreaSpec:
    """An analysis area the report includes when it can: its runner and its report module.

    By default the report module's ``report_sections(result)`` gives the sections and its
    ``write_outputs(result, out_dir)`` the files; ``sections``/``write`` replace them (they get
    the module and the runner's result).  When an area gives several top-level sections they
    are grouped under one section titled ``title`` (id ``area``).
    """

    area: str
    title: str
    run: Callable[[RunContext], Any]
    report_module: str
    requires: tuple[str, ...] = ()  # the area's modules the runner imports
    hint: str = ""
    summary: str = ""
    sections: Callable[[Any, Any], Sequence[Section]] | None = None
    write: Callable[[Any, Any, Path], Sequence[Path]] | None = None
    # how many times the runner calls ctx.step (a progress bar with counts), if known
    steps: Callable[[], int | None] | None = None


# --------------------------------------------------------------------------- progress


class Stages:
    """Prints one line per finished stage and shows a transient bar while a long stage runs."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console

        self.enabled = enabled
        self.console = Console(stderr=True, highlight=False)
        self.timings: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def stage(
        self, name: str, total: int | None = None, *, live: bool = True
    ) -> Iterator[Callable[[str], None]]:
        """Time a stage; the yielded ``step(label)`` advances its bar by one."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        start = time.perf_counter()
        show = self.enabled and live and self.console.is_terminal
        if self.enabled and not show:
            self.console.print(f"[bold]…[/] {name}")
        # a bar with "done/total" when the stage knows its steps; otherwise a spinner and the
        # time (never a "0/?" counter that cannot move)
        counted = (BarColumn(), MofNCompleteColumn()) if total else ()
        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            *counted,
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=not show,
        )
        with progress:
            task = progress.add_task(name, total=total)

            def step(label: str = "") -> None:
                progress.update(task, advance=1, description=f"{name}: {label}" if label else name)

            yield step
        seconds = time.perf_counter() - start
        self.timings.append((name, seconds))
        if self.enabled:
            self.console.print(f"[green]✓[/] {name} [dim]({seconds:.1f} s)[/]")


# --------------------------------------------------------------------------- helpers


def _window(pathways: ibis.Table, engine: Any) -> tuple[dt.date, dt.date, int]:
    """First and last date the data cover (referral, treatment or discharge) and the referral count."""
    agg = pathways.aggregate(
        n=pathways.count(),
        first=pathways.referral_date.min(),
        last_ref=pathways.referral_date.max(),
        last_treat=pathways.last_treatment_date.max(),
        last_dis=pathways.discharge_date.max(),
    )
    row = engine.execute(agg).iloc[0]
    n = int(row["n"])
    if n == 0 or pd.isna(row["first"]):
        raise ClearwaterError("no referral was accepted, so there is nothing to report on")
    dates = [
        pd.Timestamp(row[c]).date()
        for c in ("last_ref", "last_treat", "last_dis")
        if pd.notna(row[c])
    ]
    return pd.Timestamp(row["first"]).date(), max(dates), n


TREND_MONTHS = 12


def trend_window(
    headline: Any, first: dt.date, last: dt.date, *, whole: bool
) -> tuple[dt.date, dt.date]:
    """The dates the monthly trends (and the SPC baselines built on them) cover.

    For the whole data, all of it.  For a chosen headline period, the months of that period;
    when it is shorter than :data:`TREND_MONTHS` months, the months up to its end.  Months
    before the period are left out because an extract holds only the referrals open in its
    window: earlier months are a build-up from zero, not the service's real level.
    """
    if whole:
        return first, last
    start = headline.start
    span = (headline.end.year - start.year) * 12 + headline.end.month - start.month + 1
    if span < TREND_MONTHS:
        back = headline.end.year * 12 + headline.end.month - TREND_MONTHS  # months since year 0
        start = dt.date(back // 12, back % 12 + 1, 1)
    return max(start, first), min(headline.end, last)


def _providers(pathways: ibis.Table, engine: Any) -> list[str]:
    vals = engine.execute(pathways.select("provider_id").distinct())["provider_id"]
    return sorted(str(v) for v in vals if pd.notna(v))


def _pick(ids: Sequence[str], measures: Mapping[str, Any]) -> list[str]:
    return [i for i in ids if i in measures]


def _long_kpis(frame: pd.DataFrame, view: str, by: str | None) -> pd.DataFrame:
    """One shape for every KPI frame in kpis.csv: view, group_by, group, then the figures."""
    out = frame.copy()
    out.insert(0, "view", view)
    out.insert(1, "group_by", by or "")
    out.insert(2, "group", out.pop(by).astype("string") if by else "")
    cols = ["view", "group_by", "group", "period", "period_start", "period_end", "measure"]
    cols += ["numerator", "denominator", "value"]
    return out[cols]


def _flag_kpis(frame: pd.DataFrame) -> pd.DataFrame:
    """kpis.csv keeps every value and marks rates and means on fewer than 10 people in a
    ``small_number`` column (clearwater.stats.small_numbers), so none is republished by accident."""
    from clearwater.measures.definitions import MEASURES
    from clearwater.stats.small_numbers import flag_small_numbers

    units = frame["measure"].map(lambda m: MEASURES[m].unit if m in MEASURES else "")
    return flag_small_numbers(frame, "denominator", applies=units != "count")


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    return write_csv(frame, path)


def _descriptor_labels(instruments: Instruments) -> dict[str, str]:
    return {code: d.label for code, d in instruments.descriptors.items()}


# --------------------------------------------------------------------------- areas


def _area_outputs(spec: AreaSpec, module: Any, result: Any, out_dir: Path) -> tuple[Path, ...]:
    """Write an area's machine-readable outputs: the spec's ``write``, else its report module's
    ``write_outputs(result, out_dir)`` if it has one, else ``to_frame()`` as ``<area>.csv``."""
    area = spec.area
    if spec.write is not None:
        return tuple(Path(p) for p in spec.write(module, result, out_dir))
    writer = getattr(module, "write_outputs", None)
    if writer is not None:
        return tuple(Path(p) for p in writer(result, out_dir))
    if hasattr(result, "to_frame"):
        return (_write_csv(result.to_frame(), out_dir / f"{area}.csv"),)
    return ()


def _not_built(exc: ImportError, spec: AreaSpec) -> bool:
    """True when one of the area's own modules is missing (not a dependency deeper down)."""
    return getattr(exc, "name", None) in (spec.report_module, *spec.requires)


ERROR_LOG = "errors.log"


def _files_in(folder: Path) -> set[Path]:
    return {p for p in Path(folder).rglob("*") if p.is_file()} if Path(folder).is_dir() else set()


def _area_failed(
    spec: AreaSpec, ctx: RunContext, exc: Exception, before: set[Path], start: float
) -> tuple[list[Section], AreaOutcome]:
    """An unexpected error in one area: its partial files go, the traceback goes to the log,
    and its section says it failed and why."""
    out = Path(ctx.out_dir)
    for p in _files_in(out) - before:
        p.unlink(missing_ok=True)
    log = out / ERROR_LOG
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"== {spec.area}: {type(exc).__name__}\n")
        fh.write("".join(traceback.format_exception(exc)))
        fh.write("\n")
    msg = f"this analysis failed with an unexpected error ({type(exc).__name__}: {exc})"
    sec = rs.unavailable_section(
        spec.area,
        spec.title,
        msg[:1].upper() + msg[1:] + ". The rest of the report is unaffected.",
        hint=f"This is a fault in Clearwater, not in your data; the details are in {ERROR_LOG} "
        "beside this report. Please report it.",
    )
    took = time.perf_counter() - start
    return [sec], AreaOutcome(spec.area, spec.title, "failed", msg, seconds=took)


def run_area(spec: AreaSpec, ctx: RunContext) -> tuple[list[Section], AreaOutcome]:
    """Run one analysis area and return its report sections.

    A :class:`ClearwaterError` (the area cannot run on these data) becomes an "unavailable"
    section; any other exception a "failed" one (:func:`_area_failed`), so one area's fault
    never costs the whole report.  Interrupts (Ctrl-C) still stop the run.
    """
    start = time.perf_counter()
    before = _files_in(ctx.out_dir)
    try:
        module = importlib.import_module(spec.report_module)
        result = spec.run(ctx)
        if spec.sections is not None:
            secs = list(spec.sections(module, result))
        else:
            secs = list(module.report_sections(result))
        outputs = _area_outputs(spec, module, result, ctx.out_dir)
    except ClearwaterError as exc:
        took = time.perf_counter() - start
        sec = rs.unavailable_section(spec.area, spec.title, str(exc), hint=spec.hint)
        return [sec], AreaOutcome(spec.area, spec.title, "unavailable", str(exc), seconds=took)
    except ImportError as exc:
        if not _not_built(exc, spec):
            return _area_failed(spec, ctx, exc, before, start)
        took = time.perf_counter() - start
        msg = "this analysis is not part of this Clearwater build"
        sec = rs.unavailable_section(spec.area, spec.title, msg.capitalize() + ".")
        return [sec], AreaOutcome(spec.area, spec.title, "not built", msg, seconds=took)
    except Exception as exc:
        return _area_failed(spec, ctx, exc, before, start)
    took = time.perf_counter() - start
    if len(secs) > 1:
        secs = [Section(spec.area, spec.title, "", summary=spec.summary, children=secs)]
    return secs, AreaOutcome(spec.area, spec.title, "done", outputs=outputs, seconds=took)


# Benchmark units: therapists and teams always; providers only when the data hold several.
BENCHMARK_UNITS: tuple[str, ...] = ("therapist", "team")
SURVEY_TABLE = "CWWellbeingResponses"


def _run_benchmark(ctx: RunContext) -> Any:
    from clearwater.benchmark.record import benchmark_pathways

    by = list(BENCHMARK_UNITS)
    if len(_providers(ctx.pathways, ctx.data.engine)) > 1:
        by.append("provider")
    return benchmark_pathways(
        ctx.pathways,
        execute=ctx.data.engine.execute,
        by=by,
        kpis=ctx.monthly_kpis,
        thresholds_version=str(ctx.instruments.version),
    )


def _run_integrity(ctx: RunContext) -> Any:
    from clearwater.integrity.audit import run_audit

    return run_audit(ctx.data, ctx.pathways, instruments=ctx.instruments, progress=ctx.step)


def _integrity_steps() -> int | None:
    try:
        from clearwater.integrity.detectors import DETECTORS
    except ImportError:  # the area is not part of this build: run_area says so
        return None
    return len(DETECTORS)


def _write_integrity(module: Any, result: Any, out_dir: Path) -> list[Path]:
    """findings.parquet (detector x unit) and findings.json (the same plus the unit summary)."""
    findings = result.findings
    parquet = out_dir / "findings.parquet"
    findings.to_parquet(parquet, index=False)
    doc = {
        "level": result.level,
        "fdr": result.fdr,
        "fdr_method": result.fdr_method,
        "findings": json.loads(findings.to_json(orient="records", date_format="iso")),
        "units": json.loads(result.units.to_json(orient="records", date_format="iso")),
    }
    path = out_dir / "findings.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return [path, parquet]


# Client chart files: the first few flagged clients of each clinician (risk first), not all of
# them; every client's scores are in client_series.csv and every alert in alerts.csv.
FEEDBACK_CHARTS_PER_THERAPIST = 2
FEEDBACK_CHART_FILES = 100


def _write_feedback(module: Any, result: Any, out_dir: Path) -> list[Path]:
    return list(
        module.write_outputs(
            result,
            out_dir,
            charts=FEEDBACK_CHART_FILES,
            per_therapist=FEEDBACK_CHARTS_PER_THERAPIST,
        )
    )


def _run_feedback(ctx: RunContext) -> Any:
    from clearwater.feedback.report import run_feedback

    return run_feedback(ctx.data, ctx.pathways)


@dataclass(frozen=True)
class WorkforceRun:
    """The workforce area's result plus what happened to the staff survey."""

    result: Any  # clearwater.workforce.report.WorkforceResult
    survey: Survey


def find_survey(folder: str | Path | None) -> Path | None:
    """The ``CWWellbeingResponses`` file (.csv or .parquet, any letter case) in ``folder``."""
    if not folder or not Path(folder).is_dir():
        return None
    hits = sorted(
        p
        for p in Path(folder).iterdir()
        if p.is_file()
        and p.stem.lower() == SURVEY_TABLE.lower()
        and p.suffix.lower() in (".csv", ".parquet")
    )
    if len(hits) > 1:
        raise ClearwaterError(
            f"two files for the staff survey {SURVEY_TABLE} ({hits[0].name} and {hits[1].name}); "
            "keep one"
        )
    return hits[0] if hits else None


def read_survey(folder: str | Path | None) -> Survey:
    """Read the staff survey beside the data, if there is one.  A survey that cannot be read
    does not stop the report: the wellbeing section says why instead."""
    try:
        path = find_survey(folder)
    except ClearwaterError as exc:
        return Survey(problem=str(exc))
    if path is None:
        return Survey()
    from clearwater.workforce.wellbeing import read_wellbeing

    try:
        return Survey(path=path, data=read_wellbeing(path))
    except ClearwaterError as exc:
        return Survey(path=path, problem=str(exc))


def _run_workforce(ctx: RunContext) -> WorkforceRun:
    from clearwater.workforce.report import run_workforce

    release = None
    if ctx.survey.data is not None:
        from clearwater.workforce.wellbeing import release_wellbeing

        release = release_wellbeing(ctx.survey.data)
    return WorkforceRun(
        run_workforce(_in_trend_window(ctx), ctx.pathways, wellbeing=release), ctx.survey
    )


def _in_trend_window(ctx: RunContext) -> CleanData:
    """The data with care contacts cut to the months the trends cover, so weekly workload and
    its process limits start after an extract's build-up (see :func:`trend_window`)."""
    if not ctx.months:
        return ctx.data
    start, end = ctx.months[0].start, ctx.months[-1].end
    if start <= ctx.first and end >= ctx.last:
        return ctx.data
    # whole weeks only (Monday to Sunday): a part week at either end would look like a dip
    start += dt.timedelta(days=(7 - start.weekday()) % 7)
    end -= dt.timedelta(days=(end.weekday() + 1) % 7)
    c = ctx.data["contact"]
    cut = c.filter((c.contact_date >= start) & (c.contact_date <= end))
    return replace(ctx.data, tables={**ctx.data.tables, "contact": cut})


def _workforce_sections(module: Any, run: WorkforceRun) -> list[Section]:
    secs = list(module.report_sections(run.result))
    survey = run.survey
    if survey.data is not None:
        acc = survey.data.accounting.iloc[0]
        note = (
            f"<p class='note'>Survey file {escape(Path(survey.data.file).name)}: "
            f"{int(acc['read']):,} responses read = {int(acc['accepted']):,} accepted + "
            f"{int(acc['quarantined']):,} quarantined (see Data quality).</p>"
        )
        for sec in secs:
            if sec.id == "workforce-wellbeing":
                sec.body_html = note + sec.body_html
        return secs
    reason = (
        f"The staff survey file could not be used: {survey.problem}"
        if survey.problem
        else f"No anonymous staff survey file ({SURVEY_TABLE}.csv or .parquet) was found "
        "beside the data, so there are no wellbeing figures."
    )
    secs.append(
        rs.unavailable_section(
            "workforce-wellbeing",
            "Staff wellbeing",
            reason,
            hint=(
                f"Put a {SURVEY_TABLE} file in the data folder to add this section; its columns "
                "are described in docs/reference/wellbeing-survey.md. It must carry no staff "
                "identifier."
            ),
        )
    )
    return secs


def _write_workforce(module: Any, run: WorkforceRun, out_dir: Path) -> list[Path]:
    return list(module.write_outputs(run.result, out_dir))


def default_areas() -> tuple[AreaSpec, ...]:
    """The analysis areas of a full report, in report order."""
    return (
        AreaSpec(
            "benchmark",
            "Fair benchmarking",
            _run_benchmark,
            "clearwater.benchmark.report",
            requires=("clearwater.benchmark.record",),
            summary="Case-mix adjusted outcomes by therapist and team",
        ),
        AreaSpec(
            "integrity",
            "Integrity audit",
            _run_integrity,
            "clearwater.integrity.report",
            requires=("clearwater.integrity.audit",),
            write=_write_integrity,
            steps=_integrity_steps,
        ),
        AreaSpec(
            "feedback",
            "Not-on-track feedback and caseload review",
            _run_feedback,
            "clearwater.feedback.report",
            summary="Open referrals not on track, how well the alerts predict, caseloads",
            hint="Feedback needs questionnaire scores (IDS606/IDS607) for finished courses.",
            write=_write_feedback,
        ),
        AreaSpec(
            "workforce",
            "Workforce: workload and wellbeing",
            _run_workforce,
            "clearwater.workforce.report",
            requires=("clearwater.workforce.workload", "clearwater.workforce.wellbeing"),
            summary="Team workload with process limits; anonymous staff wellbeing",
            hint="Workload needs care contacts; add CWStaff and CWSupervision for FTE and "
            "supervision.",
            sections=_workforce_sections,
            write=_write_workforce,
        ),
    )


# --------------------------------------------------------------------------- the job


def _accounts(data: CleanData, survey: Survey) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Row accounting, quarantine and notes of the service data plus the staff survey."""
    notes = list(data.notes)
    if survey.path is None:
        return data.accounting, data.quarantine, notes
    name = survey.path.name
    notes = [n for n in notes if not n.startswith(f"{name}:")]
    if survey.data is None:
        notes.append(f"{name}: the staff survey could not be read: {survey.problem}")
        return data.accounting, data.quarantine, notes
    notes.append(f"{name}: read as the anonymous staff survey (not part of the data contract)")
    frames = [f for f in (data.accounting, survey.data.accounting) if len(f)]
    accounting = pd.concat(frames, ignore_index=True)
    quarantine = data.quarantine
    if len(survey.data.quarantine):
        parts = [f for f in (data.quarantine, survey.data.quarantine) if len(f)]
        quarantine = pd.concat(parts, ignore_index=True)
    return accounting, quarantine, notes


def _referrals_in(head: pd.DataFrame) -> int | None:
    sub = head[head["measure"] == "referrals"] if not head.empty else head
    if sub.empty or pd.isna(sub.iloc[0]["value"]):
        return None
    return int(sub.iloc[0]["value"])


def _key_points(sections: Sequence[Section], outcomes: Sequence[AreaOutcome]) -> list[str]:
    """One linked sentence per analysis area for the summary page (its section summary)."""
    points = []
    for sec in sections:
        if sec.summary:
            points.append(
                f'<a href="#{escape(sec.id)}">{escape(sec.title)}</a>: {escape(sec.summary)}'
            )
    return points


@dataclass
class _Collected:
    kpi_frames: list[pd.DataFrame] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def build_report(
    data: CleanData,
    out_dir: str | Path,
    *,
    config: ReportConfig | None = None,
    **kwargs: Any,
) -> ReportRun:
    """Everything after loading: pathways, KPIs, areas, sections, HTML and the output files.

    ``config`` (clearwater.toml) sets the small-number threshold and the display names of
    teams and clinicians for this run; see :func:`_build_report` for the other arguments."""
    from clearwater.report.words import display_names

    config = config or ReportConfig()
    with (
        rs.small_number_threshold(config.small_number_threshold),
        display_names(config.teams, config.clinicians),
    ):
        return _build_report(data, out_dir, config=config, **kwargs)


def _build_report(
    data: CleanData,
    out_dir: str | Path,
    *,
    instruments: Instruments | None = None,
    period: str | None = None,
    title: str | None = None,
    meta: Sequence[tuple[str, str]] = (),
    lead: str = "",
    areas: Sequence[AreaSpec] | None = None,
    thresholds: Path | None = None,
    stages: Stages | None = None,
    xlsx: bool = False,
    config: ReportConfig | None = None,
    data_label: str | None = None,
) -> ReportRun:
    """Everything after loading: pathways, KPIs, areas, sections, HTML and the output files.

    Writes into ``out_dir`` as it is; the commands go through :func:`run_report` and
    :func:`run_demo`, which write a temporary run folder and move it into place when complete.
    """
    from clearwater.engine.pathways import derive_pathways
    from clearwater.measures import compute_kpis
    from clearwater.measures.definitions import MEASURES
    from clearwater.measures.periods import periods_for

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    instruments = instruments or load_instruments(thresholds)
    stages = stages or Stages(False)
    config = config or ReportConfig()
    period = period or config.period
    if title is None and config.service_name:
        title = f"Clearwater report: {config.service_name}"
    areas = default_areas() if areas is None else tuple(areas)
    got = _Collected()
    outputs: list[Path] = []

    with stages.stage("Deriving pathways (one row per referral)"):
        pw = derive_pathways(data, instruments)
        first, last, n_referrals = _window(pw, data.engine)
        outputs.append(out / "pathways.parquet")
        import pyarrow.parquet as pq

        pq.write_table(data.engine.to_pyarrow(pw), outputs[-1])

    if period:
        chosen = periods_for(period, first, last)
        if not chosen:
            raise ClearwaterError(f"--period {period!r} gives no period within {first}..{last}")
        headline = chosen[-1]
    else:
        headline = periods_for("all", first, last)[0]
    months = tuple(periods_for("month", *trend_window(headline, first, last, whole=not period)))
    period_text = f"{headline.start:%d %b %Y} to {headline.end:%d %b %Y}"
    period_label = str(headline.label) if period else "the whole period of the data"

    trend_groups = [(t, _pick(ids, MEASURES)) for t, ids in TREND_GROUPS]
    breakdown_ids = _pick(BREAKDOWN_MEASURES, MEASURES)
    with stages.stage("Computing the KPIs", total=2 + len(BREAKDOWNS)) as step:
        head = compute_kpis(pw, periods=[headline])
        got.kpi_frames.append(_long_kpis(head, "headline", None))
        step("headline")
        monthly = compute_kpis(pw, periods=list(months))
        got.kpi_frames.append(_long_kpis(monthly, "monthly", None))
        step("monthly")
        by_frames: dict[str, pd.DataFrame] = {}
        for by in BREAKDOWNS:
            frame = compute_kpis(pw, periods=[headline], by=[by], measures=breakdown_ids)
            by_frames[by] = frame
            got.kpi_frames.append(_long_kpis(frame, "breakdown", by))
            step(by)
        outputs.append(
            _write_csv(_flag_kpis(pd.concat(got.kpi_frames, ignore_index=True)), out / "kpis.csv")
        )

    survey = read_survey(data.source) if data.source else Survey()
    ctx = RunContext(
        data=data,
        pathways=pw,
        instruments=instruments,
        headline=headline,
        months=months,
        first=first,
        last=last,
        out_dir=out,
        thresholds=thresholds,
        progress=stages.enabled,
        monthly_kpis=monthly,
        survey=survey,
    )
    area_sections: list[Section] = []
    outcomes: list[AreaOutcome] = []
    for spec in areas:
        total = spec.steps() if spec.steps else None
        with stages.stage(f"Running {spec.title.lower()}", total=total) as step:
            secs, outcome = run_area(spec, replace(ctx, step=step))
        area_sections.extend(secs)
        outcomes.append(outcome)
        outputs.extend(outcome.outputs)

    with stages.stage(
        "Drawing the charts and writing the report", total=4 + len(BREAKDOWNS)
    ) as step:
        labels = {"problem_descriptor": _descriptor_labels(instruments)}
        got.sections.append(
            summary_section(
                head,
                monthly,
                MEASURES,
                period_label=str(headline.label) if period else "the whole period",
                period_text=period_text,
                points=_key_points(area_sections, outcomes),
                standards=[
                    replace(st, target=config.standards.get(st.measure, st.target))
                    for st in NATIONAL_STANDARDS
                ],
            )
        )
        got.sections.append(
            rs.headline_section(head, MEASURES, period_label=period_label, period_text=period_text)
        )
        step("headline")
        got.sections.append(rs.trends_section(monthly, MEASURES, trend_groups))
        step("trends")
        children = []
        for by in BREAKDOWNS:
            children.append(
                rs.breakdown_section(
                    by,
                    by_frames[by],
                    head,
                    MEASURES,
                    measure_ids=breakdown_ids,
                    chart_measure=BREAKDOWN_CHART,
                    labels=labels.get(by),
                )
            )
            step(by)
        got.sections.append(rs.breakdowns_section(children, period_label=period_label))
        got.sections.extend(area_sections)
        accounting, quarantine, notes = _accounts(data, survey)
        got.sections.append(rs.data_quality_section(accounting, quarantine, data.findings, notes))
        got.sections.append(rs.definitions_section(MEASURES))
        step("data quality")
        for name, frame in (
            ("accounting", accounting),
            ("quarantine", quarantine),
            ("findings", data.findings),
        ):
            outputs.append(_write_csv(frame, out / f"{name}.csv"))
        providers = _providers(pw, data.engine)
        page_meta = [
            ("Data", data_label or data.source or "(in memory)"),
            ("Provider", ", ".join(providers) or "not recorded"),
            ("Referrals in the data", f"{n_referrals:,}"),
            ("Data cover", f"{first:%d %b %Y} to {last:%d %b %Y}"),
            ("Headline period", f"{headline.label} ({headline.start} to {headline.end})"),
            ("Engine", data.engine.name),
            ("Instrument thresholds", f"version {instruments.version}"),
            *([("Settings", str(config.path))] if config.path else []),
            *meta,
        ]
        report_path, pages = write_report_pages(
            out,
            got.sections,
            title=title or f"Clearwater report: {', '.join(providers) or 'service'}",
            meta=page_meta,
            lead=lead,
        )
        outputs.extend(pages)
        step("page")

    if xlsx:
        from clearwater.report.workbook import csv_workbook

        with stages.stage("Writing the Excel workbook"):
            outputs.append(
                csv_workbook(
                    out / "report.xlsx",
                    [p for p in outputs if p.suffix == ".csv"],
                    title=title or "Clearwater report",
                )
            )

    acc = accounting
    totals = {
        c: int(pd.to_numeric(acc[c]).sum()) if len(acc) else 0
        for c in ("read", "accepted", "quarantined")
    }
    run = ReportRun(
        report_path=report_path,
        out_dir=out,
        outputs=tuple(outputs),
        stages=tuple(stages.timings),
        areas=tuple(outcomes),
        headline_period=str(headline.label),
        rows_read=totals["read"],
        rows_accepted=totals["accepted"],
        rows_quarantined=totals["quarantined"],
        referrals=n_referrals,
        referrals_in_period=_referrals_in(head),
    )
    return run


def _manifest_fields(run: ReportRun) -> dict[str, Any]:
    """What the run's manifest says besides the files (see :class:`RunFolder`)."""
    return {
        "report": run.report_path.name,
        "headline_period": run.headline_period,
        "referrals": run.referrals,
        "referrals_in_period": run.referrals_in_period,
        "rows": {
            "read": run.rows_read,
            "accepted": run.rows_accepted,
            "quarantined": run.rows_quarantined,
        },
        "outputs": [p.name for p in run.outputs],
        "stages": [{"stage": s, "seconds": round(t, 2)} for s, t in run.stages],
        "areas": [
            {
                "area": a.area,
                "status": a.status,
                "message": a.message,
                "seconds": round(a.seconds, 2),
            }
            for a in run.areas
        ],
    }


def _moved(run: ReportRun, tmp: Path, target: Path) -> ReportRun:
    """``run`` with its paths in the temporary run folder moved to the final folder."""

    def move(p: Path) -> Path:
        p = Path(p)
        try:
            return target / p.relative_to(tmp)
        except ValueError:
            return p

    return replace(
        run,
        report_path=move(run.report_path),
        out_dir=target,
        outputs=tuple(move(p) for p in run.outputs),
    )


def run_report(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    engine: str = "duckdb",
    period: str | None = None,
    thresholds: Path | None = None,
    title: str | None = None,
    lead: str = "",
    meta: Sequence[tuple[str, str]] = (),
    progress: bool = False,
    areas: Sequence[AreaSpec] | None = None,
    xlsx: bool = False,
    config: Path | None = None,
    force: bool = False,
) -> ReportRun:
    """The main job on a data folder: load, compute everything, write the report and outputs.

    ``config``: a clearwater.toml; by default one in the data folder or beside it is used.

    ``out_dir`` must be new, empty or an earlier Clearwater run (else ``force``); it must not
    be or hold the data folder.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ClearwaterError(f"data folder not found: {data_dir}")
    settings = load_config(config, data_dir=data_dir)  # checked before any loading
    with RunFolder(out_dir, force=force, inputs=[data_dir]) as folder:
        run = _report_into(
            data_dir,
            folder.path,
            Stages(progress),
            engine=engine,
            period=period,
            thresholds=thresholds,
            title=title,
            lead=lead,
            meta=meta,
            areas=areas,
            xlsx=xlsx,
            config=settings,
        )
        folder.commit(_manifest_fields(run))
    return _moved(run, folder.path, folder.target)


def _report_into(
    data_dir: Path,
    out: Path,
    stages: Stages,
    *,
    engine: str,
    period: str | None,
    thresholds: Path | None,
    title: str | None,
    lead: str,
    meta: Sequence[tuple[str, str]],
    areas: Sequence[AreaSpec] | None,
    xlsx: bool = False,
    config: ReportConfig | None = None,
    data_label: str | None = None,
) -> ReportRun:
    from clearwater.backend import connect
    from clearwater.dataset.load import load_dataset

    instruments = load_instruments(thresholds)
    with stages.stage(f"Starting the {engine} engine"):
        eng = connect(engine)
    with stages.stage("Loading and checking the data", live=False):
        data = load_dataset(data_dir, eng, instruments, progress=stages.enabled)
    return build_report(
        data,
        out,
        instruments=instruments,
        period=period,
        title=title,
        meta=meta,
        lead=lead,
        areas=areas,
        thresholds=thresholds,
        stages=stages,
        xlsx=xlsx,
        config=config,
        data_label=data_label,
    )


def window_spec(start: dt.date, end: dt.date) -> str:
    """The ``--period`` that names a synthetic window: its financial year when it is exactly
    one (e.g. '2023-24'), else the date range."""
    from clearwater.measures.periods import financial_year, fy_start_year

    fy = financial_year(fy_start_year(start))
    if (fy.start, fy.end) == (start, end):
        return fy.label
    return f"{start.isoformat()}..{end.isoformat()}"


def run_demo(
    out_dir: str | Path = DEFAULT_DEMO_DIR,
    *,
    referrals: int = 20000,
    seed: int = 0,
    engine: str = "duckdb",
    progress: bool = False,
    areas: Sequence[AreaSpec] | None = None,
    xlsx: bool = False,
    force: bool = False,
) -> ReportRun:
    """Synthesise a demo provider into ``out_dir/data`` and run the main job on it.

    The data and the report are one run folder: written beside ``out_dir`` and moved into place
    when complete, never deleting or overwriting files Clearwater did not make.
    """
    from clearwater.synth.generator import SynthConfig, synthesise, write_tables

    if referrals < 1:
        raise ClearwaterError("--referrals must be at least 1")
    stages = Stages(progress)
    with RunFolder(out_dir, force=force) as folder:
        data_dir = folder.path / "data"
        with stages.stage(f"Synthesising a demo provider ({referrals:,} referrals, seed {seed})"):
            synth = synthesise(SynthConfig(referrals=referrals, seed=seed, hard_units=True))
            window = window_spec(*synth.window)
            data_dir.mkdir(parents=True, exist_ok=True)
            write_tables(synth.tables, data_dir, fmt="parquet")
        run = _report_into(
            data_dir,
            folder.path,
            stages,
            engine=engine,
            period=window,
            thresholds=None,
            areas=areas,
            xlsx=xlsx,
            title="Clearwater demo report (synthetic provider)",
            lead=(
                "Every person, referral and clinician in this report is synthetic: made up by "
                "Clearwater's generator to look like a real service. Use it to learn the report."
            ),
            meta=[("Synthetic data", f"{referrals:,} referrals, seed {seed}")],
            data_label=str(Path(out_dir) / "data"),
        )
        folder.commit(_manifest_fields(run))
    return _moved(run, folder.path, folder.target)

"""The ``hrhsearch`` command: each command parses, makes one library call, and formats the result.

Exit status: 0 success; 1 an error (no index, a bad query, a locked index, ...); 2 a usage error;
3 indexing finished but some files failed (each is listed with its reason); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

import hrhsearch

from . import lightstart
from .defaults import DEFAULT_MEASURES, DEPTH, DOCID_KINDS, HEAD_BOOST, K1, MEMORY_MB, TIMEOUT, B
from .errors import HrhsearchError
from .records import Passage, Ranking

if TYPE_CHECKING:
    from .evaluation import Evaluation
    from .reports import IndexReport, Stats
    from .searching import Results

EXIT_FILES_FAILED = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a command stopped by a closed pipe
EXIT_INTERRUPTED = 130  # as a shell reports a process stopped by Ctrl-C


class _Group(click.Group):
    """Turns the library's errors into one ``Error:`` line and an exit status, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except HrhsearchError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from None
        except KeyboardInterrupt:
            # Ctrl-C inside a string exec (dataclasses and named tuples define their methods so)
            # marks CPython as stopped by an unhandled Ctrl-C, and ``python -m hrhsearch`` then
            # ends by SIGINT instead of this exit status. Each string exec clears the mark first.
            exec("")  # noqa: S102
            click.echo("Interrupted. The index keeps everything committed before; run the same command again "
                       "to finish.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader stopped reading (``| head``): stop quietly, as other command-line tools do.
            # Standard output goes to /dev/null so that Python's last flush cannot complain either.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)
        except OSError as exc:  # e.g. an index directory that cannot be created
            where = f" {exc.filename}" if exc.filename else ""
            raise click.ClickException(f"Cannot use{where}: {exc.strerror or exc}") from None


index_option = click.option(
    "--index", "index", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Index directory. Default: $HRHSEARCH_INDEX, else ~/.local/share/hrhsearch/indexes/default.",
)
jobs_option = click.option("--jobs", type=click.IntRange(min=1), default=None, help="Worker processes for reading files. Default: one per core this process may use.")
wait_option = click.option("--wait", type=click.FloatRange(min=0), default=0, help="Seconds to wait for another writer to finish.")
timeout_option = click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=TIMEOUT, show_default=True,
    help="Seconds one file may take to read before it is skipped.",
)
memory_option = click.option(
    "--max-memory", "max_memory", type=click.IntRange(min=64), default=MEMORY_MB, show_default=True,
    help="Megabytes of memory reading one file may take before it is skipped.",
)
passage_option = click.option(
    "--passage-words", type=click.IntRange(30, 5000), default=None,
    help="Most words in one passage (default 300). Set when an index is created; rebuild to change it.",
)
links_option = click.option("--follow-links", is_flag=True, help="Index the files that symbolic links point to.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def _options(*options):
    """One decorator for several click options, which then show in ``--help`` in the order given."""
    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command
    return apply


# The options of the commands that read files into an index: index and rebuild.
writing_options = _options(jobs_option, wait_option, timeout_option, memory_option, links_option, passage_option)


# --k1, --b and --head-boost: the ranking knobs, documented in the README's "Ranking".
ranking_options = _options(
    click.option("--k1", type=click.FloatRange(min=0), default=K1, show_default=True,
                 help="BM25 k1: how fast repeated words stop adding score."),
    click.option("--b", "b", type=click.FloatRange(0, 1), default=B, show_default=True,
                 help="BM25 b: how much long passages are discounted."),
    click.option("--head-boost", type=click.FloatRange(min=0), default=HEAD_BOOST, show_default=True,
                 help="Extra weight of a match in the title or a heading."),
)


# Commands that do one bounded piece of work. The process of any other command collects cyclic
# garbage again from its start (see lightstart: ``hrhsearch`` starts without the collector).
ONE_SHOT = frozenset({"search", "stats"})


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(hrhsearch.__version__, prog_name="hrhsearch")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Search health-workforce documents (PDF, HTML, text, Markdown, RST) by passage."""
    if ctx.invoked_subcommand not in ONE_SHOT:
        lightstart.collect_again()


FACET_ROWS = 8  # values shown per facet on a terminal; --json has them all


# --country, --region, --org, --type, --year and --lang: narrow a search (README "Filters, facets and citations").
filter_options = _options(
    click.option("--country", multiple=True, help="Only passages about this country (name in any language, or ISO code). Repeatable."),
    click.option("--region", multiple=True, help="Only this WHO region: AFRO, AMRO (PAHO), SEARO, EURO, EMRO, WPRO. Repeatable."),
    click.option("--org", multiple=True, help="Only documents from this publisher (WHO, PAHO, USAID, 'ministry of health', ...). Repeatable."),
    click.option("--type", "doc_type", multiple=True,
                 help="Only this document type: strategy, policy, assessment, toolkit, article, factsheet, resolution, report. Repeatable."),
    click.option("--year", default=None, help="Only this year or span: 2016, 2015..2020, 2015.., ..2020."),
    click.option("--lang", multiple=True, help="Only passages in this language (ISO 639-1: en, fr, es, pt). Repeatable."),
)


@main.command()
@click.argument("query", nargs=-1, required=True)
@index_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=10, show_default=True, help="Passages to show.")
@filter_options
@click.option("--facets", is_flag=True, help="Count organisations, years, countries, regions, types and languages over all matches.")
@click.option("--cite", is_flag=True, help="Print each passage as a quotation with its citation, for pasting into a report.")
@click.option("--no-expand", is_flag=True, help="Search only the words typed, without the HRH thesaurus.")
@ranking_options
@json_option
def search(query: tuple[str, ...], index: Path | None, limit: int, country: tuple[str, ...], region: tuple[str, ...],
           org: tuple[str, ...], doc_type: tuple[str, ...], year: str | None, lang: tuple[str, ...], facets: bool,
           cite: bool, no_expand: bool, k1: float, b: float, head_boost: float, as_json: bool) -> None:
    """Print the passages that best match QUERY.

    Example:

        hrhsearch search rural retention of nurses --year 2015..2025 --type toolkit --facets
    """
    if index is None:
        hrhsearch.ensure_default_index(say=lambda message: click.echo(message, err=True))
    results = hrhsearch.search(" ".join(query), index=index, limit=limit, lang=lang, country=country, region=region,
                               org=org, type=doc_type, year=year, facets=facets, expand=not no_expand,
                               ranking=Ranking(k1, b, head_boost))
    if as_json:
        click.echo(json.dumps(results_json(results), ensure_ascii=False))
        return
    for expansion in results.expansions:
        click.echo(click.style(f"Expanded: {expansion}", dim=True), err=True)
    if results.suggestion:
        click.echo(f"Did you mean: {click.style(results.suggestion, bold=True)}", err=True)
    if not results:
        click.echo("No passages found.", err=True)
    for passage in results:
        click.echo(format_citation(passage) if cite else format_passage(passage))
    if results.facets is not None:
        click.echo(format_facets(results))


def results_json(results: Results) -> dict:
    return {
        "query": results.query,
        "total": results.total,
        "expansions": [{"term": e.term, "equivalents": [{"language": lang, "text": text} for lang, text in e.equivalents]}
                       for e in results.expansions],
        "suggestion": results.suggestion,
        "facets": None if results.facets is None else {name: [asdict(v) for v in values] for name, values in results.facets.items()},
        "passages": [passage_json(p) for p in results],
    }


def passage_json(passage: Passage) -> dict:
    record = asdict(passage)
    record["highlights"] = [list(span) for span in passage.highlights]
    return record


def format_citation(passage: Passage) -> str:
    return f"[{passage.rank}] {passage.citation}\n    \u201c{passage.snippet}\u201d\n"


def format_facets(results: Results) -> str:
    lines = [click.style(f"Facets over {results.total} passages (passages / documents):", bold=True)]
    for name, values in (results.facets or {}).items():
        if not values:
            continue
        shown = ", ".join(f"{v.value} {v.passages}/{v.documents}" for v in values[:FACET_ROWS])
        more = f", \u2026 {len(values) - FACET_ROWS} more" if len(values) > FACET_ROWS else ""
        lines.append(f"  {name:<13} {shown}{more}")
    return "\n".join(lines)


def _where(passage: Passage) -> str:
    parts = [_display_path(passage.path)]
    if passage.page_start is not None:
        parts.append(f"p. {passage.page_start}" if passage.page_start == passage.page_end else f"pp. {passage.page_start}\u2013{passage.page_end}")
    parts.append(passage.language)
    return " \u00b7 ".join(parts)


def format_passage(passage: Passage) -> str:
    snippet, last = "", 0
    for start, end in passage.highlights:
        snippet += passage.snippet[last:start] + click.style(passage.snippet[start:end], bold=True, fg="yellow")
        last = end
    snippet += passage.snippet[last:]
    lines = [
        f"{click.style(f'{passage.rank}.', bold=True)} {click.style(passage.title, bold=True)}  (score {passage.score:.2f})",
        f"   {_where(passage)}",
    ]
    if passage.heading:
        lines.append(f"   \u00a7 {passage.heading}")
    lines.append(f"   {snippet}\n")
    return "\n".join(lines)


def _display_path(path: str) -> str:
    try:
        return os.path.relpath(path) if Path(path).is_relative_to(Path.cwd()) else path
    except ValueError:
        return path


def _progress(label: str):
    """A progress bar on a terminal, nothing when output is piped or captured."""
    if not sys.stderr.isatty():
        return None
    state: dict = {}

    def update(done: int, total: int, path: str) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
            state["bar"].__enter__()
        state["bar"].update(1)
        if done == total:
            state["bar"].__exit__(None, None, None)

    return update


def _report(report: IndexReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(asdict(report) | {"ok": report.ok}, indent=2, ensure_ascii=False))
    else:
        for notice in report.notices:
            click.echo(notice, err=True)
        for problem in report.skipped:
            click.echo(f"skipped: {_display_path(problem.path)}: {problem.reason}", err=True)
        for problem in report.warnings:
            click.echo(f"warning: {_display_path(problem.path)}: {problem.reason}", err=True)
        for problem in report.failed:
            click.echo(f"failed: {_display_path(problem.path)}: {problem.reason}", err=True)
        click.echo(
            f"{report.index}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.skipped)} skipped, {len(report.failed)} failed; "
            f"{report.sections} sections written in {report.seconds:.1f} s."
        )
    if not report.ok:
        sys.exit(EXIT_FILES_FAILED)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@writing_options
@json_option
def index(paths: tuple[Path, ...], index: Path | None, jobs: int | None, wait: float, timeout: float,
          max_memory: int, follow_links: bool, passage_words: int | None, as_json: bool) -> None:
    """Index files and folders, creating the index if needed.

    Folders are read recursively.

    Unchanged files are left alone, changed ones re-indexed, and files gone from an indexed
    folder removed. Exits 3 when some files failed.

    Example:

        hrhsearch index reports/ strategy.pdf --index indexes/mine
    """
    report = hrhsearch.build_index(paths, index=index, jobs=jobs, wait=wait, progress=_progress("Indexing"),
                                   timeout=timeout, max_memory_mb=max_memory, follow_links=follow_links,
                                   passage_words=passage_words)
    _report(report, as_json)


@main.command()
@index_option
@writing_options
@json_option
def rebuild(index: Path | None, jobs: int | None, wait: float, timeout: float, max_memory: int,
            follow_links: bool, passage_words: int | None, as_json: bool) -> None:
    """Rebuild an index beside the live one, then swap it in.

    The sources are the files and folders recorded in the index.

    Example:

        hrhsearch rebuild --index indexes/mine
    """
    report = hrhsearch.rebuild(index=index, jobs=jobs, wait=wait, progress=_progress("Rebuilding"),
                               timeout=timeout, max_memory_mb=max_memory, follow_links=follow_links,
                               passage_words=passage_words)
    _report(report, as_json)


@main.command()
@index_option
@wait_option
def optimize(index: Path | None, wait: float) -> None:
    """Merge the index's segments into one.

    Searches run faster after many incremental updates. An index of hrhsearch 0.6.5 or earlier is
    written again in this version's faster format.

    Example:

        hrhsearch optimize --index indexes/mine
    """
    before, after = hrhsearch.optimize(index=index, wait=wait)
    click.echo(f"{before} segments merged into {after}." if before > after else f"{after} segment, in this version's format.")


@main.command(name="eval")
@click.option("--topics", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Topics: TSV (id<TAB>query) or TREC <top> format; .gz is fine.")
@click.option("--qrels", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Relevance judgments in TREC format: topic 0 document grade.")
@index_option
@click.option("--metrics", default=",".join(DEFAULT_MEASURES), show_default=True,
              help="Comma-separated measures (ir-measures names; MAP and MRR are accepted).")
@click.option("--docid", type=click.Choice(DOCID_KINDS), default="stem", show_default=True,
              help="How a judged document id names an indexed file: its name without suffix, its name, or its path.")
@click.option("--depth", type=click.IntRange(min=1), default=DEPTH, show_default=True, help="Documents ranked per topic.")
@click.option("--run-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the ranking as a TREC run file.")
@click.option("--per-query", is_flag=True, help="Show every topic's figures, not only the means.")
@ranking_options
@json_option
def evaluate(topics: Path, qrels: Path, index: Path | None, metrics: str, docid: str, depth: int,
             run_out: Path | None, per_query: bool, k1: float, b: float, head_boost: float, as_json: bool) -> None:
    """Measure ranking against relevance judgments.

    Runs every topic through the same ranking as search and reports MAP, nDCG@10, P@10, R@100
    and MRR, per topic and as means.

    Example:

        hrhsearch eval --topics topics.tsv --qrels qrels.txt --index indexes/mine
    """
    result = hrhsearch.evaluate(topics, qrels, index=index, measures=metrics.split(","), depth=depth, docid=docid,
                                run_out=run_out, ranking=Ranking(k1, b, head_boost))
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2))
        return
    click.echo(format_evaluation(result, per_query))


def format_evaluation(result: Evaluation, per_query: bool) -> str:
    width = max(8, *(len(m) + 1 for m in result.measures))
    lines = ["topic".ljust(10) + "".join(m.rjust(width) for m in result.measures)]
    if per_query:
        lines += [qid.ljust(10) + "".join(f"{values[m]:{width}.4f}" for m in result.measures)
                  for qid, values in result.per_query.items()]
    lines.append("mean".ljust(10) + "".join(f"{result.mean[m]:{width}.4f}" for m in result.measures))
    lines.append(f"{result.queries} judged topics; MAP is the mean of AP and MRR the mean of RR.")
    if result.unjudged:
        lines.append(f"{len(result.unjudged)} topics have no judgments and are not counted.")
    for qid, reason in result.failed.items():
        lines.append(f"topic {qid} could not run and counts as zero: {reason}")
    return "\n".join(lines)


@main.command()
@index_option
@json_option
def stats(index: Path | None, as_json: bool) -> None:
    """Show where an index is and what it holds.

    Also its schema version, generation, sources and size on disk.

    Example:

        hrhsearch stats --index indexes/mine
    """
    result = hrhsearch.stats(index=index)
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2, ensure_ascii=False))
    else:
        click.echo(format_stats(result))


def format_stats(stats: Stats) -> str:
    def counts(mapping: dict[str, int]) -> str:
        return ", ".join(f"{key} {value}" for key, value in mapping.items()) or "none"

    return "\n".join([
        f"index:          {stats.index}",
        f"schema version: {stats.schema_version} ({stats.generation})",
        f"documents:      {stats.documents} ({counts(stats.documents_by_format)})",
        f"sections:       {stats.sections}",
        f"  by format:    {counts(stats.sections_by_format)}",
        f"  by language:  {counts(stats.sections_by_language)}",
        f"sources:        {', '.join(stats.roots) or 'none'}",
        f"last updated:   {stats.updated}",
        f"size on disk:   {stats.size_bytes / 1e6:.1f} MB",
    ])

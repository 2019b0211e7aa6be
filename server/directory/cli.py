"""`flask directory import-subjects PATH`, `import-inspectors PATH` and `template KIND OUT`.

The report (one line per problem, with its line number) goes to stderr, the summary line to
stdout. Exit code 1 when the file is refused or, without --valid-only, when any row is bad; in
both cases nothing is written (the command is one transaction).
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
from flask import current_app

from server.audit.operations import CLI
from server.directory import importer
from server.directory.import_reader import Limits
from server.directory.import_template import build_template
from server.extensions import db
from server.transactions import transactional


def _fail(message: str) -> NoReturn:
    click.echo(f"错误：{message}", err=True)
    raise click.exceptions.Exit(1)


def _run(kind: str, path: str, valid_only: bool) -> None:
    limits = Limits.from_config(current_app.config)
    file = Path(path)
    if not file.is_file():
        _fail(f"找不到文件 {path}")
    if file.stat().st_size > limits.max_bytes:
        _fail(f"文件过大（{file.stat().st_size} 字节），上限为 {limits.max_bytes} 字节。")
    try:
        report = importer.run_import(
            db.session,
            actor=CLI,
            kind=kind,
            data=file.read_bytes(),
            filename=file.name,
            limits=limits,
            valid_only=valid_only,
        )
    except importer.ImportAborted as aborted:
        report = aborted.report
    for line in report.lines():
        click.echo(line, err=True)
    if report.refused is None:
        click.echo(report.summary())
    if report.failed:
        # Raising makes @transactional roll back whatever the import had flushed.
        raise click.exceptions.Exit(1)


@click.group("directory", help="两库（检查对象名录库、执法检查人员名录库）：导入与导入模板。")
def directory() -> None:
    pass


VALID_ONLY_HELP = "只导入正确的行，报告其余的行（默认：有任何错误就不导入）。"


@directory.command(
    "import-subjects", help="从 .xlsx 或 .csv 导入检查对象（按统一社会信用代码更新）。"
)
@click.argument("path")
@click.option("--valid-only", is_flag=True, help=VALID_ONLY_HELP)
@transactional
def import_subjects(path: str, valid_only: bool) -> None:
    _run("subjects", path, valid_only)


@directory.command("import-inspectors", help="从 .xlsx 或 .csv 导入执法人员（按执法证号更新）。")
@click.argument("path")
@click.option("--valid-only", is_flag=True, help=VALID_ONLY_HELP)
@transactional
def import_inspectors(path: str, valid_only: bool) -> None:
    _run("inspectors", path, valid_only)


@directory.command("template", help="把导入模板写到 OUT（KIND 为 subjects 或 inspectors）。")
@click.argument("kind", type=click.Choice(sorted(importer.DIRECTORIES)))
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def template(kind: str, out: str) -> None:
    Path(out).write_bytes(build_template(db.session, kind))
    click.echo(out)


commands = [directory]

"""Console pages for the regions of the zone (街道 / 镇) that subjects and imports refer to."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ADMIN, BACK_OFFICE
from server.directory import operations
from server.directory.models import Region, Subject
from server.directory.operations import DirectoryError
from server.directory.schemas import RegionArgs
from server.extensions import db
from server.validation import InputError, form_data, parse

KEEPERS = (ADMIN, BACK_OFFICE)


def _page(form: dict | None = None, errors: dict | None = None, status: int = 200):
    regions = db.session.scalars(select(Region).order_by(Region.sort, Region.code)).all()
    counts = dict(
        db.session.execute(
            select(Subject.region_code, func.count())
            .where(Subject.is_deleted.is_(False))
            .group_by(Subject.region_code)
        ).all()
    )
    return (
        render_template(
            "directory/regions.html",
            regions=regions,
            counts=counts,
            form=form or {},
            errors=errors or {},
        ),
        status,
    )


def regions():
    return _page()


def regions_create():
    form = form_data(request.form)
    form.setdefault("is_active", "on")
    try:
        data = parse(RegionArgs(), form)
        root = db.session.scalars(select(Region).where(Region.parent_code.is_(None))).first()
        data["parent_code"] = root.code if root is not None else None
        region = operations.create_region(db.session, actor=current_actor(), data=data)
    except InputError as error:
        return _page(form, error.errors, 422)
    except DirectoryError as error:
        return _page(form, {error.field or "code": [str(error)]}, 422)
    flash(_("已新增区域：%(name)s", name=region.name), "success")
    return redirect(url_for("directory.regions"))


def regions_update(code: str):
    region = db.get_or_404(Region, code)
    form = form_data(request.form)
    form["code"] = region.code
    # An unticked checkbox is absent from the form: absent means "no".
    form["is_active"] = "on" if "is_active" in request.form else "off"
    try:
        data = parse(RegionArgs(), form)
        changed = operations.update_region(
            db.session, actor=current_actor(), region=region, data=data
        )
    except InputError as error:
        flash(_("区域 %(code)s 未保存：%(e)s", code=code, e=error.summary()), "error")
        return _page(status=422)
    except DirectoryError as error:
        flash(str(error), "error")
        return _page(status=422)
    flash(_("已保存修改") if changed else _("没有修改任何内容"), "success" if changed else "info")
    return redirect(url_for("directory.regions"))


def register(bp: Blueprint) -> None:
    """Add the region pages to the directory blueprint."""
    guard = roles_required(*KEEPERS)
    bp.add_url_rule("/admin/regions", "regions", guard(regions), methods=["GET"])
    bp.add_url_rule("/admin/regions", "regions_create", guard(regions_create), methods=["POST"])
    bp.add_url_rule(
        "/admin/regions/<code>", "regions_update", guard(regions_update), methods=["POST"]
    )

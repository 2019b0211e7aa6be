"""Cross-cutting web behaviour: locale, security headers, error pages, template helpers."""

from __future__ import annotations

import datetime as dt

from flask import (
    Flask,
    current_app,
    has_request_context,
    jsonify,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from server import privacy
from server.auth.roles import ROLE_LABELS
from server.clock import SHANGHAI, local_today
from server.i18n import N_
from server.validation import translate_messages


def select_locale() -> str:
    """Chinese unless the user switched (session) or asked with ?lang=."""
    if not has_request_context():  # CLI commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    wanted = request.args.get("lang") or session.get("lang")
    if wanted in current_app.config["LANGUAGES"]:
        return wanted
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def wants_json() -> bool:
    """API clients get structured errors; people get a page."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


ERROR_MESSAGES = {
    400: N_("请求格式不正确"),
    401: N_("请先登录"),
    403: N_("您没有权限执行此操作"),
    404: N_("找不到该页面或对象"),
    405: N_("不支持的请求方法"),
    409: N_("操作与当前状态冲突"),
    413: N_("上传的文件过大"),
    422: N_("提交的数据有误"),
    429: N_("请求过于频繁，请稍后再试"),
    500: N_("服务器内部错误，请稍后再试"),
    503: N_("服务暂时不可用，请稍后再试"),
}
DATABASE_RETRY_AFTER_SECONDS = 5


def _database_unavailable(error: OperationalError):
    """The database went away (restart, failover, network): a 503 the phone's outbox and the
    browser retry, rather than a 500 that looks like a bug. Nothing was committed."""
    current_app.logger.warning("database unavailable: %s", str(error.orig)[:200])
    response, code = _error_response(ServiceUnavailable())
    response = current_app.make_response((response, code))
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _error_response(error: HTTPException):
    code = error.code or 500
    message = ERROR_MESSAGES.get(code, error.name)
    if wants_json():
        body = {"code": code, "status": error.name, "message": message}
        data = getattr(error, "data", None)
        if isinstance(data, dict) and data.get("messages"):
            # webargs/flask-smorest validation errors: the same Chinese wording as the console.
            body["errors"] = translate_messages(data["messages"])
        description = getattr(error, "description", None)
        if description and description != type(error).description:
            body["detail"] = description
        return jsonify(body), code
    return render_template("error.html", code=code, message=_(message), error=error), code


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Stored UTC, shown in Asia/Shanghai."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SHANGHAI).strftime(fmt)


def nav_url(endpoint: str, **values) -> str | None:
    """url_for that returns None for an endpoint not registered (the nav hides it)."""
    from flask import url_for
    from werkzeug.routing import BuildError

    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


CONSOLE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
# The field app (/app/, server/fieldapp): its service worker, photos and recordings held as
# blobs, its manifest; still no inline script or style and nothing from another origin.
FIELD_APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; worker-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "manifest-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


def set_security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    field_app = request.path == "/app" or request.path.startswith("/app/")
    response.headers.setdefault(
        "Content-Security-Policy", FIELD_APP_CSP if field_app else CONSOLE_CSP
    )
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if session.get("_user_id") and "Cache-Control" not in response.headers:
        # A signed-in console page holds personal data: never kept by the browser or a proxy
        # (the back button after sign-out on a shared computer must not show it again).
        response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _error_response)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.after_request(set_security_headers)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["mask_id"] = privacy.mask_id_number
    app.jinja_env.filters["mask_phone"] = privacy.mask_phone
    app.jinja_env.filters["mask_name"] = privacy.mask_name
    app.jinja_env.globals["local_today"] = local_today
    app.jinja_env.globals["nav_url"] = nav_url

    @app.context_processor
    def _template_globals():
        return {
            "bureau_name": app.config["BUREAU_NAME"],
            "current_lang": select_locale(),
            "role_labels": ROLE_LABELS,
        }

"""One page of a SELECT as the JSON APIs answer it: {total, page, page_size, pages, items}."""

from __future__ import annotations

from server.extensions import db


def page_body(statement, page: int, size: int) -> dict:
    """An out-of-range page is empty (not 404): a client paging on sees it has reached the end."""
    pagination = db.paginate(statement, page=page, per_page=size, error_out=False)
    return {
        "total": pagination.total,
        "page": page,
        "page_size": size,
        "pages": pagination.pages,
        "items": pagination.items,
    }

"""Sheet lists of the API (``GET /api/v1/sheets/?box=inbox|sent``): keyset pages.

``{"count","next","previous","results"}`` as before; ``next``/``previous`` now carry an opaque
``cursor`` (handoffs/keyset.py), so a client that follows them sees every sheet of the list
once even while sheets are sent, withdrawn or redirected. ``?page=1`` is accepted; later page
numbers are refused with 400 ``page_number_unsupported``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from referral_hub.api_errors import ApiError
from referral_hub.handoffs import keyset
from referral_hub.handoffs.models import ConnectSheet

SHEET_PAGE_SIZE = 50
SHEET_MAX_PAGE_SIZE = 200

# The inbox: earliest deadline first; sent: newest first. Both end in the unique id (keyset.py).
# The desk's whole record (box=desk): newest first.
LIST_ORDER = {
    "inbox": ("ack_due_at", "pk"),
    "sent": ("-sent_at", "-pk"),
    "desk": ("-sent_at", "-pk"),
}


def list_page(
    request: Request,
    rows: QuerySet[ConnectSheet],
    box: str,
    summary: Callable[[ConnectSheet], dict[str, Any]],
) -> dict[str, Any]:
    """``{"count","next","previous","results"}``; ``next``/``previous`` carry a cursor. Page
    numbers are refused past the first: offsets shift under a live list (issue 14)."""
    params = request.query_params
    if params.get("page", "1") != "1":
        raise ApiError(
            "page_number_unsupported",
            "2ページ目以降は next のリンクをたどってください。"
            " / Follow the `next` link for later pages (cursor pagination).",
            400,
        )
    try:
        size = min(int(params.get("page_size", SHEET_PAGE_SIZE)), SHEET_MAX_PAGE_SIZE)
    except ValueError:
        size = SHEET_PAGE_SIZE
    size = max(size, 1)
    try:
        cursor = keyset.decode(params["cursor"]) if params.get("cursor") else None
        page = keyset.paginate(
            rows,
            LIST_ORDER[box],
            cursor,
            size,
            arrived_field="owner_since" if box == "inbox" else None,
        )
    except keyset.BadCursor as exc:
        raise ApiError(
            "invalid_cursor",
            "ページの位置 (cursor) が正しくありません。最初のページからやり直してください。"
            " / The cursor is not valid: start again from the first page.",
            400,
        ) from exc

    def link(position: keyset.Cursor | None) -> str | None:
        if position is None:
            return None
        url = remove_query_param(request.build_absolute_uri(), "page")
        return replace_query_param(url, "cursor", position.encode())

    return {
        "count": rows.count(),
        "next": link(page.next),
        "previous": link(page.previous),
        "results": [summary(s) for s in page.rows],
    }

"""A multipart POST larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` is parsed while it arrives
(issue 14: no CPU burst after the last byte that stalls the worker's audited reads): the raw
body is never spooled, ``request.POST`` / ``request.FILES`` are what Django's own parse gives,
errors are the same JSON 400s, and a client that goes away leaves no parser thread behind."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIRequest
from django.http.multipartparser import MultiPartParserError

from referral_hub import http_handler
from referral_hub.directory.tokens import create_token
from referral_hub.http_handler import SingleHopASGIHandler, get_http_application
from referral_hub.multipart_stream import StreamedASGIRequest, StreamedBody
from referral_hub.vault.uploads import SealedUploadedFile
from tests.asgi_scopes import http_scope
from tests.handoffs import test_attachments_api as attachments_api
from tests.inbox.sockets import run_async
from tests.vault.binary_data import binary_pdf

world = attachments_api.world

BOUNDARY = "----stream-test"
PIECE = 64 * 1024


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = BOUNDARY) -> bytes:
    """``parts``: (field name, file name or None for a plain field, bytes)."""
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/pdf\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def scope(path: str, body_length: int, headers: list[tuple[bytes, bytes]] = ()) -> dict:
    return http_scope(
        path,
        [
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"content-length", str(body_length).encode()),
            *headers,
        ],
    )


async def post(app, path: str, body: bytes, token: str, content_type: str | None = None):
    headers = [(b"authorization", f"Token {token}".encode())]
    the_scope = scope(path, len(body), headers)
    if content_type is not None:
        the_scope["headers"][1] = (b"content-type", content_type.encode())
    communicator = ApplicationCommunicator(app, the_scope)
    for start in range(0, len(body), PIECE):
        more = start + PIECE < len(body)
        await communicator.send_input(
            {"type": "http.request", "body": body[start : start + PIECE], "more_body": more}
        )
    start = await communicator.receive_output(60)
    answer = await communicator.receive_output(60)
    return start["status"], json.loads(answer["body"])


def big_pdf() -> bytes:
    return binary_pdf(3 * 1024 * 1024)  # over the memory limit


@pytest.mark.django_db(transaction=True)
@run_async
async def test_large_upload_is_parsed_on_arrival_without_spooling_the_raw_body(world, monkeypatch):
    def no_raw_spool(*args, **kwargs):
        raise AssertionError("the raw request body was spooled")

    monkeypatch.setattr(http_handler, "SealedSpool", no_raw_spool)
    token = await sync_to_async(lambda: create_token(world["users"]["tax_clerk"])[0])()
    data = big_pdf()
    path = f"/api/v1/sheets/{world['sheet'].pk}/attachments/"
    status, answer = await post(
        get_http_application(), path, multipart([("file", "scan.pdf", data)]), token
    )
    assert status == 201, answer
    assert answer["size"] == len(data)


@pytest.mark.django_db(transaction=True)
@run_async
async def test_bad_multipart_framing_of_a_large_body_is_a_json_400(world):
    token = await sync_to_async(lambda: create_token(world["users"]["tax_clerk"])[0])()
    path = f"/api/v1/sheets/{world['sheet'].pk}/attachments/"
    body = multipart([("file", "scan.pdf", big_pdf())])
    app = get_http_application()

    status, answer = await post(app, path, body, token, "multipart/form-data; boundary=")
    assert (status, answer["code"]) == (400, "malformed_request")

    truncated = body[: len(body) // 2]  # the body ends inside the file part
    status, answer = await post(app, path, truncated, token)
    assert status == 400 and answer["code"] in {"malformed_request", "file_required"}


async def _read(handler: SingleHopASGIHandler, the_scope: dict, body: bytes):
    pieces = [body[i : i + 7919] for i in range(0, len(body), 7919)] or [b""]
    queue = [
        {"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1}
        for n, piece in enumerate(pieces)
    ]

    async def receive():
        return queue.pop(0)

    token = http_handler._SCOPE.set(the_scope)
    try:
        return await handler.read_body(receive)
    finally:
        http_handler._SCOPE.reset(token)


def _as_django_parses(the_scope: dict, body: bytes) -> ASGIRequest:
    return ASGIRequest(the_scope, io.BytesIO(body))


@run_async
async def test_streamed_parse_gives_what_django_parses(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    data = bytes(range(256)) * 40  # 10 KiB: over the (lowered) limits
    body = multipart(
        [
            ("note", None, "相談メモ".encode()),
            ("file", "C:\\scans\\滞納通知.pdf", data),
            ("file", "second.pdf", data[:300]),
            ("file", "", b""),  # an empty file input: no file
            ("note", None, b"two"),
        ]
    )
    the_scope = scope("/send/", len(body))
    body_file = await _read(SingleHopASGIHandler(), the_scope, body)
    assert isinstance(body_file, StreamedBody)
    streamed = StreamedASGIRequest(the_scope, body_file)
    plain = _as_django_parses(the_scope, body)

    assert list(streamed.POST.lists()) == list(plain.POST.lists())
    assert streamed.POST.getlist("note") == ["相談メモ", "two"]
    got = streamed.FILES.getlist("file")
    expected = plain.FILES.getlist("file")
    assert [(f.name, f.size, f.content_type) for f in got] == [
        (f.name, f.size, f.content_type) for f in expected
    ]
    assert got[0].name == "滞納通知.pdf"
    assert isinstance(got[0], SealedUploadedFile)
    assert [f.read() for f in got] == [data, data[:300]]
    body_file.close()


@run_async
async def test_too_many_fields_is_raised_where_django_raises_it(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = multipart([(f"f{n}", None, b"x" * 300) for n in range(10)])
    the_scope = scope("/send/", len(body))
    request = StreamedASGIRequest(the_scope, await _read(SingleHopASGIHandler(), the_scope, body))
    with pytest.raises(Exception) as streamed_error:
        request.POST  # noqa: B018 - the access parses
    with pytest.raises(Exception) as plain_error:
        _as_django_parses(the_scope, body).POST  # noqa: B018
    assert type(streamed_error.value) is type(plain_error.value)
    assert request.POST == {} and request.FILES == {}  # marked, as Django marks it


@run_async
async def test_invalid_boundary_is_raised_as_the_parser_raises_it(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = multipart([("file", "a.pdf", b"x" * 5000)])
    the_scope = scope("/send/", len(body))
    the_scope["headers"][1] = (b"content-type", b"multipart/form-data; boundary=")
    request = StreamedASGIRequest(the_scope, await _read(SingleHopASGIHandler(), the_scope, body))
    with pytest.raises(MultiPartParserError):
        request.POST  # noqa: B018


def _parser_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "multipart-stream"]


@run_async
async def test_client_gone_mid_body_stops_the_parser(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = multipart([("file", "a.pdf", b"x" * 200_000)])
    handler = SingleHopASGIHandler()
    communicator = ApplicationCommunicator(handler, scope("/send/", len(body)))
    await communicator.send_input(
        {"type": "http.request", "body": body[:50_000], "more_body": True}
    )
    await asyncio.sleep(0.1)
    assert len(_parser_threads()) == 1  # parsing while the body arrives
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(5)
    deadline = time.monotonic() + 5
    while _parser_threads() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert _parser_threads() == []


@run_async
async def test_stalled_uploads_cannot_pile_up_parser_threads(settings, monkeypatch):
    """Past the cap a large multipart body is sealed on disk as before (no thread held), and a
    parse that ends, by completion or by its client leaving, frees its place."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    monkeypatch.setattr(http_handler, "PARSES_ON_ARRIVAL_MAX", 2)
    body = multipart([("file", "scan.pdf", bytes(range(256)) * 40)])
    the_scope = scope("/send/", len(body))
    handler = SingleHopASGIHandler()
    stalled = asyncio.Event()

    def stalling_client():
        sent = False

        async def receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body[:2048], "more_body": True}
            await stalled.wait()  # the client goes quiet, then leaves
            return {"type": "http.disconnect"}

        return receive

    async def read(receive):
        token = http_handler._SCOPE.set(the_scope)
        try:
            return await handler.read_body(receive)
        finally:
            http_handler._SCOPE.reset(token)

    threads_before = threading.active_count()
    stalls = [asyncio.create_task(read(stalling_client())) for _ in range(2)]
    await asyncio.sleep(0.05)
    assert threading.active_count() == threads_before + 2

    third = await _read(handler, the_scope, body)  # over the cap: sealed, parsed later
    assert not isinstance(third, StreamedBody)
    assert threading.active_count() == threads_before + 2
    assert StreamedASGIRequest(the_scope, third).FILES["file"].size == 256 * 40
    third.close()

    stalled.set()
    for task in stalls:
        with pytest.raises(Exception):  # noqa: B017 - RequestAborted, as for any disconnect
            await task
    fourth = await _read(handler, the_scope, body)  # places freed: parsed on arrival again
    assert isinstance(fourth, StreamedBody)
    fourth.close()

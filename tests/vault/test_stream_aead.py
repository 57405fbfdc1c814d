"""Streaming AEAD: round trips at the chunk edges, and every kind of tampering fails."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_hub.vault.errors import IntegrityFailure
from referral_hub.vault.stream import (
    DEFAULT_CHUNK_SIZE,
    TAG_BYTES,
    decrypt_stream,
    encrypt_stream,
    verify_stream,
)

CHUNK = DEFAULT_CHUNK_SIZE
KEY = bytes(range(32))
KID = b"datakey:1"


def seal(data: bytes, *, key=KEY, key_id=KID, chunk_size=CHUNK) -> bytes:
    return b"".join(encrypt_stream(io.BytesIO(data), key, key_id=key_id, chunk_size=chunk_size))


def open_all(blob: bytes, *, key=KEY, key_id=KID) -> bytes:
    return b"".join(decrypt_stream(io.BytesIO(blob), key, key_id=key_id))


def split(blob: bytes, chunk_size: int = CHUNK) -> tuple[bytes, list[bytes]]:
    header_length = 4 + 2 + len(KID) + 7 + 4
    header, body = blob[:header_length], blob[header_length:]
    step = chunk_size + TAG_BYTES
    return header, [body[i : i + step] for i in range(0, len(body), step)]


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 10 * 1024 * 1024])
def test_round_trip(size):
    data = os.urandom(size)
    blob = seal(data)
    assert open_all(blob) == data
    chunks = max(1, -(-size // CHUNK))
    assert len(blob) == len(split(blob)[0]) + size + chunks * TAG_BYTES


def test_source_that_returns_short_reads_round_trips():
    class Trickle(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def read(self, size=-1):
            return self.inner.read(min(size, 1000) if size > 0 else size)

    data = os.urandom(3 * CHUNK + 17)
    blob = b"".join(encrypt_stream(Trickle(data), KEY, key_id=KID))
    assert b"".join(decrypt_stream(Trickle(blob), KEY, key_id=KID)) == data


def test_ciphertext_does_not_contain_plaintext():
    data = b"resident letter " * 10000
    assert b"resident letter" not in seal(data)


def test_same_plaintext_seals_differently():
    assert seal(b"x" * 100) != seal(b"x" * 100)


def three_chunk_blob():
    data = os.urandom(2 * CHUNK + 100)
    return data, seal(data)


def assert_refused(blob, **kwargs):
    with pytest.raises(IntegrityFailure):
        open_all(blob, **kwargs)


def test_flipped_bit_in_any_chunk_fails():
    _, blob = three_chunk_blob()
    header, chunks = split(blob)
    for index in range(len(chunks)):
        damaged = [bytearray(c) for c in chunks]
        damaged[index][5] ^= 0x80
        assert_refused(header + b"".join(bytes(c) for c in damaged))


def test_flipped_tag_fails():
    _, blob = three_chunk_blob()
    assert_refused(blob[:-1] + bytes([blob[-1] ^ 1]))


def test_tampered_header_fails():
    _, blob = three_chunk_blob()
    header, chunks = split(blob)
    damaged = bytearray(header)
    damaged[-7] ^= 0x01  # nonce prefix
    assert_refused(bytes(damaged) + b"".join(chunks))
    # Announcing a different chunk size desynchronises and fails too.
    resized = bytearray(header)
    resized[-1] ^= 0x10
    assert_refused(bytes(resized) + b"".join(chunks))


def test_truncation_at_a_chunk_boundary_fails():
    _, blob = three_chunk_blob()
    header, chunks = split(blob)
    assert_refused(header + b"".join(chunks[:-1]))
    assert_refused(header + chunks[0])


def test_truncation_inside_a_chunk_fails():
    _, blob = three_chunk_blob()
    assert_refused(blob[:-10])


def test_header_only_fails():
    header, _ = split(seal(b"abc"))
    assert_refused(header)
    assert_refused(header[:5])
    assert_refused(b"")


def test_reordered_chunks_fail():
    _, blob = three_chunk_blob()
    header, chunks = split(blob)
    assert_refused(header + chunks[1] + chunks[0] + chunks[2])


def test_duplicated_chunk_fails():
    _, blob = three_chunk_blob()
    header, chunks = split(blob)
    assert_refused(header + chunks[0] + chunks[0] + chunks[1] + chunks[2])
    assert_refused(header + chunks[0] + chunks[1] + chunks[1] + chunks[2])


def test_appended_data_fails():
    _, blob = three_chunk_blob()
    assert_refused(blob + b"\x00")
    assert_refused(blob + os.urandom(CHUNK + TAG_BYTES))
    # An exact multiple of a chunk: a complete-looking sealed chunk from another stream.
    _, other = split(seal(os.urandom(CHUNK)))
    assert_refused(blob + other[0])


def test_chunk_spliced_from_another_stream_fails():
    data = os.urandom(2 * CHUNK + 1)
    header_a, chunks_a = split(seal(data))
    _, chunks_b = split(seal(data))
    assert_refused(header_a + chunks_a[0] + chunks_b[1] + chunks_a[2])


def test_wrong_key_fails():
    _, blob = three_chunk_blob()
    assert_refused(blob, key=bytes(32))


def test_stream_for_another_key_id_is_refused():
    _, blob = three_chunk_blob()
    with pytest.raises(IntegrityFailure, match="another key"):
        open_all(blob, key_id=b"datakey:2")


def test_no_plaintext_is_yielded_from_a_damaged_chunk():
    data, blob = three_chunk_blob()
    header, chunks = split(blob)
    damaged = bytearray(chunks[1])
    damaged[0] ^= 1
    received = []
    with pytest.raises(IntegrityFailure):
        for piece in decrypt_stream(
            io.BytesIO(header + chunks[0] + bytes(damaged) + chunks[2]), KEY, key_id=KID
        ):
            received.append(piece)
    assert received == [data[:CHUNK]]  # only the verified first chunk


def test_verify_stream_reports_size_or_refuses():
    data, blob = three_chunk_blob()
    assert verify_stream(io.BytesIO(blob), KEY, key_id=KID) == len(data)
    with pytest.raises(IntegrityFailure):
        verify_stream(io.BytesIO(blob[:-1]), KEY, key_id=KID)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=600), chunk_size=st.integers(min_value=16, max_value=80))
def test_round_trip_any_size_and_chunk_size(data, chunk_size):
    blob = seal(data, chunk_size=chunk_size)
    assert open_all(blob) == data


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=300),
    position=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_any_single_bit_flip_is_detected(data, position, bit):
    blob = bytearray(seal(data, chunk_size=32))
    blob[position % len(blob)] ^= 1 << bit
    with pytest.raises(IntegrityFailure):
        open_all(bytes(blob))

"""Recompute the audit chain and check it against the signed checkpoints.

Events are streamed in ``seq`` order by keyset pagination (one page in memory at a time), so
verifying ten million events needs no more memory than verifying ten. For each event:

* its ``seq`` must follow the previous one (a gap means a deleted event);
* its stored ``hash`` must equal the hash recomputed from its fields (an edited, reordered or
  renumbered event does not);
* its ``prev_hash`` must equal the previous event's hash (an inserted event breaks the link);
* where a signed checkpoint names that ``seq``, the hashes must agree (a chain rewritten from
  some point on, with every hash recomputed, only fails here).

Finally the chain must reach the last checkpoint and the recorded head (a truncated tail does
not). The result names the first ``seq`` that cannot be trusted.

Checkpoints are checked against the one trusted key set (``checkpoints.trusted_keys``). A line
signed by a key outside it is *unverifiable* (vouches for nothing, does not fail the result);
one that does not verify under its own key was *altered*. Results name lines, seqs and key
ids, never the server's file paths.

Speed: each event's canonical text is rebuilt by splicing its stored columns (see
``verify_pages.check_rows``) and whole pages are checked at once; only an event that fails this fast check
is decoded by the model's own encoder, to decide and explain. With ``workers`` > 1 the pages are
read and checked by worker processes side by side (``verify_parallel``) and joined here at their
boundaries; a page that is not clean is walked again here, so the result is the same.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

from referral_hub.audit import chain
from referral_hub.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    read_checkpoints,
    signing_key_id,
    trusted_keys,
)
from referral_hub.audit.checkpoints import checkpoint_path as default_checkpoint_path
from referral_hub.audit.models import AuditEvent, ChainHead
from referral_hub.audit.verify_pages import Row, pages
from referral_hub.audit.verify_parallel import RangeCheck, can_run_in_workers, check_ranges

ProgressCallback = Callable[[int, int], None]


STATUS_OK = "ok"
STATUS_UNVERIFIABLE = "unverifiable"  # the chain verifies; some lines were signed by unknown keys
STATUS_ALTERED = "altered"  # an event or a checkpoint line was changed, removed or inserted
STATUS_ERROR = "error"  # the trusted keys could not be loaded: nothing was checked


@dataclass
class VerifyResult:
    """``ok`` is False only when something was altered or nothing could be checked;
    ``status`` tells ``ok``/``unverifiable``/``altered``/``error`` apart. ``unverifiable``
    lists ``{"line", "seq", "key_id", "reason"}`` of each line signed by a key outside
    ``trusted_keys`` (key ids; ``signing_key_id`` is the current one)."""

    ok: bool
    status: str = STATUS_OK
    entries: int = 0
    head: str = chain.GENESIS_HASH
    first_bad_seq: int | None = None
    reason: str = ""
    last_seq: int = 0
    checkpoints_checked: int = 0
    rechecked: int = 0
    warnings: list[str] = field(default_factory=list)
    unverifiable: list[dict[str, Any]] = field(default_factory=list)
    trusted_keys: list[str] = field(default_factory=list)
    signing_key_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _ChainBroken(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


def verify_chain(
    *,
    checkpoint_path: Path | None = None,
    public_keys: Iterable[str] = (),
    incremental: bool = False,
    allow_shorter: bool = False,
    batch_size: int = 10000,
    progress: ProgressCallback | None = None,
    workers: int = 1,
) -> VerifyResult:
    """Verify the whole chain (or, with ``incremental``, the part after the latest checkpoint
    that matches the chain) and every checkpoint. Never raises for a broken chain: the result
    says what is wrong and where.

    ``allow_shorter`` is for a restored backup, which legitimately ends before the newest
    checkpoints: they are reported as warnings instead of as a truncated tail.

    ``workers`` > 1 reads and checks pages of ``batch_size`` events in that many processes
    (``verify_parallel``; PostgreSQL outside a transaction, more than two pages to check;
    otherwise, and with 1, here). The result is the same either way."""
    result = VerifyResult(ok=True)
    try:
        keys = trusted_keys(public_keys)
        result.signing_key_id = signing_key_id()
    except CheckpointError as exc:
        return VerifyResult(
            ok=False, status=STATUS_ERROR, reason=f"cannot load the checkpoint keys: {exc}"
        )
    result.trusted_keys = list(keys)

    checkpoints: dict[int, list[Checkpoint]] = {}
    file_problems: list[str] = []
    path = checkpoint_path or default_checkpoint_path()
    if keys:
        for line in read_checkpoints(path, keys):
            if line.checkpoint is not None:
                checkpoints.setdefault(line.checkpoint.seq, []).append(line.checkpoint)
            elif line.unverifiable:
                result.unverifiable.append(line.as_unverifiable())
                result.warnings.append(f"{line.describe()} is unverifiable: {line.problem}")
            else:
                file_problems.append(f"{line.describe()}: {line.problem}")
    elif path.exists() and path.stat().st_size > 0:
        result.warnings.append("checkpoints not checked: no signing or public key configured")

    recorded_head = _recorded_head_seq()
    last_seq = _last_seq()
    total = max(recorded_head, last_seq)
    start_seq = 1
    start_hash = chain.GENESIS_HASH
    if incremental and checkpoints:
        start_seq, start_hash = _resume_point(checkpoints)

    walker = _Walker(checkpoints, start_seq, start_hash)
    try:
        next_seq = start_seq
        if workers > 1 and last_seq - start_seq >= 2 * batch_size and can_run_in_workers():
            _walk_ranges(walker, last_seq, batch_size, workers, progress, total)
            next_seq = last_seq + 1  # events appended since are read here
        for rows in pages(next_seq, batch_size):
            walker.check_page(rows)
            if progress is not None:
                progress(walker.last_seq, total)
        walker.check_end(recorded_head, allow_shorter, result.warnings)
    except _ChainBroken as broken:
        result.ok = False
        result.first_bad_seq = broken.seq
        result.reason = broken.reason
    result.entries = walker.entries
    result.head = walker.head
    result.last_seq = walker.last_seq
    result.checkpoints_checked = walker.checkpoints_checked
    result.rechecked = walker.rechecked
    if file_problems:
        result.ok = False
        if not result.reason:
            result.reason = "the checkpoint file was altered: " + "; ".join(file_problems[:5])
        result.warnings.extend(file_problems)
    if not result.ok:
        result.status = STATUS_ALTERED
    elif result.unverifiable:
        result.status = STATUS_UNVERIFIABLE
    return result


def _walk_ranges(
    walker: _Walker,
    last_seq: int,
    batch_size: int,
    workers: int,
    progress: ProgressCallback | None,
    total: int,
) -> None:
    """Join the workers' range checks up to ``last_seq``; walk any range they could not vouch
    for (or that does not join) here, page by page, to find and explain the first problem."""
    ranges = check_ranges(
        walker.expected_seq, last_seq, batch_size, workers, walker.checkpoint_seqs
    )
    with closing(ranges):
        for checked in ranges:
            if not walker.accept_range(checked):
                for rows in pages(checked.first_seq, batch_size, checked.end_seq):
                    walker.check_page(rows)
            if progress is not None:
                progress(walker.last_seq, total)


def _recorded_head_seq() -> int:
    head = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first()
    return int(head or 0)


def _last_seq() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(seq) FROM {AuditEvent._meta.db_table}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def _resume_point(checkpoints: dict[int, list[Checkpoint]]) -> tuple[int, str]:
    """Start at the newest checkpoint: its event is re-checked against it, then everything
    after it. Full verification (the default) remains the nightly job."""
    seq = max(checkpoints)
    if seq == 0:
        return 1, chain.GENESIS_HASH
    return seq, ""


def _authoritative_hash(event: AuditEvent) -> str:
    try:
        return event.computed_hash()
    except ValueError:  # unknown encoding version
        return ""


class _Walker:
    """Carries the chain state from one page to the next."""

    def __init__(
        self, checkpoints: dict[int, list[Checkpoint]], start_seq: int, start_hash: str
    ) -> None:
        self.checkpoints = checkpoints
        self.checkpoint_seqs = sorted(checkpoints)
        self.expected_seq = start_seq
        # An empty ``head`` means "resuming at a checkpoint": the first event's link is vouched
        # for by the checkpoint instead of by its predecessor.
        self.head = start_hash
        self.before_head = ""
        self.last_seq = start_seq - 1
        self.entries = 0
        self.rechecked = 0
        self.checkpoints_checked = 0
        self.last_trusted_checkpoint = 0
        for checkpoint in checkpoints.get(0, []):
            self._check_checkpoint(checkpoint, 0, chain.GENESIS_HASH)

    def check_page(self, rows: list[Row]) -> None:
        """Check a page as a whole (the common, untampered case), or event by event to find
        and explain the first problem."""
        if not self._page_is_clean(rows):
            self._check_one_by_one(rows)
            return
        for seq in self._checkpoint_seqs_within(rows[0][0], rows[-1][0]):
            for checkpoint in self.checkpoints[seq]:
                self._check_checkpoint(checkpoint, seq, rows[seq - rows[0][0]][2])
        self.before_head = rows[-2][2] if len(rows) > 1 else self.head
        self.head = rows[-1][2]
        self.last_seq = rows[-1][0]
        self.expected_seq = self.last_seq + 1
        self.entries += len(rows)

    def accept_range(self, checked: RangeCheck) -> bool:
        """Take a range a worker found clean if it joins the chain here (seq, link, checkpoints):
        the same conditions as ``_page_is_clean``. False: walk it with ``check_page``."""
        if not checked.clean or checked.first_seq != self.expected_seq:
            return False
        if self.head and checked.first_prev_hash != self.head:
            return False
        within = self._checkpoint_seqs_within(checked.first_seq, checked.end_seq - 1)
        if not all(
            checkpoint.head == checked.checkpoint_hashes.get(seq)
            for seq in within
            for checkpoint in self.checkpoints[seq]
        ):
            return False
        for seq in within:
            for checkpoint in self.checkpoints[seq]:
                self._check_checkpoint(checkpoint, seq, checked.checkpoint_hashes[seq])
        self.before_head = checked.before_last_hash if checked.rows > 1 else self.head
        self.head = checked.last_hash
        self.last_seq = checked.end_seq - 1
        self.expected_seq = checked.end_seq
        self.entries += checked.rows
        return True

    def _page_is_clean(self, rows: list[Row]) -> bool:
        first_seq = rows[0][0]
        # Seqs come ordered and unique, so first and last tell whether any is missing.
        if first_seq != self.expected_seq or rows[-1][0] - first_seq != len(rows) - 1:
            return False
        if self.head and rows[0][1] != self.head:
            return False
        if not all(row[3] for row in rows):
            return False
        links = zip(rows, itertools.islice(rows, 1, None), strict=False)
        if not all(earlier[2] == later[1] for earlier, later in links):
            return False
        return all(
            checkpoint.head == rows[seq - first_seq][2]
            for seq in self._checkpoint_seqs_within(first_seq, rows[-1][0])
            for checkpoint in self.checkpoints[seq]
        )

    def _checkpoint_seqs_within(self, first: int, last: int) -> list[int]:
        start = bisect.bisect_left(self.checkpoint_seqs, first)
        end = bisect.bisect_right(self.checkpoint_seqs, last)
        return self.checkpoint_seqs[start:end]

    def _check_one_by_one(self, rows: list[Row]) -> None:
        checkpoints = self.checkpoints
        for seq, prev_hash, stored_hash, hash_ok in rows:
            if seq != self.expected_seq:
                raise _ChainBroken(
                    self.expected_seq,
                    f"event {self.expected_seq} is missing (the next event is {seq}): "
                    "deleted from the log",
                )
            if not hash_ok and not self._recheck(seq):
                raise _ChainBroken(*self._explain_bad_hash(seq))
            if self.head and prev_hash != self.head:
                raise _ChainBroken(*self._explain_bad_link(seq, prev_hash))
            if seq in checkpoints:
                for checkpoint in checkpoints[seq]:
                    self._check_checkpoint(checkpoint, seq, stored_hash)
            self.before_head = self.head
            self.head = stored_hash
            self.last_seq = seq
            self.expected_seq = seq + 1
            self.entries += 1

    def _recheck(self, seq: int) -> bool:
        """The cheap check failed (e.g. details written before they were stored canonically):
        decide with the Python encoder, which is the definition of the hash."""
        self.rechecked += 1
        event = AuditEvent.objects.get(seq=seq)
        return _authoritative_hash(event) == event.hash

    def _explain_bad_hash(self, seq: int) -> tuple[int, str]:
        event = AuditEvent.objects.get(seq=seq)
        # An event whose hash fits one seq earlier was renumbered to make room for an insert.
        event.seq = seq - 1
        if _authoritative_hash(event) == event.hash:
            return (
                seq - 1,
                f"event {seq - 1} was inserted: the original event {seq - 1} now sits at {seq}",
            )
        return seq, f"event {seq} was altered: its hash does not match its content"

    def _explain_bad_link(self, seq: int, prev_hash: str) -> tuple[int, str]:
        # Both events hash correctly, so one of them was re-hashed after a change: the earlier
        # one is the first that cannot be trusted.
        if self.before_head and prev_hash == self.before_head:
            return seq - 1, f"event {seq - 1} was inserted: event {seq} links past it"
        return (
            seq - 1,
            f"event {seq} does not link to event {seq - 1}: event {seq - 1} was altered and "
            f"re-hashed, or event {seq} was moved",
        )

    def _check_checkpoint(self, checkpoint: Checkpoint, seq: int, event_hash: str) -> None:
        if checkpoint.head != event_hash:
            first_untrusted = self.last_trusted_checkpoint + 1
            raise _ChainBroken(
                first_untrusted,
                f"the chain was rewritten between seq {first_untrusted} and {seq}: the checkpoint "
                f"signed at {checkpoint.at} says event {seq} has hash {checkpoint.head[:12]}…, "
                f"the log says {event_hash[:12]}…",
            )
        self.checkpoints_checked += 1
        self.last_trusted_checkpoint = max(self.last_trusted_checkpoint, seq)

    def check_end(self, recorded_head: int, allow_shorter: bool, warnings: list[str]) -> None:
        signed_max = max(self.checkpoints, default=0)
        if signed_max > self.last_seq:
            message = (
                f"the log ends at seq {self.last_seq} but a signed checkpoint covers seq "
                f"{signed_max}: events {self.last_seq + 1}–{signed_max} were removed"
            )
            if not allow_shorter:
                raise _ChainBroken(self.last_seq + 1, message)
            newer = sum(1 for seq in self.checkpoints if seq > self.last_seq)
            warnings.append(f"{newer} checkpoints are newer than this copy of the log ({message})")
        if recorded_head > self.last_seq:
            raise _ChainBroken(
                self.last_seq + 1,
                f"the log ends at seq {self.last_seq} but the chain head records seq "
                f"{recorded_head}: the tail was removed",
            )

"""KEK rotation and retirement over the data keys in the database.

Rotation only re-wraps data keys (32 bytes each); no sealed value or file is rewritten.
Each data key row changes in one UPDATE that sets its new wrap and KEK id together, so at
every moment a key is wrapped under some KEK that is in the keyring file: a run killed at
any point loses nothing and a re-run carries on from the rows still on older KEKs.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gainportal.models.sealing import DataKey
from gainportal.security.crypto import CryptoError, Keyring, KeyringError, WrappedKey, rewrap_data_key
from gainportal.services import audit


class KeyAdminError(RuntimeError):
    """Refused: the message says why and what to do."""


def keyring_path(settings) -> Path:
    if os.environ.get("GAINPORTAL_KEYRING"):
        raise KeyAdminError(
            "The keyring comes from GAINPORTAL_KEYRING, which this command cannot change. Rotate with a "
            "keyring file (GAINPORTAL_KEYRING_FILE), then export the new value.")
    return Path(settings.keyring_file)


def init_keyring(path: Path) -> Keyring:
    if path.exists():
        raise KeyAdminError(f"{path} already exists; refusing to overwrite a keyring (data would be lost)")
    path.parent.mkdir(parents=True, exist_ok=True)
    keyring = Keyring.generate()
    keyring.save(path)
    return keyring


def _live(kek_id: str | None = None):
    query = select(func.count(DataKey.id)).where(DataKey.wrapped.is_not(None))
    return query if kek_id is None else query.where(DataKey.kek_id == kek_id)


def counts_by_kek(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(DataKey.kek_id, func.count(DataKey.id)).where(DataKey.wrapped.is_not(None)).group_by(DataKey.kek_id))
    return {kek_id: n for kek_id, n in rows}


def shredded_count(session: Session) -> int:
    return session.scalar(select(func.count(DataKey.id)).where(DataKey.wrapped.is_(None)))


@dataclass
class RotationResult:
    primary: str
    new_kek: bool
    rewrapped: int = 0
    failed: list[int] = field(default_factory=list)  # data key ids that could not be unwrapped


def rotate(session: Session, path: Path, *, batch_size: int = 500, pause_s: float = 0.0,
           force_new_kek: bool = False, echo: Callable[[str], None] = lambda _m: None) -> RotationResult:
    """Add a KEK (unless an earlier run was interrupted: then finish that one) and re-wrap
    every live data key under it, committing after each batch."""
    keyring = Keyring.load_file(path)
    behind = session.scalar(_live().where(DataKey.kek_id != keyring.primary.id))
    new_kek = force_new_kek or behind == 0
    if new_kek:
        kek = keyring.add_kek()
        # Saved before any re-wrap: a key is never wrapped under a KEK only memory knows.
        keyring.save(path)
        echo(f"Added KEK {kek.id}; it is now the primary")
        behind = session.scalar(_live().where(DataKey.kek_id != kek.id))
    else:
        echo(f"Resuming: {behind} data key(s) still on older KEKs; re-wrapping under {keyring.primary.id}")
    result = RotationResult(primary=keyring.primary.id, new_kek=new_kek)
    last_id = 0
    while True:
        batch = session.execute(
            select(DataKey.id, DataKey.kek_id, DataKey.wrapped)
            .where(DataKey.id > last_id, DataKey.wrapped.is_not(None), DataKey.kek_id != result.primary)
            .order_by(DataKey.id).limit(batch_size)).all()
        if not batch:
            break
        for key_id, kek_id, blob in batch:
            last_id = key_id
            try:
                fresh = rewrap_data_key(keyring, WrappedKey(kek_id, blob))
            except CryptoError:
                result.failed.append(key_id)
                continue
            # Guarded on the old wrap: a key shredded by retention meanwhile stays shredded.
            done = session.execute(
                update(DataKey)
                .where(DataKey.id == key_id, DataKey.kek_id == kek_id, DataKey.wrapped.is_not(None))
                .values(kek_id=fresh.kek_id, wrapped=fresh.blob)
                .execution_options(synchronize_session=False))
            result.rewrapped += done.rowcount
        session.commit()
        echo(f"Re-wrapped {result.rewrapped} of {behind} data key(s)")
        if pause_s:
            time.sleep(pause_s)
    audit.record(session, "keys_rotated", outcome="failure" if result.failed else "success",
                 object_type="kek", object_id=result.primary,
                 detail={"new_kek": new_kek, "rewrapped": result.rewrapped, "failed_data_key_ids": result.failed[:100]})
    session.commit()
    return result


def retire(session: Session, path: Path, kek_id: str) -> None:
    keyring = Keyring.load_file(path)
    if kek_id not in keyring.kek_ids:
        raise KeyAdminError(f"No KEK {kek_id} in the keyring at {path}")
    if kek_id == keyring.primary.id:
        raise KeyAdminError(
            f"KEK {kek_id} is the primary: new data keys are wrapped with it. Run `gainportal keys rotate` "
            "first, then retire it once nothing uses it")
    in_use = session.scalar(_live(kek_id))
    if in_use:
        raise KeyAdminError(
            f"KEK {kek_id} still wraps {in_use} data key(s). Run `gainportal keys rotate` to re-wrap them "
            "under the primary KEK, then retire it")
    try:
        keyring.remove_kek(kek_id)
    except KeyringError as exc:
        raise KeyAdminError(str(exc)) from None
    # Recorded first (and rolled back if the save fails), so no retirement goes unaudited.
    audit.record(session, "kek_retired", object_type="kek", object_id=kek_id)
    try:
        keyring.save(path)
    except BaseException:
        session.rollback()
        raise
    session.commit()

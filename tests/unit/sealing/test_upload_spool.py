"""The form parser's spool for large uploads: reads back exactly what was written, at any
offset, while the bytes on disk are ciphertext under a key only the process holds."""
from __future__ import annotations

import io
import os
import random

from flask import request

from gainportal.services.files import SPOOL_IN_MEMORY_BYTES, SealedSpoolRequest, _EphemeralSealedSpool

MARKER = b"PLAINTEXT-MARKER-"


def test_spool_round_trips_at_any_offset_and_stores_only_ciphertext():
    rng = random.Random(7)
    data = (MARKER * 200_000)[:3_000_001]
    spool = io.BufferedRandom(_EphemeralSealedSpool(), buffer_size=256 * 1024)
    position = 0
    while position < len(data):
        step = rng.randint(1, 100_000)
        spool.write(data[position:position + step])
        position += step
    spool.flush()
    raw = spool.raw._file
    raw.seek(0)
    on_disk = raw.read()
    assert len(on_disk) == len(data) and MARKER not in on_disk
    spool.seek(0)
    back = b"".join(iter(lambda: spool.read(rng.randint(1, 70_000)), b""))
    assert back == data
    for offset in (0, 15, 16, 17, 1_000_003, len(data) - 5):
        spool.seek(offset)
        assert spool.read(40) == data[offset:offset + 40]
    spool.seek(0)
    assert spool.readline() == data  # no newline in it: werkzeug's readline sees one long line


def test_two_spools_of_the_same_bytes_differ_on_disk():
    blobs = []
    for _ in range(2):
        spool = _EphemeralSealedSpool()
        spool.write(MARKER * 10)
        spool._file.seek(0)
        blobs.append(spool._file.read())
    assert blobs[0] != blobs[1]


def test_the_app_parses_large_uploads_through_the_sealed_spool(app):
    content = os.urandom(SPOOL_IN_MEMORY_BYTES + 1)
    seen = {}

    @app.post("/_spool_probe")
    def _spool_probe():
        upload = request.files["file"]
        seen["raw"] = type(getattr(upload.stream, "raw", upload.stream)).__name__
        seen["data"] = upload.read()
        return "ok"

    from gainportal.security import access
    access.public(_spool_probe)
    app.config["WTF_CSRF_ENABLED"] = False
    assert app.request_class is SealedSpoolRequest
    response = app.test_client().post("/_spool_probe", data={"file": (io.BytesIO(content), "big.bin")},
                                      content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert seen["raw"] == "_EphemeralSealedSpool" and seen["data"] == content

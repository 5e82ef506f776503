"""Streaming sealer versus raw one-shot AES-256-GCM: throughput and memory.

Run: .venv/bin/python bench/crypto_bench.py

1. Throughput: the same random bytes are sealed by ``encrypt_stream`` (read
   from a file-like in 64 KiB chunks, written to a counting sink) and by a
   single ``AESGCM.encrypt`` call. Best of several interleaved runs. A third
   column, raw ``AESGCM.encrypt`` over 64 KiB slices with no reading, is the
   ceiling for any chunked design.
2. Memory: a random plaintext file is written in pieces; then a fresh
   subprocess stream-encrypts it to disk and stream-decrypts it back to disk.
   Growth of ru_maxrss and of VmHWM over the child's post-import baseline,
   then tracemalloc's peak for a second encrypt+decrypt pass. Flat means
   10 MB and 200 MB look the same. Files are compared after timing.

Linux carries a parent's peak RSS into its child's ru_maxrss across
fork+exec, so the parent does not import gainportal (Flask and friends)
until the memory children have run; VmHWM has no such inheritance.

MB = 10**6 bytes throughout.
"""

from __future__ import annotations

import filecmp
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Runnable from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MB = 10**6
GEN_CHUNK = 1 << 20
CHUNK_BYTES = 64 * 1024
TARGET_RATIO = 0.80


def crypto():
    """gainportal.security.crypto, imported late (see the module docstring)."""
    import gainportal.security.crypto

    return gainportal.security.crypto


def bench_aad() -> bytes:
    return crypto().aad_for("upload", "content", 1, 0)


def random_bytes(size: int) -> bytes:
    return b"".join(os.urandom(min(GEN_CHUNK, size - pos)) for pos in range(0, size, GEN_CHUNK))


class CountingSink:
    def __init__(self):
        self.count = 0

    def write(self, data) -> None:
        self.count += len(data)


def time_stream(key: bytes, data: bytes) -> float:
    sink = CountingSink()
    encrypt_stream = crypto().encrypt_stream
    aad = bench_aad()
    start = time.perf_counter()
    encrypt_stream(key, io.BytesIO(data), sink.write, aad)
    elapsed = time.perf_counter() - start
    assert sink.count > len(data)
    return elapsed


def time_raw(key: bytes, data: bytes) -> float:
    aead = AESGCM(key)
    nonce, aad = os.urandom(12), bench_aad()
    start = time.perf_counter()
    aead.encrypt(nonce, data, aad)
    return time.perf_counter() - start


def time_raw_chunks(key: bytes, data: bytes) -> float:
    aead = AESGCM(key)
    nonce, aad = os.urandom(12), bench_aad()
    view = memoryview(data)
    start = time.perf_counter()
    for pos in range(0, len(data), CHUNK_BYTES):
        aead.encrypt(nonce, view[pos : pos + CHUNK_BYTES], aad)
    return time.perf_counter() - start


def throughput() -> list[tuple[int, float, float, float]]:
    """Rows of (size MB, one-shot MB/s, raw 64 KiB chunks MB/s, stream MB/s)."""
    rows = []
    key = crypto().new_data_key()
    assert crypto().CHUNK_BYTES == CHUNK_BYTES
    timers = (time_raw, time_raw_chunks, time_stream)
    for size_mb, repeats in ((1, 40), (10, 15), (200, 3)):
        data = random_bytes(size_mb * MB)
        best = [float("inf")] * len(timers)
        for _ in range(repeats):  # interleaved, so drift hits all alike
            for i, timer in enumerate(timers):
                best[i] = min(best[i], timer(key, data))
        rows.append((size_mb, *(size_mb / b for b in best)))
        del data
    return rows


# --- memory (child process) ---------------------------------------------


def _roundtrip_files(key: bytes, directory: str) -> tuple[float, float]:
    plain, sealed, back = (os.path.join(directory, n) for n in ("plain", "sealed", "back"))
    aad = bench_aad()
    start = time.perf_counter()
    with open(plain, "rb") as src, open(sealed, "wb") as dst:
        crypto().encrypt_stream(key, src, dst.write, aad)
    mid = time.perf_counter()
    with open(sealed, "rb") as src, open(back, "wb") as dst:
        for chunk in crypto().decrypt_stream(key, src, aad):
            dst.write(chunk)
    return mid - start, time.perf_counter() - mid


def _vm_hwm_kib() -> int:
    """Peak RSS of this process image (Linux); unlike ru_maxrss it starts afresh at exec."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def memory_child(directory: str) -> None:
    key = crypto().new_data_key()
    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    baseline_hwm_kib = _vm_hwm_kib()
    enc_s, dec_s = _roundtrip_files(key, directory)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm_kib = _vm_hwm_kib()
    tracemalloc.start()
    _roundtrip_files(key, directory)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    json.dump(
        {
            "rss_delta_kib": rss_kib - baseline_kib,
            "rss_kib": rss_kib,
            "hwm_delta_kib": hwm_kib - baseline_hwm_kib,
            "traced_peak": traced_peak,
            "enc_s": enc_s,
            "dec_s": dec_s,
        },
        sys.stdout,
    )


def memory(size_mb: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="crypto-bench-") as directory:
        plain = os.path.join(directory, "plain")
        with open(plain, "wb") as fh:
            for pos in range(0, size_mb * MB, GEN_CHUNK):
                fh.write(os.urandom(min(GEN_CHUNK, size_mb * MB - pos)))
        out = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--memory-child", directory],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        if not filecmp.cmp(plain, os.path.join(directory, "back"), shallow=False):
            raise SystemExit(f"{size_mb} MB: decrypted file differs from the original")
    return json.loads(out)


def main() -> int:
    # Memory first, while this process is still small (see the module docstring).
    print("Memory while streaming encrypt + decrypt, file -> file on disk (fresh subprocess each)\n")
    print(
        f"{'size':>8} | {'ru_maxrss delta':>15} | {'VmHWM delta':>11} | {'ru_maxrss':>10} | "
        f"{'tracemalloc peak':>16} | {'enc MB/s':>8} | {'dec MB/s':>8}"
    )
    print("-" * 98)
    peaks = {}
    for size_mb in (10, 200):
        m = peaks[size_mb] = memory(size_mb)
        print(
            f"{size_mb:>5} MB | {m['rss_delta_kib']:>11} KiB | {m['hwm_delta_kib']:>7} KiB | "
            f"{m['rss_kib'] / 1024:>6.1f} MiB | "
            f"{m['traced_peak'] / 1024:>12.0f} KiB | {size_mb / m['enc_s']:>8.0f} | {size_mb / m['dec_s']:>8.0f}"
        )
    growth = peaks[200]["traced_peak"] - peaks[10]["traced_peak"]
    print(f"\ntracemalloc peak growth from 10 MB to 200 MB: {growth / 1024:.1f} KiB")

    print("\nSealing throughput, MB/s (best of interleaved runs)")
    print("  one-shot: AESGCM.encrypt on the whole buffer")
    print("  chunks:   AESGCM.encrypt over 64 KiB slices, nothing read (ceiling for chunking)")
    print("  stream:   encrypt_stream from a file-like (BytesIO) into a counting sink\n")
    print(
        f"{'size':>8} | {'one-shot':>8} | {'chunks':>8} | {'stream':>8} | "
        f"{'stream/one-shot':>15} | {'stream/chunks':>13}"
    )
    print("-" * 79)
    ok = True
    for size_mb, raw, chunks, stream in throughput():
        ratio = stream / raw
        ok &= ratio >= TARGET_RATIO
        verdict = "ok" if ratio >= TARGET_RATIO else "BELOW"
        print(
            f"{size_mb:>5} MB | {raw:>8.0f} | {chunks:>8.0f} | {stream:>8.0f} | "
            f"{ratio:>9.2f} {verdict:<5} | {stream / chunks:>13.2f}"
        )
    print(f"(target: stream/one-shot >= {TARGET_RATIO:.2f})")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory-child":
        memory_child(sys.argv[2])
    else:
        sys.exit(main())

"""Many visitors asking for the same thing at once, as happens whenever several people open the page.

Every page load fires the same default requests. Gradio 6 writes a returned PIL image to a file
named by its content hash and rewrites that file on every call, so an identical request could
truncate the file while an earlier response was still streaming it (a broken image, or
`RemoteProtocolError` for an API client). These tests make that happen often if it can.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from gradio_client import Client

from gan.sampling.images import decode_all_frames

CLIENTS, CALLS = 8, 12
CALL_TIMEOUT_S = 120  # a call that never answers counts as a failure instead of hanging the suite
SLIDERS = [0.0] * 8
# One identical call per named endpoint, with the page's own default inputs where it has them.
IDENTICAL_CALLS = {
    "/model_card": ("mnist-small",),
    "/sample": ("mnist-small", 0, 64, 1.0, "All classes"),
    "/slider_image": ("mnist-small", 0, "", "principal", "", *SLIDERS),
    "/interpolate": ("mnist-small", 1, 2, None, None, 16, "slerp", ""),
    "/models": (),
}


def files_in(result) -> list[str]:
    values = result if isinstance(result, (tuple, list)) else [result]
    return [v for v in values if isinstance(v, str) and v.endswith((".png", ".gif", ".webp"))]


def hammer(url: str, api_name: str, args: tuple, download_root) -> tuple[list[str], list[str]]:
    """CLIENTS clients, released together, each making CALLS identical calls; (errors, formats seen)."""
    errors, formats, lock = [], [], threading.Lock()
    # Each client downloads into its own folder, so the clients cannot collide on their side.
    clients = [Client(url, verbose=False, download_files=str(download_root / f"client-{i}")) for i in range(CLIENTS)]
    start = threading.Barrier(CLIENTS, timeout=60)

    def visitor(client) -> None:
        start.wait()
        for _ in range(CALLS):
            try:
                result = client.submit(*args, api_name=api_name).result(timeout=CALL_TIMEOUT_S)
                seen = [decode_all_frames(p) for p in files_in(result)]
                with lock:
                    formats.extend(seen)
            except Exception as e:  # collected, so one failure does not hide the others
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=visitor, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors, formats


@pytest.mark.slow
@pytest.mark.parametrize("api_name", list(IDENTICAL_CALLS))
def test_identical_concurrent_calls_all_get_complete_files(app_url, tmp_path, api_name):
    errors, formats = hammer(app_url, api_name, IDENTICAL_CALLS[api_name], tmp_path)
    assert not errors, f"{len(errors)} of {CLIENTS * CALLS} calls failed; first: {errors[0]}"
    expected = {"/models": 0, "/interpolate": 2}.get(api_name, 1) * CLIENTS * CALLS
    assert len(formats) == expected and set(formats) <= {"PNG", "GIF"}


def test_every_endpoint_default_is_a_valid_call(app_url):
    """The API page shows each parameter's default: calling with none, or only some, must work."""
    client = Client(app_url, verbose=False)
    for api_name in IDENTICAL_CALLS:
        for path in files_in(client.predict(api_name=api_name)):
            assert decode_all_frames(path) in {"PNG", "GIF"}, api_name
    strip, gif, info = client.predict("mnist-small", 1, 2, api_name="/interpolate")
    assert decode_all_frames(strip) == "PNG" and decode_all_frames(gif) == "GIF" and "seed 1 → seed 2" in info
    # /neighbours too (the attack run found its latent had no default): a valid call, whose answer is
    # the nearest images or, while the index is still building, a clean message saying so.
    try:
        gallery, sentence = client.predict(api_name="/neighbours")
        assert decode_all_frames(gallery) == "PNG" and "seed 0" in sentence
    except Exception as e:
        assert "index" in str(e) and "required argument" not in str(e), e


def test_output_files_are_written_once_and_never_rewritten(tmp_path, monkeypatch):
    import os

    from studio.outputs import OutputFiles

    out = OutputFiles(tmp_path)
    first = out.write(b"same bytes", "image.png")
    inode = os.stat(first).st_ino
    again = out.write(b"same bytes", "image.png")
    assert again == first and os.stat(again).st_ino == inode  # reused, not replaced under a reader
    assert out.write(b"other bytes", "image.png") != first
    assert not [p for p in tmp_path.rglob(".*")]  # no temp files left behind
    # Each app process gets its own folder: another process's clean-up cannot delete our files.
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    assert OutputFiles.in_gradio_cache().folder != OutputFiles.in_gradio_cache().folder


def test_a_truncated_png_or_gif_is_caught(tmp_path):
    """The check the concurrency tests rely on: half a file must not decode."""
    from gan.sampling.images import gif_bytes, make_grid, png_bytes

    grid = make_grid(np.random.default_rng(0).integers(0, 255, (16, 28, 28)), scale=2)
    for name, data in (("a.png", png_bytes(grid)), ("a.gif", gif_bytes([grid, grid.rotate(90), grid.rotate(180)]))):
        whole, half = tmp_path / name, tmp_path / f"half-{name}"
        whole.write_bytes(data)
        half.write_bytes(data[: len(data) // 2])
        assert decode_all_frames(str(whole)) in {"PNG", "GIF"}
        with pytest.raises((OSError, SyntaxError, ValueError)):
            decode_all_frames(str(half))

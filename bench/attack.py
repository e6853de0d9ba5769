"""Replay the attack families of issues #36 and #40 against a running app on loopback and print, per
attack, the answer, the app's peak memory growth, the CPU time it spent and the disk left behind.

    python bench/attack.py                    # starts its own app (login on, training on loopback)
    python bench/attack.py --quick            # skips the slowest families (big zips, live runs)

The app runs as `python app.py` with GAN_AUTH set, its own GRADIO_TEMP_DIR and --runs-dir, so
its uploads and runs are measured alone. Memory: the app's VmHWM (peak RSS), reset before each
attack through /proc/PID/clear_refs, minus its RSS just before. Disk: Gradio's temp folder and the
runs folder after the attack, minus before. At the end the app's log is searched for tracebacks
and for server paths in what the attacks got back. Traffic goes to 127.0.0.1 only, and every
loop is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from gan.sampling.images import png_bytes
from studio.run_folders import folder_mb

ROOT = Path(__file__).resolve().parent.parent
AUTH = ("attacker-bench", "correct horse battery staple")
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n0 0 moveto (pwned) show showpage\n"
FAST = "fast (live default)"
UNUSED_S = 20  # the bench app removes uploads no action used after this many seconds


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def digit(value: int = 0) -> bytes:
    image = Image.new("L", (40, 40), 255)
    image.paste(value, (15, 5, 25, 35))
    return png_bytes(image)


class App:
    def __init__(self, work: Path):
        self.port, self.work = free_port(), work
        self.temp, self.runs, self.log_path = work / "gradio", work / "runs", work / "app.log"
        env = {**os.environ, "GAN_AUTH": ":".join(AUTH), "GRADIO_TEMP_DIR": str(self.temp),
               "GRADIO_ANALYTICS_ENABLED": "False", "GAN_UPLOAD_UNUSED_S": str(UNUSED_S)}
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "app.py", "--port", str(self.port), "--runs-dir", str(self.runs)],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/"
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/")
                connection.getresponse()
                break
            except OSError:
                time.sleep(0.5)
        from gradio_client import Client

        self.client = Client(self.url, auth=AUTH, verbose=False)
        self.cookies()

    def rss_mb(self) -> float:
        return self._status("VmRSS")

    def _status(self, key: str) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cookies(self) -> str:
        """The owner's browser: logged in once at start, before any guessing (session and device cookie)."""
        if not getattr(self, "_cookies", ""):
            self._cookies = self._log_in()
        return self._cookies

    def _log_in(self) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = f"username={AUTH[0]}&password={AUTH[1].replace(' ', '+')}"
        connection.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        response.read()
        return "; ".join(v.split(";")[0] for k, v in response.getheaders() if k.lower() == "set-cookie")

    def reset_peak(self) -> None:
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")

    def disk_mb(self) -> float:
        return folder_mb(self.temp) + folder_mb(self.runs)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def post(port: int, path: str, body: bytes, content_type: str, headers: dict | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", content_type)
    connection.putheader("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.endheaders()
    try:
        for i in range(0, len(body), 1 << 20):
            connection.send(body[i:i + (1 << 20)])
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        return connection.getresponse().status
    finally:
        connection.close()


def call(app: App, *args, api_name: str) -> str:
    """The endpoint's answer in a few words: 'ok: ...' or the error message it gave."""
    try:
        result = app.client.predict(*args, api_name=api_name)
        text = result[-1] if isinstance(result, (tuple, list)) else result
        return "ok: " + str(text)[:90]
    except Exception as e:
        return f"refused: {str(e)[:140]}"


def upload(path: Path):
    from gradio_client import handle_file

    return handle_file(str(path))


def make_zip(path: Path, entries: dict, dirs: int = 0) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(dirs):
            z.writestr(f"{np.base_repr(i, 36)}/", b"")  # short names: 560,000 folders fit under 50 MB
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def wait_for_run(app: App, states=("stopped", "finished", "crashed"), timeout: float = 180) -> dict:
    deadline = time.time() + timeout
    status = {}
    while time.time() < deadline:
        status = app.client.predict(api_name="/train_status")
        if status["state"] in states:
            return status
        time.sleep(1)
    return status


def prepare_files(work: Path) -> None:
    big = Image.new("RGBA", (4096, 4096), (0, 0, 0, 0))
    big.paste((0, 0, 0, 255), (1800, 500, 2300, 3600))
    (work / "big.png").write_bytes(png_bytes(big))
    (work / "eps.png").write_bytes(EPS)
    Image.new("LAB", (64, 64)).save(work / "lab.tif", format="TIFF")
    Image.fromarray((np.random.rand(64, 64) * 60000).astype(np.uint16)).save(work / "deep.png")
    (work / "digit.png").write_bytes(digit())
    deep = np.zeros((4096, 4096), np.uint16)
    deep[500:3600, 1800:2300] = 60_000  # a stroke: an inversion, not a blank-picture refusal
    (work / "deep4096.png").write_bytes(png_bytes(Image.fromarray(deep)))
    names = io.BytesIO()
    with zipfile.ZipFile(names, "w") as z:
        z.writestr("XXXX", digit())
    flagged_utf8 = names.getvalue().replace(b"XXXX", b"\xff\xfe.p")
    for header in (b"PK\x03\x04\x14\x00", b"PK\x01\x02\x14\x03\x14\x00"):
        flagged_utf8 = flagged_utf8.replace(header + b"\x00\x00", header + b"\x00\x08", 1)
    (work / "names.zip").write_bytes(flagged_utf8)


def invert(app: App, work: Path, name: str) -> str:
    return call(app, "mnist-dcgan-cond", upload(work / name), 20, api_name="/invert")


def start_zip(app: App, path: Path, steps: int = 100) -> str:
    return call(app, "Your images (.zip)", FAST, False, steps, upload(path), 0, api_name="/train_start")


def crowd(picture: str):
    """4 clients x 3 /invert requests of `picture` at once."""
    def attack(app: App, work: Path) -> str:
        answers, lock = [], threading.Lock()

        def visitor():
            for _ in range(3):
                answer = invert(app, work, picture)
                with lock:
                    answers.append(answer.split(":")[0])
        threads = [threading.Thread(target=visitor) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        return f"{answers.count('ok')}/12 found"
    return attack


def identical_images(app: App, work: Path) -> str:
    answer = start_zip(app, make_zip(work / "same.zip", {f"{i}.png": digit() for i in range(64)}), 60)
    status = wait_for_run(app)
    return f"{answer[:40]} → {status.get('state')}: {status.get('message', '')[-60:]}"


def two_starts(app: App, work: Path) -> str:
    answers = []
    zips = [make_zip(work / f"visitor-{v}.zip", {f"{v}{i}.png": digit(i) for i in range(64 + 16 * k)})
            for k, v in enumerate("ab")]
    threads = [threading.Thread(target=lambda z=z: answers.append(start_zip(app, z, 50))) for z in zips]
    [t.start() for t in threads]
    [t.join() for t in threads]
    wait_for_run(app)
    counts = [len(list((f / "images").rglob("*.png"))) for f in sorted((app.runs / "live").glob("images-*"))]
    return f"{sum(a.startswith('ok') for a in answers)} started; images per run folder {counts}"


def stop_at_once(app: App, work: Path) -> str:
    call(app, "MNIST", FAST, False, 400, None, 512, api_name="/train_start")
    answer = call(app, api_name="/train_stop")
    status = wait_for_run(app)
    return f"{answer[:60]} → {status.get('state')}: {status.get('message', '')[-60:]}"


def max_size_zips(app: App, work: Path) -> str:
    path = make_zip(work / "max.zip", {"noise.png": os.urandom(49 * 2**20)})
    answers = {start_zip(app, path).split(":")[0] for _ in range(10)}
    time.sleep(40)  # uploads are deleted 30 s after their last use
    return f"10 x {path.stat().st_size / 2**20:.0f} MB zips: {answers}"


def wrong_passwords(app: App, work: Path) -> str:
    form = "application/x-www-form-urlencoded"
    statuses = [post(app.port, "/login", f"username={AUTH[0]}&password=guess{i}".encode(), form) for i in range(30)]
    right = post(app.port, "/login", f"username={AUTH[0]}&password={AUTH[1].replace(' ', '+')}".encode(), form)
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    return f"30 wrong: {counts}; the right one right after: {right}"


def public_without_login(app: App, work: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "GAN_AUTH"}
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "app.py", "--host", "0.0.0.0", "--allow-training", "--port", "1"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return f"exit {out.returncode} after {time.perf_counter() - t:.1f} s: {out.stderr.strip().splitlines()[-1][:80]}"


def huge_upload(app: App, work: Path) -> str:
    return f"HTTP {post(app.port, '/gradio_api/upload', b'0' * (300 * 2**20), 'multipart/form-data; boundary=x')}"


def huge_data_url(app: App, work: Path) -> str:
    body = json.dumps({"data": ["data:image/png;base64," + "A" * 40 * 2**20]}).encode()
    return f"HTTP {post(app.port, '/gradio_api/queue/join', body, 'application/json')}"


# --- second pass (#40): budgets on every route, not cases ---------------------------------------

def empty_dicts(mb: int) -> bytes:
    """The JSON that cost +2.7 GB to parse: {"data":[{},{},...]}."""
    return b'{"data":[' + b"{}," * (mb * 2**20 // 3) + b"{}]}"


def json_flood(path: str, mb: int = 49):
    return lambda app, work: f"HTTP {post(app.port, path, empty_dicts(mb), 'application/json')}"


def canvas_index(app: App, work: Path) -> str:
    cookies = app.cookies()
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    connection.request("GET", "/config", headers={"Cookie": cookies})
    config = json.loads(connection.getresponse().read())
    canvas = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "drawing-canvas")
    fields = {"component_id": canvas, "session_hash": "s", "fn_name": "accept_blobs", "type": "layer",
              "index": 100_000_000, "id": "x"}
    body = b"".join(f"--b\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode() for k, v in fields.items())
    body += b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n" + digit() + b"\r\n--b--\r\n"
    return f"HTTP {post(app.port, '/gradio_api/component_server', body, 'multipart/form-data; boundary=b', {'Cookie': cookies})}"


def unused_uploads(app: App, work: Path) -> str:
    cookies = app.cookies()
    statuses = []
    for i in range(10):
        data = os.urandom(45 * 2**20)
        body = (b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"f%d.bin\"\r\n\r\n" % i) + data + \
            b"\r\n--b--\r\n"
        statuses.append(post(app.port, "/gradio_api/upload", body, "multipart/form-data; boundary=b", {"Cookie": cookies}))
    at_once = folder_mb(app.temp)
    time.sleep(UNUSED_S + 6)
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    return f"10 x 45 MB: {counts}; {at_once:.0f} MB in the temp folder at once, {folder_mb(app.temp):.0f} MB {UNUSED_S + 6} s later"


def blank_zip(work: Path, name: str, picture: bytes, count: int) -> Path:
    path = make_zip(work / name, {f"{i}.png": picture for i in range(count)})
    return path


def sixteen_bit_zip(app: App, work: Path) -> str:
    path = blank_zip(work, "deep.zip", png_bytes(Image.fromarray(np.zeros((4096, 4096), np.uint16))), 300)
    return f"{path.stat().st_size // 1024} KB zip: " + start_zip(app, path)


def blank_picture_zip(app: App, work: Path) -> str:
    path = blank_zip(work, "blank.zip", png_bytes(Image.new("L", (4096, 4096))), 1000)
    return f"{path.stat().st_size // 1024} KB zip: " + start_zip(app, path)


def forwarded_guesses(app: App, work: Path) -> str:
    form = "application/x-www-form-urlencoded"
    statuses = [post(app.port, "/login", f"username=owner-{i % 1}&password=guess{i}".encode(), form,
                     {"X-Forwarded-For": f"10.{i}.0.1"}) for i in range(30)]
    return f"30 wrong, a fresh X-Forwarded-For each: {({s: statuses.count(s) for s in sorted(set(statuses))})}"


def owner_beside_guesser(app: App, work: Path) -> str:
    device = "; ".join(c for c in app.cookies().split("; ") if c.startswith("gan-studio-device"))
    form = "application/x-www-form-urlencoded"
    for i in range(20):
        post(app.port, "/login", f"username={AUTH[0]}&password=wrong{i}".encode(), form)
    right = f"username={AUTH[0]}&password={AUTH[1].replace(' ', '+')}".encode()
    with_cookie = [post(app.port, "/login", right, form, {"Cookie": device}) for _ in range(18)]
    return f"20 guesses, then the owner's browser 18 times: {({s: with_cookie.count(s) for s in set(with_cookie)})}"


def long_recipe(app: App, work: Path) -> str:
    before = app.log_path.stat().st_size
    answers = {call(app, "MNIST", "r" * 60_000, False, 100, None, 0, api_name="/train_start")[:70] for _ in range(10)}
    return f"10 x 60,000 characters: {len(answers)} distinct answer(s), log +{app.log_path.stat().st_size - before} bytes"


def unknown_file(app: App, work: Path) -> str:
    body = json.dumps({"data": ["mnist-dcgan-cond", {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}},
                                0]}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
    cookies = app.cookies()
    connection.request("POST", "/gradio_api/call/invert", body, {"Content-Type": "application/json", "Cookie": cookies})
    event = json.loads(connection.getresponse().read())["event_id"]
    connection.request("GET", f"/gradio_api/call/invert/{event}", headers={"Cookie": cookies})
    answer = connection.getresponse().read().decode()
    return answer.strip().splitlines()[-1][:140]


def cancelled_inversion(app: App, work: Path) -> str:
    job = app.client.submit("mnist-dcgan-cond", upload(work / "big.png"), 500, api_name="/invert")
    time.sleep(1.5)
    job.cancel()
    time.sleep(0.5)
    cpu = app.cpu_s()
    time.sleep(3)
    return f"app CPU in the 3 s after the cancel: {app.cpu_s() - cpu:.2f} s"


def static_without_login(app: App, work: Path) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    connection.request("GET", "/explorer/static/explorer.js")
    return f"HTTP {connection.getresponse().status}"


DIGITS = {f"{i}.png": i for i in range(64)}
# (family, attack, function(app, work) -> answer, slow)
ATTACKS = [
    ("exhaust", "300 MB file to the upload route", huge_upload, False),
    ("exhaust", "40 MB base64 data URL in a queue request", huge_data_url, False),
    ("exhaust", "/invert: 4096x4096 RGBA PNG (once)", lambda app, work: invert(app, work, "big.png"), False),
    ("exhaust", "/invert: 4 clients x 3 of the same at once", crowd("big.png"), False),
    ("exhaust", "zip of 100,000 folder entries", lambda app, work: start_zip(app, make_zip(
        work / "dirs.zip", {n: digit(v) for n, v in DIGITS.items()}, dirs=100_000)), False),
    ("exhaust", "zip: 49 MB noise file + 10 pictures", lambda app, work: start_zip(app, make_zip(
        work / "noise.zip", {"noise.png": os.urandom(49 * 2**20), **{f"{i}.png": digit(i) for i in range(10)}})),
     False),
    ("exhaust", "10 maximum-size zip uploads (disk after 40 s)", max_size_zips, True),
    ("mix", "two Starts with two zips at once", two_starts, True),
    ("mix", "Stop right after Start", stop_at_once, True),
    ("internals", "fast recipe on 64 identical images", identical_images, True),
    ("internals", "zip with 10 usable pictures", lambda app, work: start_zip(app, make_zip(
        work / "few.zip", {f"{i}.png": digit(i) for i in range(10)})), False),
    ("internals", "zip names not UTF-8 but flagged UTF-8", lambda app, work: start_zip(app, work / "names.zip"), False),
    ("internals", "/invert: LAB TIFF", lambda app, work: invert(app, work, "lab.tif"), False),
    ("internals", "/invert: 16-bit grey PNG", lambda app, work: invert(app, work, "deep.png"), False),
    ("internals", "/invert: steps given as text", lambda app, work: call(
        app, "mnist-dcgan-cond", upload(work / "digit.png"), "abc", api_name="/invert"), False),
    ("internals", "/sample: a 100 KB model name", lambda app, work: call(
        app, "m" * 100_000, 0, 4, api_name="/sample"), False),
    ("internals", "/sample: a 1 MB model name", lambda app, work: call(app, "m" * 2**20, 0, 4, api_name="/sample"),
     False),
    ("internals", "/slider_image: a 100 KB pasted latent", lambda app, work: call(
        app, "mnist-dcgan", 0, None, "principal", "1 " * 50_000, api_name="/slider_image"), False),
    ("internals", "--allow-training on 0.0.0.0 without GAN_AUTH", public_without_login, False),
    ("code", "/invert: EPS document named .png", lambda app, work: invert(app, work, "eps.png"), False),
    ("code", "zip: 64 EPS documents named .png + 1 PNG", lambda app, work: start_zip(app, make_zip(
        work / "eps.zip", {**{f"{i}.png": EPS for i in range(64)}, "ok.png": digit()})), False),
    ("door", "30 wrong passwords as fast as possible", wrong_passwords, False),
    # second pass (#40)
    ("body", "49 MB of {},... to /gradio_api/call/upload, no login", json_flood("/gradio_api/call/upload"), False),
    ("body", "49 MB of {},... to /gradio_api/queue/join, no login", json_flood("/gradio_api/queue/join"), False),
    ("body", "10 MB to /gradio_api/component_server", json_flood("/gradio_api/component_server", 10), False),
    ("body", "canvas blob for layer 100,000,000 (1 KB, logged in)", canvas_index, False),
    ("disk", "10 distinct 45 MB uploads no action uses", unused_uploads, True),
    ("cpu", "zip: 300 all-zero 16-bit 4096x4096 PNGs", sixteen_bit_zip, False),
    ("cpu", "zip: 1,000 blank 4096x4096 PNGs", blank_picture_zip, False),
    ("decode", "/invert: 42 KB 16-bit grey 4096x4096 PNG, 4 clients x 3", crowd("deep4096.png"), False),
    ("zip", "zip of 560,000 folder entries", lambda app, work: start_zip(app, make_zip(
        work / "dirs560k.zip", {n: digit(v) for n, v in DIGITS.items()}, dirs=560_000)), True),
    ("door", "30 wrong passwords, a fresh X-Forwarded-For each", forwarded_guesses, False),
    ("door", "the owner's browser beside a guesser at its address", owner_beside_guesser, False),
    ("strings", "a 60,000-character recipe, 10 times", long_recipe, False),
    ("errors", "/invert naming a file nobody uploaded", unknown_file, False),
    ("lifecycle", "/invert of 500 steps cancelled after 1.5 s", cancelled_inversion, False),
    ("lifecycle", "/explorer/static without the login", static_without_login, False),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the slowest families (big zips, live runs)")
    ap.add_argument("--only", default="", help="comma-separated families to run (e.g. body,cpu,door)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="gan-attack-") as tmp:
        work = Path(tmp)
        app = App(work)
        prepare_files(work)
        invert(app, work, "digit.png")  # warm: the first inversion loads the encoder and the evaluator
        print(f"app pid {app.proc.pid}, RSS {app.rss_mb():.0f} MB at start (after one small /invert)\n")
        print("| family | attack | answer | peak RSS Δ (MB) | app CPU (s) | disk Δ (MB) | seconds |")
        print("|---|---|---|---|---|---|---|")
        answers = []
        try:
            for family, name, attack, slow in ATTACKS:
                if (slow and args.quick) or (args.only and family not in args.only.split(",")):
                    continue
                rss, disk, cpu = app.rss_mb(), app.disk_mb(), app.cpu_s()
                app.reset_peak()
                t = time.perf_counter()
                answer = attack(app, work)
                seconds = time.perf_counter() - t
                peak = app._status("VmHWM")
                answers.append(answer)
                print(f"| {family} | {name} | {answer.replace('|', '/')} | {peak - rss:+.0f} | {app.cpu_s() - cpu:.1f} | "
                      f"{app.disk_mb() - disk:+.1f} | {seconds:.1f} |", flush=True)
        finally:
            app.stop()
        paths = [a for a in answers if "/tmp" in a or str(ROOT) in a]
        errors = traceback_errors(app.log_path.read_text())
        print(f"\napp log: {len(errors)} traceback(s){': ' if errors else ''}{'; '.join(sorted(set(errors)))}")
        print(f"answers holding a server path: {len(paths)}")


def traceback_errors(log: str) -> list[str]:
    """The exception line that ends each traceback in the app's log."""
    errors, inside = [], False
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            inside = True
        elif inside and line and not line.startswith((" ", "\t")) and not line.startswith("During handling"):
            errors.append(line[:160])
            inside = False
    return errors


if __name__ == "__main__":
    main()

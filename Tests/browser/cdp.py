"""A small Chrome DevTools Protocol client over `--remote-debugging-pipe`.

Chromium reads commands from file descriptor 3 and writes replies and events to descriptor 4,
each message a JSON text ended by a NUL byte. No port, no websocket, only the standard library.
One browser, many targets: each target is driven through a flat session (`Session`).
"""
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time


class CDPError(RuntimeError):
    pass


def find_chromium():
    # Debian's /usr/bin/chromium is a shell launcher; the binary itself needs no wrapper.
    if os.access("/usr/lib/chromium/chromium", os.X_OK):
        return "/usr/lib/chromium/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("headless Chromium not found: install Debian's `chromium` (scripts/apt-packages.txt)")


class Browser:
    """One headless Chromium process. Requests leave the browser only for 127.0.0.1: every
    other host name fails to resolve (`--host-resolver-rules`), whatever the test intercepts."""

    def __init__(self, executable=None, extra_args=()):
        self.profile = tempfile.mkdtemp(prefix="vignette-chromium-")
        to_child_read, self._to_child = os.pipe()
        self._from_child, from_child_write = os.pipe()
        args = [
            executable or find_chromium(),
            "--headless",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--disable-extensions",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--mute-audio",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            *extra_args,
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox.

        # The child's ends move above 3 and 4 first, so that placing them there cannot clobber
        # one with the other; dup2 leaves the copies inheritable, everything else is close-on-exec.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child_read, from_child_write)]
        for fd in (to_child_read, from_child_write):
            os.close(fd)

        def child_fds():
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            args, close_fds=False, preexec_fn=child_fds,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for fd in high:
            os.close(fd)
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self._next_id = 0
        self._pending = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._sessions = {}
        self._closed = False
        self.events = []  # browser-level events
        threading.Thread(target=self._read_loop, daemon=True).start()
        self.version = self.send("Browser.getVersion", timeout=30)

    def _drain_stderr(self):
        for line in self.process.stderr:
            self.stderr_lines.append(line.decode(errors="replace").rstrip())

    def _read_loop(self):
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                self._dispatch(json.loads(raw))
        self._closed = True
        with self._lock:
            for slot in self._pending.values():
                slot["event"].set()

    def _dispatch(self, message):
        if "id" in message:
            with self._lock:
                slot = self._pending.pop(message["id"], None)
            if slot:
                slot["reply"] = message
                slot["event"].set()
            return
        session = self._sessions.get(message.get("sessionId"))
        if session is not None:
            session._event(message["method"], message.get("params", {}))
        else:
            self.events.append(message)

    def send(self, method, params=None, session_id=None, timeout=60):
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            slot = {"event": threading.Event()}
            self._pending[ident] = slot
        message = {"id": ident, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        with self._write_lock:
            os.write(self._to_child, json.dumps(message).encode() + b"\0")
        if not slot["event"].wait(timeout):
            raise CDPError(f"{method}: no reply in {timeout}s")
        reply = slot.get("reply")
        if reply is None:
            raise CDPError(f"{method}: the browser exited ({' | '.join(self.stderr_lines[-5:])})")
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}")
        return reply.get("result", {})

    def post(self, method, params=None, session_id=None):
        """Sends a command without waiting for its reply (safe from inside an event handler)."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        with self._write_lock:
            os.write(self._to_child, json.dumps(message).encode() + b"\0")

    def new_page(self):
        """A blank page in a fresh browser context: its own cache, cookies and storage."""
        context = self.send("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
        target = self.send("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
        session_id = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        session = Session(self, session_id, target, context)
        self._sessions[session_id] = session
        return session

    def close(self):
        try:
            if not self._closed:
                self.send("Browser.close", timeout=10)
        except CDPError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


class Session:
    """A flat CDP session attached to one page target."""

    def __init__(self, browser, session_id, target_id, context_id):
        self.browser = browser
        self.id = session_id
        self.target_id = target_id
        self.context_id = context_id
        self.events = []
        self._handlers = {}
        self._cond = threading.Condition()

    def on(self, method, handler):
        self._handlers.setdefault(method, []).append(handler)

    def _event(self, method, params):
        for handler in self._handlers.get(method, []):
            handler(params)
        with self._cond:
            self.events.append((method, params))
            self._cond.notify_all()

    def send(self, method, params=None, timeout=60):
        return self.browser.send(method, params, session_id=self.id, timeout=timeout)

    def post(self, method, params=None):
        self.browser.post(method, params, session_id=self.id)

    def wait_for(self, method, predicate=lambda params: True, timeout=30, since=0):
        """The first event `method` (at index >= since) whose params satisfy `predicate`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for name, params in self.events[since:]:
                    if name == method and predicate(params):
                        return params
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CDPError(f"no {method} event in {timeout}s")
                self._cond.wait(remaining)

    def evaluate(self, expression, timeout=60):
        """Runs JavaScript in the page (awaiting a promise) and returns its JSON value."""
        reply = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True, "userGesture": False},
            timeout=timeout)
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"page script failed: {text}")
        return reply["result"].get("value")

    def close(self):
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.target_id}, timeout=10)
            self.browser.send("Target.disposeBrowserContext", {"browserContextId": self.context_id}, timeout=10)
        except CDPError:
            pass
        self.browser._sessions.pop(self.id, None)

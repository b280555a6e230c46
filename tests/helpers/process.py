"""Run a program in a subprocess for a test: read its output lines as they come, talk to it
on stdin, and always stop it (process group killed) however the test ends.

    with AppProcess([sys.executable, "app.py"], env=env) as app:
        app.wait_for_line(lambda line: line == "READY", timeout=15)
        ...
        app.send_line("exit")
        assert app.wait(timeout=10) == 0, app.diagnostics()
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import IO, Self


class AppProcess:
    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._readers: list[threading.Thread] = []

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> Self:
        if self.proc is not None:
            return self
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,  # its own process group: kill() reaches any children too
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self._stdout, True), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self._stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        return self

    def _read(self, stream: IO[str], sink: list[str], queue_lines: bool) -> None:
        try:
            for line in stream:
                line = line.rstrip("\n")
                sink.append(line)
                if queue_lines:
                    self._lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            if queue_lines:
                self._lines.put(None)  # end of output

    def terminate(self, timeout: float = 15.0) -> None:
        """Ask the process group to stop (SIGTERM), as a service manager does; kill it past ``timeout``."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=timeout)
            except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        """Stop the process group now (idempotent)."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for reader in self._readers:
            reader.join(timeout=2)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()

    # --- interaction ---------------------------------------------------------------------
    def wait_for_line(self, match: Callable[[str], bool], timeout: float) -> str:
        """The first not-yet-consumed stdout line for which ``match`` holds.

        AssertionError (with the process's output) when the process ends or the time is up.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching output line within {timeout}s\n{self.diagnostics()}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self._lines.put(None)  # keep the end marker for later calls
                # Let stderr finish so the diagnostics show the traceback, if any.
                if self.proc is not None:
                    try:
                        self.proc.wait(timeout=2)
                    except subprocess.TimeoutExpired:
                        pass
                raise AssertionError(f"the process ended its output before a matching line\n{self.diagnostics()}")
            if match(line):
                return line

    def send_line(self, text: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def wait(self, timeout: float) -> int:
        """Wait for the exit code; kills the process and fails the test after ``timeout``."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the process did not exit within {timeout}s\n{self.diagnostics()}") from None
        for reader in self._readers:
            reader.join(timeout=2)
        return code

    # --- output --------------------------------------------------------------------------
    @property
    def stdout_lines(self) -> list[str]:
        return list(self._stdout)

    @property
    def stderr_text(self) -> str:
        return "\n".join(self._stderr)

    def diagnostics(self, max_chars: int = 8000) -> str:
        code = self.proc.poll() if self.proc is not None else None
        out = "\n".join(self._stdout)[-max_chars:]
        err = self.stderr_text[-max_chars:]
        return f"argv: {self.argv}\nexit code: {code}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"

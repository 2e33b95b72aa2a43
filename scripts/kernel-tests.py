"""The psearch Jupyter kernel driven by real Jupyter clients (scripts/test-kernel.sh runs this).

1. jupyter_kernel_test's conformance suite, with the psearch snippets it needs.
2. Completion of named arguments and record fields, the stack limit, syntax errors.
3. Bad input on the wire: a bad signature, garbage JSON, an unknown message type and an
   oversized message are dropped or answered with an error, and the kernel goes on.
4. Interrupt: a cell in a long `train` stops within a second of interrupt_request (and of
   SIGINT), and the next cell sees the variables from before.
5. Every lesson exported as a notebook is valid nbformat 4, and nbclient running it with the
   psearch kernel prints what the lesson's '#>' lines say and what the export recorded.

    python kernel-tests.py PSEARCH_BIN REPO_ROOT WORK_DIR
"""

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest
from queue import Empty

import jupyter_kernel_test
import nbformat
from jupyter_client.manager import KernelManager, start_new_kernel
from jupyter_client.session import Session
from nbclient import NotebookClient

PSEARCH, ROOT, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:]
TIMEOUT = 20
LOG = os.path.join(WORK, "kernel-stderr.log")


class PsearchKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "psearch"
    language_name = "psearch"
    file_extension = ".ps"

    code_hello_world = 'print("hello, world")'
    # A long train's notes go to stderr as a stream (the REPL writes them to stderr too).
    code_stderr = 'let _m = train(mlp([2, 4, 2]), dataset("moons", n: 20, seed: 1), epochs: 1000000)'
    completion_samples = [
        {"text": "pri", "matches": {"print"}},
        {"text": "linsp", "matches": {"linspace"}},
    ]
    complete_code_samples = ["print(1)", "let x = 1", "fn f(x) {\n  return x\n}", ""]
    incomplete_code_samples = ["print(1", "fn f(x) {", "let x = [1,", '"open string']
    invalid_code_samples = [")", "1 + )"]
    code_generate_error = "undefined_name + 1"
    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "[1, 2] * 2", "result": "[2, 4]"},
        {"code": '"a" + "b"', "result": '"ab"'},
    ]
    code_display_data = [
        {"code": "plot([1, 4, 9, 16])", "mime": "image/svg+xml"},
        {"code": "plot([1, 4, 9, 16])", "mime": "text/plain"},
    ]
    code_history_pattern = "1 +*"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "descend"

    @classmethod
    def setUpClass(cls):
        # The long train in code_stderr must stop: interrupt it once its note would have shown.
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name)

    def test_execute_stderr(self):
        # train's note ("interrupted in epoch …") comes when the run is interrupted, which
        # the suite's helper cannot do: SIGINT from a timer (the manager's own interrupt is
        # not safe off its thread).
        import threading

        pid = self.km.provisioner.process.pid
        timer = threading.Timer(1.0, lambda: os.kill(pid, signal.SIGINT))
        timer.start()
        try:
            super().test_execute_stderr()
        finally:
            timer.cancel()


def collect(kc, msg_id, timeout=TIMEOUT):
    """The iopub messages of one request until idle, and its shell reply."""
    outputs = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        outputs.append(msg)
    while True:
        reply = kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply, outputs


def run(kc, code, timeout=TIMEOUT):
    return collect(kc, kc.execute(code), timeout)


def texts(outputs):
    out = ""
    for m in outputs:
        c = m["content"]
        if m["msg_type"] == "stream":
            out += c["text"]
        elif m["msg_type"] in ("execute_result", "display_data"):
            out += c["data"]["text/plain"]
    return out


class Robustness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.log = open(LOG, "w")
        cls.km, cls.kc = start_new_kernel(kernel_name="psearch", stderr=cls.log)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel()
        cls.log.close()

    def alive(self):
        """The kernel still answers kernel_info and runs code."""
        reply, outputs = run(self.kc, "print(40 + 2)")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(texts(outputs), "42\n")
        self.assertTrue(self.kc.is_alive())

    def no_reply(self, wait=1.0):
        with self.assertRaises(Empty):
            self.kc.get_shell_msg(timeout=wait)

    def signed_frames(self, parts, key=None):
        key = self.km.session.key if key is None else key
        mac = hmac.new(key, digestmod=hashlib.sha256)
        for p in parts:
            mac.update(p)
        return [b"<IDS|MSG>", mac.hexdigest().encode()] + parts

    def header(self, msg_type, msg_id):
        return json.dumps({"msg_id": msg_id, "msg_type": msg_type, "session": "test", "username": "test",
                           "date": "2026-12-07T00:00:00Z", "version": "5.3"}).encode()

    def log_text(self):
        self.log.flush()
        with open(LOG) as f:
            return f.read()

    def test_completion_of_named_arguments_and_record_fields(self):
        run(self.kc, "let p = {lr: 0.1, layers: 2, steps: 5}")
        self.kc.complete("p.l", 3)
        c = self.kc.get_shell_msg(timeout=TIMEOUT)["content"]
        self.assertEqual(set(c["matches"]), {"lr", "layers"})
        self.assertEqual((c["cursor_start"], c["cursor_end"]), (2, 3))
        code = "descend(fn(x) = x @ x, [1], l"
        self.kc.complete(code, len(code))
        c = self.kc.get_shell_msg(timeout=TIMEOUT)["content"]
        self.assertIn("lr:", c["matches"])
        self.assertIn("line:", c["matches"])
        self.assertEqual(c["cursor_start"], len(code) - 1)

    def test_a_bad_signature_is_dropped_and_logged(self):
        bad = Session(key=b"not the key", username="intruder")
        bad.send(self.kc.shell_channel.socket, "execute_request", {"code": 'print("pwned")', "silent": False})
        self.no_reply()
        self.assertIn("bad signature", self.log_text())
        self.alive()

    def test_garbage_json_gets_an_error_reply_or_is_logged(self):
        sock = self.kc.shell_channel.socket
        # A readable header with garbage content: an error reply to that request.
        sock.send_multipart(self.signed_frames([self.header("execute_request", "garbage-1"), b"{}", b"{}", b"{not json"]))
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["msg_type"], "execute_reply")
        self.assertEqual(reply["parent_header"]["msg_id"], "garbage-1")
        self.assertEqual(reply["content"]["status"], "error")
        # Nothing readable at all: logged, no reply.
        sock.send_multipart(self.signed_frames([b"\xff\xfe garbage", b"{}", b"{}", b"{}"]))
        self.no_reply()
        sock.send_multipart([b"no delimiter at all"])
        self.no_reply(0.5)
        log = self.log_text()
        self.assertIn("bad JSON in the content", log)
        self.assertIn("bad JSON in the header", log)
        self.assertIn("no <IDS|MSG> delimiter", log)
        self.alive()

    def test_unknown_message_types_get_an_error_reply(self):
        msg = self.kc.session.send(self.kc.shell_channel.socket, "frobnicate_request", {})
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["msg_type"], "frobnicate_reply")
        self.assertEqual(reply["parent_header"]["msg_id"], msg["header"]["msg_id"])
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("unknown message type 'frobnicate_request'", self.log_text())
        self.alive()

    def test_an_oversized_message_is_dropped_and_logged(self):
        big = json.dumps({"code": "#" + "x" * (70 << 20)}).encode()
        self.kc.shell_channel.socket.send_multipart(self.signed_frames([self.header("execute_request", "big-1"), b"{}", b"{}", big]))
        self.no_reply(2.0)
        self.assertIn("is over the limit", self.log_text())
        self.alive()

    def test_syntax_errors_and_the_stack_limit_are_errors_with_a_caret(self):
        reply, outputs = run(self.kc, "let a = (1 +\nprint(a)")
        self.assertEqual(reply["content"]["status"], "error")
        tb = "\n".join(reply["content"]["traceback"])
        self.assertRegex(tb, r"<cell>:\d+:\d+")
        self.assertIn("^", tb)
        self.assertEqual([m["msg_type"] for m in outputs], ["execute_input", "error"])
        reply, outputs = run(self.kc, "fn down(n) { return down(n + 1) }\ndown(0)", timeout=60)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("<cell>:1:", "\n".join(reply["content"]["traceback"]))
        self.alive()


class Lifecycle(unittest.TestCase):
    def test_cells_queued_after_an_error_are_aborted(self):
        km, kc = start_new_kernel(kernel_name="psearch")
        try:
            # The first cell fails after a while; the next two are waiting by then.
            first = kc.execute("let i = 0\nwhile i < 300000 { i = i + 1 }\n[1, 2][5]")
            second = kc.execute('print("should not run")')
            third = kc.execute('print("neither")', stop_on_error=True)
            replies = {}
            while len(replies) < 3:
                r = kc.get_shell_msg(timeout=TIMEOUT)
                replies[r["parent_header"]["msg_id"]] = r["content"]["status"]
            self.assertEqual([replies[first], replies[second], replies[third]], ["error", "aborted", "aborted"])
            # Without stop_on_error the next cell runs.
            kc.execute("[1, 2][5]", stop_on_error=False)
            after = kc.execute("print(i)")
            statuses = [kc.get_shell_msg(timeout=TIMEOUT)["content"]["status"] for _ in range(2)]
            self.assertEqual(statuses, ["error", "ok"])
        finally:
            kc.stop_channels()
            km.shutdown_kernel()

    def test_ipc_transport(self):
        km = KernelManager(kernel_name="psearch", transport="ipc", ip=os.path.join(WORK, "ipc-kernel"))
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=TIMEOUT)
            reply, outputs = run(kc, 'print("over ipc")')
            self.assertEqual(texts(outputs), "over ipc\n")
            self.assertTrue(any(f.startswith("ipc-kernel-") for f in os.listdir(WORK)))
        finally:
            kc.stop_channels()
            km.shutdown_kernel()

    def test_a_notebook_cell_in_a_long_train_is_interrupted_by_nbclient(self):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "psearch", "display_name": "psearch", "language": "psearch"}
        nb.cells = [nbformat.v4.new_code_cell(c) for c in [
            'let kept = 1234\nlet d = dataset("moons", n: 2000, seed: 1)',
            "let r = train(mlp([2, 64, 64, 2]), d, epochs: 1000000)",
            "print(kept, d.n, r != nil)",
        ]]
        timeout = 3
        client = NotebookClient(nb, kernel_name="psearch", timeout=timeout, interrupt_on_timeout=True)
        start = time.monotonic()
        client.execute()
        elapsed = time.monotonic() - start
        train_out = "".join(o.get("text", "") for o in nb.cells[1].outputs)
        self.assertIn("interrupted in epoch", train_out)
        self.assertEqual(nb.cells[2].outputs[0]["text"], "1234 2000 true\n")
        # The kernel's start and the first cell take well under a second; the train cell its
        # timeout; what is left is the interrupt.
        print(f"nbclient: notebook with a {timeout} s cell timeout ran in {elapsed:.2f} s", file=sys.stderr)
        self.assertLess(elapsed, timeout + 2.0)

    def test_shutdown_replies_and_exits(self):
        km, kc = start_new_kernel(kernel_name="psearch")
        run(kc, "let x = 1")
        kc.shutdown()
        reply = kc.get_control_msg(timeout=TIMEOUT)
        self.assertEqual(reply["msg_type"], "shutdown_reply")
        self.assertEqual(reply["content"]["status"], "ok")
        process = km.provisioner.process
        start = time.monotonic()
        code = process.wait(timeout=5)
        print(f"shutdown: exit {code} {1000 * (time.monotonic() - start):.0f} ms after the reply", file=sys.stderr)
        self.assertEqual(code, 0)
        kc.stop_channels()
        km.cleanup_resources()


class Interrupts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name="psearch")
        reply, _ = run(cls.kc, 'let kept = 1234\nlet d = dataset("moons", n: 2000, seed: 1)')
        assert reply["content"]["status"] == "ok", reply

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel()

    def interrupt_during(self, code, interrupt):
        msg_id = self.kc.execute(code)
        time.sleep(1.0)
        self.assertIsNone(self.reply_if_any(msg_id), "finished before the interrupt: " + code)
        start = time.monotonic()
        interrupt()
        reply, outputs = collect(self.kc, msg_id)
        latency = time.monotonic() - start
        self.assertLess(latency, 1.0, f"{latency:.3f} s to stop: {code}")
        return reply, outputs, latency

    def reply_if_any(self, msg_id):
        try:
            reply = self.kc.get_shell_msg(timeout=0.05)
        except Empty:
            return None
        return reply if reply["parent_header"].get("msg_id") == msg_id else None

    def test_interrupt_request_stops_train_and_keeps_the_variables(self):
        reply, outputs, latency = self.interrupt_during("let r = train(mlp([2, 64, 64, 2]), d, epochs: 1000000)", self.km.interrupt_kernel)
        self.assertIn("interrupted in epoch", texts(outputs))
        print(f"interrupt_request during train: {latency * 1000:.0f} ms to the reply", file=sys.stderr)
        reply, outputs = run(self.kc, "print(kept, d.n, r != nil)")
        self.assertEqual(texts(outputs), "1234 2000 true\n")

    def test_sigint_stops_a_loop_and_descend(self):
        sigint = lambda: self.km.signal_kernel(signal.SIGINT)
        reply, outputs, latency = self.interrupt_during("while true { kept = kept + 0 }", sigint)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "interrupted")
        print(f"SIGINT during a loop: {latency * 1000:.0f} ms to the reply", file=sys.stderr)
        reply, outputs, latency = self.interrupt_during("descend(fn(x) = x @ x, [1, 2], lr: 1e-12, steps: 2000000000)", self.km.interrupt_kernel)
        print(f"interrupt_request during descend: {latency * 1000:.0f} ms to the reply", file=sys.stderr)
        reply, outputs = run(self.kc, "print(kept, d.n)")
        self.assertEqual(texts(outputs), "1234 2000\n")

    def test_zz_restart_forgets_the_variables(self):
        self.km.restart_kernel(now=False)
        self.kc.wait_for_ready(timeout=TIMEOUT)
        reply, outputs = run(self.kc, "print(kept)")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("unknown name 'kept'", reply["content"]["evalue"])


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def same_line(expected, actual):
    """As `psearch check` compares: trailing blanks aside, numbers within 1e-9."""
    a, b = expected.rstrip(" \t"), actual.rstrip(" \t")
    if a == b:
        return True
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
        x, y = float(x), float(y)
        if abs(x - y) > 1e-9 * max(abs(x), abs(y)):
            return False
    return True


def expected_lines(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for line in text.split("\n"):
        m = re.match(r"^\s*#>(=?) ?(.*)$", line)
        if m:
            lines.append(m.group(2))
    return lines


def output_text(nb):
    """Every code cell's output text in order (streams, and figures as their text/plain)."""
    out = ""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.outputs:
            if o.output_type == "stream":
                out += o.text
            elif o.output_type in ("display_data", "execute_result"):
                out += o.data["text/plain"]
            elif o.output_type == "error":
                raise AssertionError("a cell failed: " + "\n".join(o.traceback))
    return out


def merged(outputs):
    """Outputs with adjacent streams joined (the kernel may send a cell's text in pieces)."""
    out = []
    for o in outputs:
        o = dict(o)
        if out and o.get("output_type") == "stream" and out[-1].get("output_type") == "stream":
            out[-1]["text"] += o["text"]
        else:
            out.append(o)
    return out


class Lessons(unittest.TestCase):
    def test_every_lesson_runs_as_a_notebook_and_prints_its_expectations(self):
        lessons = sorted(f for f in os.listdir(os.path.join(ROOT, "scripts/lessons")) if f.endswith(".ps"))
        self.assertGreaterEqual(len(lessons), 8)
        for name in lessons:
            with self.subTest(lesson=name):
                source = os.path.join(ROOT, "scripts/lessons", name)
                path = os.path.join(WORK, name.replace(".ps", ".ipynb"))
                subprocess.run([PSEARCH, "export", source, "-o", path], check=True)
                again = path.replace(".ipynb", "-again.ipynb")
                subprocess.run([PSEARCH, "export", source, "-o", again], check=True)
                with open(path, "rb") as f, open(again, "rb") as g:
                    self.assertEqual(f.read(), g.read(), "export is not deterministic")
                exported = nbformat.read(path, as_version=4)
                nbformat.validate(exported)
                self.assertTrue(any(c.cell_type == "markdown" for c in exported.cells))
                executed = nbformat.read(path, as_version=4)
                for cell in executed.cells:
                    if cell.cell_type == "code":
                        cell.outputs = []
                start = time.monotonic()
                NotebookClient(executed, kernel_name="psearch", timeout=120,
                               resources={"metadata": {"path": ROOT}}).execute()
                nbformat.validate(executed)
                actual = output_text(executed).split("\n")
                if actual and actual[-1] == "":
                    actual.pop()
                expected = expected_lines(source)
                self.assertEqual(len(actual), len(expected), f"{name}: {len(actual)} output lines, {len(expected)} '#>' lines")
                for i, (e, a) in enumerate(zip(expected, actual)):
                    self.assertTrue(same_line(e, a), f"{name}: output line {i + 1}: expected {e!r}, got {a!r}")
                # Same cells, same bytes: what the kernel sent is what the export recorded.
                code_a = [c for c in exported.cells if c.cell_type == "code"]
                code_b = [c for c in executed.cells if c.cell_type == "code"]
                for a, b in zip(code_a, code_b):
                    self.assertEqual(merged(a.outputs), merged(b.outputs), f"{name}: cell {a.id}")
                print(f"{name}: {len(code_b)} code cells, {len(actual)} lines match, {time.monotonic() - start:.1f} s",
                      file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)

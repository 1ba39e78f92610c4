import http.server
import threading

from airfleet import doctor


def test_unresolvable_worker_is_a_problem_only_while_it_runs_tasks():
    busy = doctor.probe_log_server("no-such-worker.invalid", 8793, busy=True)
    idle = doctor.probe_log_server("no-such-worker.invalid", 8793, busy=False)
    assert not busy.ok and "does not resolve" in busy.detail and "AIRFLOW_HOST_NAME" in busy.fix
    assert idle.ok and "removed" in idle.detail


def serve(status: int):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_log_server_answers_are_read_as_secret_agreement(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "k" * 64)
    for status, ok, words in ((404, True, "accepts our signature"), (403, False, "secret_key differs")):
        server = serve(status)
        try:
            finding = doctor.probe_log_server("127.0.0.1", server.server_address[1])
        finally:
            server.shutdown()
        assert finding.ok is ok and words in finding.detail


def test_report_hides_secrets_and_names_fixes(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "s" * 64)
    lines = [f.line() for f in doctor.check_secrets_set()]
    assert all("s" * 64 not in line for line in lines)
    assert any(doctor.fingerprint("s" * 64) in line for line in lines)

"""The hosting rules, all on one running server with the one trained model."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from container.check.bodies import (
    CSV,
    LINE_ALIGNED,
    base_type,
    body_for,
    line_count,
)
from container.check.jobs import Server
from container.check.rules import Finding, Status, failed, finding, passed, skipped
from container.check.subject import Subject
from container.docker_http import HttpClient, HttpResponse, RelayClient
from serve.client import mini_batches

PING_LIMIT_SECONDS = 2.0
READY_WAIT_SECONDS = 240.0
MALFORMED = b"\xff\xfe not a record \x00\n"
MIB = 1024 * 1024
BATCH_STRATEGIES = ("MULTI_RECORD", "SINGLE_RECORD")
NO_ROWS = "no inference rows in the data folder"


def invoke(client: HttpClient, body: bytes, content_type: str, accept: str) -> HttpResponse:
    headers = {"Content-Type": content_type, "Accept": accept}
    return client.request("POST", "/invocations", body, headers, timeout=70.0)


def _said(response: HttpResponse) -> str:
    return f"HTTP {response.status} {response.body[:200].decode(errors='replace')!r}"


@dataclass(frozen=True)
class SampleRequest:
    """The sample's rows as a body of the type the rules send by default."""

    lines: list[bytes]
    content_type: str
    body: bytes


def _sample_request(subject: Subject) -> SampleRequest | None:
    """None when the data folder holds no inference rows (the rule is then skipped)."""
    lines = subject.sample_lines
    if not lines:
        return None
    content_type = _request_type(subject)
    return SampleRequest(lines, content_type, body_for(lines, content_type) or b"")


def startup_rule(server: Server) -> Finding:
    return passed("serve.startup", f"first /ping 200 after {server.first_ping_seconds:.1f} s")


def ready_rule(server: Server, subject: Subject) -> Finding:
    """Right after the first 200 on /ping, an invocation must be answered; waits for one after."""
    sample = _sample_request(subject)
    if sample is None:
        return skipped("serve.ready", NO_ROWS)
    first = invoke(server.client, sample.body, sample.content_type, "*/*")
    if first.status == 200:
        return passed("serve.ready", "the first invocation after /ping 200 was answered 200")
    deadline = time.monotonic() + READY_WAIT_SECONDS
    while time.monotonic() < deadline and invoke(
        server.client, sample.body, sample.content_type, "*/*"
    ).status != 200:  # fmt: skip
        time.sleep(0.5)
    return failed(
        "serve.ready", f"/ping said 200 but the invocation right after got {_said(first)}",
        "answer /ping 200 only once the model is loaded (load it before the server listens, "
        "or answer 503 until then)",
    )  # fmt: skip


def _request_type(subject: Subject) -> str:
    types = [base_type(t) for t in subject.request_types]
    return CSV if CSV in types or not types else subject.request_types[0]


def request_types_rule(server: Server, subject: Subject) -> Finding:
    lines = subject.sample_lines
    if not lines:
        return skipped("serve.request-types", NO_ROWS)
    accepted, refused, unmade = [], [], []
    for content_type in subject.request_types:
        body = body_for(lines, content_type)
        if body is None:
            unmade.append(content_type)
            continue
        answer = invoke(server.client, body, content_type, "*/*")
        if answer.status == 200:
            accepted.append(content_type)
        else:
            refused.append(f"{content_type}: {_said(answer)}")
    evidence = f"{len(lines)} sample rows accepted as {', '.join(accepted) or 'nothing'}"
    if unmade:
        evidence += f"; not checked (no CSV conversion): {', '.join(unmade)}"
    if refused:
        return failed(
            "serve.request-types", "; ".join(refused),
            "handle every SupportedContentTypes entry, or remove the ones you do not handle",
        )  # fmt: skip
    return finding("serve.request-types", Status.WARN if unmade else Status.PASS, evidence)


def response_types_rule(server: Server, subject: Subject) -> Finding:
    sample = _sample_request(subject)
    if sample is None:
        return skipped("serve.response-types", NO_ROWS)
    problems, produced = [], []
    for accept in subject.response_types:
        answer = invoke(server.client, sample.body, sample.content_type, accept)
        problem = _response_problem(answer, accept, len(sample.lines), sample.content_type)
        if problem:
            problems.append(f"{accept}: {problem}")
        else:
            produced.append(accept)
    if problems:
        return failed(
            "serve.response-types", "; ".join(problems),
            "answer each SupportedResponseMIMETypes entry with that Content-Type (CSV and JSON "
            "Lines: one line per record), or remove the ones you do not produce",
        )  # fmt: skip
    return passed("serve.response-types", f"produced {', '.join(produced) or 'nothing declared'}")


def _response_problem(answer: HttpResponse, accept: str, records: int, sent: str) -> str:
    if answer.status != 200:
        return _said(answer)
    produced = base_type(answer.header("Content-Type") or "")
    if produced != base_type(accept):
        return f"answered Content-Type {produced or '(none)'}"
    if not answer.body.strip():
        return "empty body"
    aligned = base_type(accept) in LINE_ALIGNED and base_type(sent) in LINE_ALIGNED
    if aligned and line_count(answer.body) != records:
        return f"{line_count(answer.body)} lines for {records} records"
    return ""


def malformed_rule(server: Server, subject: Subject) -> Finding:
    content_type = _request_type(subject)
    answer = invoke(server.client, MALFORMED, content_type, "*/*")
    if 400 <= answer.status < 500 and answer.body.strip():
        return passed("serve.malformed", f"{content_type} garbage -> {_said(answer)[:120]}")
    return failed(
        "serve.malformed", f"{content_type} garbage -> {_said(answer)}",
        "reject a body that does not decode with a 400 and a message saying what is wrong",
    )  # fmt: skip


def payload_mb(subject: Subject) -> int:
    return int(subject.transform.get("MaxPayloadInMB") or 6)


def big_body(lines: list[bytes], limit_bytes: int) -> bytes:
    """Sample lines repeated up to 90 % of ``limit_bytes``."""
    block = b"".join(line + b"\n" for line in lines)
    copies = max(1, int(limit_bytes * 0.9) // max(1, len(block)))
    return block * copies


def execution_parameters_rule(server: Server, subject: Subject) -> Finding:
    answer = server.client.request("GET", "/execution-parameters", timeout=10.0)
    problems = []
    if answer.status == 200:
        problems += _parameter_problems(answer.body)
        said = answer.body.decode(errors="replace").strip()[:160]
    else:
        said = f"HTTP {answer.status} (optional: SageMaker then uses the job's values)"
    lines = subject.sample_lines
    limit = payload_mb(subject)
    if lines:
        body = big_body(lines, limit * MIB)
        reply = invoke(server.client, body, CSV, "*/*")
        if reply.status != 200:
            problems.append(f"a {len(body) / MIB:.1f} MB body (MaxPayloadInMB={limit}) got "
                            f"{_said(reply)}")  # fmt: skip
    if problems:
        return failed(
            "serve.execution-parameters", f"{said}; " + "; ".join(problems),
            "accept bodies up to MaxPayloadInMB and return MaxPayloadInMB <= 100, "
            "MaxConcurrentTransforms x MaxPayloadInMB <= 100, BatchStrategy MULTI_RECORD or "
            "SINGLE_RECORD",
        )  # fmt: skip
    return passed("serve.execution-parameters", f"{said}; {limit} MB body accepted")


def _parameter_problems(body: bytes) -> list[str]:
    try:
        values = json.loads(body)
        size = int(values.get("MaxPayloadInMB", 6))
        concurrency = int(values.get("MaxConcurrentTransforms", 1))
        strategy = str(values.get("BatchStrategy", "MULTI_RECORD"))
    except (ValueError, TypeError, AttributeError) as error:
        return [f"not a JSON object of numbers ({error})"]
    problems = []
    if not 0 <= size <= 100:
        problems.append(f"MaxPayloadInMB {size} is outside 0-100")
    if concurrency < 1 or concurrency * size > 100:
        problems.append(f"MaxConcurrentTransforms {concurrency} x {size} MB exceeds 100 MB")
    if strategy not in BATCH_STRATEGIES:
        problems.append(f"BatchStrategy {strategy!r}")
    return problems


def ping_busy_rule(server: Server, subject: Subject) -> Finding:
    """/ping from a second connection while the first sends the largest body, several times."""
    lines = subject.sample_lines
    if not lines:
        return skipped("serve.ping-busy", NO_ROWS)
    body = big_body(lines, payload_mb(subject) * MIB)
    pinger = _second_client(server)
    try:
        pinger.request("GET", "/ping", timeout=10.0)  # the relay is running before timing
        pings, busy_seconds = _ping_during(server.client, pinger, body)
    finally:
        if pinger is not server.client:
            pinger.close()
    slow = [p for p in pings if p[0] != 200 or p[1] > PING_LIMIT_SECONDS]
    worst = max((p[1] for p in pings), default=0.0)
    evidence = f"{len(pings)} pings during {busy_seconds:.1f} s of requests, slowest {worst:.2f} s"
    if slow or not pings:
        return failed(
            "serve.ping-busy", evidence + (f"; {slow[:3]}" if slow else "; no ping answered"),
            "answer /ping outside the workers that predict (a thread, or the server's own loop)",
        )  # fmt: skip
    return passed("serve.ping-busy", evidence)


def _second_client(server: Server) -> HttpClient:
    if isinstance(server.client, RelayClient):
        return RelayClient(server.container.name, server.container.options.docker)
    return server.client


def _ping_during(
    client: HttpClient, pinger: HttpClient, body: bytes, rounds: int = 3
) -> tuple[list[tuple[int, float]], float]:
    pings: list[tuple[int, float]] = []
    started = time.monotonic()

    def busy() -> None:
        for _ in range(rounds):
            invoke(client, body, CSV, "*/*")

    worker = threading.Thread(target=busy, daemon=True)
    worker.start()
    while worker.is_alive():
        try:
            answer = pinger.request("GET", "/ping", timeout=10.0)
            pings.append((answer.status, answer.seconds))
        except ConnectionError:
            pings.append((0, 10.0))
        time.sleep(0.2)
    worker.join()
    return pings, time.monotonic() - started


def transform_rule(server: Server, subject: Subject, output: Path) -> Finding:
    """The TransformJobDefinition, sent as SageMaker's batch transform sends it."""
    definition = subject.transform
    if not definition:
        return skipped("profile.transform", "the profile has no TransformJobDefinition")
    job_input = definition.get("TransformInput", {})
    content_type = job_input.get("ContentType", CSV)
    split = job_input.get("SplitType", "None")
    strategy = definition.get("BatchStrategy", "MultiRecord")
    accept = definition.get("TransformOutput", {}).get("Accept") or "*/*"
    assemble = definition.get("TransformOutput", {}).get("AssembleWith", "None")
    files = subject.inference_files()
    if not files:
        return failed("profile.transform", "no files in the data folder's inference/",
                      "put headerless rows in inference/")  # fmt: skip
    output.mkdir(parents=True, exist_ok=True)
    requests = records = 0
    for path in files:
        lines = [line + b"\n" for line in path.read_bytes().splitlines() if line.strip()]
        bodies = (
            list(mini_batches(lines, payload_mb(subject) * MIB, strategy == "SingleRecord"))
            if split == "Line" else [path.read_bytes()]
        )  # fmt: skip
        answers = []
        for body in bodies:
            answer = invoke(server.client, body, content_type, accept)
            requests += 1
            problem = _transform_problem(answer, body, accept, split, assemble)
            if problem:
                return failed(
                    "profile.transform", f"{path.name}, request {requests}: {problem}",
                    f"answer {content_type} bodies of SplitType={split} with {accept}, "
                    f"one output line per input line for AssembleWith={assemble}",
                )  # fmt: skip
            answers.append(answer.body if answer.body.endswith(b"\n") else answer.body + b"\n")
        (output / f"{path.name}.out").write_bytes(b"".join(answers))
        records += len(lines)
    evidence = (
        f"{len(files)} file(s), {records} records in {requests} request(s) ({strategy}, "
        f"SplitType={split}, {payload_mb(subject)} MB, {content_type} -> {accept}, "
        f"AssembleWith={assemble})"
    )
    return passed("profile.transform", evidence)


def _transform_problem(
    answer: HttpResponse, body: bytes, accept: str, split: str, assemble: str
) -> str:
    if answer.status != 200:
        return _said(answer)
    if not answer.body.strip():
        return "empty answer"
    aligned = split == "Line" and assemble == "Line" and base_type(accept) in LINE_ALIGNED
    if aligned and line_count(answer.body) != line_count(body):
        return f"{line_count(body)} lines sent, {line_count(answer.body)} came back"
    return ""

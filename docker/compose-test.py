#!/usr/bin/env python3
"""The compose stack, proven for real: docker/docker-compose.yml with docker-compose.offline.yml
(images built here from docker/local-base-image.sh, so nothing is pulled), without Grafana.

    docker/compose-test.py            (root or docker group; dockerd running; the fat jar built)

It brings up Redis, 2 API nodes, 2 workers and Prometheus; waits until both API nodes see both
workers for every model; checks the containers run unprivileged and report healthy, that the
production profile's anonymous limit answers 429; submits embedding and transliteration jobs through
both API containers with an API key; kills a worker container mid-load (docker kill: SIGKILL);
sees every job succeed, through either API node; sees Prometheus scrape the nodes and notice the
dead one; then tears everything down (volumes too). Exit status 0 when all of that held.
"""
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from http.client import HTTPException

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BASE_IMAGE = os.environ.get("BASE_IMAGE", "inferbus/local-base:bookworm")
PROJECT = "inferbus-compose-test-%d" % os.getpid()
SERVICES = ["redis", "api1", "api2", "worker1", "worker2", "prometheus"]
TERMINAL = {"succeeded", "failed", "cancelled", "expired"}
began = time.monotonic()


def say(message):
    print("[%6.1f s] %s" % (time.monotonic() - began, message), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"null")
        except (HTTPException, ConnectionError, socket.timeout, json.JSONDecodeError):
            return None, None
    except (urllib.error.URLError, HTTPException, ConnectionError, socket.timeout, json.JSONDecodeError):
        return None, None


def wait_for(what, condition, timeout):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(0.5)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Stack:
    def __init__(self, env, override):
        self.env = env
        self.files = ["-f", os.path.join(HERE, "docker-compose.yml"), "-f", os.path.join(HERE, "docker-compose.offline.yml"),
                      "-f", override]

    def compose(self, *args, capture=False):
        command = ["docker-compose", "-p", PROJECT, *self.files, *args]
        result = subprocess.run(command, env=self.env, cwd=REPO, text=True,
                                stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)
        if result.returncode != 0:
            raise AssertionError("%s failed (%d)%s" % (" ".join(args), result.returncode, ":\n" + result.stdout if capture else ""))
        return result.stdout

    def container(self, service):
        return self.compose("ps", "-q", service, capture=True).strip()


def docker(*args):
    return subprocess.run(["docker", *args], check=True, text=True, stdout=subprocess.PIPE).stdout.strip()


def main():
    jar = os.path.join(REPO, "verticles", "target", "inferbus.jar")
    check(os.path.exists(jar), "no %s: build it first (mvn -B package -DskipTests)" % jar)
    subprocess.run([os.path.join(HERE, "local-base-image.sh"), BASE_IMAGE], check=True)
    say("base image ready")

    ports = {name: free_port() for name in ("API1_PORT", "API2_PORT", "PROMETHEUS_PORT", "GRAFANA_PORT")}
    env = dict(os.environ, BASE_IMAGE=BASE_IMAGE, INFERBUS_IMAGE="inferbus:compose-test", INFERBUS_BIND="127.0.0.1",
               **{k: str(v) for k, v in ports.items()})
    api_key = "ib-" + secrets.token_hex(16)
    override = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
    key_env = {
        "INFERBUS_AUTH_KEYS_0_NAME": "compose-test",
        "INFERBUS_AUTH_KEYS_0_SHA256": hashlib.sha256(api_key.encode()).hexdigest(),
        "INFERBUS_AUTH_KEYS_0_TIER": "enterprise",
        "INFERBUS_AUTH_KEYS_0_MAX_PRIORITY": "critical",
    }
    override.write("services:\n" + "".join(
        "  %s:\n    environment:\n%s" % (api, "".join("      %s: %s\n" % kv for kv in key_env.items())) for api in ("api1", "api2")))
    override.close()
    stack = Stack(env, override.name)
    apis = ["http://127.0.0.1:%d" % ports["API1_PORT"], "http://127.0.0.1:%d" % ports["API2_PORT"]]
    prometheus = "http://127.0.0.1:%d" % ports["PROMETHEUS_PORT"]
    keyed = {"Authorization": "Bearer " + api_key}
    try:
        stack.compose("up", "-d", "--build", *SERVICES, capture=True)
        say("docker-compose up returned")
        for api in apis:
            wait_for(api + " to see 2 workers for every model", lambda: both_workers(api), 240)
        say("cluster formed: both API nodes see both workers for every model")

        for service in ("api1", "worker1"):
            container = stack.container(service)
            check(docker("exec", container, "id", "-u") == "10001", service + " runs as uid 10001")
            wait_for(service + " to report healthy", lambda: docker("inspect", "-f", "{{.State.Health.Status}}", container) == "healthy", 120)
        say("api1 and worker1 run as uid 10001 and their HEALTHCHECK says healthy")

        statuses = [http("POST", apis[0] + "/v1/embeddings", {"model": "all-minilm-l6-v2", "input": "anonymous %d" % i})[0] for i in range(12)]
        check(429 in statuses, "anonymous callers are limited by the production profile: %s" % statuses)
        say("anonymous callers limited (production profile): %s" % statuses)

        jobs = submit_jobs(apis, keyed)
        say("%d jobs accepted through both API nodes" % len(jobs))
        worker1 = stack.container("worker1")
        # Killed the moment it is seen running a batch: the jobs of that batch are certainly its own.
        def worker1_busy():
            if batches_running(worker1) > 0:
                return True
            if all(status(apis[1], j, keyed) in TERMINAL for j in jobs[-4:]):
                jobs.extend(submit_jobs(apis, keyed))  # the load ended before worker1 was caught at work: more
            return False
        wait_for("worker1 to be running batches", worker1_busy, 120)
        docker("kill", worker1)
        killed = time.monotonic()
        unfinished = sum(1 for j in jobs if status(apis[1], j, keyed) not in TERMINAL)
        say("worker1 killed (SIGKILL) while running a batch; %d of %d jobs unfinished just after" % (unfinished, len(jobs)))
        check(unfinished > 0, "the kill came while jobs were unfinished")

        def all_ended():
            return all(status(apis[i % 2], j, keyed) in TERMINAL for i, j in enumerate(jobs))
        wait_for("every job to end", all_ended, 300)
        ended = {j: http("GET", apis[(i + 1) % 2] + "/v1/jobs/" + j, headers=keyed)[1] for i, j in enumerate(jobs)}
        failed = {j: r.get("status") for j, r in ended.items() if r.get("status") != "succeeded"}
        check(not failed, "every job succeeded: %s" % failed)
        for job in ended.values():
            result = job["result"]
            if job["task"] == "embed":
                check(len(result["embeddings"]) == 24 and len(result["embeddings"][0]) == 384, "embeddings complete")
            else:
                check(len(result["texts"]) == 2 and all(result["texts"]), "texts complete")
        say("all %d jobs succeeded, %.1f s after the kill; results complete, read through the other API node" % (
            len(jobs), time.monotonic() - killed))
        # Every surviving member races to take the lost worker's jobs back (one wins each job), so the
        # re-dispatches are counted over all of them.
        logs = stack.compose("logs", "--no-color", "api1", "api2", "worker2", capture=True)
        moved = [int(m.group(1)) for m in re.finditer(r"re-dispatched (\d+) job", logs)]
        check(sum(moved) > 0, "the surviving nodes re-dispatched the killed worker's jobs: %s" % moved)
        say("the surviving nodes re-dispatched %d job(s) the killed worker held" % sum(moved))

        up = wait_for("Prometheus to see 3 nodes up and worker1 down", lambda: prometheus_up(prometheus), 60)
        say("Prometheus: %s" % up)
        rules = http("GET", prometheus + "/api/v1/rules")[1]["data"]["groups"][0]["rules"]
        check(len(rules) == 8 and all(r["health"] == "ok" for r in rules), "alert rules loaded and evaluating: %s" % rules)
        say("Prometheus loaded the 8 alert rules; all evaluate")
    except AssertionError:
        print(stack.compose("logs", "--no-color", "--tail", "40", capture=True), flush=True)
        raise
    finally:
        try:
            stack.compose("down", "-v", "--remove-orphans", "--rmi", "local", capture=True)
        finally:
            os.unlink(override.name)
        say("stack torn down")
    say("PASSED")


def batches_running(container):
    metrics = subprocess.run(["docker", "exec", container, "curl", "-s", "http://127.0.0.1:9100/metrics"], text=True,
                             stdout=subprocess.PIPE).stdout
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith("inferbus_worker_batches_running"))


def both_workers(api):
    code, models = http("GET", api + "/v1/models")
    return code == 200 and all(len(m.get("workers", [])) == 2 for m in models["data"])


def submit_jobs(apis, headers):
    sentences = ["sentence number %d of a document about containers and clusters" % i for i in range(24)]
    jobs = []
    for i in range(40):
        api = apis[i % 2]
        if i % 4 == 3:
            body = {"task": "transliterate", "model": "ru-latn-cyrl", "input": ["privet, eto dokument %d" % i, "vse horosho"]}
        else:
            body = {"task": "embed", "model": "all-minilm-l6-v2", "input": ["%s (job %d)" % (s, i) for s in sentences],
                    "priority": ["low", "normal", "high"][i % 3]}
        code, job = http("POST", api + "/v1/jobs", body, headers)
        check(code == 202, "job accepted by %s: %s %s" % (api, code, job))
        jobs.append(job["id"])
    return jobs


def status(api, job, headers):
    code, record = http("GET", api + "/v1/jobs/" + job, headers=headers)
    return record.get("status") if code == 200 else None


def prometheus_up(prometheus):
    code, answer = http("GET", prometheus + "/api/v1/query?query=up")
    if code != 200:
        return None
    up = {r["metric"]["instance"]: r["value"][1] for r in answer["data"]["result"]}
    expected = {"api1:8080": "1", "api2:8080": "1", "worker1:9100": "0", "worker2:9100": "1"}
    return up if up == expected else None


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        say("FAILED: %s" % e)
        sys.exit(1)

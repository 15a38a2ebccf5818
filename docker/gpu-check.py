#!/usr/bin/env python3
"""The -Pgpu build, checked on whatever host runs it:

    docker/gpu-check.py               (from anywhere; Maven and Java 17; Docker optional)

1. `mvn -Pgpu package` builds verticles/target/inferbus-gpu.jar (onnxruntime_gpu).
2. The jar starts with the packaged settings (device: auto) and serves an embedding and a
   transliteration. On a host without CUDA it must say, once per model, that the model runs on the
   CPU and why; on a GPU host, that it runs on CUDA device 0. /v1/models must show the same device.
3. With device: cuda it must, on a host without CUDA, stop start-up with exit status 1 and a message
   that names the setting's alternatives; on a GPU host, start on CUDA.
4. If a Docker daemon answers and an image to build on is at hand (BASE_IMAGE, default the one
   docker/local-base-image.sh builds), docker/Dockerfile.gpu is built from the jar and the container
   must report healthy and answer as in 2.
Exit status 0 when all of that held.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
JAR = os.path.join(REPO, "verticles", "target", "inferbus-gpu.jar")
began = time.monotonic()


def say(message):
    print("[%6.1f s] %s" % (time.monotonic() - began, message), flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, None
    except (urllib.error.URLError, ConnectionError, socket.timeout):
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


def gpu_present():
    try:
        return subprocess.run(["nvidia-smi", "-L"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.startswith("GPU")
    except FileNotFoundError:
        return False


def serves(base, expected_device):
    models = wait_for("the node to be ready", lambda: get(base + "/health/ready")[0] == 200 and get(base + "/v1/models")[1], 120)
    devices = {m["id"]: {w["device"] for w in m["workers"]} for m in models["data"]}
    check(all(d == {expected_device} for d in devices.values()), "/v1/models shows every model on %s: %s" % (expected_device, devices))
    embedding = post(base + "/v1/embeddings", {"model": "all-minilm-l6-v2", "input": "a GPU build on any host"})
    check(len(embedding["data"][0]["embedding"]) == 384, "an embedding of 384 numbers")
    accepted = post(base + "/v1/jobs", {"task": "transliterate", "model": "ru-latn-cyrl", "input": ["privet mir"]})
    job = wait_for("the transliteration to end", lambda: (lambda j: j if j and j["status"] in ("succeeded", "failed") else None)(
        get(base + "/v1/jobs/" + accepted["id"])[1]), 60)
    check(job.get("status") == "succeeded" and job["result"]["texts"] == ["привет мир"], "transliterated: %s" % job)
    return devices


def run_jar(env_extra, port):
    env = dict(os.environ, INFERBUS_HTTP_PORT=str(port), **env_extra)
    return subprocess.Popen(["java", "-jar", JAR], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def main():
    gpu = gpu_present()
    say("host has %s" % ("an NVIDIA GPU" if gpu else "no NVIDIA GPU: the CPU fallback is checked"))
    if os.environ.get("GPU_CHECK_BUILD", "1") == "1":
        subprocess.run(["mvn", "-B", "-q", "-Pgpu", "package", "-DskipTests"], cwd=REPO, check=True)
    say("built %s (%d MB)" % (os.path.relpath(JAR, REPO), os.path.getsize(JAR) // 1_000_000))

    port = free_port()
    node = run_jar({}, port)
    try:
        devices = serves("http://127.0.0.1:%d" % port, "cuda:0" if gpu else "cpu")
    finally:
        node.terminate()
        output = node.communicate(timeout=60)[0]
    lines = [l for l in output.splitlines() if re.search(r"model \S+ runs on", l)]
    print("\n".join("    " + l for l in lines))
    expected = "runs on CUDA device 0 (device auto: the CUDA provider loaded)" if gpu else "runs on cpu (device auto: "
    check(len(lines) == 2 and all(expected in l for l in lines), "one line per model saying where it runs: %s" % lines)
    check("Exception" not in output and "\tat " not in output, "no stack trace in the log:\n" + output)
    say("device auto: serves on %s, %s" % (devices, "said once per model"))

    node = run_jar({"INFERBUS_MODELS_0_DEVICE": "cuda"}, free_port())
    output = node.communicate(timeout=120)[0]
    if gpu:
        check(node.returncode == 0 or "inferbus ready" in output, "device cuda starts on a GPU host:\n" + output)
    else:
        print("\n".join("    " + l for l in output.splitlines() if "failed to start" in l))
        check(node.returncode == 1, "device cuda without CUDA: exit status 1, got %s" % node.returncode)
        check("inferbus failed to start: device cuda cannot be used" in output and "set the model's device to auto or cpu" in output,
              "a clear message:\n" + output)
        check("Exception" not in output and "\tat " not in output, "no stack trace:\n" + output)
        say("device cuda without CUDA: start-up stopped with exit status 1 and the message above")

    container_check(gpu)
    say("PASSED")


def container_check(gpu):
    base = os.environ.get("BASE_IMAGE", "inferbus/local-base:bookworm")
    if subprocess.run(["docker", "image", "inspect", base], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        say("no Docker daemon or no image %s: Dockerfile.gpu not built here" % base)
        return
    image = "inferbus:gpu-check"
    subprocess.run(["docker", "build", "-q", "-f", os.path.join(HERE, "Dockerfile.gpu"), "--build-arg", "BASE_IMAGE=" + base, "-t", image,
                    os.path.join(REPO, "verticles", "target")], check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    run = ["docker", "run", "-d", "--rm", "-p", "127.0.0.1:%d:8080" % port, "-e", "INFERBUS_REDIS_URL=", "-e", "INFERBUS_REDIS_JOB_STORE=false",
           "-e", "INFERBUS_RATE_LIMITS_ANONYMOUS_PER_MINUTE=0"] + (["--gpus", "all"] if gpu else []) + [image]
    container = subprocess.run(run, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    try:
        devices = serves("http://127.0.0.1:%d" % port, "cuda:0" if gpu else "cpu")
        wait_for("the container's HEALTHCHECK to say healthy", lambda: subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Health.Status}}", container], stdout=subprocess.PIPE, text=True).stdout.strip() == "healthy", 120)
        say("Dockerfile.gpu on %s: healthy, serves on %s" % (base, devices))
    finally:
        subprocess.run(["docker", "rm", "-f", container], stdout=subprocess.DEVNULL)
        subprocess.run(["docker", "image", "rm", image], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        say("FAILED: %s" % e)
        sys.exit(1)

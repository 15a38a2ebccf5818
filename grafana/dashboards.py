#!/usr/bin/env python3
"""Writes grafana/dashboards/*.json: the inferbus dashboards, defined here once as panels of PromQL.

    python3 grafana/dashboards.py

Every dashboard has a `datasource` template variable (Grafana's file provisioning cannot resolve
`__inputs`) and a `model` variable (all models by default, a regex). Every query selects models with
`model=~"$model"` where the meter has a model. The test PrometheusDashboardIT evaluates every panel's
query against a real Prometheus scraping a loaded cluster, with `$model` as `.*`.
"""
import json
import os

DS = {"type": "prometheus", "uid": "${datasource}"}
M = 'model=~"$model"'
RATE = "$__rate_interval"


def q(percentile, metric, by="le", where=M):
    return f'histogram_quantile({percentile}, sum by ({by}) (rate({metric}_bucket{{{where}}}[{RATE}])))'


def panel(title, exprs, unit="short", legend=None, kind="timeseries", description=None):
    targets = []
    for i, expr in enumerate(exprs if isinstance(exprs, list) else [exprs]):
        target = {"refId": chr(ord("A") + i), "expr": expr, "datasource": DS}
        legends = legend if isinstance(legend, list) else [legend]
        if i < len(legends) and legends[i]:
            target["legendFormat"] = legends[i]
        targets.append(target)
    p = {"type": kind, "title": title, "datasource": DS, "targets": targets,
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
         "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}}
    if description:
        p["description"] = description
    return p


DASHBOARDS = {
    "overview": ("inferbus: Overview", [
        panel("Jobs ended per second, by outcome",
              f'sum by (outcome) (rate(inferbus_jobs_finished_total{{{M}}}[{RATE}]))', "reqps", "{{outcome}}"),
        panel("Jobs accepted per second, by task",
              f'sum by (task) (rate(inferbus_jobs_submitted_total{{{M}}}[{RATE}]))', "reqps", "{{task}}"),
        panel("End-to-end latency (accepted to ended)",
              [q(0.5, "inferbus_job_duration_seconds"), q(0.95, "inferbus_job_duration_seconds"), q(0.99, "inferbus_job_duration_seconds")],
              "s", ["p50", "p95", "p99"]),
        panel("Queue wait p95, by priority",
              q(0.95, "inferbus_job_queue_wait_seconds", "le, priority"), "s", "{{priority}}"),
        panel("Time to first progress p95, by task",
              q(0.95, "inferbus_job_time_to_first_progress_seconds", "le, task"), "s", "{{task}}",
              description="From acceptance to the first progress event: how long a client waits to see anything"),
        panel("Jobs ended with an error, by code",
              f'sum by (error) (rate(inferbus_jobs_finished_total{{{M}, error!="none"}}[{RATE}]))', "reqps", "{{error}}"),
        panel("Requests refused, by code",
              f'sum by (code) (rate(inferbus_requests_refused_total[{RATE}]))', "reqps", "{{code}}"),
        panel("Saturation: worker busy ratio, by model",
              f'sum by (model) (rate(inferbus_worker_busy_seconds_total{{{M}}}[{RATE}])) / sum by (model) (inferbus_worker_sessions{{{M}}})',
              "percentunit", "{{model}}",
              description="Session time spent working over session time available; near 1 the model's workers are full"),
        panel("Workers per model (as API nodes see them)",
              f'max by (model) (inferbus_model_workers{{{M}}})', "short", "{{model}}"),
    ]),
    "queues-workers": ("inferbus: Queues & workers", [
        panel("Jobs waiting in dispatch queues, by priority",
              f'sum by (priority) (inferbus_queue_waiting{{{M}}})', "short", "{{priority}}"),
        panel("Jobs waiting on workers, by worker",
              f'sum by (instance) (inferbus_worker_jobs_queued{{{M}}})', "short", "{{instance}}"),
        panel("Inference run time (started to ended) p95, by model",
              q(0.95, "inferbus_job_run_seconds", "le, model"), "s", "{{model}}"),
        panel("Inputs per batch (batch models)",
              f'sum by (model) (rate(inferbus_inference_batch_size_sum{{{M}}}[{RATE}])) / sum by (model) (rate(inferbus_inference_batch_size_count{{{M}}}[{RATE}]))',
              "short", "{{model}}"),
        panel("Tokens per second read and written",
              [f'sum by (model) (rate(inferbus_tokens_processed_total{{{M}}}[{RATE}]))',
               f'sum by (model) (rate(inferbus_generated_tokens_total{{{M}}}[{RATE}]))'],
              "short", ["read {{model}}", "generated {{model}}"]),
        panel("Time to first token p95 (generative)",
              q(0.95, "inferbus_generation_time_to_first_token_seconds", "le, model"), "s", "{{model}}"),
        panel("Sequences per decoder step (generative)",
              f'sum by (model) (rate(inferbus_generation_batch_sequences_sum{{{M}}}[{RATE}])) / sum by (model) (rate(inferbus_generation_batch_sequences_count{{{M}}}[{RATE}]))',
              "short", "{{model}}"),
        panel("Jobs dispatched again, by reason",
              f'sum by (reason) (increase(inferbus_jobs_redispatched_total{{{M}}}[$__range]))', "short", "{{reason}}", kind="stat"),
        panel("Dispatch circuit breaker (0 closed, 1 half-open, 2 open)",
              f'max by (model) (inferbus_dispatch_breaker_state{{{M}}})', "short", "{{model}}"),
        panel("Cluster members",
              'max(inferbus_cluster_members)', "short", "members", kind="stat"),
    ]),
    "cache-limits": ("inferbus: Cache & limits", [
        panel("Result cache hits and misses per second",
              [f'sum by (store) (rate(inferbus_cache_hits_total[{RATE}]))', f'sum by (store) (rate(inferbus_cache_misses_total[{RATE}]))'],
              "reqps", ["hits {{store}}", "misses {{store}}"]),
        panel("Result cache hit ratio",
              f'sum(rate(inferbus_cache_hits_total[{RATE}])) / (sum(rate(inferbus_cache_hits_total[{RATE}])) + sum(rate(inferbus_cache_misses_total[{RATE}])))',
              "percentunit", "hit ratio"),
        panel("Jobs answered by an identical job in flight",
              f'sum(increase(inferbus_jobs_followed_total[$__range]))', "short", "followed", kind="stat"),
        panel("Rate-limited and refused requests, by code",
              f'sum by (code) (increase(inferbus_requests_refused_total[$__range]))', "short", "{{code}}"),
        panel("Redis available (1) or bypassed (0), by node",
              'min by (instance) (inferbus_redis_available)', "short", "{{instance}}"),
        panel("Redis circuit breaker (0 closed, 2 open)",
              'max by (instance) (inferbus_redis_breaker_state)', "short", "{{instance}}"),
        panel("Event-bus bridge connections",
              'sum(inferbus_bridge_sockets)', "short", "connections"),
        panel("Bridge frames refused, by reason",
              f'sum by (reason) (increase(inferbus_bridge_refused_frames_total[$__range]))', "short", "{{reason}}"),
    ]),
    "jvm-eventbus": ("inferbus: JVM & event bus", [
        panel("Heap used, by node", 'sum by (instance) (jvm_memory_used_bytes{area="heap"})', "bytes", "{{instance}}"),
        panel("GC pause time per second, by node", f'sum by (instance) (rate(jvm_gc_pause_seconds_sum[{RATE}]))', "s", "{{instance}}"),
        panel("Process CPU, by node", 'max by (instance) (process_cpu_usage)', "percentunit", "{{instance}}"),
        panel("Live threads, by node", 'max by (instance) (jvm_threads_live_threads)', "short", "{{instance}}"),
        panel("Event-bus messages sent and published per second",
              [f'sum by (instance) (rate(vertx_eventbus_sent_total[{RATE}]))', f'sum by (instance) (rate(vertx_eventbus_published_total[{RATE}]))'],
              "reqps", ["sent {{instance}}", "published {{instance}}"]),
        panel("Event-bus messages pending, by node", 'sum by (instance) (vertx_eventbus_pending)', "short", "{{instance}}"),
        panel("HTTP requests per second, by status", f'sum by (code) (rate(vertx_http_server_requests_total[{RATE}]))', "reqps", "{{code}}"),
        panel("HTTP mean response time",
              f'sum(rate(vertx_http_server_response_time_seconds_sum[{RATE}])) / sum(rate(vertx_http_server_response_time_seconds_count[{RATE}]))',
              "s", "mean"),
        panel("Open streams (SSE, waiting calls, bridge subscriptions)", 'sum by (instance) (inferbus_open_streams)', "short", "{{instance}}"),
        panel("Worker pool threads in use", 'sum by (pool_name) (vertx_pool_in_use)', "short", "{{pool_name}}"),
    ]),
}


def dashboard(uid, title, panels):
    laid_out = []
    for i, p in enumerate(panels):
        p = dict(p, id=i + 1, gridPos={"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)})
        laid_out.append(p)
    return {
        "uid": "inferbus-" + uid,
        "title": title,
        "tags": ["inferbus"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "10s",
        "time": {"from": "now-30m", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus", "current": {}, "hide": 0,
             "refresh": 1, "options": []},
            {"name": "model", "label": "Model", "type": "query", "datasource": DS,
             "definition": "label_values(inferbus_jobs_submitted_total, model)",
             "query": {"query": "label_values(inferbus_jobs_submitted_total, model)", "refId": "model"},
             "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2, "sort": 1,
             "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": []},
        ]},
        "panels": laid_out,
    }


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
    os.makedirs(out, exist_ok=True)
    for uid, (title, panels) in DASHBOARDS.items():
        with open(os.path.join(out, uid + ".json"), "w") as f:
            json.dump(dashboard(uid, title, panels), f, indent=2)
            f.write("\n")
        print("wrote", uid + ".json", len(panels), "panels")

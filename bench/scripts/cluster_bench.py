#!/usr/bin/env python3
"""Client side of bench/scripts/cluster-benchmarks.sh (issue 20): polls, timings and the opt-out
latency client, against Herald's HTTP API with the admin key in HERALD_API_KEY. Standard library
only. Every subcommand prints one JSON object on stdout (figures in seconds or milliseconds, as
named), so that the shell script can log it as it is.

  wait-ready PORT [--cluster [--members N]]  seconds until GET /v1/cluster shows N members Up and
                                      no partition unallocated (--cluster) or GET /v1/campaigns answers 200 (plain node)
  campaign PORT [--tps N]             creates the benchmark campaign on segment "all", polls
                                      GET /v1/campaigns/{id} every 200 ms until completed; prints
                                      wall (create -> completed seen), pipeline (finishedAt -
                                      startedAt) and the final counts
  failover PORTS --kill-pid PID ...   benchmark 2, see failover()
  latency PORT PORTS                  benchmark 3, see latency()
"""
import argparse
import datetime
import http.client
import json
import os
import sys
import threading
import time

KEY = os.environ.get("HERALD_API_KEY", "")
TEXT = "Hi {{first_name}} Reply STOP to opt out"
MASK = (1 << 64) - 1


def partition_of(e164, partitions):
    """As dev.herald.dispatcher.cluster.Partitioner.ofKey: SplitMix64's finalizer of the E.164
    digits as a long, its unsigned remainder by the partition count."""
    z = int(e164.lstrip("+")) & MASK
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK
    z = z ^ (z >> 31)
    return z % partitions


class Api:
    """One keep-alive HTTP connection to one node."""

    def __init__(self, port, timeout=30.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def call(self, method, path, body=None):
        """@return (status, parsed JSON or None); status 0 if the node did not answer."""
        headers = {"Authorization": "Bearer " + KEY}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                try:
                    return r.status, json.loads(raw) if raw else None
                except ValueError:
                    return r.status, {"raw": raw.decode(errors="replace")[:300]}
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    return 0, None
        return 0, None


def ts(iso):
    """An ISO-8601 instant with nanoseconds as epoch seconds."""
    if iso is None:
        return None
    iso = iso.rstrip("Z")
    if "." in iso:
        head, frac = iso.split(".")
        iso = head + "." + frac[:6]
    return datetime.datetime.fromisoformat(iso).replace(tzinfo=datetime.timezone.utc).timestamp()


def out(obj):
    print(json.dumps(obj), flush=True)


def wait_ready(a):
    api = Api(a.port, timeout=5)
    t0 = time.time()
    while time.time() - t0 < a.limit:
        if a.cluster:
            s, v = api.call("GET", "/v1/cluster")
            up = [m for m in v["members"] if m["status"] == "Up"] if s == 200 and v else []
            if s == 200 and v.get("unallocated") == [] and len(up) >= a.members:
                return out({"ready_s": round(time.time() - t0, 2), "members": len(v["members"])})
        else:
            s, _ = api.call("GET", "/v1/campaigns")
            if s == 200:
                return out({"ready_s": round(time.time() - t0, 2)})
        time.sleep(0.2)
    out({"ready_s": None, "error": "not ready after %ds" % a.limit})
    sys.exit(1)


def create_campaign(api, name, tps=None):
    body = {"name": name, "channel": "sms", "category": "marketing", "sender": "default",
            "text": TEXT, "segment": "all"}
    if tps:
        body["tps"] = tps
    s, v = api.call("POST", "/v1/campaigns", body)
    if s not in (200, 201) or not v or "id" not in v:
        raise SystemExit("campaign create failed: %s %s" % (s, v))
    return v


def campaign(a):
    api = Api(a.port, timeout=60)
    t0 = time.time()
    v = create_campaign(api, "cbench-%d" % int(t0), a.tps)
    cid = v["id"]
    t_created = time.time()
    while True:
        s, v = api.call("GET", "/v1/campaigns/" + cid)
        if s == 200 and v["status"] in ("completed", "failed", "cancelled"):
            break
        if time.time() - t0 > a.limit:
            raise SystemExit("campaign %s not finished after %ds: %s" % (cid, a.limit, v))
        time.sleep(0.2)
    t1 = time.time()
    counts = {k: n for k, n in v["counts"].items() if n}
    out({"id": cid, "status": v["status"], "wall_s": round(t1 - t0, 2), "create_s": round(t_created - t0, 2),
         "pipeline_s": round(ts(v["finishedAt"]) - ts(v["startedAt"]), 2),
         "start_delay_s": round(ts(v["startedAt"]) - ts(v["createdAt"]), 2),
         "counts": counts, "partitions": v.get("partitions")})


def failover(a):
    """Benchmark 2. Creates a campaign with --tps on the first node of PORTS, kill -9s --kill-pid
    (the node whose HTTP port is --kill-port) once sent >= 25 % of the total, then polls a survivor
    every 200 ms, each in its own thread so that one slow answer delays no other figure:
      cluster:    GET /v1/cluster until every partition the dead node ran is on a live member
      campaign:   GET /v1/campaigns/{id} until partitions.answered == of again (and sent grows)
      suppress:   POST /v1/suppressions of a fresh number in one of the dead node's partitions
                  until acknowledged (200)
    and waits for the campaign to complete, printing its final counts."""
    survivor = Api(a.survivor_port, timeout=15)
    s, v = survivor.call("GET", "/v1/cluster")
    dead_addr = "pekko://herald@127.0.0.1:%d" % a.kill_node_port
    dead_parts = []
    for m in v["members"]:
        if m["address"] == dead_addr:
            dead_parts = list(m["partitions"])
    if not dead_parts:
        raise SystemExit("node %s runs no partition: %s" % (dead_addr, v))
    parts = v["partitions"]
    created = create_campaign(survivor, "cbench-failover-%d" % int(time.time()), a.tps)
    cid, total = created["id"], created["total"]
    t_create = time.time()
    while True:
        s, v = survivor.call("GET", "/v1/campaigns/" + cid)
        if s == 200 and v["counts"]["sent"] >= total * a.kill_at:
            break
        time.sleep(0.05)
    sent_at_kill = v["counts"]["sent"]
    os.kill(a.kill_pid, 9)
    t_kill = time.time()
    res = {"dead_node": dead_addr, "dead_partitions": dead_parts, "sent_at_kill": sent_at_kill,
           "kill_after_create_s": round(t_kill - t_create, 2)}
    lock = threading.Lock()

    def mark(name, value):
        """The first value for name; for [sent_s, answered_s] pairs, the one answered first."""
        with lock:
            old = res.get(name)
            if old is None or (isinstance(value, list) and isinstance(old, list) and value[1] < old[1]):
                res[name] = value

    def poll(path, check):
        """GET path on the survivor every 200 ms, each request on its own connection and thread
        (while a node is unreachable an answer can take ask-timeout, 10 s, and must not delay the
        next poll); check(answer, sent_s, answered_s) returns True when its figure is marked."""
        done = threading.Event()

        def once(sent):
            s, v = Api(a.survivor_port, timeout=30).call("GET", path)
            if s == 200 and check(v, round(sent - t_kill, 2), round(time.time() - t_kill, 2)):
                done.set()

        while not done.is_set() and time.time() - t_kill < a.limit:
            threading.Thread(target=once, args=(time.time(),), daemon=True).start()
            time.sleep(0.2)

    def cluster_check(v, sent, answered):
        where = {}
        for m in v["members"]:
            if m["address"] == dead_addr and not m["reachable"]:
                mark("cluster_unreachable_s", [sent, answered])
            if m["address"] == dead_addr and m["status"] in ("Down", "Removed"):
                mark("cluster_down_s", [sent, answered])
            for p in m["partitions"]:
                where[p] = m["address"]
        if dead_addr not in [m["address"] for m in v["members"]]:
            mark("cluster_removed_s", [sent, answered])
        if all(p in where and where[p] != dead_addr for p in dead_parts):
            mark("cluster_reallocated_s", [sent, answered])
            return True
        return False

    short = threading.Event()

    def campaign_check(v, sent, answered):
        p = v.get("partitions") or {}
        if p.get("answered") != p.get("of"):
            short.set()
            mark("campaign_short_s", [sent, answered])
            mark("campaign_short_view", p)
        elif short.is_set():
            mark("campaign_answered_all_s", [sent, answered])
            mark("sent_when_all_answered", v["counts"]["sent"])
            return True
        return False

    def watch_cluster():
        poll("/v1/cluster", cluster_check)

    def watch_campaign():
        poll("/v1/campaigns/" + cid, campaign_check)

    def watch_suppress():
        api = Api(a.survivor_port, timeout=15)
        n = 447500000000
        tries = 0
        while time.time() - t_kill < a.limit:
            while partition_of(str(n), parts) not in dead_parts:
                n += 1
            t = time.time()
            s, v = api.call("POST", "/v1/suppressions", {"phones": ["+%d" % n], "scope": "global"})
            tries += 1
            if s in (200, 201) and v and v.get("suppressed") == 1:
                mark("suppress_ack_s", round(time.time() - t_kill, 2))
                mark("suppress_ack_call_s", round(time.time() - t, 2))
                mark("suppress_tries", tries)
                mark("suppress_number", "+%d partition %d" % (n, partition_of(str(n), parts)))
                return
            with lock:
                res.setdefault("suppress_refusals", [])
                if len(res["suppress_refusals"]) < 3:
                    res["suppress_refusals"].append([round(time.time() - t_kill, 2), s, v])
            n += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=f) for f in (watch_cluster, watch_campaign, watch_suppress)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the campaign to the end: its final counts are the correctness check
    while time.time() - t_kill < a.limit * 4:
        s, v = survivor.call("GET", "/v1/campaigns/" + cid)
        if s == 200 and v["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(1)
    res["final_status"] = v["status"] if v else None
    res["final_counts"] = {k: n for k, n in v["counts"].items() if n} if v else None
    res["final_partitions"] = v.get("partitions") if v else None
    res["campaign_wall_s"] = round(time.time() - t_create, 1)
    if v and v.get("startedAt") and v.get("finishedAt"):
        res["pipeline_s"] = round(ts(v["finishedAt"]) - ts(v["startedAt"]), 2)
    if v:
        res["times"] = {k: v.get(k) for k in ("createdAt", "startedAt", "finishedAt")}
    res["create_wall"] = datetime.datetime.fromtimestamp(t_create, datetime.timezone.utc).isoformat()
    res["id"] = cid
    out(res)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def latency(a):
    """Benchmark 3: sequential POST /v1/suppressions of one fresh number each to node PORT,
    alternating a number whose partition runs on that node (local) and one whose partition runs on
    another (remote), on one keep-alive connection; --warmup of each first, then --n of each."""
    api = Api(a.port, timeout=30)
    s, v = api.call("GET", "/v1/cluster")
    me = v["self"]
    parts = v["partitions"]
    local = set()
    for m in v["members"]:
        if m["address"] == me:
            local = set(m["partitions"])
    if not local or len(local) == parts:
        raise SystemExit("node %s runs %s of %d partitions: no local/remote split" % (me, sorted(local), parts))
    n = a.first
    kinds = {"local": [], "remote": []}
    errors = []

    def next_number(is_local):
        nonlocal n
        while (partition_of(str(n), parts) in local) != is_local:
            n += 1
        x = n
        n += 1
        return "+%d" % x

    def one(is_local, record):
        phone = next_number(is_local)
        t = time.perf_counter()
        s, body = api.call("POST", "/v1/suppressions", {"phones": [phone], "scope": "global"})
        dt = (time.perf_counter() - t) * 1000
        if s not in (200, 201) or not body or body.get("suppressed") != 1:
            errors.append([phone, s, body])
        elif record:
            kinds["local" if is_local else "remote"].append(dt)

    for i in range(a.warmup):
        one(True, False)
        one(False, False)
    for i in range(a.n):
        one(True, True)
        one(False, True)
    res = {"node": me, "local_partitions": sorted(local), "errors": len(errors), "first_errors": errors[:3]}
    for k, xs in kinds.items():
        if not xs:
            continue
        res[k] = {"n": len(xs), "p50_ms": round(pct(xs, .5), 2), "p90_ms": round(pct(xs, .9), 2),
                  "p99_ms": round(pct(xs, .99), 2), "max_ms": round(max(xs), 2),
                  "mean_ms": round(sum(xs) / len(xs), 2)}
    out(res)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait-ready")
    w.add_argument("port", type=int)
    w.add_argument("--cluster", action="store_true")
    w.add_argument("--members", type=int, default=1, help="with --cluster: how many members must be Up")
    w.add_argument("--limit", type=int, default=300)
    w.set_defaults(f=wait_ready)
    c = sub.add_parser("campaign")
    c.add_argument("port", type=int)
    c.add_argument("--tps", type=int)
    c.add_argument("--limit", type=int, default=900)
    c.set_defaults(f=campaign)
    f = sub.add_parser("failover")
    f.add_argument("--survivor-port", type=int, required=True)
    f.add_argument("--kill-pid", type=int, required=True)
    f.add_argument("--kill-node-port", type=int, required=True)
    f.add_argument("--tps", type=int, default=40000)
    f.add_argument("--kill-at", type=float, default=0.25)
    f.add_argument("--limit", type=int, default=120)
    f.set_defaults(f=failover)
    l = sub.add_parser("latency")
    l.add_argument("port", type=int)
    l.add_argument("--n", type=int, default=2000)
    l.add_argument("--warmup", type=int, default=500)
    l.add_argument("--first", type=int, default=447700000000)
    l.set_defaults(f=latency)
    a = p.parse_args()
    a.f(a)


if __name__ == "__main__":
    main()

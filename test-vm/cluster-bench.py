#!/usr/bin/env python3
"""Cluster-mode benchmark driver (run by `test-vm/bench cluster` inside the etcd namespace, root mount ns).

  moves PREFIX PINROOT,PINROOT,... N   MAC-move convergence: N MACs claimed by node sim-a, then each moved
                                        to sim-b; time from the etcd put to the entry pointing at sim-b in
                                        every host's xvtep_fdb (read with bpftool)
  scale PREFIX NODES PER_NODE VNIS     simulated registrations written straight to etcd (txn batches)
  claims PREFIX NODE VTEP VNI N MACPREFIX TTL
                                        a node without an agent: a lease of TTL s, its node key and N claims
                                        MACPREFIX:xx:xx:xx in VNI under it (128 per transaction; a transaction
                                        that fails, e.g. during an etcd election, is tried again 5 times)
Node keys and claims are written under a lease, as agents write them (lease-less ones are refused).
"""
import base64
import json
import os
import ssl
import statistics
import struct
import subprocess
import sys
import time
import urllib.request

ETCD = os.environ.get("ETCD", "http://198.18.0.100:2379")
# TLS and authentication (test-vm/etcd-secure): CA, a client certificate, a token
SSL = None
if os.environ.get("ETCD_CACERT"):
    SSL = ssl.create_default_context(cafile=os.environ["ETCD_CACERT"])
    SSL.load_cert_chain(os.environ["ETCD_CERT"], os.environ["ETCD_KEY"])
TOKEN = os.environ.get("ETCD_TOKEN")


def b64(s):
    return base64.b64encode(s.encode()).decode()


def post(path, body):
    req = urllib.request.Request(ETCD + path, data=json.dumps(body).encode(), method="POST")
    if TOKEN:
        req.add_header("Authorization", TOKEN)
    with urllib.request.urlopen(req, timeout=10, context=SSL) as r:
        return json.load(r)


def grant(ttl):
    return post("/v3/lease/grant", {"TTL": ttl})["ID"]


def put(k, v, lease=0):
    return post("/v3/kv/put", {"key": b64(k), "value": b64(v), "lease": lease})


def txn(pairs, lease=0):
    ops = [{"request_put": {"key": b64(k), "value": b64(v), "lease": lease}} for k, v in pairs]
    return post("/v3/kv/txn", {"success": ops})


def fdb_remote(pin, vni, mac):
    key = struct.pack("<I", vni) + bytes(int(x, 16) for x in mac.split(":")) + b"\0\0"
    out = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", pin + "/xvtep_fdb", "key", "hex"]
                         + ["%02x" % b for b in key], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    v = json.loads(out.stdout)["value"]
    # struct fdb_entry starts with union vtep_addr (16 bytes: IPv6, or IPv4-mapped ::ffff:a.b.c.d)
    return ".".join(str(int(x, 16)) for x in v[12:16])


def moves(prefix, pins, n):
    vni = 42
    lease = grant(3600)
    put(prefix + "/v2/nodes/sim-a", json.dumps({"v": 1, "vtep": "198.18.0.201", "vnis": []}), lease)
    put(prefix + "/v2/nodes/sim-b", json.dumps({"v": 1, "vtep": "198.18.0.202", "vnis": []}), lease)
    macs = ["02:be:00:00:%02x:%02x" % (i >> 8, i & 255) for i in range(n)]
    for m in macs:
        put("%s/v2/endpoints/sim-a/%d/%s" % (prefix, vni, m), json.dumps({"v": 1, "node": "sim-a", "vtep": "198.18.0.201", "ips": []}), lease)
    for m in macs:
        deadline = time.time() + 10
        while any(fdb_remote(p, vni, m) != "198.18.0.201" for p in pins) and time.time() < deadline:
            time.sleep(0.01)
    lat = []
    for m in macs:
        t0 = time.monotonic()
        put("%s/v2/endpoints/sim-b/%d/%s" % (prefix, vni, m), json.dumps({"v": 1, "node": "sim-b", "vtep": "198.18.0.202", "ips": []}), lease)
        pending = set(pins)
        while pending and time.monotonic() - t0 < 5:
            pending = {p for p in pending if fdb_remote(p, vni, m) != "198.18.0.202"}
        lat.append((time.monotonic() - t0) * 1000 if not pending else float("inf"))
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("  MAC move convergence over %d moves, %d hosts (etcd put -> entry in every host's map; "
          "bpftool polling adds ~5 ms per host):" % (n, len(pins)))
    print("    p50 %.1f ms   p99 %.1f ms   max %.1f ms   mean %.1f ms" % (p(0.5), p(0.99), lat[-1], statistics.mean(lat)))


def scale(prefix, nodes, per_node, vnis):
    t0 = time.monotonic()
    for v in range(vnis):
        put("%s/v2/vnis/%d" % (prefix, 1000 + v), json.dumps({"v": 1, "vni": 1000 + v}))
    batch = []
    lease = grant(3600)  # one for all simulated nodes: each node's claims are under its node key's lease

    def add(k, v):
        nonlocal batch
        batch.append((k, v))
        if len(batch) >= 128:  # etcd's default --max-txn-ops
            txn(batch, lease)
            batch = []

    for i in range(nodes):
        vtep = "198.19.%d.%d" % (i // 250, 1 + i % 250)
        vni = 1000 + i % vnis
        name = "sim%04d" % i
        add("%s/v2/nodes/%s" % (prefix, name), json.dumps({"v": 1, "vtep": vtep, "vnis": [vni]}))
        for j in range(per_node):
            mac = "0a:%02x:%02x:%02x:%02x:%02x" % (i >> 8, i & 255, j >> 8, j & 255, 1)
            ip = "10.%d.%d.%d" % (100 + i // 250, i % 250, 1 + j)
            add("%s/v2/endpoints/%s/%d/%s" % (prefix, name, vni, mac),
                json.dumps({"v": 1, "node": name, "vtep": vtep, "ips": [ip]}))
    if batch:
        txn(batch, lease)
    print("  wrote %d nodes, %d endpoints, %d VNIs to etcd in %.1f s" % (nodes, nodes * per_node, vnis,
                                                                         time.monotonic() - t0))


def claims(prefix, node, vtep, vni, n, macprefix, ttl):
    lease = grant(ttl)
    put("%s/v2/nodes/%s" % (prefix, node), json.dumps({"v": 1, "vtep": vtep, "vnis": [vni]}), lease)
    v = json.dumps({"v": 1, "node": node, "vtep": vtep, "ips": []})
    keys = ["%s/v2/endpoints/%s/%d/%s:%02x:%02x:%02x" % (prefix, node, vni, macprefix, i >> 16, (i >> 8) & 255, i & 255)
            for i in range(n)]
    t0, failed = time.monotonic(), 0
    for i in range(0, n, 128):
        for attempt in range(6):
            try:
                txn([(k, v) for k in keys[i:i + 128]], lease)
                break
            except Exception:  # an election, a member gone: the next member answers after a while
                failed += 1
                time.sleep(0.5)
    print("  %s: %d claims in VNI %d under lease %s written in %.1f s (%d transactions tried again)"
          % (node, n, vni, lease, time.monotonic() - t0, failed))


if __name__ == "__main__":
    if sys.argv[1] == "claims":
        claims(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], int(sys.argv[8]))
    elif sys.argv[1] == "moves":
        moves(sys.argv[2], sys.argv[3].split(","), int(sys.argv[4]))
    else:
        scale(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))

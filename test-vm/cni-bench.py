#!/usr/bin/env python3
"""CNI ADD/DEL latency as a runtime sees it: the plugin executed with the CNI environment and
the network configuration on stdin, timed from exec to exit. Run inside the host's network
namespace (nsenter --net=...). Containers are plain network namespaces named PREFIX-N.

  cni-bench.py CONF_FILE PLUGIN_DIRS NETNS_PREFIX COUNT BATCH [AGENT_PID]

COUNT containers in batches of BATCH: BATCH ADDs, then their BATCH DELs. Prints one line of
key=value (milliseconds): wall-clock p50/p99/max of ADD and DEL; the CPU time the plugin and the
IPAM plugin it runs used per ADD/DEL (median; load on the machine barely changes it); with
AGENT_PID, the agent's CPU time per ADD+DEL pair; and, for xvtep (XVTEP_CNI_TRACE), the median
time of each ADD step.
"""
import json
import os
import subprocess
import sys
import time

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def proc_cpu_ms(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * TICK_MS  # utime + stime


def call(plugin, conf, cmd, cid, netns, paths, steps):
    env = dict(os.environ, CNI_COMMAND=cmd, CNI_CONTAINERID=cid, CNI_NETNS=netns, CNI_IFNAME="eth0",
               CNI_PATH=paths, XVTEP_CNI_TRACE="1")
    t0 = time.perf_counter()
    p = subprocess.Popen([plugin], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate(conf)
    ms = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        sys.exit(f"{cmd} {cid}: exit {p.returncode}: {out.decode()} {err.decode()}")
    last = 0.0
    for line in err.decode().splitlines():  # "xvtep-cni trace STEP MS ms"
        w = line.split()
        if len(w) == 5 and w[1] == "trace":
            steps.setdefault(w[2], []).append(float(w[3]) - last)
            last = float(w[3])
    return ms


def cpu_of(fn):
    """Runs fn, returns (its result, CPU ms of the children it waited for)."""
    r0 = os.times()
    v = fn()
    r1 = os.times()
    return v, ((r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)) * 1000


def main():
    conf_file, paths, prefix, count, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    agent = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    conf = open(conf_file, "rb").read()
    ptype = json.loads(conf)["type"]
    plugin = next(os.path.join(d, ptype) for d in paths.split(":") if os.access(os.path.join(d, ptype), os.X_OK))
    adds, dels, add_cpu, del_cpu, steps = [], [], [], [], {}
    a0 = proc_cpu_ms(agent) if agent else 0
    done = 0
    while done < count:
        n = min(batch, count - done)
        ids = [f"{prefix}-{done + i}" for i in range(n)]
        for cid in ids:
            subprocess.run(["ip", "netns", "add", cid], check=True)
        try:
            for cid in ids:
                ms, cpu = cpu_of(lambda: call(plugin, conf, "ADD", cid, f"/run/netns/{cid}", paths, steps))
                adds.append(ms)
                add_cpu.append(cpu)
            for cid in ids:
                ms, cpu = cpu_of(lambda: call(plugin, conf, "DEL", cid, f"/run/netns/{cid}", paths, {}))
                dels.append(ms)
                del_cpu.append(cpu)
        finally:
            for cid in ids:
                subprocess.run(["ip", "netns", "del", cid])
        done += n
    out = {}
    for k, xs in (("add", adds), ("del", dels)):
        out[f"{k}_p50"], out[f"{k}_p99"], out[f"{k}_max"] = pct(xs, 50), pct(xs, 99), max(xs)
    out["add_cpu"], out["del_cpu"] = pct(add_cpu, 50), pct(del_cpu, 50)
    if agent:
        out["agent_cpu"] = (proc_cpu_ms(agent) - a0) / count
    for s, xs in steps.items():
        out[f"step_{s}"] = pct(xs, 50)
    print(" ".join(f"{k}={v:.1f}" for k, v in out.items()))


if __name__ == "__main__":
    main()

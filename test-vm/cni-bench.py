#!/usr/bin/env python3
"""CNI ADD/DEL latency as a runtime sees it: the plugin executed with the CNI environment and
the network configuration on stdin, timed from exec to exit. Run inside the host's network
namespace (nsenter --net=...). Containers are plain network namespaces named PREFIX-N.

  cni-bench.py CONF_FILE PLUGIN_DIRS NETNS_PREFIX COUNT BATCH

COUNT containers in batches of BATCH: BATCH ADDs, then their BATCH DELs. Prints one line:
  add_p50=.. add_p99=.. add_max=.. del_p50=.. del_p99=.. del_max=.. (milliseconds)
"""
import os
import subprocess
import sys
import time


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def call(plugin, conf, cmd, cid, netns, paths):
    env = dict(os.environ, CNI_COMMAND=cmd, CNI_CONTAINERID=cid, CNI_NETNS=netns, CNI_IFNAME="eth0",
               CNI_PATH=paths)
    t0 = time.perf_counter()
    r = subprocess.run([plugin], input=conf, env=env, capture_output=True)
    ms = (time.perf_counter() - t0) * 1000
    if r.returncode != 0:
        sys.exit(f"{cmd} {cid}: exit {r.returncode}: {r.stdout.decode()} {r.stderr.decode()}")
    return ms


def main():
    conf_file, paths, prefix, count, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    conf = open(conf_file, "rb").read()
    import json
    ptype = json.loads(conf)["type"]
    plugin = next(os.path.join(d, ptype) for d in paths.split(":") if os.access(os.path.join(d, ptype), os.X_OK))
    adds, dels = [], []
    done = 0
    while done < count:
        n = min(batch, count - done)
        ids = [f"{prefix}-{done + i}" for i in range(n)]
        for cid in ids:
            subprocess.run(["ip", "netns", "add", cid], check=True)
        try:
            for cid in ids:
                adds.append(call(plugin, conf, "ADD", cid, f"/run/netns/{cid}", paths))
            for cid in ids:
                dels.append(call(plugin, conf, "DEL", cid, f"/run/netns/{cid}", paths))
        finally:
            for cid in ids:
                subprocess.run(["ip", "netns", "del", cid])
        done += n
    print(" ".join(f"{k}_{name}={v:.1f}" for k, xs in (("add", adds), ("del", dels))
                   for name, v in (("p50", pct(xs, 50)), ("p99", pct(xs, 99)), ("max", max(xs)))))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""First frame over SSH against the local console, in one run.

Starts `kycdesk serve` (sandbox, loopback, a fresh config and state
directory, one operator key), then alternates: the local console
(`kycdesk` in a pty) and a served desk (`ssh -tt desk-1@127.0.0.1` in a
pty), each timed from spawn to the first "Start a verification session".
Both pay for starting a process (kycdesk, ssh); the served desk also for
the SSH handshake and the server's console. Medians are printed, and the
ratio (the budget: ≤ 1.5).

What the server adds is read, per run, from its own /metrics
(kycdesk_ssh_session_start_seconds: from the session's start, after the
handshake, auth and PTY request, to the terminal's background answered
and to the first frame written); the rest of the ssh figure is the ssh
client's: its process start, key loading, the handshake's round trips
and drawing what arrives.

usage: serveframe.py KYCDESK [RUNS]
"""
import os, re, shutil, signal, statistics, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import firstframe  # noqa: E402  (the pty timing both scripts share)

MARK = b"Start a verification session"

def once(argv, env, mark=MARK):
    """Seconds from spawning argv in a pty to mark (firstframe.once)."""
    return firstframe.once(argv, env, mark)[0]

def stage_sums(http):
    """The server's per-stage sums of kycdesk_ssh_session_start_seconds."""
    text = urllib.request.urlopen("http://" + http + "/metrics", timeout=5).read().decode()
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'^kycdesk_ssh_session_start_seconds_sum\{stage="([a-z_]+)"\} (\S+)$', text, re.M)}

def main():
    kd = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    work = tempfile.mkdtemp()
    env = dict(os.environ, TERM="xterm-256color", XDG_CONFIG_HOME=work + "/config", XDG_STATE_HOME=work + "/state", HOME=work)
    env.pop("NO_COLOR", None)
    os.makedirs(work + "/config/kycdesk")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", work + "/key"], check=True)
    shutil.copy(work + "/key.pub", work + "/config/kycdesk/operators")
    srv = subprocess.Popen([kd, "serve", "--ssh-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    port = http = None
    try:
        for line in srv.stdout:
            line = line.decode()
            if line.startswith("ssh listening on "):
                port = line.rsplit(":", 1)[1].strip()
            if line.startswith("http listening on "):
                http = line[len("http listening on "):].strip()
            if line.startswith("ready"):
                break
        # the local console finds the served sandbox's port closed and
        # starts its own in-process sandbox, as a desk PC would
        ssh = [shutil.which("ssh"), "-tt", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-i", work + "/key", "-p", port, "desk-1@127.0.0.1"]
        res = {"local": [], "ssh": [], "server": [], "query": [], "console": [], "bare": []}
        for _ in range(runs):
            # The ssh client alone: the same connection asking for a command,
            # which the server refuses with one line right after the session
            # starts (process start, keys, handshake, auth, session, one line).
            took = once(ssh + ["true"], env, b"only serves the console")
            if took is not None:
                res["bare"].append(took * 1000)
            for name, argv in (("local", [kd]), ("ssh", ssh)):
                before = stage_sums(http) if name == "ssh" else None
                took = once(argv, env)
                if took is None:
                    continue
                res[name].append(took * 1000)
                if before is not None:
                    time.sleep(0.05)  # the session's end is recorded after the client is gone
                    after = stage_sums(http)
                    res["server"].append((after.get("first_frame", 0) - before.get("first_frame", 0)) * 1000)
                    res["query"].append((after.get("terminal_query", 0) - before.get("terminal_query", 0)) * 1000)
                    res["console"].append((after.get("console", 0) - before.get("console", 0)) * 1000)
        label = {"local": "local console", "ssh": "ssh desk", "server": "  server's part", "query": "  .. terminal query done",
                 "console": "  .. console built", "bare": "ssh client, no console"}
        for name in ("local", "ssh", "server", "query", "console", "bare"):
            v = sorted(res[name])
            print(f"{label[name]:26s} first frame median {statistics.median(v):6.1f} ms  p90 {v[int(len(v)*0.9)-1]:6.1f} ms  ({len(v)} runs)")
        med = {k: statistics.median(v) for k, v in res.items()}
        print(f"ratio ssh/local end to end {med['ssh']/med['local']:.2f} (budget 1.5)")
        print(f"ratio server's part/local  {med['server']/med['local']:.2f}")
        print(f"ssh client's own part (ssh - server's part) median {med['ssh']-med['server']:.1f} ms")
        print(f"ratio (ssh - ssh client alone)/local {(med['ssh']-med['bare'])/med['local']:.2f}")
    finally:
        srv.terminate()
        srv.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)

main()

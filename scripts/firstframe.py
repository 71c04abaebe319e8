#!/usr/bin/env python3
"""First frame: kycdesk against a bare Bubble Tea program, in one run.

Each binary runs in a pty (80x24) that answers the terminal queries a real
terminal answers (OSC 11 background colour, DA1, cursor position), and the
time from spawn to the first "Start a verification session" on the pty is
taken. Runs alternate between the two binaries; medians are printed, with
how many background queries each made.

usage: firstframe.py KYCDESK BARE [RUNS [KYCDESK2 ...]]

More consoles after RUNS (another build, a wrapper script with its own
state directory) run in the same rounds; each is compared with BARE.
"""
import os, pty, select, statistics, struct, sys, time, fcntl, termios, signal

MARK = b"Start a verification session"

def once(argv, env, mark=MARK, limit=15):
    """Seconds from spawning argv in a pty to mark on it (None: not within
    limit), and how many background-colour queries it made. The pty
    answers the queries a real (dark) terminal answers."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.perf_counter()
    buf, queries, took = b"", 0, None
    deadline = t0 + limit
    while time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        buf += chunk
        n = chunk.count(b"\x1b]11;?")
        if n:
            queries += n
            os.write(fd, b"\x1b]11;rgb:0000/0000/0000\x1b\\" * n)
        if b"\x1b[c" in chunk:
            os.write(fd, b"\x1b[?62;c")
        if b"\x1b[6n" in chunk:
            os.write(fd, b"\x1b[1;1R")
        if mark in buf:
            took = time.perf_counter() - t0
            break
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    return took, queries

def main():
    kd, bare = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    consoles = [kd] + sys.argv[4:]
    names = ["kycdesk"] + sys.argv[4:]
    env = dict(os.environ, TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    res = {n: [] for n in ["bare"] + names}
    q = {}
    for _ in range(runs):
        for name, argv in [("bare", [bare])] + [(n, [c]) for n, c in zip(names, consoles)]:
            took, queries = once(argv, env)
            if took is not None:
                res[name].append(took * 1000)
            q[name] = queries
    for name in ["bare"] + names:
        v = res[name]
        if not v:
            print(f"{name}: no first frame in {runs} runs")
            continue
        print(f"{name:8s} first frame median {statistics.median(v):6.1f} ms  p90 {sorted(v)[int(len(v)*0.9)-1]:6.1f} ms  ({len(v)} runs, {q[name]} background queries)")
    for name in names:
        if res[name] and res["bare"]:
            label = "kycdesk" if name == "kycdesk" else name
            print(f"ratio {label}/bare {statistics.median(res[name])/statistics.median(res['bare']):.2f}")

if __name__ == "__main__":
    main()

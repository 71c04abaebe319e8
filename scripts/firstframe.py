#!/usr/bin/env python3
"""First frame: kycdesk against a bare Bubble Tea program, in one run.

Each binary runs in a pty (80x24, set before it starts) that answers the
terminal queries a real terminal answers (OSC 11 background colour, DA1,
cursor position). Times are from just before the fork:

  query   the first background query on the pty (the process has started
          and its package init has run up to Bubble Tea's: what comes
          before the program, whatever the model);
  first   the first "Start a verification session" on the pty: the first
          frame (the console's home, the bare program's one line);
  filled  the first frame that shows the sandbox's address ("http://", in
          the banner): the console open, its store read. Before kycdesk drew
          home ahead of its store (ui.Preview), this was the first frame
          itself; bareframe shows an address in its first frame (filled =
          first); a program that shows none is waited for 2 s more.

Runs alternate between the binaries; medians are printed, with how many
background queries each made, how many first (and filled) frames came
after the renderer's first tick ("late": more than 1.5 frames of 120 fps,
12.5 ms, after the query; the program starts within a millisecond of it),
and the ratios to the bare program.

usage: firstframe.py KYCDESK BARE [RUNS [KYCDESK2 ...]]

More consoles after RUNS (another build, a wrapper script with its own
state directory) run in the same rounds; each is compared with BARE.
"""
import fcntl, os, select, signal, statistics, struct, sys, termios, time

MARK = b"Start a verification session"
FILLED = b"http://"
LATE = 1.5 / 120  # seconds after the background query: the first tick missed

def timeline(argv, env, marks, limit=15):
    """Seconds from spawning argv in a pty to its first background query
    and to each of marks (in order; None: not within limit), and how many
    background-colour queries it made. The pty answers the queries a real
    (dark) terminal answers."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            os.close(master)
            os.close(slave)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(slave)
    buf, queries, query = b"", 0, None
    took = [None] * len(marks)
    deadline = t0 + limit
    while time.perf_counter() < deadline and None in took:
        r, _, _ = select.select([master], [], [], 0.05)
        if not r:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        now = time.perf_counter() - t0
        buf += chunk
        n = chunk.count(b"\x1b]11;?")
        if n:
            if query is None:
                query = now
            queries += n
            os.write(master, b"\x1b]11;rgb:0000/0000/0000\x1b\\" * n)
        if b"\x1b[c" in chunk:
            os.write(master, b"\x1b[?62;c")
        if b"\x1b[6n" in chunk:
            os.write(master, b"\x1b[1;1R")
        for i, m in enumerate(marks):
            if took[i] is None and m in buf and (i == 0 or took[0] is not None):
                took[i] = now
                if i == 0:  # the rest within 2 s of the first frame, or never
                    deadline = min(deadline, t0 + now + 2)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(master)
    return query, took, queries

def once(argv, env, mark=MARK, limit=15):
    """Seconds from spawning argv in a pty to mark on it (None: not within
    limit), and how many background-colour queries it made."""
    _, took, queries = timeline(argv, env, [mark], limit)
    return took[0], queries

def main():
    kd, bare = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    consoles = [kd] + sys.argv[4:]
    names = ["kycdesk"] + sys.argv[4:]
    env = dict(os.environ, TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    res = {n: {"query": [], "first": [], "filled": [], "late": 0, "late_filled": 0} for n in ["bare"] + names}
    q = {}
    for _ in range(runs):
        for name, argv in [("bare", [bare])] + [(n, [c]) for n, c in zip(names, consoles)]:
            marks = [MARK, FILLED]
            query, took, queries = timeline(argv, env, marks)
            if query is not None:
                res[name]["query"].append(query * 1000)
            for what, t in zip(["first", "filled"], took):
                if t is not None:
                    res[name][what].append(t * 1000)
                    if query is not None and t - query > LATE:
                        res[name]["late" if what == "first" else "late_filled"] += 1
            q[name] = queries
    med = lambda v: statistics.median(v) if v else float("nan")
    for name in ["bare"] + names:
        r = res[name]
        if not r["first"]:
            print(f"{name}: no first frame in {runs} runs")
            continue
        v = r["first"]
        line = (f"{name:8s} first frame median {med(v):6.1f} ms  p90 {sorted(v)[int(len(v)*0.9)-1]:6.1f} ms"
                f"  (query {med(r['query']):5.1f} ms")
        if r["filled"]:
            line += f"; filled {med(r['filled']):6.1f} ms in {len(r['filled'])}"
        late = f"late {r['late']}"
        if r["filled"]:
            late += f", filled late {r['late_filled']}"
        print(line + f"; {len(v)} runs, {late}, {q[name]} background queries)")
    for name in names:
        if res[name]["first"] and res["bare"]["first"]:
            b = med(res["bare"]["first"])
            # filled against the bare program's filled frame when it has one
            # (storebench: an empty store), else against its first
            bf = med(res["bare"]["filled"]) if res["bare"]["filled"] else b
            print(f"ratio {name}/bare first {med(res[name]['first'])/b:.2f}, filled {med(res[name]['filled'])/bf:.2f}")

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""First frame over SSH against the local console, in one run.

Starts `kycdesk serve` (sandbox, loopback, a fresh config and state
directory, one operator key), then alternates: the local console
(`kycdesk` in a pty) and a served desk (`ssh -tt desk-1@127.0.0.1` in a
pty), each timed from spawn to the first "Start a verification session".
Both pay for starting a process (kycdesk, ssh); the served desk also for
the SSH handshake and the server's console. Medians are printed, and the
ratio (the budget: ≤ 1.5).

usage: serveframe.py KYCDESK [RUNS]
"""
import os, pty, select, shutil, signal, statistics, struct, subprocess, sys, tempfile, time, fcntl, termios

MARK = b"Start a verification session"

def once(argv, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.perf_counter()
    buf, took = b"", None
    deadline = t0 + 15
    while time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        buf += chunk
        n = chunk.count(b"\x1b]11;?")  # answer as a dark terminal does
        if n:
            os.write(fd, b"\x1b]11;rgb:0000/0000/0000\x1b\\" * n)
        if b"\x1b[c" in chunk:
            os.write(fd, b"\x1b[?62;c")
        if b"\x1b[6n" in chunk:
            os.write(fd, b"\x1b[1;1R")
        if MARK in buf[-4096:] or MARK in buf:
            took = time.perf_counter() - t0
            break
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    return took

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
    port = None
    try:
        for line in srv.stdout:
            line = line.decode()
            if line.startswith("ssh listening on "):
                port = line.rsplit(":", 1)[1].strip()
            if line.startswith("ready"):
                break
        # the local console finds the served sandbox's port closed and
        # starts its own in-process sandbox, as a desk PC would
        ssh = [shutil.which("ssh"), "-tt", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-i", work + "/key", "-p", port, "desk-1@127.0.0.1"]
        res = {"local": [], "ssh": []}
        for _ in range(runs):
            for name, argv in (("local", [kd]), ("ssh", ssh)):
                took = once(argv, env)
                if took is not None:
                    res[name].append(took * 1000)
        for name in ("local", "ssh"):
            v = sorted(res[name])
            print(f"{name:6s} first frame median {statistics.median(v):6.1f} ms  p90 {v[int(len(v)*0.9)-1]:6.1f} ms  ({len(v)} runs)")
        print(f"ratio ssh/local {statistics.median(res['ssh'])/statistics.median(res['local']):.2f} (budget 1.5)")
    finally:
        srv.terminate()
        srv.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)

main()

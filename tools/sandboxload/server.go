package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// Server kinds.
const (
	kindBare    = "bare"
	kindSandbox = "sandbox"
)

// server is one started server process.
type server struct {
	kind string
	addr string // 127.0.0.1:PORT
	url  string // http://addr
	pid  int
	log  string // its stdout and stderr
	cmd  *exec.Cmd
	exit chan error
}

// freeAddr is a loopback address with a port that was free a moment ago
// (listen on :0, close): the server started on it may still lose it to
// another process, which startServer retries.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// errAddrInUse: the server could not listen on its port.
var errAddrInUse = errors.New("address already in use")

// startServer starts a server of the kind, named name (its log file), in
// dir: the sandbox from cfg.kycdesk, or this program as the bare server
// answering the bytes of sample. It returns once the server accepts
// connections.
func startServer(cfg *config, kind, name, dir, sample string) (*server, error) {
	var err error
	for range 5 {
		var s *server
		s, err = startOnce(cfg, kind, name, dir, sample)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errAddrInUse) {
			return nil, err
		}
	}
	return nil, err
}

func startOnce(cfg *config, kind, name, dir, sample string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	switch kind {
	case kindSandbox:
		args := []string{"sandbox", "--listen", addr}
		if cfg.quiet {
			args = append(args, "--quiet")
		}
		cmd = exec.Command(cfg.kycdesk, args...)
	case kindBare:
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("bare server: %w", err)
		}
		cmd = exec.Command(self, serveBareFlag, addr, "--sample", sample)
	default:
		return nil, fmt.Errorf("no server kind %q", kind)
	}
	// A clean environment, as tools/deskload gives serve: no
	// KYCDESK_* settings or credentials of the caller's shell, and a
	// state directory (the sandbox's token file) of its own.
	home := filepath.Join(dir, "home")
	for _, d := range []string{filepath.Join(home, "config"), filepath.Join(home, "state")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "TZ=UTC"}
	if p := os.Getenv("SANDBOXLOAD_CPUPROFILE"); p != "" {
		// A debugging aid: each server's CPU profile (FILE.NAME, e.g.
		// FILE.r1-sandbox), complete when it is stopped (SIGTERM); go
		// tool pprof merges several.
		v := "KYCDESK_CPUPROFILE"
		if kind == kindBare {
			v = bareProfileEnv
		}
		cmd.Env = append(cmd.Env, v+"="+p+"."+name)
	}
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	s := &server{kind: kind, addr: addr, url: "http://" + addr, pid: cmd.Process.Pid, log: logPath, cmd: cmd, exit: make(chan error, 1)}
	go func() { s.exit <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-s.exit:
			b, _ := os.ReadFile(logPath)
			if strings.Contains(string(b), "address already in use") {
				return nil, fmt.Errorf("%s server on %s: %w", kind, addr, errAddrInUse)
			}
			return nil, fmt.Errorf("%s server (pid %d) ended before it accepted connections: %v; its log %s:\n%s", kind, s.pid, err, logPath, b)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("%s server (pid %d) does not accept connections on %s after 30 s; its log %s:\n%s", kind, s.pid, addr, logPath, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the server as SIGTERM does and waits for it (killed after
// 30 s).
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exit:
		var ee *exec.ExitError
		if errors.As(err, &ee) && !ee.Exited() {
			return nil // ended by the signal itself
		}
		return err
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exit
		return fmt.Errorf("%s server (pid %d) did not stop in 30 s after SIGTERM: killed", s.kind, s.pid)
	}
}

// bareProfileEnv names the file the bare server writes its CPU profile to
// (set from SANDBOXLOAD_CPUPROFILE).
const bareProfileEnv = "SANDBOXLOAD_BARE_CPUPROFILE"

// serveBareMain is the bare server: --serve-bare ADDR --sample FILE.
// Every request, whatever its method and path, has its body read and
// discarded and is answered 201, application/json, with FILE's bytes.
func serveBareMain(args []string, stderr io.Writer) int {
	if len(args) != 3 || args[1] != "--sample" {
		fmt.Fprintln(stderr, "sandboxload: usage: sandboxload --serve-bare ADDR --sample FILE")
		return 2
	}
	sample, err := os.ReadFile(args[2])
	if err != nil {
		fmt.Fprintln(stderr, "sandboxload: --sample:", err)
		return 2
	}
	if p := os.Getenv(bareProfileEnv); p != "" {
		f, err := os.Create(p)
		if err != nil {
			fmt.Fprintln(stderr, "sandboxload:", err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "sandboxload:", err)
			return 1
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Fprintln(stderr, "sandboxload: bare server:", err)
		return 1
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write(sample)
	})}
	go srv.Serve(ln)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Close()
	return 0
}

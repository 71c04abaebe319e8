package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// profileTOML is the desk profile a started server gets: iDenfy, only the
// customer's id asked (the flow of a branch desk).
const profileTOML = `provider = "idenfy"
title = "Load desk"
asked = ["clientId"]
accepted = []
[values]
locale = "lt"
country = "LT"
documents = ["PASSPORT"]
`

// target is one server the desks connect to.
type target struct {
	sshAddr string
	httpURL string
	pid     int
	signers []ssh.Signer // operators' keys: desk i uses signers[i%len]

	cmd  *exec.Cmd
	dir  string
	exit chan error

	mu      sync.Mutex
	base    procSample // before any desk connected
	first   procSample // when the load starts
	lastS   procSample // when it ends
	peakRSS int64
	desks   int
}

// startServers starts cfg.serves `kycdesk serve` processes sharing
// cfg.store, each with its own config and state directory, operators file
// (one key per desk) and the load's desk profile.
func startServers(cfg *config, log io.Writer) ([]*target, error) {
	perServer := (cfg.desks + cfg.serves - 1) / cfg.serves
	var ts []*target
	for i := range cfg.serves {
		t, err := startServer(cfg, i, perServer+1, log) // +1: the baseline desk
		if err != nil {
			stopServers(ts, cfg.keep, log)
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func startServer(cfg *config, n, keys int, log io.Writer) (*target, error) {
	dir, err := os.MkdirTemp("", "deskload-serve-")
	if err != nil {
		return nil, err
	}
	t := &target{dir: dir, exit: make(chan error, 1)}
	conf := filepath.Join(dir, "config", "kycdesk")
	if err := os.MkdirAll(filepath.Join(conf, "profiles"), 0o700); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "state"), 0o700); err != nil {
		return nil, err
	}
	var lines []string
	for i := range keys {
		priv, err := newKey()
		if err != nil {
			return nil, err
		}
		s, err := ssh.NewSignerFromKey(priv)
		if err != nil {
			return nil, err
		}
		t.signers = append(t.signers, s)
		lines = append(lines, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))+" load"+strconv.Itoa(n)+"-"+strconv.Itoa(i))
	}
	if err := os.WriteFile(filepath.Join(conf, "operators"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(conf, "profiles", "load-lt.toml"), []byte(profileTOML), 0o600); err != nil {
		return nil, err
	}
	args := []string{"serve", "--ssh-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"}
	if cfg.store != "" {
		args = append(args, "--store", cfg.store)
	}
	cmd := exec.Command(cfg.kycdesk, args...)
	// A clean environment: only what serve needs, so that a KYCDESK_STORE
	// or live credentials of the caller's shell never reach it.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"), "TZ=UTC"}
	// Servers sharing a store share its key (kept outside the store).
	for _, k := range []string{"KYCDESK_STORE_KEY", "KYCDESK_STORE_KEY_FILE"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if cfg.cpuprof != "" {
		f, err := filepath.Abs(cfg.cpuprof)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			f += "." + strconv.Itoa(n)
		}
		cmd.Env = append(cmd.Env, "KYCDESK_CPUPROFILE="+f)
	}
	errLog, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = errLog
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.kycdesk, err)
	}
	t.cmd, t.pid = cmd, cmd.Process.Pid
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		said := false
		for sc.Scan() {
			l := sc.Text()
			if a, ok := strings.CutPrefix(l, "ssh listening on "); ok {
				t.sshAddr = a
			}
			if a, ok := strings.CutPrefix(l, "http listening on "); ok {
				t.httpURL = "http://" + a
			}
			if l == "ready" && !said {
				said = true
				ready <- nil
			}
		}
		if !said {
			ready <- fmt.Errorf("serve ended before it was ready")
		}
		io.Copy(io.Discard, out)
	}()
	go func() { t.exit <- cmd.Wait(); errLog.Close() }()
	select {
	case err = <-ready:
	case <-time.After(time.Minute):
		err = fmt.Errorf("serve not ready after a minute")
	}
	if err == nil && (t.sshAddr == "" || t.httpURL == "") {
		err = fmt.Errorf("serve did not say where it listens")
	}
	if err != nil {
		cmd.Process.Kill()
		b, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
		if !cfg.keep {
			os.RemoveAll(dir)
		}
		return nil, fmt.Errorf("server %d: %w\n%s", n, err, b)
	}
	fmt.Fprintf(log, "server %d: pid %d, ssh %s, http %s, dir %s\n", n, t.pid, t.sshAddr, t.httpURL, dir)
	return t, nil
}

// stopServers ends the started servers as SIGTERM does and removes their
// directories unless kept.
func stopServers(ts []*target, keep bool, log io.Writer) {
	for _, t := range ts {
		if t.cmd == nil {
			continue
		}
		t.cmd.Process.Signal(os.Interrupt)
		select {
		case <-t.exit:
		case <-time.After(30 * time.Second):
			fmt.Fprintf(log, "server pid %d did not stop in 30 s: killed\n", t.pid)
			t.cmd.Process.Kill()
			<-t.exit
		}
		if keep {
			fmt.Fprintf(log, "kept %s\n", t.dir)
		} else {
			os.RemoveAll(t.dir)
		}
	}
}

// attach is a server already running, given by flags.
func attach(cfg *config) (*target, error) {
	b, err := os.ReadFile(cfg.keyFile)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", cfg.keyFile, err)
	}
	if _, err := readProc(cfg.pid); err != nil {
		return nil, fmt.Errorf("--pid %d: %w", cfg.pid, err)
	}
	return &target{sshAddr: cfg.sshAddr, httpURL: strings.TrimRight(cfg.httpURL, "/"), pid: cfg.pid, signers: []ssh.Signer{s}}, nil
}

// sample reads the server's /proc and keeps its peak RSS.
func (t *target) sample() (procSample, error) {
	s, err := readProc(t.pid)
	if err != nil {
		return s, err
	}
	t.mu.Lock()
	t.peakRSS = max(t.peakRSS, s.rss)
	t.mu.Unlock()
	return s, nil
}

package session

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// writeSynthetic writes a journal of n sessions shaped like real ones: a
// mix of the three providers, most launched and polled once or twice, some
// refused, some of unknown outcome. It returns the file size.
func writeSynthetic(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	hex := func(k int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, k)
		for i := range b {
			b[i] = digits[rng.IntN(16)]
		}
		return string(b)
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	buf := make([]byte, 0, 1<<20)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var size int64
	flush := func(force bool) {
		if len(buf) > 1<<20-4096 || (force && len(buf) > 0) {
			m, err := f.Write(buf)
			if err != nil {
				tb.Fatal(err)
			}
			size += int64(m)
			buf = buf[:0]
		}
	}
	for i := 0; i < n; i++ {
		at := t0.Add(time.Duration(i) * 37 * time.Second)
		id := encodeID(uint64(at.Unix())<<5 | uint64(i&31))
		s := &Session{Mode: providers.ModeLive, Attempts: 1, RequestHash: hex(64)}
		var vals providers.Values
		out := &outcome{expiresAt: at.Add(30 * time.Minute)}
		switch k := i % 20; {
		case k < 12:
			s.Provider, s.Endpoint = "idenfy", "https://ivs.idenfy.com"
			s.Customer = fmt.Sprintf("customer-%07d", i)
			vals = providers.Values{"clientId": {s.Customer}, "locale": {"en"}, "documents": {"ID_CARD", "PASSPORT"},
				"tokenType": {"IDENTIFICATION"}, "callbackUrl": {"https://desk.example.com/hooks/idenfy"}}
			tok := hex(40)
			out.refs = encodeMap(map[string]string{"authToken": tok, "scanRef": hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12)})
			out.url = "https://ivs.idenfy.com/api/v2/redirect?authToken=" + tok
			out.customer = s.Customer
		case k < 17:
			s.Provider, s.Endpoint = "alibaba", "https://cloudauth-intl.cn-hongkong.aliyuncs.com"
			s.Customer = "u" + hex(16)
			biz := hex(32)
			vals = providers.Values{"ProductCode": {"eKYC"}, "MerchantBizId": {biz}, "MerchantUserId": {s.Customer},
				"DocType": {"00000001"}, "SceneCode": {"desk01"}, "ReturnUrl": {"https://desk.example.com/done"},
				"MetaInfo": {`{"deviceType":"h5","ua":"Mozilla/5.0 (X11; Linux x86_64)","bioMetaInfo":"4.1.0:2916352,0"}`}}
			tx := "hksb" + hex(28)
			out.refs = encodeMap(map[string]string{"TransactionId": tx, "MerchantBizId": biz})
			out.url = "https://m.alibaba.example/ekyc?transactionId=" + tx + "&h=" + hex(16)
			out.singleUse = true
		default:
			s.Provider, s.Endpoint = "dws", "https://open-sea-global.alipay.com"
			s.Customer = fmt.Sprintf("****%04d", i%10000)
			vals = providers.Values{"authenticationRequestId": {hex(44)}, "authenticationMethod": {"OTP"},
				"authenticationType": {"SMS"}, "identityType": {"MOBILE_PHONE"}}
			aid := "2026" + hex(26)
			out.refs = encodeMap(map[string]string{"authenticationId": aid})
			out.challenge = &providers.Challenge{Type: "SMS", RenderValue: s.Customer, ChallengeID: aid}
		}
		s.values = encodeValues(vals)
		buf = appendRecord(buf, &record{kind: recIntent, id: id, at: at, intent: s})
		switch {
		case i%50 == 7: // no outcome: unknown
		case i%25 == 3:
			buf = appendRecord(buf, &record{kind: recOutcome, id: id, at: at.Add(400 * time.Millisecond), out: &outcome{err: &ErrorInfo{
				Kind: providers.KindRejected, Code: "INVALID_PARAMETER", Message: "DocType is not supported in this region",
				Action: "choose another document type", HTTPStatus: 400}}})
		default:
			buf = appendRecord(buf, &record{kind: recOutcome, id: id, at: at.Add(300 * time.Millisecond), out: out})
			buf = appendRecord(buf, &record{kind: recStatus, id: id, at: at.Add(5 * time.Minute), state: providers.StateApproved,
				text: "autoDocument DOC_VALIDATED, autoFace FACE_MATCH"})
			if i%3 == 0 {
				buf = appendRecord(buf, &record{kind: recStatus, id: id, at: at.Add(9 * time.Minute), state: providers.StateDenied,
					text: "manual review: FACE_MISMATCH"})
			}
		}
		flush(false)
	}
	flush(true)
	return size
}

func syntheticJournal(b *testing.B, n int) string {
	path := filepath.Join(b.TempDir(), "sessions.jsonl")
	writeSynthetic(b, path, n)
	return path
}

func TestSyntheticJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.jsonl")
	writeSynthetic(t, path, 2000)
	fileLines(t, path, 0)
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.Len() != 2000 || j.Torn() != 0 || len(j.Warnings()) != 0 {
		t.Fatalf("%d sessions, torn %d, %q", j.Len(), j.Torn(), j.Warnings())
	}
	if n := len(j.Unresolved()); n != 40 {
		t.Fatalf("%d unresolved", n)
	}
}

// cpuTime is the process's user+system CPU time: on a busy machine it
// says more than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOpen100k opens a journal of 100 000 sessions as the console
// finds it after its previous run: with the snapshot that run's Close
// wrote.
func BenchmarkOpen100k(b *testing.B) {
	path := syntheticJournal(b, 100_000)
	j, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := j.Checkpoint(); err != nil {
		b.Fatal(err)
	}
	j.Close()
	benchmarkOpen(b, path, true)
}

// BenchmarkOpen100kCold opens it without a snapshot: every line is read.
func BenchmarkOpen100kCold(b *testing.B) {
	benchmarkOpen(b, syntheticJournal(b, 100_000), false)
}

func benchmarkOpen(b *testing.B, path string, snapshot bool) {
	fi, _ := os.Stat(path)
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() {
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
	}()
	for i := 0; i < b.N; i++ {
		j, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if j.Len() != 100_000 || (j.snapOff != 0) != snapshot {
			b.Fatal(j.Len(), j.snapOff)
		}
		j.closed = true // not Close: it could write a snapshot
		j.f.Close()
	}
}

func BenchmarkFilter100k(b *testing.B) {
	path := syntheticJournal(b, 100_000)
	j, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	j.Filter("warm up") // the first Filter computes the filter text
	for _, q := range []string{"customer-00420", "idenfy denied", "zzzz-no-match"} {
		b.Run(q, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				j.Filter(q)
			}
		})
	}
}

// BenchmarkCheckpoint100k writes the snapshot of 100 000 sessions, as
// Close does once the journal has grown by a megabyte.
func BenchmarkCheckpoint100k(b *testing.B) {
	path := syntheticJournal(b, 100_000)
	j, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := j.Checkpoint(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilterFirst100k is the first Filter after Open, which
// computes every session's filter text.
func BenchmarkFilterFirst100k(b *testing.B) {
	j, err := Open(syntheticJournal(b, 100_000))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j.search = nil // as after Open
		j.Filter("customer-00420")
	}
}

// BenchmarkAppendStatus is one status change (a record, flushed) of a
// journal with 1000 sessions.
func BenchmarkAppendStatus(b *testing.B) {
	_, j := tempJournal(b)
	l, c := &Launcher{Journal: j}, newFake()
	var ss []*Session
	for i := 0; i < 1000; i++ {
		ss = append(ss, mustLaunch(b, l, c, values(fmt.Sprint("client-", i))))
	}
	states := []providers.State{providers.StateUnknown, providers.StatePending}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := &providers.Status{State: states[(i/len(ss))%2]}
		if _, err := j.AppendStatus(ss[i%len(ss)].ID, st); err != nil {
			b.Fatal(err)
		}
	}
}

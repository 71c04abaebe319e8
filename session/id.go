package session

import (
	"math/rand/v2"
	"time"
)

// idAlphabet is Crockford's base32 in lower case; its order is ASCII order,
// so ids sort by time.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// idLen is 8 characters, 40 bits: 35 bits of Unix seconds (good until
// 3058) and 5 random bits.
const idLen = 8

func encodeID(n uint64) string {
	var b [idLen]byte
	for i := idLen - 1; i >= 0; i-- {
		b[i] = idAlphabet[n&31]
		n >>= 5
	}
	return string(b[:])
}

// newID returns an id for a session created at now that no session in the
// journal has. The caller holds wmu after catching up with the file, so
// the id is unique among every process appending to it.
func (j *Journal) newID(now time.Time) string {
	sec := max(now.Unix(), 0)
	n := uint64(sec)<<5 | uint64(rand.IntN(32))
	for {
		id := encodeID(n)
		if _, taken := j.byID[id]; !taken {
			return id
		}
		n++ // the next free slot, in this second or the next ones
	}
}

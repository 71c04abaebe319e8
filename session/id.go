package session

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

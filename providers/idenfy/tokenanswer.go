package idenfy

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/internal/jsonw"
)

// The token endpoint's answer echoes every request field with the
// defaults filled in [002], plus the issued values. It is written
// straight to bytes, keys in order, exactly as encoding/json writes the
// same object as a map (tokenanswer_test.go compares the two): building
// and sorting a map of some forty keys for each token was most of the
// sandbox's cost per request.

// tokenNullFields are answered null when the request left them out [002].
var tokenNullFields = []string{"firstName", "lastName", "successUrl", "errorUrl", "unverifiedUrl", "callbackUrl",
	"country", "dateOfBirth", "dateOfExpiry", "dateOfIssue", "nationality", "personalNumber", "documentNumber",
	"sex", "address", "externalRef", "additionalSteps", "additionalData", "questionnaire", "riskAssessmentProfile"}

// tokenIssued are the members the simulator sets whatever the request said.
var tokenIssued = []string{"message", "authToken", "scanRef", "clientId", "personScanRef", "locale",
	"showInstructions", "expiryTime", "sessionLength", "documents", "allowedDocuments", "tokenType",
	"redirectUrl", "digitString"}

// tokenLayout is the keys every answer has, in order, with each one's
// place, how the answer writes it (quoted, with its colon) and what its
// value is; built on first use, not at every process's start.
type tokenLayout struct {
	keys  []string
	index map[string]int
	json  []string
	kinds []tokenKind
	// absent is the whole member ("key":null, or false) of a key whose
	// value comes from the request when the request left it out; "" for
	// the others.
	absent []string
	// run[i] is the members of keys i up to runEnd[i] (the next key
	// whose value the simulator sets, or the end), all left out of the
	// request, written together with their commas: most of an answer is
	// a few of them. runMask[i] has the bits of those keys.
	run     []string
	runEnd  []int
	runMask []uint64
}

// tokenKind says where a member's value comes from.
type tokenKind uint8

const (
	kindEcho tokenKind = iota // the request's value; null when left out
	kindMessage
	kindAuthToken
	kindScanRef
	kindClientID
	kindLocale
	kindShowInstructions
	kindExpiryTime
	kindSessionLength
	kindDocuments
	kindAllowedDocuments
	kindTokenType
	kindRedirectURL
	kindDigitString
	kindUpper       // uppercased by iDenfy [002] when a string
	kindUtilityBill // false when left out
)

// maxTokenKeys bounds the layout, so that an answer's request values fit
// in an array on the stack and the keys sent in the bits of a uint64.
const maxTokenKeys = 48

var tokenKeys = sync.OnceValue(func() tokenLayout {
	kinds := map[string]tokenKind{
		"message": kindMessage, "authToken": kindAuthToken, "scanRef": kindScanRef,
		"clientId": kindClientID, "personScanRef": kindClientID, "locale": kindLocale,
		"showInstructions": kindShowInstructions, "expiryTime": kindExpiryTime, "sessionLength": kindSessionLength,
		"documents": kindDocuments, "allowedDocuments": kindAllowedDocuments, "tokenType": kindTokenType,
		"redirectUrl": kindRedirectURL, "digitString": kindDigitString,
		"firstName": kindUpper, "lastName": kindUpper, "nationality": kindUpper, "utilityBill": kindUtilityBill,
	}
	set := map[string]bool{"utilityBill": true}
	for _, k := range append(append([]string(nil), tokenNullFields...), tokenIssued...) {
		set[k] = true
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > maxTokenKeys {
		panic("idenfy: the token answer has more keys than maxTokenKeys")
	}
	l := tokenLayout{keys: keys, index: map[string]int{}, json: make([]string, len(keys)), kinds: make([]tokenKind, len(keys)),
		absent: make([]string, len(keys)), run: make([]string, len(keys)), runEnd: make([]int, len(keys)), runMask: make([]uint64, len(keys))}
	for i, k := range keys {
		l.index[k] = i
		l.json[i] = string(jsonw.AppendString(nil, k)) + ":"
		l.kinds[i] = kinds[k] // kindEcho when not listed
		switch l.kinds[i] {
		case kindEcho, kindUpper:
			l.absent[i] = l.json[i] + "null"
		case kindUtilityBill:
			l.absent[i] = l.json[i] + "false"
		}
	}
	for i := len(keys) - 1; i >= 0; i-- {
		switch {
		case l.absent[i] == "":
		case i+1 < len(keys) && l.absent[i+1] != "":
			l.run[i], l.runEnd[i], l.runMask[i] = l.absent[i]+","+l.run[i+1], l.runEnd[i+1], 1<<i|l.runMask[i+1]
		default:
			l.run[i], l.runEnd[i], l.runMask[i] = l.absent[i], i+1, 1<<i
		}
	}
	return l
})

// appendTokenAnswer appends the answer to a token request req that issued
// sess, whose customer starts at redirect (a JSON string).
func appendTokenAnswer(dst []byte, req map[string]any, sess *simSession, redirect []byte) ([]byte, error) {
	l := tokenKeys()
	var vals [maxTokenKeys]any // the request's values of the layout's keys
	var has [maxTokenKeys]bool
	var sent uint64    // has, as bits
	var extra []string // the request's members no answer always has
	for k, v := range req {
		if i, ok := l.index[k]; ok {
			vals[i], has[i] = v, true
			sent |= 1 << i
		} else {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	dst = append(dst, '{')
	i, j, n := 0, 0, 0
	for i < len(l.keys) || j < len(extra) {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		var err error
		if j == len(extra) || i < len(l.keys) && l.keys[i] < extra[j] {
			if !has[i] && l.absent[i] != "" {
				// Most members of most answers: a run of them whole when
				// the request sent none of its keys and no extra member
				// sorts among them.
				if e := l.runEnd[i]; sent&l.runMask[i] == 0 && (j == len(extra) || l.keys[e-1] < extra[j]) {
					dst = append(dst, l.run[i]...)
					i = e
					continue
				}
				dst = append(dst, l.absent[i]...)
				i++
				continue
			}
			dst = append(dst, l.json[i]...)
			dst, err = appendTokenMember(dst, l.kinds[i], vals[i], has[i], sess, redirect)
			i++
		} else {
			k := extra[j]
			j++
			dst = jsonw.AppendString(dst, k)
			dst = append(dst, ':')
			dst, err = jsonw.Append(dst, req[k])
		}
		if err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendTokenMember appends a member's value: v is the request's (has
// says whether it was sent).
func appendTokenMember(dst []byte, kind tokenKind, v any, has bool, sess *simSession, redirect []byte) ([]byte, error) {
	switch kind {
	case kindMessage:
		return jsonw.AppendString(dst, "Token created successfully"), nil
	case kindAuthToken:
		return jsonw.AppendString(dst, sess.authToken), nil
	case kindScanRef:
		return jsonw.AppendString(dst, sess.scanRef), nil
	case kindClientID:
		return jsonw.AppendString(dst, sess.clientID), nil
	case kindLocale:
		return jsonw.AppendString(dst, sess.locale), nil
	case kindShowInstructions:
		return jsonw.Append(dst, sess.showInstructions)
	case kindExpiryTime:
		return strconv.AppendInt(dst, int64(sess.expiry/time.Second), 10), nil
	case kindSessionLength:
		return strconv.AppendInt(dst, int64(sess.sessionLength/time.Second), 10), nil
	case kindDocuments:
		return appendDocs(dst, sess.documents), nil
	case kindAllowedDocuments:
		allowed := "ALL"
		if sess.country != "" {
			allowed = sess.country
		}
		dst = append(dst, '{')
		dst = jsonw.AppendString(dst, allowed)
		dst = append(dst, ':')
		return append(appendDocs(dst, sess.documents), '}'), nil
	case kindTokenType:
		return jsonw.AppendString(dst, sess.tokenType), nil
	case kindRedirectURL:
		return append(dst, redirect...), nil
	case kindDigitString:
		if sess.opt == nil || sess.opt.digitString == "" {
			return jsonw.Append(dst, nil)
		}
		return jsonw.AppendString(dst, sess.opt.digitString), nil
	case kindUpper:
		if s, ok := v.(string); ok {
			return jsonw.AppendString(dst, strings.ToUpper(s)), nil // uppercased by iDenfy [002]
		}
	case kindUtilityBill:
		if !has {
			return jsonw.Append(dst, false)
		}
	}
	return jsonw.Append(dst, v) // echoed; nil (null) when left out

}

// appendDocs appends the documents as the answer has them: none is null
// (a copy of none, made by appending to nil, was nil), as encoding/json
// writes a nil slice.
func appendDocs(dst []byte, d []string) []byte {
	if len(d) == 0 {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range d {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonw.AppendString(dst, s)
	}
	return append(dst, ']')
}

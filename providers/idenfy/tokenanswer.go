package idenfy

import (
	"slices"
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

// tokenLayout is the keys every answer has, in order, the same as a set,
// and each as the answer writes it (quoted, with its colon); built on
// first use, not at every process's start.
type tokenLayout struct {
	keys []string
	set  map[string]bool
	json []string
}

var tokenKeys = sync.OnceValue(func() tokenLayout {
	set := map[string]bool{"utilityBill": true}
	for _, k := range append(append([]string(nil), tokenNullFields...), tokenIssued...) {
		set[k] = true
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	js := make([]string, len(keys))
	for i, k := range keys {
		js[i] = string(jsonw.AppendString(nil, k)) + ":"
	}
	return tokenLayout{keys: keys, set: set, json: js}
})

// appendTokenAnswer appends the answer to a token request req that issued
// sess, whose customer starts at redirect.
func appendTokenAnswer(dst []byte, req map[string]any, sess *simSession, redirect string) ([]byte, error) {
	layout := tokenKeys()
	keys, keyJSON := layout.keys, layout.json
	var extra []string // the request's members no answer always has
	for k := range req {
		if !layout.set[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	dst = append(dst, '{')
	i, j, n := 0, 0, 0
	for i < len(keys) || j < len(extra) {
		var k string
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		if j == len(extra) || i < len(keys) && keys[i] < extra[j] {
			k = keys[i]
			dst = append(dst, keyJSON[i]...)
			i++
		} else {
			k, j = extra[j], j+1
			dst = jsonw.AppendString(dst, k)
			dst = append(dst, ':')
		}
		var err error
		if dst, err = appendTokenMember(dst, k, req, sess, redirect); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendTokenMember(dst []byte, k string, req map[string]any, sess *simSession, redirect string) ([]byte, error) {
	switch k {
	case "message":
		return jsonw.AppendString(dst, "Token created successfully"), nil
	case "authToken":
		return jsonw.AppendString(dst, sess.authToken), nil
	case "scanRef":
		return jsonw.AppendString(dst, sess.scanRef), nil
	case "clientId", "personScanRef":
		return jsonw.AppendString(dst, sess.clientID), nil
	case "locale":
		return jsonw.AppendString(dst, sess.locale), nil
	case "showInstructions":
		return jsonw.Append(dst, sess.showInstructions)
	case "expiryTime":
		return jsonw.Append(dst, int64(sess.expiry/time.Second))
	case "sessionLength":
		return jsonw.Append(dst, int64(sess.sessionLength/time.Second))
	case "documents":
		return jsonw.Append(dst, docsOrEmpty(sess.documents))
	case "allowedDocuments":
		allowed := "ALL"
		if sess.country != "" {
			allowed = sess.country
		}
		dst = append(dst, '{')
		dst = jsonw.AppendString(dst, allowed)
		dst = append(dst, ':')
		dst, err := jsonw.Append(dst, docsOrEmpty(sess.documents))
		return append(dst, '}'), err
	case "tokenType":
		return jsonw.AppendString(dst, sess.tokenType), nil
	case "redirectUrl":
		return jsonw.AppendString(dst, redirect), nil
	case "digitString":
		if sess.digitString == "" {
			return jsonw.Append(dst, nil)
		}
		return jsonw.AppendString(dst, sess.digitString), nil
	case "firstName", "lastName", "nationality":
		if v, ok := req[k].(string); ok {
			return jsonw.AppendString(dst, strings.ToUpper(v)), nil // uppercased by iDenfy [002]
		}
	case "utilityBill":
		if _, ok := req[k]; !ok {
			return jsonw.Append(dst, false)
		}
	}
	return jsonw.Append(dst, req[k]) // echoed; nil (null) when left out
}

// docsOrEmpty is the documents as the answer has them: a copy of none
// (append to nil) was null.
func docsOrEmpty(d []string) []string {
	if len(d) == 0 {
		return nil
	}
	return d
}

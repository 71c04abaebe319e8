package providers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// echoClient is a client whose provider echoes its credentials back.
type echoClient struct{ secret string }

func (c echoClient) Prepare(v Values) Values        { return v }
func (c echoClient) Validate(v Values) []FieldError { return nil }
func (c echoClient) Secrets() []string              { return []string{c.secret, "YmFzaWM6" + c.secret} }
func (c echoClient) Request(context.Context, Values) (*http.Request, error) {
	return nil, errors.New("cannot build with " + c.secret)
}
func (c echoClient) Launch(context.Context, Values) (*Launch, error) {
	return &Launch{Notes: []string{"note " + c.secret}, Extra: map[string]string{"x": c.secret}},
		Rejected(401, "AUTH "+c.secret, "auth=Basic YmFzaWM6"+c.secret, "check "+c.secret)
}
func (c echoClient) Status(context.Context, *Launch) (*Status, error) {
	return &Status{Detail: "d " + c.secret, Fields: map[string]string{"f": c.secret}}, nil
}
func (c echoClient) Trigger(context.Context, *Launch) (*Challenge, error) {
	return nil, Unknown(503, "", "echo "+c.secret, errors.New("cause "+c.secret))
}
func (c echoClient) Verify(context.Context, *Launch, string) (*Status, error) {
	return &Status{Detail: c.secret}, nil
}

func TestMaskedClientHidesEchoedSecrets(t *testing.T) {
	const secret = "hunter2-very-secret"
	m := Masked(echoClient{secret: secret})
	check := func(what, s string) {
		t.Helper()
		if strings.Contains(s, secret) {
			t.Errorf("%s shows the secret: %q", what, s)
		}
	}
	l, err := m.Launch(context.Background(), nil)
	pe := AsError(err)
	check("launch error", pe.Message+pe.Code+pe.Action+pe.Error())
	check("launch notes", strings.Join(l.Notes, " ")+l.Extra["x"])
	if pe.Kind != KindRejected || pe.HTTPStatus != 401 {
		t.Fatalf("kind or status lost: %+v", pe)
	}
	st, _ := m.Status(context.Background(), nil)
	check("status", st.Detail+st.Fields["f"])
	_, err = m.Request(context.Background(), nil)
	check("request error", err.Error())
	ch, ok := m.(Challenger)
	if !ok {
		t.Fatal("a challenger lost its challenge methods")
	}
	_, err = ch.Trigger(context.Background(), nil)
	check("trigger error", AsError(err).Error()+AsError(err).Err.Error())
	st, _ = ch.Verify(context.Background(), nil, "1")
	check("verify", st.Detail)
}

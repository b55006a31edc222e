package onetime_test

import (
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func testKey() []byte { return []byte("0123456789abcdef0123456789abcdef") }

// otherCode returns a code of the same length that is not code.
func otherCode(code string) string {
	b := []byte(code)
	b[len(b)-1] = '0' + (b[len(b)-1]-'0'+1)%10
	return string(b)
}

// step is one action on a flow's code and what the rules answer.
type step struct {
	advance time.Duration
	// do is "right" (the current code), "wrong", "old" (the code before
	// the last reissue) or "reissue".
	do string
	// want is nil for an accepted action, or the error it matches.
	want               error
	attempts, failures int
}

func TestPolicy_Rules(t *testing.T) {
	t.Parallel()
	base := onetime.Policy{Digits: 6, TTL: 10 * time.Minute}
	with := func(f func(*onetime.Policy)) onetime.Policy { p := base; f(&p); return p }
	for _, tc := range []struct {
		name   string
		policy onetime.Policy
		steps  []step
	}{
		{"valid just before TTL", base, []step{
			{advance: 10*time.Minute - time.Millisecond, do: "right"},
		}},
		{"expired at TTL, nothing counted", base, []step{
			{advance: 10 * time.Minute, do: "right", want: onetime.ErrExpired},
			{do: "wrong", want: onetime.ErrExpired},
		}},
		{"wrong code counts on the code and the subject", base, []step{
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 1, failures: 1},
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 2, failures: 2},
			{do: "right", attempts: 2, failures: 0},
		}},
		{"used once", base, []step{
			{do: "right"},
			{do: "right", want: core.ErrUsed},
			{do: "wrong", want: core.ErrUsed},
			{do: "reissue", want: core.ErrUsed},
		}},
		{"lock at the limit until the flow ends, a new code keeps it", with(func(p *onetime.Policy) { p.MaxFailures = 3 }), []step{
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 1, failures: 1},
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 2, failures: 2},
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 3, failures: 3},
			{do: "right", want: onetime.ErrLocked, attempts: 3, failures: 3},
			{do: "reissue", failures: 3},
			{do: "right", want: onetime.ErrLocked, failures: 3},
			{advance: 24 * time.Hour, do: "right", want: onetime.ErrLocked, failures: 3},
		}},
		{"timed lock told at once, correct code refused until it ends", with(func(p *onetime.Policy) { p.MaxFailures = 3; p.LockFor = time.Hour; p.TTL = 2 * time.Hour }), []step{
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 1, failures: 1},
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 2, failures: 2},
			{do: "wrong", want: onetime.ErrLocked, attempts: 3, failures: 3},
			{do: "right", want: onetime.ErrLocked, attempts: 3, failures: 3},
			{advance: time.Hour - time.Millisecond, do: "right", want: onetime.ErrLocked, attempts: 3, failures: 3},
			{advance: time.Millisecond, do: "right", attempts: 3, failures: 0},
		}},
		{"after a timed lock the count starts again", with(func(p *onetime.Policy) { p.MaxFailures = 2; p.LockFor = time.Hour; p.TTL = 2 * time.Hour }), []step{
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 1, failures: 1},
			{do: "wrong", want: onetime.ErrLocked, attempts: 2, failures: 2},
			{advance: time.Hour, do: "wrong", want: onetime.ErrIncorrect, attempts: 3, failures: 1},
			{do: "wrong", want: onetime.ErrLocked, attempts: 4, failures: 2},
		}},
		{"a code's attempts are its own, the subject's failures carry on", with(func(p *onetime.Policy) { p.MaxAttempts = 2; p.MaxFailures = 10 }), []step{
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 1, failures: 1},
			{do: "wrong", want: onetime.ErrIncorrect, attempts: 2, failures: 2},
			{do: "right", want: onetime.ErrExhausted, attempts: 2, failures: 2},
			{do: "reissue", attempts: 0, failures: 2},
			{do: "old", want: onetime.ErrIncorrect, attempts: 1, failures: 3},
			{do: "right", attempts: 1, failures: 0},
		}},
		{"a new code has a lifetime of its own", base, []step{
			{advance: 9 * time.Minute, do: "reissue"},
			{advance: 9 * time.Minute, do: "old", want: onetime.ErrIncorrect, attempts: 1, failures: 1},
			{do: "right", attempts: 1},
		}},
		{"sends capped per flow", with(func(p *onetime.Policy) { p.MaxSends = 2 }), []step{
			{do: "reissue"},
			{do: "reissue", want: core.ErrRateLimited},
			{do: "right"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{t0}
			p := tc.policy
			p.Key, p.Now = testKey(), clk.Now
			code, rec := p.Issue("flow_1")
			if rec.Sends != 1 || !rec.ExpiresAt.Equal(t0.Add(p.TTL)) || rec.Hash == code || rec.UsedAt != nil {
				t.Fatalf("issued %+v", rec)
			}
			old := ""
			for i, s := range tc.steps {
				clk.t = clk.t.Add(s.advance)
				var err error
				switch s.do {
				case "right":
					rec, err = p.Check("flow_1", code)(rec)
				case "wrong":
					rec, err = p.Check("flow_1", otherCode(code))(rec)
				case "old":
					if old == code {
						t.Skip("the new code happens to equal the old one")
					}
					rec, err = p.Check("flow_1", old)(rec)
				case "reissue":
					var fresh string
					var rule core.CodeRule
					fresh, rule = p.Reissue("flow_1")
					if rec, err = rule(rec); err == nil {
						old, code = code, fresh
					}
				}
				if (s.want == nil) != (err == nil) || (s.want != nil && !errors.Is(err, s.want)) {
					t.Fatalf("step %d (%s): err = %v, want %v", i, s.do, err, s.want)
				}
				if rec.Attempts != s.attempts || rec.Failures != s.failures {
					t.Fatalf("step %d (%s): attempts %d failures %d, want %d and %d", i, s.do, rec.Attempts, rec.Failures, s.attempts, s.failures)
				}
				switch {
				case s.do != "reissue" && err == nil && (rec.UsedAt == nil || !rec.UsedAt.Equal(clk.t)):
					t.Fatalf("step %d (%s): accepted, UsedAt %v", i, s.do, rec.UsedAt)
				case err != nil && !errors.Is(err, core.ErrUsed) && rec.UsedAt != nil:
					t.Fatalf("step %d (%s): refused (%v), UsedAt %v", i, s.do, err, rec.UsedAt)
				}
			}
		})
	}
}

func TestPolicy_TimedLockSaysUntilWhen(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	p := onetime.Policy{Key: testKey(), Digits: 6, TTL: time.Hour, MaxFailures: 1, LockFor: 30 * time.Minute,
		LockedMessage: "Wait a while.", Now: clk.Now}
	code, rec := p.Issue("flow_1")
	rec, err := p.Check("flow_1", otherCode(code))(rec)
	var le *core.LockedError
	var oe *core.Error
	if !errors.As(err, &le) || !le.Until.Equal(t0.Add(30*time.Minute)) || !errors.Is(err, core.ErrLocked) ||
		!errors.As(err, &oe) || oe.Code != "too_many_attempts" || oe.Message != "Wait a while." {
		t.Fatalf("err = %v", err)
	}
	if !rec.LockedUntil.Equal(le.Until) {
		t.Fatalf("LockedUntil %v", rec.LockedUntil)
	}
	// Until the flow ends: no end to tell, the default words.
	p.LockFor, p.LockedMessage = 0, ""
	_, err = p.Check("flow_1", code)(core.OneTimeCode{Hash: rec.Hash, ExpiresAt: rec.ExpiresAt, Failures: 1})
	if err != onetime.ErrLocked || errors.As(err, &le) {
		t.Fatalf("err = %v, want ErrLocked itself", err)
	}
}

func TestPolicy_FlowAndKindBinding(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	signup := onetime.Policy{Key: testKey(), Digits: 6, TTL: time.Hour, Now: clk.Now}
	codeA, recA := signup.Issue("flow_a")
	_, recB := signup.Issue("flow_b")
	if _, err := signup.Check("flow_b", codeA)(recB); !errors.Is(err, onetime.ErrIncorrect) {
		t.Errorf("flow A's code in flow B: %v", err)
	}
	if _, err := signup.Check("flow_a", codeA)(recA); err != nil {
		t.Errorf("flow A's code in flow A: %v", err)
	}
	// The same code and id under another kind of code, or another key.
	device := signup
	device.Binding = "device:"
	if device.Hash("flow_a", codeA) == recA.Hash {
		t.Error("a device code hashes like a sign-up code of the same id")
	}
	other := signup
	other.Key = []byte("another key, 32 bytes long......")
	if other.Hash("flow_a", codeA) == recA.Hash {
		t.Error("the hash does not depend on the key")
	}
}

// TestPolicy_HashesOfStoredCodes pins the hash to the form the codes
// stored before this package were made with, so that codes pending
// across an upgrade keep working.
func TestPolicy_HashesOfStoredCodes(t *testing.T) {
	t.Parallel()
	key := testKey()
	for _, tc := range []struct {
		binding, flow, secret string
		digits                int
		want                  string
	}{
		// HMAC-SHA256(key, "code\x00" + flow + "\x00" + code): passwordless codes.
		{"code\x00", "flow_1", "123456", 6, "fc4a0007205e90aa3471a2093b27d9b4091a59ea1cc666888ceecc3bdccfa0ff"},
		// HMAC-SHA256(key, "link\x00" + token): magic links, whatever the flow.
		{"link", "flow_1", "tok", 0, "0fbdb8a92aedd6e40911469786b3186fa8c0011984113b95e1a1b9ac77751e40"},
		// HMAC-SHA256(key, flow + "\x00" + code): sign-up and domain codes; device codes with "device:".
		{"", "signup_1", "123456", 6, "40fcf4a40eed67dea24144649b42c0f996bafdb7347af4d02b17126c70d6b80f"},
	} {
		p := onetime.Policy{Key: key, Binding: tc.binding, Digits: tc.digits}
		if got := p.Hash(tc.flow, tc.secret); got != tc.want {
			t.Errorf("Hash(%q, %q, %q) = %s, want %s", tc.binding, tc.flow, tc.secret, got, tc.want)
		}
	}
}

func TestPolicy_IssueLinkToken(t *testing.T) {
	t.Parallel()
	p := onetime.Policy{Key: testKey(), Binding: "link", TTL: 15 * time.Minute}
	token, rec := p.Issue("flow_1")
	if !onetime.ValidToken(token) || rec.Hash != p.Hash("", token) || rec.Hash != p.Hash("flow_2", token) {
		t.Fatalf("token %q, record %+v", token, rec)
	}
	if _, err := p.Check("flow_1", token)(rec); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	if !errors.Is(onetime.ErrExpired, core.ErrExpired) || !errors.Is(onetime.ErrExpired, core.ErrInvalidCode) {
		t.Error("ErrExpired matches neither core.ErrExpired nor core.ErrInvalidCode")
	}
	if !errors.Is(onetime.ErrIncorrect, core.ErrInvalidCode) || errors.Is(onetime.ErrIncorrect, core.ErrExpired) {
		t.Error("ErrIncorrect")
	}
	if !errors.Is(onetime.ErrExhausted, core.ErrRateLimited) || !errors.Is(onetime.ErrLocked, core.ErrLocked) {
		t.Error("ErrExhausted, ErrLocked")
	}
	if errors.Is(onetime.ErrIncorrect, onetime.ErrExpired) {
		t.Error("two refusals match")
	}
}

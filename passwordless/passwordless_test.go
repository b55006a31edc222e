package passwordless_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newService(t testing.TB, cfg passwordless.Config) (*passwordless.Service, *store.DB, *clock) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "pl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	cfg.Key = make([]byte, 32)
	cfg.Now = c.Now
	s, err := passwordless.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, db, c
}

// keep returns a Render that remembers the secret and sends nothing.
func keep(sec *passwordless.Secret) passwordless.Render {
	return func(s passwordless.Secret) (*core.Outgoing, error) { *sec = s; return nil, nil }
}

func req(kind, address string) passwordless.Request {
	return passwordless.Request{Kind: kind, Purpose: core.PurposeSignIn, Address: address,
		AddressKey: store.IdentifierKey("email", address), AllowSignUp: true}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, n := range []int{6, 8} {
		s, _, _ := newService(t, passwordless.Config{CodeLength: n})
		var sec passwordless.Secret
		c, err := s.Start(ctx, req(core.ChallengeEmailCode, "a@example.com"), keep(&sec))
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^\d{`+string(rune('0'+n))+`}$`).MatchString(sec.Code) || sec.Token != "" || sec.ExpiresIn != 10*time.Minute {
			t.Errorf("secret %+v", sec)
		}
		if c.SecretHash == sec.Code || len(c.SecretHash) != 64 {
			t.Errorf("hash %q", c.SecretHash)
		}
		done, err := s.VerifyCode(ctx, c.ID, sec.Code, nil)
		if err != nil || !done.SignedUp {
			t.Errorf("verify: %+v %v", done, err)
		}
	}
	if _, err := passwordless.New(nil, passwordless.Config{Key: make([]byte, 32), CodeLength: 7}); err == nil {
		t.Error("CodeLength 7 accepted")
	}
	if _, err := passwordless.New(nil, passwordless.Config{Key: make([]byte, 16)}); err == nil {
		t.Error("a short key accepted")
	}
}

func TestResendKeepsFailuresAndKillsOldCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db, _ := newService(t, passwordless.Config{MaxFailures: 7})
	var first, second passwordless.Secret
	c, _ := s.Start(ctx, req(core.ChallengeEmailCode, "b@example.com"), keep(&first))
	for range 3 {
		if _, err := s.VerifyCode(ctx, c.ID, "000000", nil); !errors.Is(err, core.ErrInvalidCode) && first.Code != "000000" {
			t.Fatalf("wrong code: %v", err)
		}
	}
	if _, err := s.Resend(ctx, c.ID, nil, keep(&second)); err != nil {
		t.Fatal(err)
	}
	if first.Code != second.Code {
		if _, err := s.VerifyCode(ctx, c.ID, first.Code, nil); !errors.Is(err, core.ErrInvalidCode) {
			t.Errorf("old code after resend: %v", err)
		}
	}
	if n, _ := db.ChallengeFailures(ctx, "email", "b@example.com"); n < 3 {
		t.Errorf("failures %d after a resend", n)
	}
	for range 3 {
		s.VerifyCode(ctx, c.ID, "000001", nil)
	}
	if _, err := s.VerifyCode(ctx, c.ID, second.Code, nil); !errors.Is(err, core.ErrLocked) && !errors.Is(err, core.ErrRateLimited) {
		t.Errorf("right code after 7 failures: %v, want locked", err)
	}
}

func TestMagicLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, clk := newService(t, passwordless.Config{})
	var sec passwordless.Secret
	r := req(core.ChallengeMagicLink, "c@example.com")
	r.CrossDevice = true // used in another browser below, and claimed by the asking one
	c, err := s.Start(ctx, r, keep(&sec))
	if err != nil || len(sec.Token) != 43 || sec.Code != "" || sec.ExpiresIn != 15*time.Minute {
		t.Fatalf("%+v %v", sec, err)
	}
	if _, err := s.Link(ctx, "not-a-token"); !errors.Is(err, passwordless.ErrMalformedToken) {
		t.Errorf("malformed: %v", err)
	}
	if got, err := s.Link(ctx, sec.Token); err != nil || got.ID != c.ID {
		t.Errorf("peek: %v", err)
	}
	if st, _, _ := s.Status(ctx, c.ID); st != passwordless.StatusPending {
		t.Errorf("status %q", st)
	}
	if _, err := s.VerifyLink(ctx, sec.Token, "", c.MatchCode, &core.Session{ExpiresAt: clk.t.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := s.Status(ctx, c.ID); st != passwordless.StatusElsewhere {
		t.Errorf("status %q, want completed elsewhere", st)
	}
	if _, err := s.ClaimWaiting(ctx, c.ID, core.Session{ExpiresAt: clk.t.Add(time.Hour)}); err != nil {
		t.Errorf("claim: %v", err)
	}
	if _, err := s.ClaimWaiting(ctx, c.ID, core.Session{ExpiresAt: clk.t.Add(time.Hour)}); !errors.Is(err, core.ErrUsed) {
		t.Errorf("second claim: %v", err)
	}
	if _, err := s.Link(ctx, sec.Token); !errors.Is(err, core.ErrUsed) {
		t.Errorf("used link: %v", err)
	}
	c2, _ := s.Start(ctx, req(core.ChallengeMagicLink, "c@example.com"), keep(&sec))
	clk.t = clk.t.Add(15 * time.Minute)
	if _, err := s.Link(ctx, sec.Token); !errors.Is(err, core.ErrExpired) {
		t.Errorf("expired link: %v", err)
	}
	if st, _, _ := s.Status(ctx, c2.ID); st != passwordless.StatusExpired {
		t.Errorf("status %q", st)
	}
}

// TestLinksAndCodesApart: a link's flow takes no code, and a code is no
// link; neither attempt counts a failure.
func TestLinksAndCodesApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db, clk := newService(t, passwordless.Config{})
	var link, code passwordless.Secret
	lc, _ := s.Start(ctx, req(core.ChallengeMagicLink, "d@example.com"), keep(&link))
	s.Start(ctx, req(core.ChallengeEmailCode, "d@example.com"), keep(&code))
	if _, err := s.VerifyCode(ctx, lc.ID, "123456", nil); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("a code for a link's flow: %v", err)
	}
	if _, err := s.VerifyLink(ctx, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", "", nil); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("an unknown link: %v", err)
	}
	if n, _ := db.ChallengeFailures(ctx, "email", "d@example.com"); n != 0 {
		t.Errorf("%d failures counted", n)
	}
	if _, err := s.VerifyLink(ctx, link.Token, lc.ID, "", &core.Session{ExpiresAt: clk.t.Add(time.Hour)}); err != nil {
		t.Errorf("the link: %v", err)
	}
}

// TestSameDeviceLink: a link is same-device unless the request says
// otherwise: opened in another browser it is refused (whatever code is
// sent with it) and stays usable where it was asked for, and there is
// nothing for the asking browser to claim.
func TestSameDeviceLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, clk := newService(t, passwordless.Config{})
	var sec passwordless.Secret
	c, _ := s.Start(ctx, req(core.ChallengeMagicLink, "e@example.com"), keep(&sec))
	if !c.SameDevice || c.MatchCode != "" {
		t.Fatalf("a link by default: same device %v, match code %q", c.SameDevice, c.MatchCode)
	}
	sess := &core.Session{ExpiresAt: clk.t.Add(time.Hour)}
	for _, other := range []string{"", "flow_other"} {
		for _, match := range []string{"", "00", "42"} {
			_, err := s.VerifyLink(ctx, sec.Token, other, match, sess)
			if !errors.Is(err, core.ErrWrongDevice) || !errors.Is(err, passwordless.ErrOtherDevice) {
				t.Errorf("from %q with %q: %v", other, match, err)
			}
		}
	}
	if _, err := s.ClaimWaiting(ctx, c.ID, *sess); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("claim before use: %v", err)
	}
	done, err := s.VerifyLink(ctx, sec.Token, c.ID, "", sess)
	if err != nil || !done.Challenge.WaiterClaimed {
		t.Fatalf("the asking browser: %+v %v", done.Challenge, err)
	}
	if _, err := s.VerifyLink(ctx, sec.Token, c.ID, "", sess); !errors.Is(err, core.ErrUsed) {
		t.Errorf("again: %v", err)
	}
	if _, err := s.ClaimWaiting(ctx, c.ID, *sess); !errors.Is(err, core.ErrUsed) {
		t.Errorf("claim after use here: %v", err)
	}
}

// otherMatch returns a match code that is not code.
func otherMatch(code string) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%02d", (n+1)%100)
}

// TestCrossDeviceLinkNeedsMatchCode: a cross-device link opened in
// another browser is used only with the flow's match code. Without it,
// or with a malformed one, nothing is counted; a wrong one counts an
// attempt and uses nothing, so the asking browser has nothing to claim.
// The asking browser itself needs no code.
func TestCrossDeviceLinkNeedsMatchCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db, clk := newService(t, passwordless.Config{})
	r := req(core.ChallengeMagicLink, "m@example.com")
	r.CrossDevice = true
	var sec passwordless.Secret
	c, err := s.Start(ctx, r, keep(&sec))
	if err != nil || c.SameDevice || !regexp.MustCompile(`^\d{2}$`).MatchString(c.MatchCode) {
		t.Fatalf("start: %+v %v", c, err)
	}
	if got, _ := db.Challenge(ctx, c.ID); got.MatchCode != c.MatchCode {
		t.Errorf("stored match code %q, want %q", got.MatchCode, c.MatchCode)
	}
	sess := &core.Session{ExpiresAt: clk.t.Add(time.Hour)}
	for _, bad := range []string{"", " ", "4", "123", "4x", "٤٢"} {
		if _, err := s.VerifyLink(ctx, sec.Token, "", bad, sess); !errors.Is(err, passwordless.ErrMatchCodeRequired) {
			t.Errorf("match code %q: %v", bad, err)
		}
	}
	if got, _ := db.Challenge(ctx, c.ID); got.Attempts != 0 {
		t.Errorf("%d attempts counted for missing or malformed codes", got.Attempts)
	}
	_, err = s.VerifyLink(ctx, sec.Token, "flow_mine", otherMatch(c.MatchCode), sess)
	if !errors.Is(err, passwordless.ErrMatchCodeIncorrect) || !errors.Is(err, core.ErrInvalidCode) {
		t.Errorf("a wrong match code: %v", err)
	}
	if got, _ := db.Challenge(ctx, c.ID); got.Attempts != 1 || got.ConsumedAt != nil {
		t.Errorf("after a wrong match code: %d attempts, used %v", got.Attempts, got.ConsumedAt)
	}
	if st, _, _ := s.Status(ctx, c.ID); st != passwordless.StatusPending {
		t.Errorf("status %q after a wrong match code, want pending", st)
	}
	if _, err := s.ClaimWaiting(ctx, c.ID, *sess); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("claim after a wrong match code: %v", err)
	}
	done, err := s.VerifyLink(ctx, sec.Token, "", " "+c.MatchCode+" ", sess)
	if err != nil || done.Challenge.WaiterClaimed {
		t.Fatalf("the right match code: %+v %v", done.Challenge, err)
	}
	if st, _, _ := s.Status(ctx, c.ID); st != passwordless.StatusElsewhere {
		t.Errorf("status %q, want completed elsewhere", st)
	}
	if _, err := s.ClaimWaiting(ctx, c.ID, *sess); err != nil {
		t.Errorf("claim: %v", err)
	}

	// In the browser that asked, no code is needed.
	c2, _ := s.Start(ctx, r, keep(&sec))
	if c2.MatchCode == "" {
		t.Fatal("no match code")
	}
	if done, err := s.VerifyLink(ctx, sec.Token, c2.ID, "", sess); err != nil || !done.Challenge.WaiterClaimed {
		t.Errorf("the asking browser: %+v %v", done.Challenge, err)
	}
}

// TestCrossDeviceWrongMatchCodesEndTheFlow: MaxMatchAttempts wrong match
// codes, across resends, end the flow: the right code, the asking
// browser, a resend and a claim all fail afterwards, and the waiting
// browser sees it expired.
func TestCrossDeviceWrongMatchCodesEndTheFlow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db, clk := newService(t, passwordless.Config{})
	r := req(core.ChallengeMagicLink, "n@example.com")
	r.CrossDevice = true
	var sec passwordless.Secret
	c, _ := s.Start(ctx, r, keep(&sec))
	sess := &core.Session{ExpiresAt: clk.t.Add(time.Hour)}
	wrong := otherMatch(c.MatchCode)
	for range 2 {
		if _, err := s.VerifyLink(ctx, sec.Token, "", wrong, sess); !errors.Is(err, passwordless.ErrMatchCodeIncorrect) {
			t.Fatalf("wrong match code: %v", err)
		}
	}
	// A new link does not buy more guesses, and keeps the match code.
	resent, err := s.Resend(ctx, c.ID, nil, keep(&sec))
	if err != nil || resent.MatchCode != c.MatchCode || resent.Attempts != 2 {
		t.Fatalf("resend: %+v %v", resent, err)
	}
	if _, err := s.VerifyLink(ctx, sec.Token, "", wrong, sess); !errors.Is(err, passwordless.ErrLinkCancelled) || !errors.Is(err, core.ErrExpired) {
		t.Fatalf("the third wrong match code: %v", err)
	}
	for _, from := range []string{"", c.ID} {
		if _, err := s.VerifyLink(ctx, sec.Token, from, c.MatchCode, sess); !errors.Is(err, passwordless.ErrLinkCancelled) {
			t.Errorf("the right code from %q after the flow ended: %v", from, err)
		}
	}
	if _, err := s.Link(ctx, sec.Token); !errors.Is(err, passwordless.ErrLinkCancelled) {
		t.Errorf("opening the link after the flow ended: %v", err)
	}
	if st, _, _ := s.Status(ctx, c.ID); st != passwordless.StatusExpired {
		t.Errorf("status %q, want expired", st)
	}
	if _, err := s.Resend(ctx, c.ID, nil, keep(&sec)); !errors.Is(err, passwordless.ErrFlowGone) {
		t.Errorf("resend after the flow ended: %v", err)
	}
	if _, err := s.ClaimWaiting(ctx, c.ID, *sess); !errors.Is(err, core.ErrUsed) || !errors.Is(err, passwordless.ErrFlowGone) {
		t.Errorf("claim after the flow ended: %v", err)
	}
	if got, _ := db.Challenge(ctx, c.ID); got.ConsumedAt != nil || got.UserID != "" {
		t.Errorf("the ended flow was used: %+v", got)
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+14155550123": "+14155550123", "+1 (415) 555-0123": "+14155550123", "0044 20 7946 0958": "+442079460958",
		"+44.20.7946.0958": "+442079460958", " +33 1 23 45 67 89 ": "+33123456789", "4155550123": "", "+0123456789": "",
		"+1 415": "", "+1234567890123456": "", "+1 415 555 0123 x5": "", "+-14155550123": "", "++14155550123": "", "": "",
		"+１４１５５５５０１２３": "",
	} {
		got, err := passwordless.NormalizePhone(in)
		if got != want || (want == "") != errors.Is(err, passwordless.ErrMalformedPhone) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got := passwordless.MaskPhone("+14155550123"); got != "+1******0123" {
		t.Errorf("MaskPhone = %q", got)
	}
}

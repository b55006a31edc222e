package passwordless_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
)

// A one-time email code: start a flow, deliver the code, verify it. The
// caller renders the message from the secret; only the keyed hash is
// stored.
func Example() {
	dir, _ := os.MkdirTemp("", "passwordless")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "auth.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	svc, err := passwordless.New(db, passwordless.Config{Key: make([]byte, 32)}) // use a secret key
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	var code string
	flow, err := svc.Start(ctx, passwordless.Request{
		Kind: core.ChallengeEmailCode, Purpose: core.PurposeSignIn, AllowSignUp: true,
		Address: "ann@example.com", AddressKey: store.EmailKey("ann@example.com"),
	}, func(s passwordless.Secret) (*core.Outgoing, error) {
		code = s.Code // render and queue the mail here; nil sends nothing
		return nil, nil
	})
	if err != nil {
		panic(err)
	}

	// Later, the user types the code in the browser that started the flow.
	session := core.Session{AuthMethod: "email_code", ExpiresAt: time.Now().Add(time.Hour)}
	done, err := svc.VerifyCode(ctx, flow.ID, code, &session)
	if err != nil {
		panic(err)
	}
	fmt.Println(done.User.Email, done.SignedUp, done.Session.UserID == done.User.ID)

	// The code works once.
	_, err = svc.VerifyCode(ctx, flow.ID, code, &session)
	fmt.Println(err)
	// Output:
	// ann@example.com true true
	// flow_expired: This sign-in has expired or was already completed. Start again.: passwordless: verify code: store: consume challenge: already used
}

// Phone numbers are taken in international form and kept in E.164.
func ExampleNormalizePhone() {
	for _, s := range []string{"+1 (415) 555-0123", "0044 20 7946 0958", "415 555 0123"} {
		p, err := passwordless.NormalizePhone(s)
		fmt.Printf("%q %v\n", p, err)
	}
	// Output:
	// "+14155550123" <nil>
	// "+442079460958" <nil>
	// "" passwordless: malformed phone number
}

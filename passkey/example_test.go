package passkey_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/embedauth/auth/passkey"
	"github.com/embedauth/auth/passkey/passkeytest"
	"github.com/embedauth/auth/store"
)

// A user registers a passkey, then signs in with it without typing their
// email. The software authenticator of passkeytest plays the browser.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "passkey-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "auth.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	key := make([]byte, 32)
	rand.Read(key)
	svc, err := passkey.New(db, passkey.Config{
		RPID:     "example.com",
		RPName:   "Example",
		Origins:  []string{"https://example.com"},
		DecoyKey: key,
	})
	if err != nil {
		log.Fatal(err)
	}
	user, _ := db.CreateUser(ctx, store.NewUser{Email: "ada@example.com", EmailVerified: true})
	browser := passkeytest.New("https://example.com")
	binding := "random value kept in the browser session"

	// Registration: options to the browser, its answer back, then store.
	reg := passkey.Ceremony{Flow: passkey.FlowRegister, Subject: user.ID, Binding: binding}
	options, _ := svc.BeginRegistration(ctx, reg, passkey.Account{Name: user.Email})
	response, _, _ := browser.Create(options)
	created, err := svc.FinishRegistration(ctx, reg, response)
	if err != nil {
		log.Fatal(err)
	}
	created.Passkey.Name = "Laptop"
	if _, err := db.AddPasskey(ctx, created.Passkey, nil); err != nil {
		log.Fatal(err)
	}

	// A username-less sign-in.
	signIn := passkey.Ceremony{Flow: passkey.FlowSignIn, Binding: binding}
	options, _ = svc.BeginLogin(ctx, signIn)
	response, _ = browser.Get(options)
	got, err := svc.FinishLogin(ctx, signIn, response)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.UserID == user.ID, got.Passkey.Name, got.Passkey.SignCount)

	// The same answer again is a replay.
	_, err = svc.FinishLogin(ctx, signIn, response)
	fmt.Println(err)
	// Output:
	// true Laptop 1
	// passkey_request_invalid: This passkey request is no longer valid. Try again.: passkey: finish login: passkey: challenge already used
}

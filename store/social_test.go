package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

func googleProfile(sub, email string, verified bool) store.ExternalProfile {
	return store.ExternalProfile{Provider: "google", Subject: sub, Email: email, EmailVerified: verified, Name: "Ada",
		AvatarURL: "https://img.example/ada.png"}
}

func TestSignInExternal(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()

		t.Run("SignUpVerifiedEmail", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			out, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g1", "Ada@Example.com", true), AllowSignUp: true})
			if err != nil {
				t.Fatal(err)
			}
			if !out.SignedUp || out.Linked || out.User.Email != "Ada@Example.com" || !out.User.EmailVerified || out.User.Name != "Ada" {
				t.Errorf("outcome = %+v", out)
			}
			u, id, err := db.UserByIdentifier(ctx, core.IdentifierEmail, "ada@example.com")
			if err != nil || u.ID != out.User.ID || !id.Verified {
				t.Errorf("verified identifier: %v %+v", err, id)
			}
			evs := events(t, db, core.EventUserCreated)
			if len(evs) != 1 {
				t.Fatalf("%d user.created events", len(evs))
			}
			accts, _ := eventData(t, evs[0])["external_accounts"].([]any)
			if len(accts) != 1 || accts[0].(map[string]any)["provider"] != "google" || accts[0].(map[string]any)["subject"] != "g1" {
				t.Errorf("user.created lacks the external account: %s", evs[0].Data)
			}
			again, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g1", "ada@example.com", true), AllowSignUp: true})
			if err != nil || again.SignedUp || again.User.ID != out.User.ID {
				t.Errorf("second sign-in: %v %+v", err, again)
			}
			if n := len(events(t, db, core.EventUserCreated)); n != 1 {
				t.Errorf("%d user.created events after signing in again", n)
			}
		})

		t.Run("SignUpUnverifiedEmailStoresNoAddress", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			out, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g2", "eve@example.com", false), AllowSignUp: true})
			if err != nil {
				t.Fatal(err)
			}
			if out.User.Email != "" || out.User.EmailVerified {
				t.Errorf("user = %+v", out.User)
			}
			if n := countRows(t, db, "auth_identifiers", "user_id = $1", out.User.ID); n != 0 {
				t.Errorf("%d identifiers for an unverified email", n)
			}
			// The real owner of the address can still sign up with it.
			if _, err := db.CreateUser(ctx, store.NewUser{Email: "eve@example.com", EmailVerified: true}); err != nil {
				t.Errorf("owner sign-up: %v", err)
			}
		})

		t.Run("UnverifiedEmailNeverLinks", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			owner, _ := db.CreateUser(ctx, store.NewUser{Email: "bob@example.com", EmailVerified: true, PasswordHash: "$argon2id$x"})
			out, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g3", "bob@example.com", false), AutoLink: true, AllowSignUp: true})
			if err != nil {
				t.Fatal(err)
			}
			// A new account without an email: the answer is the same whether
			// or not an account has the address.
			if !out.SignedUp || out.Linked || out.User.ID == owner.ID || out.User.Email != "" {
				t.Errorf("outcome = %+v", out)
			}
			if n := countRows(t, db, "auth_external_accounts", "user_id = $1", owner.ID); n != 0 {
				t.Errorf("%d external accounts on the owner", n)
			}
			if u, _ := db.User(ctx, owner.ID); !u.HasPassword || u.Email != "bob@example.com" {
				t.Errorf("owner changed: %+v", u)
			}
		})

		t.Run("VerifiedEmailWithoutAutoLink", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			db.CreateUser(ctx, store.NewUser{Email: "bob@example.com", EmailVerified: true})
			_, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g4", "BOB@example.com", true), AllowSignUp: true})
			if !errors.Is(err, store.ErrAccountExists) {
				t.Fatalf("err = %v, want ErrAccountExists", err)
			}
			if n := countRows(t, db, "auth_external_accounts", ""); n != 0 {
				t.Errorf("%d external accounts", n)
			}
		})

		t.Run("VerifiedEmailAutoLink", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			owner, _ := db.CreateUser(ctx, store.NewUser{Email: "bob@example.com", EmailVerified: true, PasswordHash: "$argon2id$x"})
			out, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g5", "bob@example.com", true), AutoLink: true, AllowSignUp: true})
			if err != nil {
				t.Fatal(err)
			}
			if !out.Linked || out.Claimed || out.SignedUp || out.User.ID != owner.ID || !out.User.HasPassword {
				t.Errorf("outcome = %+v", out)
			}
			if n := len(events(t, db, core.EventUserUpdated)); n != 1 {
				t.Errorf("%d user.updated events", n)
			}
		})

		t.Run("UnverifiedPasswordAccountIsClaimed", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			// Someone set up an account on the victim's address and never
			// verified it, then signed in.
			planted, _ := db.CreateUser(ctx, store.NewUser{Email: "victim@example.com", PasswordHash: "$argon2id$attacker"})
			sess, err := db.CreateSession(ctx, core.Session{UserID: planted.ID, AuthMethod: "password", ExpiresAt: clock.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			out, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g6", "victim@example.com", true), AutoLink: true, AllowSignUp: true})
			if err != nil {
				t.Fatal(err)
			}
			if !out.Claimed || !out.Linked || out.User.HasPassword || !out.User.EmailVerified {
				t.Errorf("outcome = %+v", out)
			}
			if s, err := db.Session(ctx, sess.ID); err != nil || s.EndedAt == nil {
				t.Errorf("the planted session survived: %v %+v", err, s)
			}
		})

		t.Run("Banned", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			out, _ := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g7", "ban@example.com", true), AllowSignUp: true})
			db.SetBanned(ctx, out.User.ID, true)
			if _, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g7", "ban@example.com", true)}); !errors.Is(err, core.ErrBanned) {
				t.Errorf("err = %v, want ErrBanned", err)
			}
		})

		t.Run("NoSignUp", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if _, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g8", "new@example.com", true)}); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
			if n := countRows(t, db, "auth_users", ""); n != 0 {
				t.Errorf("%d users", n)
			}
		})

		t.Run("PendingSignUpRemoved", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if _, err := db.SQL().Exec(`INSERT INTO auth_signups (id, email, email_key, password_hash, code_hash, code_expires_at, created_at, expires_at)
			VALUES ('su1', 'p@example.com', 'p@example.com', 'h', 'c', 0, 0, 9999999999999)`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g9", "p@example.com", true), AllowSignUp: true}); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, db, "auth_signups", ""); n != 0 {
				t.Errorf("%d pending sign-ups", n)
			}
		})
	})
}

func TestLinkUnlinkExternal(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, _ := mustOpen(t)
		u, _ := db.CreateUser(ctx, store.NewUser{Email: "u@example.com", EmailVerified: true})
		other, _ := db.CreateUser(ctx, store.NewUser{Email: "o@example.com", EmailVerified: true})

		gh := store.ExternalProfile{Provider: "github", Subject: "42", Email: "someone-else@example.com", Name: "octo",
			Tokens: &store.ExternalTokens{Access: []byte("sealed-a"), Refresh: []byte("sealed-r"), Expiry: time.Unix(2000000000, 0)}}
		x, err := db.LinkExternal(ctx, u.ID, gh, &store.OutMail{To: u.Email, Template: "account_connected", Body: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.LinkExternal(ctx, other.ID, gh, nil); !errors.Is(err, core.ErrConflict) {
			t.Errorf("linking another user's identity: %v", err)
		}
		if again, err := db.LinkExternal(ctx, u.ID, gh, nil); err != nil || again.ID != x.ID {
			t.Errorf("relinking: %v", err)
		}
		if n := len(events(t, db, core.EventUserUpdated)); n != 1 {
			t.Errorf("%d user.updated events after one link", n)
		}
		if n := countRows(t, db, "auth_mail_outbox", "template = 'account_connected'"); n != 1 {
			t.Errorf("%d connected notices", n)
		}
		list, err := db.ExternalAccounts(ctx, u.ID)
		if err != nil || len(list) != 1 || list[0].Provider != "github" {
			t.Fatalf("accounts: %v %+v", err, list)
		}

		t.Run("Tokens", func(t *testing.T) {
			acct, tok, err := db.ExternalTokensFor(ctx, u.ID, "github")
			if err != nil || acct.ID != x.ID || string(tok.Access) != "sealed-a" || string(tok.Refresh) != "sealed-r" || !tok.Expiry.Equal(time.Unix(2000000000, 0)) {
				t.Fatalf("tokens: %v %+v", err, tok)
			}
			if err := db.SetExternalTokens(ctx, x.ID, store.ExternalTokens{Access: []byte("new-a")}); err != nil {
				t.Fatal(err)
			}
			_, tok, _ = db.ExternalTokensFor(ctx, u.ID, "github")
			if string(tok.Access) != "new-a" || string(tok.Refresh) != "sealed-r" || !tok.Expiry.IsZero() {
				t.Errorf("after refresh: %+v", tok)
			}
			if _, _, err := db.ExternalTokensFor(ctx, u.ID, "google"); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("unknown provider: %v", err)
			}
		})

		t.Run("UnlinkOtherUsers", func(t *testing.T) {
			if _, err := db.UnlinkExternal(ctx, other.ID, x.ID, true, nil); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("err = %v", err)
			}
		})
		t.Run("UnlinkLastMethodRefused", func(t *testing.T) {
			if _, err := db.UnlinkExternal(ctx, u.ID, x.ID, true, nil); !errors.Is(err, core.ErrLastSignInMethod) {
				t.Errorf("err = %v, want ErrLastSignInMethod", err)
			}
			if n := countRows(t, db, "auth_external_accounts", ""); n != 1 {
				t.Errorf("%d accounts", n)
			}
		})
		t.Run("Unlink", func(t *testing.T) {
			if _, err := db.UnlinkExternal(ctx, u.ID, x.ID, false, &store.OutMail{To: u.Email, Template: "account_disconnected", Body: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, db, "auth_mail_outbox", "template = 'account_disconnected'"); n != 1 {
				t.Errorf("%d disconnected notices", n)
			}
			evs := events(t, db, core.EventUserUpdated)
			if len(evs) != 2 {
				t.Fatalf("%d user.updated events", len(evs))
			}
			if accts := eventData(t, evs[1])["external_accounts"].([]any); len(accts) != 0 {
				t.Errorf("user.updated after unlink lists %v", accts)
			}
		})
		t.Run("CascadeOnUserDelete", func(t *testing.T) {
			db.LinkExternal(ctx, other.ID, gh, nil)
			if err := db.DeleteUser(ctx, other.ID, nil); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, db, "auth_external_accounts", ""); n != 0 {
				t.Errorf("%d accounts after deleting the user", n)
			}
		})
	})
}

// TestDeletePasskey_ExternalAccountIsASignInMethod: a user whose only
// passkey goes still has the provider, so the last-method rule allows it;
// with neither, it refuses.
func TestDeletePasskey_ExternalAccountIsASignInMethod(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, _ := mustOpen(t)
		out, err := db.SignInExternal(ctx, store.ExternalSignIn{Profile: googleProfile("g-pk", "pk@example.com", true), AllowSignUp: true})
		if err != nil {
			t.Fatal(err)
		}
		p := mustAddPasskey(t, db, newPasskey(out.User.ID, 9, 9, 9))
		if _, err := db.UnlinkExternal(ctx, out.User.ID, out.Account.ID, true, nil); err != nil {
			t.Fatalf("unlinking with a passkey left: %v", err)
		}
		if _, err := db.DeletePasskey(ctx, out.User.ID, p.ID, true, nil); !errors.Is(err, core.ErrLastSignInMethod) {
			t.Fatalf("deleting the last way in: %v", err)
		}
		if _, err := db.LinkExternal(ctx, out.User.ID, googleProfile("g-pk", "pk@example.com", true), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeletePasskey(ctx, out.User.ID, p.ID, true, nil); err != nil {
			t.Errorf("deleting the passkey of a user with a provider: %v", err)
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// verify adds address to u through a verify challenge.
func verify(t *testing.T, db *store.DB, u core.User, channel, address string) (core.Completion, error) {
	t.Helper()
	kind := core.ChallengeEmailCode
	if channel == core.IdentifierPhone {
		kind = core.ChallengeSMSCode
	}
	c := core.Challenge{ID: core.NewID("flow"), Kind: kind, Purpose: core.PurposeVerify, Channel: channel, Address: address,
		AddressKey: store.IdentifierKey(channel, address), UserID: u.ID, SecretHash: core.NewID("h"),
		ExpiresAt: db.Now().Add(time.Minute), FlowExpiresAt: db.Now().Add(time.Hour)}
	if err := db.CreateChallenge(context.Background(), c, nil, nil); err != nil {
		t.Fatal(err)
	}
	return db.ConsumeChallenge(context.Background(), attempt(db, c, c.SecretHash))
}

func TestIdentifiers(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, _ := mustOpen(t)
		ann, _ := db.CreateUser(ctx, store.NewUser{Email: "ann@example.com", EmailVerified: true})
		bob, _ := db.CreateUser(ctx, store.NewUser{Email: "bob@example.com", EmailVerified: true})

		t.Run("OK", func(t *testing.T) {
			done, err := verify(t, db, ann, "email", "ann@work.example")
			if err != nil || done.Identifier.Primary || !done.Identifier.Verified {
				t.Fatalf("%+v %v", done.Identifier, err)
			}
			u, _, err := db.UserByIdentifier(ctx, "email", "ANN@WORK.EXAMPLE")
			if err != nil || u.ID != ann.ID {
				t.Errorf("lookup: %v %v", u.ID, err)
			}
		})
		t.Run("ErrConflict across users in any form", func(t *testing.T) {
			if _, err := verify(t, db, ann, "email", "BOB@example.com"); !errors.Is(err, core.ErrConflict) {
				t.Errorf("another user's primary email: %v, want ErrConflict", err)
			}
			if _, err := verify(t, db, bob, "email", "ann@WORK.example"); !errors.Is(err, core.ErrConflict) {
				t.Errorf("another user's second email: %v, want ErrConflict", err)
			}
			// A password sign-up of a secondary address is refused too.
			if _, err := db.CreateUser(ctx, store.NewUser{Email: "Ann@Work.Example"}); !errors.Is(err, core.ErrConflict) {
				t.Errorf("CreateUser with another user's secondary email: %v", err)
			}
		})
		t.Run("primary and remove", func(t *testing.T) {
			ids, _ := db.Identifiers(ctx, ann.ID)
			var work, first core.Identifier
			for _, id := range ids {
				if id.Value == "ann@work.example" {
					work = id
				} else {
					first = id
				}
			}
			if _, err := db.RemoveIdentifier(ctx, ann.ID, first.ID, nil); !errors.Is(err, store.ErrLastIdentifier) {
				t.Errorf("removing the primary email: %v", err)
			}
			u, err := db.SetPrimaryIdentifier(ctx, ann.ID, work.ID, nil)
			if err != nil || u.Email != "ann@work.example" {
				t.Fatalf("%+v %v", u, err)
			}
			if _, err := db.UserByEmail(ctx, "ann@work.example"); err != nil {
				t.Errorf("UserByEmail after the primary changed: %v", err)
			}
			if _, err := db.RemoveIdentifier(ctx, ann.ID, first.ID, nil); err != nil {
				t.Errorf("remove old primary: %v", err)
			}
			if _, err := db.RemoveIdentifier(ctx, ann.ID, work.ID, nil); !errors.Is(err, store.ErrLastIdentifier) {
				t.Errorf("remove the last: %v", err)
			}
			if _, err := db.RemoveIdentifier(ctx, bob.ID, work.ID, nil); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("another user's: %v", err)
			}
			// The freed address can be someone else's now.
			if _, err := verify(t, db, bob, "email", "ann@example.com"); err != nil {
				t.Errorf("freed address: %v", err)
			}
		})
		t.Run("phone-only user", func(t *testing.T) {
			c := core.Challenge{ID: core.NewID("flow"), Kind: core.ChallengeSMSCode, Purpose: core.PurposeSignIn, Channel: "phone",
				Address: "+14155550100", AddressKey: "+14155550100", SecretHash: core.NewID("h"), AllowSignUp: true,
				ExpiresAt: db.Now().Add(time.Minute), FlowExpiresAt: db.Now().Add(time.Hour)}
			db.CreateChallenge(ctx, c, nil, nil)
			done, err := db.ConsumeChallenge(ctx, attempt(db, c, c.SecretHash))
			if err != nil || done.User.Email != "" || !done.SignedUp {
				t.Fatalf("%+v %v", done.User, err)
			}
			// A second phone-only user is fine (no clash on the empty email).
			c.ID, c.Address, c.AddressKey, c.SecretHash = core.NewID("flow"), "+14155550101", "+14155550101", core.NewID("h")
			db.CreateChallenge(ctx, c, nil, nil)
			if _, err := db.ConsumeChallenge(ctx, attempt(db, c, c.SecretHash)); err != nil {
				t.Fatal(err)
			}
			added, err := verify(t, db, done.User, "email", "pho@example.com")
			if err != nil || !added.Identifier.Primary || added.User.Email != "pho@example.com" {
				t.Errorf("first email of a phone user: %+v %v", added, err)
			}
		})
		t.Run("migration trigger follows email_verified", func(t *testing.T) {
			u, _ := db.CreateUser(ctx, store.NewUser{Email: "uv@example.com"})
			ids, _ := db.Identifiers(ctx, u.ID)
			if len(ids) != 1 || ids[0].Verified {
				t.Fatalf("%+v", ids)
			}
			v := true
			db.UpdateUser(ctx, u.ID, store.UserUpdate{EmailVerified: &v})
			ids, _ = db.Identifiers(ctx, u.ID)
			if !ids[0].Verified {
				t.Error("the identifier did not follow email_verified")
			}
			if err := db.DeleteUser(ctx, u.ID, nil); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.UserByIdentifier(ctx, "email", "uv@example.com"); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("after delete: %v", err)
			}
		})
	})
}

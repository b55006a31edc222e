package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// TestDB_UserImage: a picture is kept with its type, versioned on the
// user (a new version for every change, even within one millisecond),
// announced as user.updated, and gone with its removal or its user.
func TestDB_UserImage(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		u, err := db.CreateUser(ctx, store.NewUser{Email: "pic@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.UserImage(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("no picture yet: %v", err)
		}
		before := len(events(t, db, core.EventUserUpdated))
		u1, err := db.SetUserImage(ctx, u.ID, "image/jpeg", []byte("one"))
		if err != nil || u1.ImageVersion != clock.Now().UnixMilli() {
			t.Fatalf("SetUserImage = version %d, %v", u1.ImageVersion, err)
		}
		u2, err := db.SetUserImage(ctx, u.ID, "image/png", []byte("two"))
		if err != nil || u2.ImageVersion <= u1.ImageVersion {
			t.Fatalf("a second picture in the same millisecond has version %d after %d (%v)", u2.ImageVersion, u1.ImageVersion, err)
		}
		img, err := db.UserImage(ctx, u.ID)
		if err != nil || img.ContentType != "image/png" || !bytes.Equal(img.Data, []byte("two")) || img.Version != u2.ImageVersion {
			t.Fatalf("UserImage = %+v, %v", img, err)
		}
		if got, _ := db.User(ctx, u.ID); got.ImageVersion != u2.ImageVersion {
			t.Fatalf("the user reads version %d", got.ImageVersion)
		}
		if n := len(events(t, db, core.EventUserUpdated)) - before; n != 2 {
			t.Fatalf("%d user.updated events, want 2", n)
		}
		clock.Advance(time.Second)
		if u3, err := db.DeleteUserImage(ctx, u.ID); err != nil || u3.ImageVersion != 0 {
			t.Fatalf("DeleteUserImage = %d, %v", u3.ImageVersion, err)
		}
		if _, err := db.DeleteUserImage(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("removing again: %v", err)
		}
		if _, err := db.SetUserImage(ctx, "user_nobody", "image/png", []byte("x")); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("an unknown user: %v", err)
		}
		// Deleting the user deletes the picture.
		if _, err := db.SetUserImage(ctx, u.ID, "image/png", []byte("three")); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteUser(ctx, u.ID, nil); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "auth_user_images", "user_id = $1", u.ID); n != 0 {
			t.Fatalf("%d pictures left after the user was deleted", n)
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

func signingKey(id string, created time.Time) store.SigningKey {
	return store.SigningKey{ID: id, Algorithm: "ES256", PublicJWK: []byte(`{"kid":"` + id + `"}`), Private: []byte("sealed-" + id), CreatedAt: created}
}

func TestSigningKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()

		t.Run("FirstKeyOnceUnderConcurrency", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			var wg sync.WaitGroup
			added := make(chan bool, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := db.InsertFirstSigningKey(ctx, signingKey("key_"+string(rune('a'+i)), clock.Now()))
					if err != nil {
						t.Error(err)
					}
					added <- ok
				}()
			}
			wg.Wait()
			close(added)
			n := 0
			for ok := range added {
				if ok {
					n++
				}
			}
			if n != 1 || countRows(t, db, "auth_jwt_keys", "") != 1 {
				t.Fatalf("%d inserts reported, %d rows; want exactly one key", n, countRows(t, db, "auth_jwt_keys", ""))
			}
		})

		t.Run("RotateRetiresAndExpires", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			if _, err := db.InsertFirstSigningKey(ctx, signingKey("key_old", clock.Now())); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Hour)
			if err := db.RotateSigningKey(ctx, signingKey("key_new", clock.Now()), clock.Now(), 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			keys, err := db.SigningKeys(ctx, clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 || keys[0].ID != "key_new" || keys[1].ID != "key_old" {
				t.Fatalf("keys = %+v, want key_new then key_old", keys)
			}
			old := keys[1]
			if old.RetiredAt == nil || !old.RetiredAt.Equal(ms(clock.Now())) || old.ExpiresAt == nil ||
				!old.ExpiresAt.Equal(ms(clock.Now().Add(10*time.Minute))) || old.Private != nil {
				t.Fatalf("retired key = %+v: want retired now, expiring in 10 min, private key dropped", old)
			}
			if keys[0].RetiredAt != nil || string(keys[0].Private) != "sealed-key_new" {
				t.Fatalf("current key = %+v", keys[0])
			}
			// Still published just before its expiry, gone at it.
			if keys, _ := db.SigningKeys(ctx, clock.Now().Add(10*time.Minute-time.Millisecond)); len(keys) != 2 {
				t.Fatalf("%d keys just before expiry, want 2", len(keys))
			}
			if keys, _ := db.SigningKeys(ctx, clock.Now().Add(10*time.Minute)); len(keys) != 1 || keys[0].ID != "key_new" {
				t.Fatalf("keys at expiry = %+v, want only key_new", keys)
			}
			// A first key is not added while one is current.
			if ok, err := db.InsertFirstSigningKey(ctx, signingKey("key_x", clock.Now())); ok || err != nil {
				t.Fatalf("InsertFirstSigningKey = %v, %v; want false, nil", ok, err)
			}
		})
	})
}

func TestJWTTemplates(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, clock := mustOpen(t)

		created, err := db.PutJWTTemplate(ctx, store.JWTTemplate{Name: "hasura", Definition: []byte(`{"lifetime":60}`), Secret: []byte("s")})
		if err != nil || !created {
			t.Fatalf("first put = %v, %v", created, err)
		}
		clock.Advance(time.Minute)
		created, err = db.PutJWTTemplate(ctx, store.JWTTemplate{Name: "hasura", Definition: []byte(`{"lifetime":120}`)})
		if err != nil || created {
			t.Fatalf("second put = %v, %v; want an update", created, err)
		}
		got, err := db.JWTTemplate(ctx, "hasura")
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Definition) != `{"lifetime":120}` || got.Secret != nil || got.CreatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("template = %+v", got)
		}
		if _, err := db.PutJWTTemplate(ctx, store.JWTTemplate{Name: "convex", Definition: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		list, err := db.JWTTemplates(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "convex" || list[1].Name != "hasura" {
			t.Fatalf("list = %+v, %v", list, err)
		}
		if err := db.DeleteJWTTemplate(ctx, "hasura"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteJWTTemplate(ctx, "hasura"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("second delete = %v, want ErrNotFound", err)
		}
		if _, err := db.JWTTemplate(ctx, "hasura"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("get deleted = %v, want ErrNotFound", err)
		}
	})
}

func TestLiveSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, clock := mustOpen(t)
		u := mustCreateUser(t, db, "live@example.com")
		s, err := db.CreateSession(ctx, core.Session{UserID: u.ID, AuthMethod: "password", ExpiresAt: clock.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		gs, gu, err := db.LiveSession(ctx, s.ID)
		if err != nil || gs.ID != s.ID || gu.ID != u.ID || gu.Email != "live@example.com" {
			t.Fatalf("LiveSession = %+v, %+v, %v", gs, gu, err)
		}
		if err := db.EndSession(ctx, s.ID, "revoked"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.LiveSession(ctx, s.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("ended session: %v, want ErrNotFound", err)
		}
		if _, _, err := db.LiveSession(ctx, "sess_unknown"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("unknown session: %v, want ErrNotFound", err)
		}
	})
}

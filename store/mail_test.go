package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/embedauth/auth/store"
)

// mustEnqueue queues n messages to0@..., to1@..., one second apart on the
// fake clock, and returns their ids oldest first.
func mustEnqueue(tb testing.TB, db *store.DB, clock *fakeClock, n int) []int64 {
	tb.Helper()
	ctx := context.Background()
	for i := range n {
		if err := db.EnqueueMail(ctx, store.OutMail{To: fmt.Sprintf("to%d@example.com", i), Template: "t", Body: []byte(fmt.Sprint("body", i))}); err != nil {
			tb.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	list, err := db.ListMail(ctx, n)
	if err != nil || len(list) != n {
		tb.Fatalf("ListMail = %d, %v", len(list), err)
	}
	ids := make([]int64, n)
	for i, m := range list {
		ids[n-1-i] = m.ID
	}
	return ids
}

func envIDs(envs []store.DueEnvelope) []int64 {
	var out []int64
	for _, e := range envs {
		out = append(out, e.ID)
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDB_EnqueueMail(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			if err := db.EnqueueMail(ctx, store.OutMail{To: "a@example.com", Template: "welcome", Body: []byte{0, 1, 2, 255}}); err != nil {
				t.Fatal(err)
			}
			list, err := db.ListMail(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 {
				t.Fatalf("ListMail = %+v", list)
			}
			m := list[0]
			if m.ID == 0 || m.To != "a@example.com" || m.Template != "welcome" || string(m.Body) != "\x00\x01\x02\xff" ||
				m.Status != store.MailPending || m.Attempts != 0 || m.LastError != "" || m.SentAt != nil ||
				!m.CreatedAt.Equal(ms(clock.Now())) {
				t.Fatalf("queued = %+v", m)
			}
		})
	})
}

func TestDB_ListMail(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ids := mustEnqueue(t, db, clock, 5)
			list, err := db.ListMail(context.Background(), 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 3 || list[0].ID != ids[4] || list[1].ID != ids[3] || list[2].ID != ids[2] {
				t.Fatalf("ListMail = %+v, want newest first of %v", list, ids)
			}
		})

		t.Run("Empty", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if list, err := db.ListMail(context.Background(), 10); err != nil || len(list) != 0 {
				t.Fatalf("ListMail = %+v, %v", list, err)
			}
		})
	})
}

func TestDB_DueMail(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		const lease = 5 * time.Minute

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ids := mustEnqueue(t, db, clock, 3)
			now := clock.Now()

			envs, err := db.DueMail(ctx, now, lease, 10)
			if err != nil {
				t.Fatal(err)
			}
			if !equalIDs(envIDs(envs), ids) {
				t.Fatalf("DueMail = %v, want %v", envIDs(envs), ids)
			}
			for i, e := range envs {
				if e.To != fmt.Sprintf("to%d@example.com", i) || string(e.Body) != fmt.Sprint("body", i) || e.Attempts != 0 {
					t.Fatalf("envelope %d = %+v", i, e)
				}
			}

			// Leased: a second dispatcher at the same time gets nothing.
			if again, err := db.DueMail(ctx, now, lease, 10); err != nil || len(again) != 0 {
				t.Fatalf("second DueMail = %v, %v", envIDs(again), err)
			}
			if again, _ := db.DueMail(ctx, now.Add(lease-time.Millisecond), lease, 10); len(again) != 0 {
				t.Fatalf("DueMail before the lease ended = %v", envIDs(again))
			}
			// The lease runs out: due again.
			if again, _ := db.DueMail(ctx, now.Add(lease), lease, 10); !equalIDs(envIDs(again), ids) {
				t.Fatalf("DueMail after the lease = %v, want %v", envIDs(again), ids)
			}
		})

		t.Run("OldestFirstAndLimit", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ids := mustEnqueue(t, db, clock, 5)
			now := clock.Now()
			envs, err := db.DueMail(ctx, now, lease, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !equalIDs(envIDs(envs), ids[:2]) {
				t.Fatalf("DueMail(limit 2) = %v, want %v", envIDs(envs), ids[:2])
			}
			envs, _ = db.DueMail(ctx, now, lease, 2)
			if !equalIDs(envIDs(envs), ids[2:4]) {
				t.Fatalf("next DueMail(limit 2) = %v, want %v", envIDs(envs), ids[2:4])
			}
			envs, _ = db.DueMail(ctx, now, lease, 2)
			if !equalIDs(envIDs(envs), ids[4:]) {
				t.Fatalf("last DueMail(limit 2) = %v, want %v", envIDs(envs), ids[4:])
			}
		})

		t.Run("EarliestDueFirst", func(t *testing.T) {
			t.Parallel()
			// Under the limit, the messages due earliest are leased first: one
			// whose retry was pushed back waits behind ones due before it.
			db, clock := mustOpen(t)
			ctx := context.Background()
			ids := mustEnqueue(t, db, clock, 3)
			now := clock.Now()
			if err := db.MailFailed(ctx, ids[0], 1, now.Add(time.Minute), "temporary", false); err != nil {
				t.Fatal(err)
			}
			if err := db.MailFailed(ctx, ids[1], 1, now.Add(30*time.Second), "temporary", false); err != nil {
				t.Fatal(err)
			}
			envs, err := db.DueMail(ctx, now.Add(time.Minute), lease, 2)
			if err != nil {
				t.Fatal(err)
			}
			got := envIDs(envs)
			if len(got) != 2 || got[0] == ids[0] || got[1] == ids[0] {
				t.Fatalf("DueMail(limit 2) = %v, want %v and %v", got, ids[1], ids[2])
			}
			envs, _ = db.DueMail(ctx, now.Add(time.Minute), lease, 2)
			if got := envIDs(envs); len(got) != 1 || got[0] != ids[0] || envs[0].Attempts != 1 {
				t.Fatalf("next DueMail = %+v, want only %v", envs, ids[0])
			}
		})

		t.Run("NotDueYet", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			before := clock.Now().Add(-time.Millisecond)
			mustEnqueue(t, db, clock, 1)
			if envs, err := db.DueMail(context.Background(), before, lease, 10); err != nil || len(envs) != 0 {
				t.Fatalf("DueMail = %v, %v", envIDs(envs), err)
			}
		})

		t.Run("ConcurrentDispatchers", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ids := mustEnqueue(t, db, clock, 30)
			now := clock.Now()
			got := make([][]store.DueEnvelope, 10)
			errs := runAll(10, func(i int) error {
				var err error
				got[i], err = db.DueMail(ctx, now, lease, 5)
				return err
			})
			seen := map[int64]int{}
			for i, err := range errs {
				if err != nil {
					t.Fatalf("DueMail %d: %v", i, err)
				}
				for _, e := range got[i] {
					seen[e.ID]++
				}
			}
			if len(seen) != len(ids) {
				t.Fatalf("leased %d distinct messages, want %d", len(seen), len(ids))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("message %d leased %d times", id, n)
				}
			}
		})
	})
}

func TestDB_DueMail_Instances(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		const lease = time.Minute
		ctx := context.Background()

		t.Run("EachMessageOnce", func(t *testing.T) {
			t.Parallel()
			// Two instances on one database dispatch until the queue is
			// empty: every message is leased by exactly one of them.
			path := filepath.Join(t.TempDir(), "auth.db")
			a, clock := mustOpenPath(t, path)
			b, _ := mustOpenPath(t, path)
			b.Now = clock.Now
			ids := mustEnqueue(t, a, clock, 40)
			now := clock.Now()
			got := make([][]int64, 6)
			errs := runAll(6, func(i int) error {
				db := []*store.DB{a, b}[i%2]
				for {
					envs, err := db.DueMail(ctx, now, lease, 3)
					if err != nil || len(envs) == 0 {
						return err
					}
					got[i] = append(got[i], envIDs(envs)...)
				}
			})
			seen := map[int64]int{}
			for i, err := range errs {
				if err != nil {
					t.Fatalf("dispatcher %d: %v", i, err)
				}
				for _, id := range got[i] {
					seen[id]++
				}
			}
			if len(seen) != len(ids) {
				t.Fatalf("leased %d distinct messages, want %d", len(seen), len(ids))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("message %d leased %d times", id, n)
				}
			}
		})

		t.Run("CrashedLeaseTakenOver", func(t *testing.T) {
			t.Parallel()
			// A leases messages and dies before sending them: B takes them
			// over once the lease ends, not before.
			path := filepath.Join(t.TempDir(), "auth.db")
			a, clock := mustOpenPath(t, path)
			b, _ := mustOpenPath(t, path)
			b.Now = clock.Now
			ids := mustEnqueue(t, a, clock, 3)
			leased, err := a.DueMail(ctx, clock.Now(), lease, 10)
			if err != nil || len(leased) != 3 {
				t.Fatalf("A leased %v, %v", envIDs(leased), err)
			}
			clock.Advance(lease - time.Second)
			if envs, err := b.DueMail(ctx, clock.Now(), lease, 10); err != nil || len(envs) != 0 {
				t.Fatalf("B leased %v, %v during A's lease", envIDs(envs), err)
			}
			clock.Advance(time.Second)
			envs, err := b.DueMail(ctx, clock.Now(), lease, 10)
			if err != nil || !equalIDs(envIDs(envs), ids) {
				t.Fatalf("B leased %v, %v after A's lease; want %v", envIDs(envs), err, ids)
			}
		})
	})
}

func TestDB_MailSent(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ids := mustEnqueue(t, db, clock, 1)
			sentAt := clock.Now()
			if _, err := db.DueMail(ctx, sentAt, time.Minute, 10); err != nil {
				t.Fatal(err)
			}
			if err := db.MailSent(ctx, ids[0], sentAt, false); err != nil {
				t.Fatal(err)
			}
			list, _ := db.ListMail(ctx, 10)
			m := list[0]
			if m.Status != store.MailSent || m.Body != nil || m.Attempts != 1 || m.SentAt == nil || !m.SentAt.Equal(ms(sentAt)) {
				t.Fatalf("sent = %+v", m)
			}
			// Never due again.
			if envs, _ := db.DueMail(ctx, sentAt.Add(time.Hour), time.Minute, 10); len(envs) != 0 {
				t.Fatalf("sent mail due again: %v", envIDs(envs))
			}
		})

		t.Run("OKKeepBody", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ids := mustEnqueue(t, db, clock, 1)
			if err := db.MailSent(ctx, ids[0], clock.Now(), true); err != nil {
				t.Fatal(err)
			}
			list, _ := db.ListMail(ctx, 10)
			if list[0].Status != store.MailSent || string(list[0].Body) != "body0" {
				t.Fatalf("sent = %+v", list[0])
			}
		})
	})
}

func TestDB_MailFailed(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("Retry", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ids := mustEnqueue(t, db, clock, 1)
			now := clock.Now()
			retryAt := now.Add(10 * time.Minute)
			if err := db.MailFailed(ctx, ids[0], 1, retryAt, "451 try later", false); err != nil {
				t.Fatal(err)
			}
			list, _ := db.ListMail(ctx, 10)
			if m := list[0]; m.Status != store.MailPending || m.Attempts != 1 || m.LastError != "451 try later" || string(m.Body) != "body0" {
				t.Fatalf("failed = %+v", m)
			}
			if envs, _ := db.DueMail(ctx, retryAt.Add(-time.Millisecond), time.Minute, 10); len(envs) != 0 {
				t.Fatalf("due before retryAt: %v", envIDs(envs))
			}
			envs, _ := db.DueMail(ctx, retryAt, time.Minute, 10)
			if len(envs) != 1 || envs[0].Attempts != 1 {
				t.Fatalf("DueMail at retryAt = %+v", envs)
			}
		})

		t.Run("GiveUp", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ids := mustEnqueue(t, db, clock, 1)
			if err := db.MailFailed(ctx, ids[0], 7, clock.Now(), "550 no such user", true); err != nil {
				t.Fatal(err)
			}
			list, _ := db.ListMail(ctx, 10)
			if len(list) != 1 {
				t.Fatalf("failed mail removed: %+v", list)
			}
			if m := list[0]; m.Status != store.MailFailed || m.Attempts != 7 || m.LastError != "550 no such user" {
				t.Fatalf("failed = %+v", m)
			}
			if envs, _ := db.DueMail(ctx, clock.Now().Add(24*time.Hour), time.Minute, 10); len(envs) != 0 {
				t.Fatalf("given-up mail due again: %v", envIDs(envs))
			}
		})
	})
}

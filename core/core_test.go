package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
)

func TestUserInitials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		user core.User
		want string
	}{
		{"two words", core.User{Name: "Ada Lovelace", Email: "ada@example.com"}, "AL"},
		{"three words keeps first two", core.User{Name: "Grace Brewster Hopper", Email: "g@example.com"}, "GB"},
		{"one word", core.User{Name: "Ada", Email: "x@example.com"}, "A"},
		{"no name uses email", core.User{Email: "bob@example.com"}, "b"},
		{"case is kept", core.User{Name: "ada lovelace"}, "al"},
		{"extra spaces", core.User{Name: "   Ada    Lovelace   "}, "AL"},
		{"tabs separate words", core.User{Name: "Ada\tLovelace"}, "AL"},
		{"only spaces falls back to email", core.User{Name: "   ", Email: "zoe@example.com"}, "z"},
		{"multi-byte runes", core.User{Name: "Émile Zola"}, "ÉZ"},
		{"multi-byte second word", core.User{Name: "Łukasz Żółw"}, "ŁŻ"},
		{"cjk", core.User{Name: "山田 太郎"}, "山太"},
		{"multi-byte email", core.User{Email: "ñandú@example.com"}, "ñ"},
		{"nothing at all", core.User{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.user.Initials(); got != tt.want {
				t.Errorf("Initials() of %+q/%+q = %q, want %q", tt.user.Name, tt.user.Email, got, tt.want)
			}
		})
	}
}

func TestUserDisplayName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		user core.User
		want string
	}{
		{"name", core.User{Name: "Ada Lovelace", Email: "ada@example.com"}, "Ada Lovelace"},
		{"no name", core.User{Email: "ada@example.com"}, "ada@example.com"},
		{"neither", core.User{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.user.DisplayName(); got != tt.want {
				t.Errorf("DisplayName() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSessionActive(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ended := now.Add(-time.Minute)
	idle := 30 * time.Minute
	base := core.Session{
		CreatedAt:    now.Add(-time.Hour),
		LastActiveAt: now.Add(-time.Minute),
		ExpiresAt:    now.Add(time.Hour),
	}
	with := func(f func(*core.Session)) core.Session {
		s := base
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    core.Session
		idle time.Duration
		want bool
	}{
		{"fresh", base, idle, true},
		{"ended", with(func(s *core.Session) { s.EndedAt = &ended }), idle, false},
		{"ended in the future still ended", with(func(s *core.Session) { e := now.Add(time.Hour); s.EndedAt = &e }), idle, false},
		{"past ExpiresAt", with(func(s *core.Session) { s.ExpiresAt = now.Add(-time.Nanosecond) }), idle, false},
		{"exactly at ExpiresAt", with(func(s *core.Session) { s.ExpiresAt = now }), idle, false},
		{"just before ExpiresAt", with(func(s *core.Session) { s.ExpiresAt = now.Add(time.Nanosecond) }), idle, true},
		{"idle exceeded", with(func(s *core.Session) { s.LastActiveAt = now.Add(-idle - time.Second) }), idle, false},
		{"exactly at idle limit", with(func(s *core.Session) { s.LastActiveAt = now.Add(-idle) }), idle, false},
		{"just inside idle limit", with(func(s *core.Session) { s.LastActiveAt = now.Add(-idle + time.Nanosecond) }), idle, true},
		{"idle zero means no idle limit", with(func(s *core.Session) { s.LastActiveAt = now.Add(-1000 * time.Hour) }), 0, true},
		{"idle negative means no idle limit", with(func(s *core.Session) { s.LastActiveAt = now.Add(-1000 * time.Hour) }), -time.Second, true},
		{"no idle limit still expires", with(func(s *core.Session) { s.ExpiresAt = now }), 0, false},
		{"no idle limit still ends", with(func(s *core.Session) { s.EndedAt = &ended }), 0, false},
		{"zero session", core.Session{}, idle, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.s.Active(now, tt.idle); got != tt.want {
				t.Errorf("Active(now, %v) = %v, want %v", tt.idle, got, tt.want)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	t.Parallel()
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	for _, prefix := range []string{"user", "sess", "evt", ""} {
		t.Run(prefix, func(t *testing.T) {
			t.Parallel()
			id := core.NewID(prefix)
			rest, ok := strings.CutPrefix(id, prefix+"_")
			if !ok {
				t.Fatalf("NewID(%q) = %q, want prefix %q", prefix, id, prefix+"_")
			}
			if len(rest) != 26 {
				t.Errorf("NewID(%q) = %q: %d characters after the prefix, want 26", prefix, id, len(rest))
			}
			for _, r := range rest {
				if !strings.ContainsRune(alphabet, r) {
					t.Errorf("NewID(%q) = %q holds %q, outside lowercase base32", prefix, id, r)
				}
			}
		})
	}
}

func TestNewIDUnique(t *testing.T) {
	t.Parallel()
	const n = 10_000
	seen := make(map[string]struct{}, n)
	for range n {
		id := core.NewID("user")
		if _, dup := seen[id]; dup {
			t.Fatalf("NewID returned %q twice", id)
		}
		seen[id] = struct{}{}
	}
}

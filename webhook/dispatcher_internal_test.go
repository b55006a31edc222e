package webhook

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0}, {"120", 2 * time.Minute}, {" 7 ", 7 * time.Second}, {"0", 0}, {"-5", 0}, {"soon", 0},
		{"999999999", maxRetryAfter},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tt.v, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	d := &Dispatcher{}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var got []time.Duration
	for attempts := 0; ; attempts++ {
		r := d.retry(Message{ID: 1, Attempts: attempts}, now, 0)
		if r.GiveUp {
			if r.Attempts != 8 {
				t.Fatalf("gave up after %d attempts, want 8", r.Attempts)
			}
			break
		}
		got = append(got, r.At.Sub(now))
	}
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	if len(got) != len(want) {
		t.Fatalf("schedule %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("schedule %v, want %v", got, want)
		}
	}
	// Retry-After pushes a retry later, never earlier.
	if r := d.retry(Message{Attempts: 0}, now, time.Hour); r.At.Sub(now) != time.Hour {
		t.Errorf("Retry-After 1h after the first attempt: next in %v", r.At.Sub(now))
	}
	if r := d.retry(Message{Attempts: 3}, now, time.Second); r.At.Sub(now) != 2*time.Hour {
		t.Errorf("Retry-After 1s after the fourth attempt: next in %v", r.At.Sub(now))
	}
}

package webhook

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
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

// retryOutbox hands out, once, one message with a given attempt count to
// one endpoint, and keeps the outcomes recorded.
type retryOutbox struct {
	url      string
	at       time.Time
	attempts int
	handed   bool
	outcomes []Outcome
}

func (o *retryOutbox) FanOut(context.Context, time.Time, int) (int, error) { return 0, nil }

func (o *retryOutbox) DueBatches(context.Context, time.Time, time.Duration, int) ([]Batch, error) {
	if o.handed {
		return nil, nil
	}
	o.handed = true
	return []Batch{{
		Endpoint: Endpoint{ID: "ep_1", URL: o.url, Keys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}},
		Messages: []Message{{ID: 1, EventID: "evt_1", EventType: "user.created", EventData: json.RawMessage(`{}`), EventAt: o.at, Attempts: o.attempts}},
	}}, nil
}

func (o *retryOutbox) Record(_ context.Context, _ time.Time, out Outcome) error {
	o.outcomes = append(o.outcomes, out)
	return nil
}

// The retry after a failed delivery follows Svix's schedule, and a
// Retry-After answer pushes it later, never earlier.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	var retryAfter atomic.Value
	retryAfter.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := retryAfter.Load().(string); v != "" {
			w.Header().Set("Retry-After", v)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	retry := func(attempts int) Retry {
		t.Helper()
		box := &retryOutbox{url: srv.URL, at: now, attempts: attempts}
		d := &Dispatcher{Outbox: box, Client: srv.Client(), Now: func() time.Time { return now },
			Logger: slog.New(slog.DiscardHandler)}
		if n, err := d.Flush(context.Background()); n != 0 || err != nil {
			t.Fatalf("Flush = %d, %v", n, err)
		}
		if len(box.outcomes) != 1 || box.outcomes[0].Retry == nil {
			t.Fatalf("outcomes %+v, want one with a retry", box.outcomes)
		}
		r := *box.outcomes[0].Retry
		if r.MessageID != 1 || r.Attempts != attempts+1 {
			t.Fatalf("retry %+v after attempt %d", r, attempts+1)
		}
		return r
	}

	var got []time.Duration
	for attempts := 0; ; attempts++ {
		r := retry(attempts)
		if r.GiveUp {
			if r.Attempts != 8 || !r.At.Equal(now) {
				t.Fatalf("gave up with %+v, want after 8 attempts", r)
			}
			break
		}
		got = append(got, r.At.Sub(now))
	}
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	if !slices.Equal(got, want) {
		t.Fatalf("schedule %v, want %v", got, want)
	}

	retryAfter.Store("3600")
	if r := retry(0); r.At.Sub(now) != time.Hour {
		t.Errorf("Retry-After 1h after the first attempt: next in %v", r.At.Sub(now))
	}
	retryAfter.Store("1")
	if r := retry(3); r.At.Sub(now) != 2*time.Hour {
		t.Errorf("Retry-After 1s after the fourth attempt: next in %v", r.At.Sub(now))
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
)

// startExample runs the example app as `go run ./example` does, on a fresh
// database in t.TempDir(), listening on 127.0.0.1 with BaseURL
// http://localhost:PORT (browse via localhost: it is a secure context and a
// valid RP ID). edit, if not nil, changes the config first. Everything
// stops when t ends. It returns the base URL.
func startExample(t *testing.T, edit func(*auth.Config)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	baseURL := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	cfg := config(filepath.Join(t.TempDir(), "notes.db"), baseURL)
	if edit != nil {
		edit(&cfg)
	}
	app, err := newServer(cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, app.routes()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := app.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return baseURL
}

func TestExampleServes(t *testing.T) {
	base := startExample(t, nil)
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %s, want 200", resp.Status)
	}
	for _, want := range []string{"Your notes, private to you.", `href="/auth/sign-up?redirect_url=/dashboard"`, "/auth/static/components.css"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET / body lacks %q", want)
		}
	}

	resp, err = client.Get(base + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /dashboard signed out = %s, want 303", resp.Status)
	}
	if got, want := resp.Header.Get("Location"), "/auth/sign-in?redirect_url=%2Fdashboard"; got != want {
		t.Fatalf("GET /dashboard redirects to %q, want %q", got, want)
	}
}

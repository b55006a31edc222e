package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

// asError returns err as an *core.Error or fails the test.
func asError(t *testing.T, err error) *core.Error {
	t.Helper()
	var pe *core.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not an *core.Error", err, err)
	}
	return pe
}

type payload struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
	Tags struct {
		Color string `json:"color"`
	} `json:"tags"`
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	const limit = 64
	long := `{"name":"` + strings.Repeat("a", 2*limit) + `"}`
	tests := []struct {
		name   string
		ct     string
		body   string
		status int // 0: no error expected
		code   string
		field  string
	}{
		{name: "ok", ct: "application/json", body: `{"name":"Ada","age":36}`},
		{name: "ok with charset", ct: "application/json; charset=utf-8", body: `{"name":"Ada"}`},
		{name: "ok with trailing whitespace", ct: "application/json", body: "{\"name\":\"Ada\"}\n\t "},
		{name: "ok exactly at the limit", ct: "application/json", body: `{"name":"` + strings.Repeat("a", limit-11) + `"}`},
		{name: "missing content type", ct: "", body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "empty body without content type", ct: "", body: ``},
		{name: "empty body with a form content type", ct: "application/x-www-form-urlencoded", body: ``, status: 415, code: "unsupported_media_type"},
		{name: "empty body with text/plain", ct: "text/plain", body: ``, status: 415, code: "unsupported_media_type"},
		{name: "form content type", ct: "application/x-www-form-urlencoded", body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "text/plain", ct: "text/plain", body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "json lookalike", ct: "application/jsonx", body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "malformed content type", ct: "application/json; =", body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "invalid json", ct: "application/json", body: `{"name":}`, status: 400, code: "invalid_json"},
		{name: "truncated json", ct: "application/json", body: `{"name":"Ada"`, status: 400, code: "invalid_json"},
		{name: "not json at all", ct: "application/json", body: `hello`, status: 400, code: "invalid_json"},
		{name: "unknown field", ct: "application/json", body: `{"name":"Ada","admin":true}`, status: 400, code: "unknown_field", field: "admin"},
		{name: "wrong type", ct: "application/json", body: `{"age":"old"}`, status: 400, code: "invalid_request", field: "age"},
		{name: "wrong nested type", ct: "application/json", body: `{"tags":{"color":1}}`, status: 400, code: "invalid_request", field: "tags.color"},
		{name: "empty body", ct: "application/json", body: ``, status: 400, code: "invalid_request"},
		{name: "whitespace body", ct: "application/json", body: "  \n", status: 400, code: "invalid_request"},
		{name: "two objects", ct: "application/json", body: `{} {}`, status: 400, code: "invalid_json"},
		{name: "trailing garbage", ct: "application/json", body: `{}x`, status: 400, code: "invalid_json"},
		{name: "trailing bracket", ct: "application/json", body: `{}]`, status: 400, code: "invalid_json"},
		{name: "over the limit", ct: "application/json", body: long, status: 413, code: "request_too_large"},
		{name: "over the limit after the object", ct: "application/json", body: `{}` + strings.Repeat(" ", 2*limit), status: 413, code: "request_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/api/x", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var dst payload
			err := httpx.DecodeJSON(httptest.NewRecorder(), r, limit, &dst)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeJSON succeeded, want %d %s", tt.status, tt.code)
			}
			pe := asError(t, err)
			if httpx.Status(pe) != tt.status || pe.Code != tt.code || pe.Field != tt.field {
				t.Errorf("DecodeJSON = %d %q field %q, want %d %q field %q", httpx.Status(pe), pe.Code, pe.Field, tt.status, tt.code, tt.field)
			}
			if pe.Message == "" {
				t.Error("the error has no message")
			}
		})
	}
}

func TestDecodeJSONValues(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"Ada","age":36,"tags":{"color":"red"}}`))
	r.Header.Set("Content-Type", "application/json")
	var dst payload
	if err := httpx.DecodeJSON(httptest.NewRecorder(), r, 1<<10, &dst); err != nil {
		t.Fatal(err)
	}
	if dst.Name != "Ada" || dst.Age != 36 || dst.Tags.Color != "red" {
		t.Errorf("decoded %+v", dst)
	}
}

func TestParseForm(t *testing.T) {
	t.Parallel()
	const limit = 64
	tests := []struct {
		name   string
		ct     string
		body   string
		status int
		code   string
	}{
		{name: "url-encoded", ct: "application/x-www-form-urlencoded", body: "email=a%40example.com&name=Ada"},
		{name: "url-encoded with charset", ct: "application/x-www-form-urlencoded; charset=utf-8", body: "email=a%40example.com&name=Ada"},
		{name: "json", ct: "application/json", body: `{"email":"a@example.com"}`, status: 415, code: "unsupported_media_type"},
		{name: "text", ct: "text/plain", body: "email=a", status: 415, code: "unsupported_media_type"},
		{name: "no content type", ct: "", body: "email=a", status: 415, code: "unsupported_media_type"},
		{name: "oversize", ct: "application/x-www-form-urlencoded", body: "email=" + strings.Repeat("a", 2*limit), status: 413, code: "request_too_large"},
		{name: "malformed", ct: "application/x-www-form-urlencoded", body: "email=%zz", status: 400, code: "invalid_form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/sign-in", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			err := httpx.ParseForm(httptest.NewRecorder(), r, limit)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("ParseForm: %v", err)
				}
				if got := r.PostForm.Get("email"); got != "a@example.com" {
					t.Errorf("email = %q", got)
				}
				if got := r.PostForm.Get("name"); got != "Ada" {
					t.Errorf("name = %q", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseForm succeeded, want %d %s", tt.status, tt.code)
			}
			pe := asError(t, err)
			if httpx.Status(pe) != tt.status || pe.Code != tt.code {
				t.Errorf("ParseForm = %d %q, want %d %q", httpx.Status(pe), pe.Code, tt.status, tt.code)
			}
		})
	}
}

func TestParseFormMultipart(t *testing.T) {
	t.Parallel()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("email", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/sign-in", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if err := httpx.ParseForm(httptest.NewRecorder(), r, 1<<10); err != nil {
		t.Fatalf("ParseForm: %v", err)
	}
	if got := r.FormValue("email"); got != "a@example.com" {
		t.Errorf("email = %q", got)
	}
}

func TestPublic(t *testing.T) {
	t.Parallel()
	own := httpx.Errorf(http.StatusNotFound, "not_found", "No such %s.", "thing")
	field := httpx.FieldError("email", "invalid_email", "Enter a valid email.")
	secret := errors.New("sqlite: password=hunter2 table users")
	tests := []struct {
		name      string
		err       error
		status    int
		code      string
		same      *core.Error // when set, Public must return this very value
		retry     bool
		wantCause bool
	}{
		{name: "own error", err: own, status: 404, code: "not_found", same: own},
		{name: "wrapped own error", err: fmt.Errorf("signin: %w", own), status: 404, code: "not_found", same: own},
		{name: "field error", err: field, status: 422, code: "invalid_email", same: field},
		{name: "max bytes", err: &http.MaxBytesError{Limit: 10}, status: 413, code: "request_too_large", wantCause: true},
		{name: "wrapped max bytes", err: fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), status: 413, code: "request_too_large", wantCause: true},
		{name: "rate limited", err: fmt.Errorf("signin: %w", core.ErrRateLimited), status: 429, code: "rate_limited", retry: true, wantCause: true},
		{name: "invalid input", err: fmt.Errorf("metadata: %w", core.ErrInvalidInput), status: 422, code: "invalid_input", wantCause: true},
		{name: "not found is internal", err: core.ErrNotFound, status: 500, code: "internal_error", wantCause: true},
		{name: "anything else", err: secret, status: 500, code: "internal_error", wantCause: true},
		{name: "wrapped anything else", err: fmt.Errorf("store: %w", secret), status: 500, code: "internal_error", wantCause: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pe := httpx.Public(tt.err)
			if pe == nil {
				t.Fatal("Public returned nil")
			}
			if httpx.Status(pe) != tt.status || pe.Code != tt.code {
				t.Errorf("Public = %d %q, want %d %q", httpx.Status(pe), pe.Code, tt.status, tt.code)
			}
			if tt.same != nil && pe != tt.same {
				t.Errorf("Public returned %p, want the *Error itself %p", pe, tt.same)
			}
			if (pe.RetryAfter > 0) != tt.retry {
				t.Errorf("RetryAfter = %v, want set: %v", pe.RetryAfter, tt.retry)
			}
			if tt.wantCause && !errors.Is(pe, tt.err) {
				t.Errorf("the cause %v is not kept in Err", tt.err)
			}
			if pe.Message == "" {
				t.Error("no message")
			}
			if tt.same == nil && strings.Contains(pe.Message, tt.err.Error()) {
				t.Errorf("message %q shows the cause %q", pe.Message, tt.err)
			}
			if strings.Contains(pe.Message, "hunter2") {
				t.Errorf("message %q leaks the cause", pe.Message)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk full")
	e := &core.Error{Code: "internal_error", Message: "Oops.", Err: cause}
	if got, want := e.Error(), "internal_error: Oops.: disk full"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("Unwrap does not reach the cause")
	}
	f := httpx.FieldError("email", "taken", "That email is taken.")
	if got, want := f.Error(), "taken: That email is taken."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if httpx.Status(f) != http.StatusUnprocessableEntity || f.Field != "email" {
		t.Errorf("FieldError = %+v", f)
	}
}

// recorder is an Adapter wired to a log buffer and a Page func that records
// what it was asked to show.
type recorder struct {
	log   bytes.Buffer
	pages []*core.Error
	a     *httpx.Adapter
}

func newRecorder() *recorder {
	rec := &recorder{}
	rec.a = &httpx.Adapter{
		Logger: slog.New(slog.NewTextHandler(&rec.log, nil)),
		Page: func(w http.ResponseWriter, r *http.Request, e *core.Error) {
			rec.pages = append(rec.pages, e)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(httpx.Status(e))
			fmt.Fprintf(w, "<p>%s</p>", e.Message)
		},
	}
	return rec
}

func TestAdapterWriteFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		header map[string]string
		json   bool
	}{
		{name: "api path", path: "/auth/api/me", json: true},
		{name: "accept json", path: "/auth/profile", header: map[string]string{"Accept": "application/json"}, json: true},
		{name: "bearer", path: "/auth/profile", header: map[string]string{"Authorization": "Bearer abc"}, json: true},
		{name: "json body", path: "/auth/profile", header: map[string]string{"Content-Type": "application/json"}, json: true},
		{name: "browser", path: "/auth/profile", header: map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, json: false},
		{name: "browser accepting json too", path: "/auth/profile", header: map[string]string{"Accept": "text/html,application/json"}, json: false},
		{name: "no headers", path: "/auth/sign-in", json: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder()
			r := httptest.NewRequest(http.MethodPost, tt.path, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			rec.a.Write(w, r, httpx.FieldError("email", "invalid_email", "Enter a valid email."))
			if w.Code != http.StatusUnprocessableEntity {
				t.Errorf("status = %d, want 422", w.Code)
			}
			ct := w.Header().Get("Content-Type")
			if !tt.json {
				if len(rec.pages) != 1 || rec.pages[0].Code != "invalid_email" {
					t.Fatalf("Page calls = %v, want one with the error", rec.pages)
				}
				if !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type = %q, want the page's", ct)
				}
				return
			}
			if len(rec.pages) != 0 {
				t.Errorf("Page was called for a JSON client")
			}
			if ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			var body httpx.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if body.Error.Code != "invalid_email" || body.Error.Message != "Enter a valid email." || body.Error.Field != "email" {
				t.Errorf("body = %+v", body.Error)
			}
		})
	}
}

func TestAdapterWriteNoPage(t *testing.T) {
	t.Parallel()
	a := &httpx.Adapter{Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	r := httptest.NewRequest(http.MethodGet, "/auth/sign-in", nil)
	w := httptest.NewRecorder()
	a.Write(w, r, httpx.Errorf(http.StatusNotFound, "not_found", "Not here."))
	if w.Code != http.StatusNotFound {
		t.Errorf("status = %d", w.Code)
	}
	if !strings.Contains(w.Body.String(), "not_found") {
		t.Errorf("body %q does not name the error", w.Body)
	}
}

func TestAdapterWriteInternalHidesCause(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := httptest.NewRequest(http.MethodGet, "/auth/api/me", nil)
	w := httptest.NewRecorder()
	rec.a.Write(w, r, errors.New("sqlite: password=hunter2"))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "hunter2") {
		t.Errorf("body %q leaks the cause", w.Body)
	}
	if !strings.Contains(w.Body.String(), `"internal_error"`) {
		t.Errorf("body %q", w.Body)
	}
}

func TestAdapterRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"whole seconds", &core.Error{Kind: core.ErrRateLimited, Code: "rate_limited", RetryAfter: 3 * time.Second}, "3"},
		{"rounded up", &core.Error{Kind: core.ErrRateLimited, Code: "rate_limited", RetryAfter: 1500 * time.Millisecond}, "2"},
		{"just over a second", &core.Error{Kind: core.ErrRateLimited, Code: "rate_limited", RetryAfter: time.Second + time.Nanosecond}, "2"},
		{"under a second", &core.Error{Kind: core.ErrRateLimited, Code: "rate_limited", RetryAfter: time.Nanosecond}, "1"},
		{"none", &core.Error{Kind: core.ErrRateLimited, Code: "rate_limited"}, ""},
		{"sentinel", fmt.Errorf("x: %w", core.ErrRateLimited), "60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder()
			w := httptest.NewRecorder()
			rec.a.Write(w, httptest.NewRequest(http.MethodPost, "/auth/api/sign-in", nil), tt.err)
			if got := w.Header().Get("Retry-After"); got != tt.want {
				t.Errorf("Retry-After = %q, want %q", got, tt.want)
			}
			if w.Code != http.StatusTooManyRequests {
				t.Errorf("status = %d", w.Code)
			}
		})
	}
}

func TestAdapterWriteCancelled(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		errors.New("boom"),
		fmt.Errorf("x: %w", core.ErrRateLimited),
		httpx.Errorf(http.StatusBadRequest, "bad", "Bad."),
	} {
		for _, path := range []string{"/auth/api/me", "/auth/profile"} {
			t.Run(path+" "+err.Error(), func(t *testing.T) {
				t.Parallel()
				rec := newRecorder()
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				r := httptest.NewRequest(http.MethodGet, path, nil).WithContext(ctx)
				w := httptest.NewRecorder()
				rec.a.Write(w, r, err)
				if w.Body.Len() != 0 || len(w.Header()) != 0 || w.Flushed {
					t.Errorf("wrote %d headers and body %q", len(w.Header()), w.Body)
				}
				if len(rec.pages) != 0 {
					t.Error("Page was called")
				}
				if rec.log.Len() != 0 {
					t.Errorf("logged %q", rec.log.String())
				}
			})
		}
	}
}

func TestAdapterLogging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		logged bool
	}{
		{"internal", errors.New("disk on fire"), true},
		{"explicit 503", &core.Error{Code: "unavailable", Message: "Later.", Err: errors.New("disk on fire")}, true},
		{"not found", httpx.Errorf(404, "not_found", "No."), false},
		{"field", httpx.FieldError("email", "invalid_email", "No."), false},
		{"rate limited", core.ErrRateLimited, false},
		{"too large", &http.MaxBytesError{Limit: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder()
			rec.a.Write(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/auth/api/me", nil), tt.err)
			out := rec.log.String()
			if !tt.logged {
				if out != "" {
					t.Errorf("logged %q for a client error", out)
				}
				return
			}
			for _, want := range []string{"level=ERROR", "disk on fire", "/auth/api/me", "GET"} {
				if !strings.Contains(out, want) {
					t.Errorf("log %q lacks %q", out, want)
				}
			}
		})
	}
}

func TestAdapterHandle(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	ok := rec.a.Handle(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	w := httptest.NewRecorder()
	ok.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/auth/api/me", nil))
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Errorf("ok handler: %d %q", w.Code, w.Body)
	}

	failing := rec.a.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return httpx.Errorf(http.StatusForbidden, "forbidden", "No.")
	})
	w = httptest.NewRecorder()
	failing.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/auth/api/me", nil))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"forbidden"`) {
		t.Errorf("failing handler: %d %q", w.Code, w.Body)
	}
}

func TestWantsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		header map[string]string
		want   bool
	}{
		{"api path", "/auth/api/users", nil, true},
		{"api path nested mount", "/x/auth/api/", nil, true},
		{"api-like but not api", "/auth/apikeys", nil, false},
		{"bearer", "/auth/profile", map[string]string{"Authorization": "Bearer t0k3n"}, true},
		{"basic auth", "/auth/profile", map[string]string{"Authorization": "Basic abc"}, false},
		{"accept json", "/auth/profile", map[string]string{"Accept": "application/json"}, true},
		{"accept json with q", "/auth/profile", map[string]string{"Accept": "application/json;q=0.9"}, true},
		{"accept json and html", "/auth/profile", map[string]string{"Accept": "text/html, application/json"}, false},
		{"accept html", "/auth/profile", map[string]string{"Accept": "text/html"}, false},
		{"accept anything", "/auth/profile", map[string]string{"Accept": "*/*"}, false},
		{"json body", "/auth/profile", map[string]string{"Content-Type": "application/json; charset=utf-8"}, true},
		{"form body", "/auth/profile", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, false},
		{"nothing", "/auth/sign-in", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := httpx.WantsJSON(r); got != tt.want {
				t.Errorf("WantsJSON = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	if err := httpx.WriteJSON(w, http.StatusCreated, map[string]string{"html": "<b>"}); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusCreated {
		t.Errorf("status = %d", w.Code)
	}
	if got := w.Header().Get("Content-Length"); got != fmt.Sprint(w.Body.Len()) {
		t.Errorf("Content-Length = %q, body is %d bytes", got, w.Body.Len())
	}
	if strings.Contains(w.Body.String(), "<b>") {
		t.Errorf("body %q does not escape HTML", w.Body)
	}
	if err := httpx.WriteJSON(httptest.NewRecorder(), 200, func() {}); err == nil {
		t.Error("WriteJSON of a func succeeded")
	}
}

// TestStatusFromKind: the status of a refusal follows from its kind, and
// Errorf's status comes back unchanged, so handlers and feature packages
// agree on every answer.
func TestStatusFromKind(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		kind   error
		status int
	}{
		{nil, http.StatusInternalServerError},
		{core.ErrBadRequest, http.StatusBadRequest},
		{core.ErrUnauthenticated, http.StatusUnauthorized},
		{core.ErrInvalidCredentials, http.StatusUnauthorized},
		{core.ErrForbidden, http.StatusForbidden},
		{core.ErrLimitReached, http.StatusForbidden},
		{core.ErrNotFound, http.StatusNotFound},
		{core.ErrConflict, http.StatusConflict},
		{core.ErrLastAdmin, http.StatusConflict},
		{core.ErrExpired, http.StatusGone},
		{core.ErrUsed, http.StatusGone},
		{core.ErrTooLarge, http.StatusRequestEntityTooLarge},
		{core.ErrUnsupported, http.StatusUnsupportedMediaType},
		{core.ErrInvalidInput, http.StatusUnprocessableEntity},
		{core.ErrInvalidCode, http.StatusUnprocessableEntity},
		{core.ErrRateLimited, http.StatusTooManyRequests},
		{core.ErrLocked, http.StatusTooManyRequests},
		{core.ErrUnavailable, http.StatusBadGateway},
	}
	for _, k := range kinds {
		if got := httpx.Status(&core.Error{Kind: k.kind, Code: "x"}); got != k.status {
			t.Errorf("Status(kind %v) = %d, want %d", k.kind, got, k.status)
		}
	}
	for _, status := range []int{400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 502} {
		if got := httpx.Status(httpx.Errorf(status, "x", "y")); got != status {
			t.Errorf("Status(Errorf(%d)) = %d", status, got)
		}
	}
}

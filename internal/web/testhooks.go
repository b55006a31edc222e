package web

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/embedauth/auth/internal/httpx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Hooks that let the root package's tests reach inside a Server. They
// exist for tests only.

// PasskeySecondFactorTestHandler serves, under prefix, what the MFA step
// will build on passkeySecondFactorBegin and passkeySecondFactorFinish: a
// page with a "Verify with a passkey" button run by static/passkey.js, the
// two JSON routes it calls for the signed-in user, and a page to land on.
// It exists for tests only, until the MFA flow uses the verification.
func (a *Server) PasskeySecondFactorTestHandler(prefix string) http.Handler {
	mux := http.NewServeMux()
	page := template.Must(template.New("2fa").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Second factor</title>
<link rel="stylesheet" href="{{.Base}}/static/style.css"></head><body class="ea"><main class="ea-main"><section class="ea-card">
<h1>{{.Title}}</h1><p id="result">{{.Result}}</p>
{{if .Button}}<p class="ea-alert ea-alert-error" data-passkey-error hidden></p>
<button type="button" class="ea-button" id="verify-passkey" data-passkey="verify" data-begin="{{.Prefix}}/begin" data-finish="{{.Prefix}}/finish" data-next="{{.Prefix}}/done" data-passkey-only hidden>Verify with a passkey</button>
<script type="module" src="{{.Base}}/static/passkey.js?v={{.Version}}"></script>{{end}}
</section></main></body></html>`))
	type pageData struct {
		Base, Prefix, Version, Title, Result string
		Button                               bool
	}
	h := func(pattern string, fn httpx.HandlerFunc) { mux.Handle(pattern, a.adapter.Handle(fn)) }
	h("GET "+prefix+"/", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return page.Execute(w, pageData{Base: a.s.Path, Prefix: prefix, Version: a.ui.Version(), Title: "Confirm it's you", Button: true})
	})
	h("GET "+prefix+"/done", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return page.Execute(w, pageData{Base: a.s.Path, Title: "Verified", Result: a.sm.GetString(r.Context(), "2fa-test")})
	})
	h("POST "+prefix+"/begin", func(w http.ResponseWriter, r *http.Request) error {
		st, err := a.apiUser(r)
		if err != nil {
			return err
		}
		if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
			return err
		}
		opts, err := a.passkeySecondFactorBegin(r, st.user.ID)
		if err != nil {
			return err
		}
		return writeOptions(w, opts)
	})
	h("POST "+prefix+"/finish", func(w http.ResponseWriter, r *http.Request) error {
		st, err := a.apiUser(r)
		if err != nil {
			return err
		}
		body, err := readCredential(w, r)
		if err != nil {
			return err
		}
		p, err := a.passkeySecondFactorFinish(r, st.user.ID, body)
		if err != nil {
			return err
		}
		a.sm.Put(r.Context(), "2fa-test", "Second factor verified with "+p.Name)
		return httpx.WriteJSON(w, http.StatusOK, json.RawMessage(`{"verified":true}`))
	})
	return a.sm.LoadAndSave(mux)
}

// EnrolTOTPForTest enrols userID in TOTP at the Auth's clock, as the
// profile does, and returns the secret and the backup codes.
func (a *Server) EnrolTOTPForTest(ctx context.Context, userID, email string) (string, []string, error) {
	e, err := a.mfa.BeginTOTP(ctx, userID, email)
	if err != nil {
		return "", nil, err
	}
	code, err := TOTPCodeForTest(e.Secret, a.s.Now())
	if err != nil {
		return "", nil, err
	}
	codes, err := a.mfa.ConfirmTOTP(ctx, userID, code, nil)
	return e.Secret, codes, err
}

// TOTPCodeForTest computes the TOTP code of secret at t.
func TOTPCodeForTest(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// HousekeepSecurityForTest runs the security part of the hourly
// housekeeping now.
func (a *Server) HousekeepSecurityForTest(ctx context.Context) { a.housekeepSecurity(ctx) }

// PasswordHashesForTest reports how many argon2id computations the server
// has run so far.
func (a *Server) PasswordHashesForTest() int64 { return a.hasher.Count() }

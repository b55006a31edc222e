package web

import (
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

// The JSON API of passwordless sign-in and of the user's addresses. The
// routes are listed in apiRoutes (api.go) and documented in openapi.json.

// signedInBody answers a completed passwordless sign-in.
type signedInBody struct {
	User        core.User    `json:"user"`
	Session     core.Session `json:"session"`
	RedirectURL string       `json:"redirect_url"`
}

func writeSignedIn(w http.ResponseWriter, st *authState, next string) error {
	return httpx.WriteJSON(w, http.StatusOK, signedInBody{User: st.user, Session: st.session, RedirectURL: next})
}

func (a *Server) apiMethods(w http.ResponseWriter, r *http.Request) error {
	methods := make([]string, 0, len(a.s.Methods))
	for _, m := range a.s.Methods {
		methods = append(methods, string(m))
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Methods    []string       `json:"methods"`
		CodeLength int            `json:"code_length"`
		Social     []socialMethod `json:"social"`
	}{methods, a.s.Passwordless.CodeLength, a.socialMethods()})
}

// apiStart starts a flow of kind; signUp admits a name.
func (a *Server) apiStart(kind string, signUp bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in startInput
		var err error
		switch {
		case kind == core.ChallengeSMSCode && signUp:
			var b struct {
				Phone       string `json:"phone"`
				Name        string `json:"name"`
				RedirectURL string `json:"redirect_url"`
			}
			err = httpx.DecodeJSON(w, r, maxBody, &b)
			in = startInput{Phone: b.Phone, Name: b.Name, RedirectURL: b.RedirectURL}
		case kind == core.ChallengeSMSCode:
			var b struct {
				Phone       string `json:"phone"`
				RedirectURL string `json:"redirect_url"`
			}
			err = httpx.DecodeJSON(w, r, maxBody, &b)
			in = startInput{Phone: b.Phone, RedirectURL: b.RedirectURL}
		case signUp:
			var b struct {
				Email       string `json:"email"`
				Name        string `json:"name"`
				RedirectURL string `json:"redirect_url"`
			}
			err = httpx.DecodeJSON(w, r, maxBody, &b)
			in = startInput{Email: b.Email, Name: b.Name, RedirectURL: b.RedirectURL}
		default:
			var b struct {
				Email       string `json:"email"`
				RedirectURL string `json:"redirect_url"`
			}
			err = httpx.DecodeJSON(w, r, maxBody, &b)
			in = startInput{Email: b.Email, RedirectURL: b.RedirectURL}
		}
		if err != nil {
			return err
		}
		sent, err := a.startSignIn(r, kind, in)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusAccepted, sent)
	}
}

type codeInput struct {
	Code string `json:"code"`
}

func (a *Server) apiCodeVerify(w http.ResponseWriter, r *http.Request) error {
	var in codeInput
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, next, err := a.verifyCodeSignIn(r, in.Code)
	if err != nil {
		return a.apiFactorTwoOr(w, r, err)
	}
	return writeSignedIn(w, st, next)
}

func (a *Server) apiFlowResend(key string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
			return err
		}
		if key == keyIdentFlow {
			st, err := a.apiUser(r)
			if err != nil {
				return err
			}
			if c, ok := a.flowOf(r, keyIdentFlow); !ok || c.UserID != st.user.ID {
				return errFlowGone
			}
		}
		sent, err := a.resendFlow(r, key)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusAccepted, sent)
	}
}

func (a *Server) apiLinkVerify(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, next, err := a.verifyLink(r, in.Token)
	if err != nil {
		return a.apiFactorTwoOr(w, r, err)
	}
	return writeSignedIn(w, st, next)
}

func (a *Server) apiLinkStatus(w http.ResponseWriter, r *http.Request) error {
	status, _, err := a.linkStatus(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: string(status)})
}

func (a *Server) apiLinkContinue(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	st, next, err := a.continueLink(r)
	if err != nil {
		return a.apiFactorTwoOr(w, r, err)
	}
	return writeSignedIn(w, st, next)
}

// identifierJSON is one of the user's addresses.
type identifierJSON = core.Identifier

type identifiersBody struct {
	Identifiers []identifierJSON `json:"identifiers"`
}

type identifierChange struct {
	Password string `json:"password"`
}

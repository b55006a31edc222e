package web

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

// meBody is the answer that describes a signed-in user.
type meBody struct {
	User    userJSON     `json:"user"`
	Session core.Session `json:"session"`
}

// userJSON is a user as the JSON API shows them to themselves: with the
// URL of their profile picture.
type userJSON struct {
	core.User
	ImageURL string `json:"image_url,omitempty"`
}

func (a *Server) userJSON(u core.User) userJSON { return userJSON{User: u, ImageURL: a.imageURL(u)} }

type statusBody struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

func (a *Server) writeMe(w http.ResponseWriter, st *authState) error {
	if st.me == nil {
		return httpx.WriteJSON(w, http.StatusOK, meBody{User: a.userJSON(st.user), Session: st.session})
	}
	// A cached state is never changed (a change makes a new one), so its
	// answer is encoded once.
	st.me.once.Do(func() {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(true)
		st.me.err = enc.Encode(meBody{User: a.userJSON(st.user), Session: st.session})
		st.me.body = buf.Bytes()
	})
	if st.me.err != nil {
		return st.me.err
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	// net/http sets Content-Length itself for a body it buffers whole
	// (up to 2 KB), without an entry in the header map: with the
	// security headers and Vary that keeps the map at eight entries,
	// the most a small map holds, instead of growing it to a table that
	// every answer then allocates and copies. A larger body would be
	// sent chunked, so it gets its length here.
	if len(st.me.body) > 2048 {
		h.Set("Content-Length", strconv.Itoa(len(st.me.body)))
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(st.me.body)
	return err
}

// meJSON is the encoded answer of GET /api/me for one cached authState.
type meJSON struct {
	once sync.Once
	body []byte
	err  error
}

// jsonContentType is shared by answers that set it (never appended to:
// its capacity is its length).
var jsonContentType = []string{"application/json; charset=utf-8"}

// apiUser returns the signed-in user or a 401.
func (a *Server) apiUser(r *http.Request) (*authState, error) {
	st, err := a.lookup(r)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, httpx.Errorf(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")
	}
	return st, nil
}

type sessionJSON struct {
	core.Session
	Device  string `json:"device"`
	Current bool   `json:"current"`
}

func queryEscape(s string) string { return url.QueryEscape(s) }

// humanDuration says "10 minutes", "1 hour" or "7 days".
func humanDuration(d time.Duration) string {
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + one + "s"
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int(d/time.Minute), "minute")
	}
	return unit(int(d/time.Second), "second")
}

// apiSignedInJSON returns the signed-in user, then decodes the body into
// in, as a JSON endpoint that changes the signed-in account starts.
func (a *Server) apiSignedInJSON(w http.ResponseWriter, r *http.Request, in any) (*authState, error) {
	st, err := a.apiUser(r)
	if err != nil {
		return nil, err
	}
	return st, httpx.DecodeJSON(w, r, maxBody, in)
}

package auth

import (
	"errors"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/onetime"
)

// codeRefusal is the public answer to a refusal of a code by the
// one-time-code rules (internal/onetime), the same for every kind of
// code: a wrong or expired code is a 422 about the code field; a code
// without tries left, or a locked one, a 429, with Retry-After while a
// timed lock lasts. Other errors pass through.
func (a *Auth) codeRefusal(err error) error {
	var r *onetime.Error
	if !errors.As(err, &r) {
		return err
	}
	if errors.Is(r, core.ErrInvalidCode) {
		return &httpx.Error{Status: http.StatusUnprocessableEntity, Code: r.Code, Message: r.Message, Field: "code", Err: err}
	}
	e := &httpx.Error{Status: http.StatusTooManyRequests, Code: r.Code, Message: r.Message, Err: err}
	var locked *core.LockedError
	if errors.As(err, &locked) {
		e.RetryAfter = locked.Until.Sub(a.s.Now())
	}
	return e
}

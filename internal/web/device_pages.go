package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/ui"
)

// verifyDeviceData is the code page of the pending device verification.
func (a *Server) verifyDeviceData(r *http.Request, p ui.Page, user core.User, redirect string) ui.VerifyDevice {
	return ui.VerifyDevice{Page: p, To: a.deviceCodeTo(r, user), TTL: humanDuration(deviceCodeTTL), RedirectURL: redirect}
}

// deviceCodeTo is where the device code went, masked: the primary email,
// or the primary phone of an account without one.
func (a *Server) deviceCodeTo(r *http.Request, user core.User) string {
	if user.Email != "" {
		return maskEmail(user.Email)
	}
	phone, err := a.primaryPhone(r.Context(), user.ID)
	if err != nil {
		return ""
	}
	return passwordless.MaskPhone(phone)
}

// verifyDevicePage asks for the code mailed for a sign-in from a new
// device.
func (a *Server) verifyDevicePage(w http.ResponseWriter, r *http.Request) error {
	redirect := a.safeRedirect(r.URL.Query().Get("redirect_url"))
	_, user, err := a.pendingDevice(r)
	if err != nil {
		if httpx.Status(httpx.Public(err)) >= 500 {
			return err
		}
		http.Redirect(w, r, queryWith(a.s.Path+"/sign-in", redirect), http.StatusSeeOther)
		return nil
	}
	return a.render(w, http.StatusOK, "verify-device", a.verifyDeviceData(r, a.page(r, "verify-device"), user, redirect))
}

// verifyDeviceForm checks the code and signs the browser in.
func (a *Server) verifyDeviceForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	_, next, err := a.verifyDevice(r, r.PostFormValue("code"), redirect)
	if err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	e := httpx.Public(err)
	if httpx.Status(e) >= 500 {
		return err
	}
	_, user, perr := a.pendingDevice(r)
	if perr != nil || e.Field == "" {
		// The sign-in is over (expired, used up, or never started): start
		// again from the sign-in page, with the reason.
		a.notice(r, e.Message)
		http.Redirect(w, r, queryWith(a.s.Path+"/sign-in", redirect), http.StatusSeeOther)
		return nil
	}
	return a.formFail(w, r, err, "verify-device", func(p ui.Page) any { return a.verifyDeviceData(r, p, user, redirect) })
}

// resendDeviceCode sends a new code for this browser's held sign-in: the
// earlier code stops working, and the count of wrong codes carries on.
// Sends count against the same cap as the first
// (Passwordless.EmailsPerAddressPerHour).
func (a *Server) resendDeviceCode(r *http.Request) error {
	c, user, err := a.pendingDevice(r)
	if err != nil {
		return err
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	code, reissue := a.deviceCodes().Reissue(c.ID)
	out, limits, err := a.deviceCodeMessage(r, user, c.Method, code)
	if err != nil {
		return err
	}
	if _, err := a.db.ReplaceDeviceCode(r.Context(), c.ID, reissue, limits, out); err != nil {
		if errors.Is(err, core.ErrUsed) {
			return errDeviceVerificationNotStarted
		}
		if errors.Is(err, core.ErrRateLimited) {
			return errTooManySends.With(err)
		}
		return err
	}
	a.wake()
	return nil
}

// verifyDeviceResendForm sends a new code and shows the code page again.
func (a *Server) verifyDeviceResendForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	err := a.resendDeviceCode(r)
	switch {
	case err == nil:
		a.notice(r, "We sent a new code. Only the newest one works.")
	case errors.Is(err, errDeviceVerificationNotStarted):
		a.notice(r, httpx.Public(err).Message)
		http.Redirect(w, r, queryWith(a.s.Path+"/sign-in", redirect), http.StatusSeeOther)
		return nil
	case httpx.Status(httpx.Public(err)) >= 500:
		return err
	default:
		a.notice(r, httpx.Public(err).Message)
	}
	http.Redirect(w, r, a.deviceTarget(redirect), http.StatusSeeOther)
	return nil
}

// apiVerifyDeviceResend sends a new code for the held sign-in.
func (a *Server) apiVerifyDeviceResend(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	if err := a.resendDeviceCode(r); err != nil {
		return err
	}
	return a.apiDeviceVerificationRequired(w, r)
}

// deviceVerificationBody answers a JSON sign-in held for device
// verification.
type deviceVerificationBody struct {
	Status    string `json:"status"`
	To        string `json:"to"`
	ExpiresIn int    `json:"expires_in"`
	// Next is the page where a browser enters the code.
	Next string `json:"next"`
}

// apiDeviceVerificationRequired answers 202: every factor was right, and a
// code was mailed to let this device in.
func (a *Server) apiDeviceVerificationRequired(w http.ResponseWriter, r *http.Request) error {
	c, user, err := a.pendingDevice(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, deviceVerificationBody{Status: "device_verification_required",
		To: a.deviceCodeTo(r, user), ExpiresIn: int(c.ExpiresAt.Sub(a.s.Now()).Round(time.Second) / time.Second),
		Next: a.s.Path + "/sign-in/verify-device"})
}

// apiDeviceStepOr answers 202 when err says the device must be verified,
// and returns err otherwise.
func (a *Server) apiDeviceStepOr(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, errDeviceVerificationRequired) {
		return a.apiDeviceVerificationRequired(w, r)
	}
	return err
}

// apiVerifyDevice completes a sign-in held for device verification.
func (a *Server) apiVerifyDevice(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, _, err := a.verifyDevice(r, in.Code, "")
	if err != nil {
		return err
	}
	return writeMe(w, st)
}

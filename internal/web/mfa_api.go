package web

import (
	"net/http"

	"github.com/embedauth/auth/internal/httpx"
)

// mfaStatusBody is the answer of GET /api/me/mfa.
type mfaStatusBody struct {
	TOTP            bool     `json:"totp"`
	SMS             bool     `json:"sms"`
	BackupCodesLeft int      `json:"backup_codes_left"`
	Pending         bool     `json:"pending"`
	Required        bool     `json:"required"`
	SecondFactors   []string `json:"second_factors"`
}

// apiMFAStatus tells the signed-in user's two-step verification state.
func (a *Server) apiMFAStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	s, err := a.mfa.Status(ctx, st.user.ID)
	if err != nil {
		return err
	}
	factors, err := a.secondFactors(ctx, st.user.ID)
	if err != nil {
		return err
	}
	required, err := a.mfaRequiredFor(ctx, st.user.ID)
	if err != nil {
		return err
	}
	body := mfaStatusBody{TOTP: s.TOTP, SMS: s.SMS, BackupCodesLeft: s.BackupCodesLeft, Required: required, SecondFactors: factors}
	if body.SecondFactors == nil {
		body.SecondFactors = []string{}
	}
	if !s.TOTP {
		_, perr := a.mfa.PendingTOTP(ctx, st.user.ID, a.totpAccount(st.user))
		body.Pending = perr == nil
	}
	return httpx.WriteJSON(w, http.StatusOK, body)
}

// passwordBody is a request that may carry the password for stepUp.
type passwordBody struct {
	Password string `json:"password"`
}

// apiMFABegin starts authenticator app enrolment: a new secret, its
// otpauth URI and a QR code, valid until confirmed or replaced.
func (a *Server) apiMFABegin(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	e, err := a.mfaBegin(r, st, in.Password)
	if err != nil {
		return err
	}
	qr, err := qrDataURI(e.URL)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
		QR     string `json:"qr_code"`
	}{e.Secret, e.URL, string(qr)})
}

// backupCodesBody carries backup codes, shown once.
type backupCodesBody struct {
	BackupCodes []string `json:"backup_codes"`
}

// apiMFAConfirm completes enrolment with a code from the app and returns
// the backup codes.
func (a *Server) apiMFAConfirm(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	codes, err := a.mfaConfirm(r, st, in.Code)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, backupCodesBody{codes})
}

// apiMFABackupCodes replaces the backup codes.
func (a *Server) apiMFABackupCodes(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	codes, err := a.mfaRegenerate(r, st, in.Password)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, backupCodesBody{codes})
}

// apiMFADisable turns two-step verification off.
func (a *Server) apiMFADisable(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	if err := a.mfaDisable(r, st, in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "disabled"})
}

package web

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/store"
)

//go:embed openapi.json
var openAPIDoc []byte

// apiRoute is one endpoint of the JSON API. The list is the single source
// of truth that the OpenAPI document is tested against.
type apiRoute struct {
	Method, Path string
	Handler      httpx.HandlerFunc
}

func (a *Server) apiRoutes() []apiRoute {
	return []apiRoute{
		{"GET", "/api/openapi.json", a.apiOpenAPI},
		{"POST", "/api/sign-up", a.apiSignUp},
		{"POST", "/api/sign-up/verify", a.apiVerify},
		{"POST", "/api/sign-up/resend", a.apiResend},
		{"POST", "/api/sign-in", a.apiSignIn},
		{"POST", "/api/sign-in/factor-two", a.apiFactorTwo},
		{"POST", "/api/sign-in/factor-two/sms", a.apiFactorTwoSMS},
		{"POST", "/api/sign-in/factor-two/passkey/begin", a.apiFactorTwoPasskeyBegin},
		{"POST", "/api/sign-in/factor-two/passkey/finish", a.apiFactorTwoPasskeyFinish},
		{"POST", "/api/sign-in/verify-device", a.apiVerifyDevice},
		{"POST", "/api/sign-in/verify-device/resend", a.apiVerifyDeviceResend},
		{"POST", "/api/reverify", a.apiReverify},
		{"POST", "/api/reverify/email-code", a.apiReverifyEmailCode},
		{"POST", "/api/reverify/sms-code", a.apiReverifySMSCode},
		{"POST", "/api/sign-out", a.apiSignOut},
		{"POST", "/api/password/forgot", a.apiForgot},
		{"POST", "/api/password/reset", a.apiReset},
		{"POST", "/api/password/change", a.apiChangePassword},
		{"GET", "/api/me", a.apiMe},
		{"PATCH", "/api/me", a.apiUpdateMe},
		{"DELETE", "/api/me", a.apiDeleteMe},
		{"GET", "/api/me/security-log", a.apiSecurityLog},
		{"GET", "/api/sessions", a.apiSessions},
		{"DELETE", "/api/sessions/{id}", a.apiRevokeSession},
		{"POST", "/api/sessions/revoke-others", a.apiRevokeOthers},
		{"POST", "/api/sessions/switch", a.apiSwitch},
		{"GET", "/api/orgs", a.apiOrgs},
		{"POST", "/api/orgs", a.apiCreateOrg},
		{"POST", "/api/orgs/active", a.apiSetActiveOrg},
		{"POST", "/api/orgs/invitations/accept", a.apiAcceptInvitation},
		{"GET", "/api/orgs/{id}", a.apiOrg},
		{"PATCH", "/api/orgs/{id}", a.apiUpdateOrg},
		{"DELETE", "/api/orgs/{id}", a.apiDeleteOrg},
		{"POST", "/api/orgs/{id}/leave", a.apiLeaveOrg},
		{"POST", "/api/orgs/{id}/join", a.apiJoinOrg},
		{"GET", "/api/orgs/{id}/members", a.apiMembers},
		{"PATCH", "/api/orgs/{id}/members/{user_id}", a.apiSetMemberRole},
		{"DELETE", "/api/orgs/{id}/members/{user_id}", a.apiRemoveMember},
		{"GET", "/api/orgs/{id}/invitations", a.apiInvitations},
		{"POST", "/api/orgs/{id}/invitations", a.apiInvite},
		{"POST", "/api/orgs/{id}/invitations/{invitation_id}/revoke", a.apiRevokeInvitation},
		{"GET", "/api/orgs/{id}/requests", a.apiRequests},
		{"POST", "/api/orgs/{id}/requests/{request_id}/accept", a.apiAcceptRequest},
		{"POST", "/api/orgs/{id}/requests/{request_id}/reject", a.apiRejectRequest},
		{"GET", "/api/orgs/{id}/domains", a.apiDomains},
		{"POST", "/api/orgs/{id}/domains", a.apiAddDomain},
		{"PATCH", "/api/orgs/{id}/domains/{domain_id}", a.apiUpdateDomain},
		{"DELETE", "/api/orgs/{id}/domains/{domain_id}", a.apiRemoveDomain},
		{"POST", "/api/orgs/{id}/domains/{domain_id}/send-code", a.apiSendDomainCode},
		{"POST", "/api/orgs/{id}/domains/{domain_id}/verify", a.apiVerifyDomain},
		{"GET", "/api/orgs/{id}/roles", a.apiRoles},
		{"POST", "/api/orgs/{id}/roles", a.apiCreateRole},
		{"PATCH", "/api/orgs/{id}/roles/{key}", a.apiUpdateRole},
		{"DELETE", "/api/orgs/{id}/roles/{key}", a.apiDeleteRole},
		{"POST", "/api/orgs/{id}/permissions", a.apiCreatePermission},
		{"DELETE", "/api/orgs/{id}/permissions/{key}", a.apiDeletePermission},
		// Tokens (jwt.go) and webhooks (webhook_api.go).
		{"GET", "/api/token", a.apiToken},
		{"GET", "/.well-known/jwks.json", a.apiJWKS},
		{"GET", "/.well-known/openid-configuration", a.apiOpenIDConfiguration},
		{"GET", "/api/jwt-templates", a.apiJWTTemplates},
		{"PUT", "/api/jwt-templates/{name}", a.apiPutJWTTemplate},
		{"DELETE", "/api/jwt-templates/{name}", a.apiDeleteJWTTemplate},
		{"GET", "/api/jwt-keys", a.apiJWTKeys},
		{"POST", "/api/jwt-keys/rotate", a.apiRotateJWTKey},
		{"GET", "/api/webhooks/endpoints", a.apiWebhookEndpoints},
		{"POST", "/api/webhooks/endpoints", a.apiCreateWebhookEndpoint},
		{"GET", "/api/webhooks/endpoints/{id}", a.apiWebhookEndpoint},
		{"PATCH", "/api/webhooks/endpoints/{id}", a.apiUpdateWebhookEndpoint},
		{"DELETE", "/api/webhooks/endpoints/{id}", a.apiDeleteWebhookEndpoint},
		{"GET", "/api/webhooks/endpoints/{id}/secret", a.apiWebhookSecret},
		{"POST", "/api/webhooks/endpoints/{id}/rotate-secret", a.apiRotateWebhookSecret},
		{"GET", "/api/webhooks/endpoints/{id}/deliveries", a.apiWebhookDeliveries},
		{"POST", "/api/webhooks/endpoints/{id}/replay", a.apiReplayWebhooks},
		{"GET", "/api/methods", a.apiMethods},
		{"POST", "/api/sign-in/email-code", a.apiStart(core.ChallengeEmailCode, false)},
		{"POST", "/api/sign-up/email-code", a.apiStart(core.ChallengeEmailCode, true)},
		{"POST", "/api/sign-in/magic-link", a.apiStart(core.ChallengeMagicLink, false)},
		{"POST", "/api/sign-up/magic-link", a.apiStart(core.ChallengeMagicLink, true)},
		{"POST", "/api/sign-in/sms", a.apiStart(core.ChallengeSMSCode, false)},
		{"POST", "/api/sign-up/sms", a.apiStart(core.ChallengeSMSCode, true)},
		{"POST", "/api/code/verify", a.apiCodeVerify},
		{"POST", "/api/code/resend", a.apiFlowResend(keyCodeFlow)},
		{"POST", "/api/magic-link/verify", a.apiLinkVerify},
		{"GET", "/api/magic-link/status", a.apiLinkStatus},
		{"POST", "/api/magic-link/resend", a.apiFlowResend(keyLinkFlow)},
		{"POST", "/api/magic-link/continue", a.apiLinkContinue},
		{"GET", "/api/me/identifiers", a.apiIdentifiers},
		{"POST", "/api/me/identifiers", a.apiAddIdentifier},
		{"POST", "/api/me/identifiers/verify", a.apiVerifyIdentifier},
		{"POST", "/api/me/identifiers/resend", a.apiFlowResend(keyIdentFlow)},
		{"POST", "/api/me/identifiers/{id}/primary", a.apiPrimaryIdentifier},
		{"DELETE", "/api/me/identifiers/{id}", a.apiRemoveIdentifier},
		{"GET", "/api/me/mfa", a.apiMFAStatus},
		{"POST", "/api/me/mfa/totp", a.apiMFABegin},
		{"POST", "/api/me/mfa/totp/confirm", a.apiMFAConfirm},
		{"POST", "/api/me/mfa/backup-codes", a.apiMFABackupCodes},
		{"DELETE", "/api/me/mfa", a.apiMFADisable},
		{"POST", "/api/me/mfa/sms", a.apiMFASMSOn},
		{"DELETE", "/api/me/mfa/sms", a.apiMFASMSOff},
		{"POST", "/api/passkeys/sign-in/begin", a.apiPasskeySignInBegin},
		{"POST", "/api/passkeys/sign-in/finish", a.apiPasskeySignInFinish},
		{"POST", "/api/passkeys/register/begin", a.apiPasskeyRegisterBegin},
		{"POST", "/api/passkeys/register/finish", a.apiPasskeyRegisterFinish},
		{"GET", "/api/passkeys", a.apiPasskeys},
		{"PATCH", "/api/passkeys/{id}", a.apiRenamePasskey},
		{"DELETE", "/api/passkeys/{id}", a.apiDeletePasskey},
		{"POST", "/api/passkeys/reauth/begin", a.apiPasskeyReauthBegin},
		{"POST", "/api/passkeys/reauth/finish", a.apiPasskeyReauthFinish},
		{"POST", "/api/passkeys/sign-up", a.apiPasskeySignUp},
		{"POST", "/api/passkeys/sign-up/verify", a.apiPasskeySignUpVerify},
		{"POST", "/api/passkeys/sign-up/resend", a.apiPasskeySignUpResend},
		{"POST", "/api/passkeys/sign-up/begin", a.apiPasskeySignUpBegin},
		{"POST", "/api/passkeys/sign-up/finish", a.apiPasskeySignUpFinish},
		{"GET", "/api/me/connections", a.apiConnections},
		{"DELETE", "/api/me/connections/{id}", a.apiDisconnect},
	}
}

// meBody is the answer that describes a signed-in user.
type meBody struct {
	User    core.User    `json:"user"`
	Session core.Session `json:"session"`
}

type statusBody struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

func writeMe(w http.ResponseWriter, st *authState) error {
	return httpx.WriteJSON(w, http.StatusOK, meBody{User: st.user, Session: st.session})
}

func (a *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(openAPIDoc)
	return err
}

func (a *Server) apiSignUp(w http.ResponseWriter, r *http.Request) error {
	var in signUpInput
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	email, err := a.signUp(r, in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
		Email  string `json:"email"`
	}{"verification_required", maskEmail(email)})
}

func (a *Server) apiVerify(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, err := a.verifySignup(r, in.Code)
	if err != nil {
		return err
	}
	return writeMe(w, st)
}

func (a *Server) apiResend(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	if err := a.resendSignup(r); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "code_sent"})
}

func (a *Server) apiSignIn(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, err := a.passwordSignIn(w, r, in.Email, in.Password)
	if errors.Is(err, errFactorTwoRequired) {
		return a.apiFactorTwoRequired(w, r)
	}
	if err != nil {
		return a.apiDeviceStepOr(w, r, err)
	}
	return writeMe(w, st)
}

func (a *Server) apiSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := a.signOut(r); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "signed_out"})
}

func (a *Server) apiForgot(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.forgotPassword(r, in.Email); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "sent_if_exists", Message: forgotSent})
}

func (a *Server) apiReset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if in.Token == "" || len(in.Token) > 128 {
		return account.ErrResetInvalid
	}
	if err := a.resetPassword(r, account.ResetTokenHash(in.Token), in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "password_reset", Message: "Sign in with your new password."})
}

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

func (a *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.changePassword(r, st, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "password_changed"})
}

func (a *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	return writeMe(w, st)
}

func (a *Server) apiUpdateMe(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Name           *string         `json:"name"`
		UnsafeMetadata json.RawMessage `json:"unsafe_metadata"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	up := store.UserUpdate{}
	if in.Name != nil {
		name, err := core.CleanName(*in.Name)
		if err != nil {
			return err
		}
		up.Name = &name
	}
	if in.UnsafeMetadata != nil {
		var obj map[string]any
		if json.Unmarshal(in.UnsafeMetadata, &obj) != nil || obj == nil {
			return httpx.FieldError("unsafe_metadata", "invalid_metadata", "unsafe_metadata must be a JSON object.")
		}
		if len(in.UnsafeMetadata) > 8<<10 {
			return httpx.FieldError("unsafe_metadata", "metadata_too_large", "unsafe_metadata must be at most 8 KB.")
		}
		up.UnsafeMetadata = in.UnsafeMetadata
	}
	u, err := a.db.UpdateUser(r.Context(), st.user.ID, up)
	if err != nil {
		return err
	}
	a.cache.forgetUser(u.ID)
	return httpx.WriteJSON(w, http.StatusOK, struct {
		User core.User `json:"user"`
	}{u})
}

func (a *Server) apiDeleteMe(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.deleteAccount(r, st, in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

type sessionJSON struct {
	core.Session
	Device  string `json:"device"`
	Current bool   `json:"current"`
}

func (a *Server) apiSessions(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.db.ListSessions(r.Context(), st.user.ID)
	if err != nil {
		return err
	}
	out := []sessionJSON{}
	now := a.s.Now()
	for _, s := range list {
		if s.Active(now, a.s.SessionIdleTimeout) {
			out = append(out, sessionJSON{Session: s, Device: describeDevice(s.UserAgent), Current: s.ID == st.session.ID})
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Sessions []sessionJSON `json:"sessions"`
	}{out})
}

func (a *Server) apiRevokeSession(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	if err := a.revokeSession(r, st, r.PathValue("id")); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "revoked"})
}

func (a *Server) apiRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	n, err := a.revokeOtherSessions(r, st)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		Ended  int    `json:"ended"`
	}{"revoked", n})
}

func (a *Server) apiSwitch(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		SessionID string `json:"session_id"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.switchSession(r, in.SessionID); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "switched"})
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

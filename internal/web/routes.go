package web

import (
	"net/http"
	"slices"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

// routes builds Handler: every page, the JSON API and the static files.
// State-changing requests pass http.CrossOriginProtection; everything but
// static files runs inside the scs session.
func (a *Server) routes() http.Handler {
	p := a.s.Path
	mux := http.NewServeMux()
	h := func(pattern string, fn httpx.HandlerFunc) { mux.Handle(pattern, a.adapter.Handle(fn)) }

	for _, rt := range a.routeTable() {
		fn := rt.Handler
		if sensitiveRoute(rt.Method, rt.Path) && rt.Path != "/admin/users/{id}/impersonate" {
			fn = a.refuseImpersonated(fn)
		}
		h(rt.Method+" "+p+rt.Path, fn)
	}
	h(p+"/", func(w http.ResponseWriter, r *http.Request) error {
		return httpx.Errorf(http.StatusNotFound, "not_found", "This page does not exist.")
	})

	cop := http.NewCrossOriginProtection()
	// A provider's form POST answer changes nothing: it only redirects to
	// the GET callback (social.go).
	cop.AddInsecureBypassPattern("POST " + p + "/oauth/{provider}/callback")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.adapter.Write(w, r, httpx.Errorf(http.StatusForbidden, "cross_origin_request",
			"This request came from another site and was refused. Go back to the page and try again."))
	}))
	// A few reads need no browser-session data, only the signed-in
	// session (from the cookie, through the session cache): they skip
	// scs, whose load is a database read on every request.
	// They are served by their handler directly, without the mux, and
	// without the client in the context (as Middleware runs).
	withData := a.sm.LoadAndSave(a.withClient(mux))
	noData := map[string]http.Handler{}
	for _, rt := range a.routeTable() {
		if rt.Method == http.MethodGet && slices.Contains(noDataRoutes, rt.Path) {
			noData[p+rt.Path] = a.adapter.Handle(rt.Handler)
		}
	}
	dynamic := a.securityHeaders(cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if h := noData[r.URL.Path]; h != nil {
				w.Header()["Vary"] = varyCookie // as scs does: the answer depends on the cookie
				h.ServeHTTP(w, r)
				return
			}
		}
		r, rn := withRenewal(r)
		withData.ServeHTTP(w, r)
		a.finishRenewal(r.Context(), rn)
	})))

	root := http.NewServeMux()
	root.Handle("GET "+p+"/static/", a.securityHeaders(http.StripPrefix(p+"/static/", a.ui.Static())))
	root.Handle("/", dynamic)
	// The no-data reads go straight to dynamic, where root would send
	// them: their paths are exact and clean, so root has nothing to
	// redirect or match for them, only allocations to make.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && noData[r.URL.Path] != nil {
			dynamic.ServeHTTP(w, r)
			return
		}
		root.ServeHTTP(w, r)
	})
}

// route is one endpoint of Handler: a page, a form, or an endpoint of the
// JSON API (paths under /api/ and /.well-known/, each documented in
// openapi.json).
type route struct {
	Method, Path string // Path is relative to Config.Path
	Handler      httpx.HandlerFunc
}

// noDataRoutes are the GET routes (relative to Config.Path) whose handlers
// read no browser-session data (a.sm): they are served without loading it,
// and find the signed-in session with a.lookup only.
var noDataRoutes = []string{"/api/me"}

var varyCookie = []string{"Cookie"}[:1:1]

// routeTable is every endpoint of Handler, flow by flow, pages and forms
// first and the flow's JSON API after them. It is the one list of routes:
// the OpenAPI document is tested against its JSON part.
func (a *Server) routeTable() []route {
	return []route{
		// Password sign-in, sign-out and switching accounts (signin.go)
		{"GET", "/sign-in", a.signInPage},
		{"POST", "/sign-in", a.signInForm},
		{"GET", "/sign-out", a.signOutPage},
		{"POST", "/sign-out", a.signOutForm},
		{"POST", "/sessions/switch", a.switchForm},
		{"POST", "/api/sign-in", a.apiSignIn},
		{"POST", "/api/sign-out", a.apiSignOut},
		{"POST", "/api/sessions/switch", a.apiSwitch},
		// The second step of a sign-in with two-step verification (factortwo.go)
		{"GET", "/sign-in/factor-two", a.factorTwoPage},
		{"POST", "/sign-in/factor-two", a.factorTwoForm},
		{"POST", "/sign-in/factor-two/sms", a.factorTwoSMSForm},
		{"POST", "/api/sign-in/factor-two", a.apiFactorTwo},
		{"POST", "/api/sign-in/factor-two/sms", a.apiFactorTwoSMS},
		{"POST", "/api/sign-in/factor-two/passkey/begin", a.apiFactorTwoPasskeyBegin},
		{"POST", "/api/sign-in/factor-two/passkey/finish", a.apiFactorTwoPasskeyFinish},
		// Verifying a new device (device.go)
		{"GET", "/sign-in/verify-device", a.verifyDevicePage},
		{"POST", "/sign-in/verify-device", a.verifyDeviceForm},
		{"POST", "/sign-in/verify-device/resend", a.verifyDeviceResendForm},
		{"POST", "/api/sign-in/verify-device", a.apiVerifyDevice},
		{"POST", "/api/sign-in/verify-device/resend", a.apiVerifyDeviceResend},
		// Sign-up with a password and an emailed code (signup.go)
		{"GET", "/sign-up", a.signUpPage},
		{"POST", "/sign-up", a.signUpForm},
		{"GET", "/verify", a.verifyPage},
		{"POST", "/verify", a.verifyForm},
		{"POST", "/verify/resend", a.resendForm},
		{"POST", "/api/sign-up", a.apiSignUp},
		{"POST", "/api/sign-up/verify", a.apiVerify},
		{"POST", "/api/sign-up/resend", a.apiResend},
		// Forgotten, reset and changed passwords (password.go)
		{"GET", "/forgot", a.forgotPage},
		{"POST", "/forgot", a.forgotForm},
		{"GET", "/reset", a.resetPage},
		{"POST", "/reset", a.resetForm},
		{"POST", "/profile/password", a.passwordForm},
		{"POST", "/api/password/forgot", a.apiForgot},
		{"POST", "/api/password/reset", a.apiReset},
		{"POST", "/api/password/change", a.apiChangePassword},
		// Profile, devices and deleting the account (profile.go)
		{"GET", "/profile", a.profilePage},
		{"POST", "/profile/name", a.nameForm},
		{"POST", "/profile/language", a.languageForm}, // language.go
		{"POST", "/profile/sessions/revoke", a.revokeForm},
		{"POST", "/profile/sessions/revoke-others", a.revokeOthersForm},
		{"POST", "/profile/delete", a.deleteForm},
		{"GET", "/api/me", a.apiMe},
		{"PATCH", "/api/me", a.apiUpdateMe},
		{"DELETE", "/api/me", a.apiDeleteMe},
		{"GET", "/api/sessions", a.apiSessions},
		{"DELETE", "/api/sessions/{id}", a.apiRevokeSession},
		{"POST", "/api/sessions/revoke-others", a.apiRevokeOthers},
		// Profile pictures (avatar.go)
		{"POST", "/profile/avatar", a.avatarForm},
		{"POST", "/profile/avatar/remove", a.avatarRemoveForm},
		{"GET", "/avatars/{user_id}", a.avatar},
		{"PUT", "/api/me/image", a.apiSetImage},
		{"DELETE", "/api/me/image", a.apiRemoveImage},
		// Security log (security_log.go)
		{"GET", "/profile/security", a.securityLogPage},
		{"GET", "/api/me/security-log", a.apiSecurityLog},
		// Reverification before sensitive changes (reverify.go)
		{"GET", "/reverify", a.reverifyPage},
		{"POST", "/reverify", a.reverifyForm},
		{"POST", "/api/reverify", a.apiReverify},
		{"POST", "/api/reverify/email-code", a.apiReverifyEmailCode},
		{"POST", "/api/reverify/sms-code", a.apiReverifySMSCode},
		// Two-step verification settings (mfa.go)
		{"GET", "/profile/mfa", a.mfaPage},
		{"POST", "/profile/mfa/totp", a.mfaBeginForm},
		{"POST", "/profile/mfa/totp/confirm", a.mfaConfirmForm},
		{"POST", "/profile/mfa/backup-codes", a.mfaBackupCodesForm},
		{"POST", "/profile/mfa/disable", a.mfaDisableForm},
		{"POST", "/profile/mfa/sms", a.mfaSMSForm},
		{"POST", "/profile/mfa/sms/disable", a.mfaSMSDisableForm},
		{"GET", "/api/me/mfa", a.apiMFAStatus},
		{"POST", "/api/me/mfa/totp", a.apiMFABegin},
		{"POST", "/api/me/mfa/totp/confirm", a.apiMFAConfirm},
		{"POST", "/api/me/mfa/backup-codes", a.apiMFABackupCodes},
		{"DELETE", "/api/me/mfa", a.apiMFADisable},
		{"POST", "/api/me/mfa/sms", a.apiMFASMSOn},
		{"DELETE", "/api/me/mfa/sms", a.apiMFASMSOff},
		// Email and phone addresses of the account (identifiers.go)
		{"POST", "/profile/identifiers", a.identifierAddForm},
		{"GET", "/profile/identifiers/verify", a.identifierVerifyPage},
		{"POST", "/profile/identifiers/verify", a.identifierVerifyForm},
		{"POST", "/profile/identifiers/resend", a.identifierResendForm},
		{"POST", "/profile/identifiers/primary", a.identifierPrimaryForm},
		{"POST", "/profile/identifiers/remove", a.identifierRemoveForm},
		{"GET", "/api/me/identifiers", a.apiIdentifiers},
		{"POST", "/api/me/identifiers", a.apiAddIdentifier},
		{"POST", "/api/me/identifiers/verify", a.apiVerifyIdentifier},
		{"POST", "/api/me/identifiers/resend", a.apiFlowResend(keyIdentFlow)},
		{"POST", "/api/me/identifiers/{id}/primary", a.apiPrimaryIdentifier},
		{"DELETE", "/api/me/identifiers/{id}", a.apiRemoveIdentifier},
		// Passwordless sign-in and sign-up: email codes, magic links, text message codes (passwordless.go)
		{"GET", "/code", a.codePage},
		{"POST", "/code", a.codeForm},
		{"POST", "/code/resend", a.codeResendForm},
		{"GET", "/magic-link", a.linkConfirmPage},
		{"POST", "/magic-link", a.linkConfirmForm},
		{"GET", "/magic-link/sent", a.linkSentPage},
		{"POST", "/magic-link/resend", a.linkResendForm},
		{"POST", "/magic-link/continue", a.linkContinueForm},
		{"POST", "/sign-in/email-code", a.startForm(core.ChallengeEmailCode, false)},
		{"POST", "/sign-in/magic-link", a.startForm(core.ChallengeMagicLink, false)},
		{"POST", "/sign-in/sms", a.startForm(core.ChallengeSMSCode, false)},
		{"GET", "/sign-in/phone", a.phonePage(false)},
		{"POST", "/sign-up/email-code", a.startForm(core.ChallengeEmailCode, true)},
		{"POST", "/sign-up/magic-link", a.startForm(core.ChallengeMagicLink, true)},
		{"POST", "/sign-up/sms", a.startForm(core.ChallengeSMSCode, true)},
		{"GET", "/sign-up/phone", a.phonePage(true)},
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
		// Passkeys (passkey.go; the passkey-only sign-up in passkey_signup.go)
		{"GET", "/sign-up/passkey", a.passkeySignUpPage},
		{"POST", "/sign-up/passkey", a.passkeySignUpForm},
		{"POST", "/sign-up/passkey/verify", a.passkeySignUpVerifyForm},
		{"POST", "/sign-up/passkey/resend", a.passkeySignUpResendForm},
		{"GET", "/passkeys/setup", a.passkeySetupPage},
		{"POST", "/profile/passkeys/rename", a.passkeyRenameForm},
		{"POST", "/profile/passkeys/delete", a.passkeyDeleteForm},
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
		// Social sign-in (social.go)
		{"POST", "/oauth/{provider}/start", a.socialStartForm},
		{"GET", "/oauth/{provider}/callback", a.socialCallbackPage},
		{"POST", "/oauth/{provider}/callback", a.socialFormPostCallback},
		{"POST", "/profile/connections/disconnect", a.socialDisconnectForm},
		{"GET", "/api/me/connections", a.apiConnections},
		{"DELETE", "/api/me/connections/{id}", a.apiDisconnect},
		// Organizations: org_list.go, org_profile.go, org_members.go, org_invitations.go, org_domains.go, org_roles.go
		{"GET", "/orgs", a.orgListPage},
		{"GET", "/orgs/new", a.orgNewPage},
		{"POST", "/orgs/new", a.orgNewForm},
		{"POST", "/orgs/switch", a.orgSwitchForm},
		{"POST", "/orgs/join", a.orgJoinForm},
		{"GET", "/orgs/invitation", a.orgInvitationPage},
		{"POST", "/orgs/invitation", a.orgInvitationForm},
		{"POST", "/orgs/invitations/accept", a.orgAcceptPendingForm},
		{"GET", "/orgs/{id}", a.orgProfilePage},
		{"POST", "/orgs/{id}/general", a.orgForm(a.orgGeneralForm)},
		{"POST", "/orgs/{id}/security", a.orgForm(a.orgSecurityForm)},
		{"POST", "/orgs/{id}/delete", a.orgForm(a.orgDeleteForm)},
		{"POST", "/orgs/{id}/leave", a.orgForm(a.orgLeaveForm)},
		{"POST", "/orgs/{id}/members/role", a.orgForm(a.orgMemberRoleForm)},
		{"POST", "/orgs/{id}/members/remove", a.orgForm(a.orgMemberRemoveForm)},
		{"POST", "/orgs/{id}/invitations", a.orgForm(a.orgInviteForm)},
		{"POST", "/orgs/{id}/invitations/revoke", a.orgForm(a.orgRevokeForm)},
		{"POST", "/orgs/{id}/requests/decide", a.orgForm(a.orgDecideForm)},
		{"POST", "/orgs/{id}/domains", a.orgForm(a.orgAddDomainForm)},
		{"POST", "/orgs/{id}/domains/send-code", a.orgForm(a.orgDomainCodeForm)},
		{"POST", "/orgs/{id}/domains/verify", a.orgForm(a.orgVerifyDomainForm)},
		{"POST", "/orgs/{id}/domains/mode", a.orgForm(a.orgDomainModeForm)},
		{"POST", "/orgs/{id}/domains/remove", a.orgForm(a.orgRemoveDomainForm)},
		{"POST", "/orgs/{id}/roles", a.orgForm(a.orgCreateRoleForm)},
		{"POST", "/orgs/{id}/roles/update", a.orgForm(a.orgUpdateRoleForm)},
		{"POST", "/orgs/{id}/roles/delete", a.orgForm(a.orgDeleteRoleForm)},
		{"POST", "/orgs/{id}/permissions", a.orgForm(a.orgCreatePermissionForm)},
		{"POST", "/orgs/{id}/permissions/delete", a.orgForm(a.orgDeletePermissionForm)},
		{"GET", "/api/orgs", a.apiOrgs},
		{"POST", "/api/orgs", a.apiCreateOrg},
		{"POST", "/api/orgs/active", a.apiSetActiveOrg},
		{"POST", "/api/orgs/invitations/accept", a.apiAcceptInvitation},
		{"POST", "/api/orgs/invitations/{invitation_id}/accept", a.apiAcceptPending},
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
		// Tokens for other services (tokens.go)
		{"GET", "/api/token", a.apiToken},
		{"GET", "/.well-known/jwks.json", a.apiJWKS},
		{"GET", "/.well-known/openid-configuration", a.apiOpenIDConfiguration},
		{"GET", "/api/jwt-templates", a.apiJWTTemplates},
		{"PUT", "/api/jwt-templates/{name}", a.apiPutJWTTemplate},
		{"DELETE", "/api/jwt-templates/{name}", a.apiDeleteJWTTemplate},
		{"GET", "/api/jwt-keys", a.apiJWTKeys},
		{"POST", "/api/jwt-keys/rotate", a.apiRotateJWTKey},
		// User administration and the admin audit log (admin_users.go; the JSON API in admin_api.go)
		{"GET", "/admin/users", a.adminUsersPage},
		{"POST", "/admin/users", a.adminCreateUserForm},
		{"POST", "/admin/users/invite", a.adminInviteForm},
		{"GET", "/admin/users/{id}", a.adminUserPage},
		{"POST", "/admin/users/{id}/ban", a.userAction(true, a.adminBanForm)},
		{"POST", "/admin/users/{id}/unban", a.userAction(false, a.adminUnbanForm)},
		{"POST", "/admin/users/{id}/lock", a.userAction(true, a.adminLockForm)},
		{"POST", "/admin/users/{id}/unlock", a.userAction(false, a.adminUnlockForm)},
		{"POST", "/admin/users/{id}/sessions/revoke", a.userAction(true, a.adminRevokeSessionForm)},
		{"POST", "/admin/users/{id}/sessions/revoke-all", a.userAction(true, a.adminRevokeAllForm)},
		{"POST", "/admin/users/{id}/mfa/reset", a.userAction(true, a.adminResetMFAForm)},
		{"POST", "/admin/users/{id}/passkeys/remove", a.userAction(true, a.adminRemovePasskeyForm)},
		{"POST", "/admin/users/{id}/identifiers/verify", a.userAction(false, a.adminVerifyIdentifierForm)},
		{"POST", "/admin/users/{id}/metadata", a.userAction(false, a.adminMetadataForm)},
		{"POST", "/admin/users/{id}/admin", a.userAction(true, a.adminSetAdminForm)},
		{"POST", "/admin/users/{id}/delete", a.userAction(true, a.adminDeleteForm)},
		{"GET", "/admin/audit", a.adminAuditPage},
		{"GET", "/api/admin/users", a.apiAdminUsers},
		{"POST", "/api/admin/users", a.apiAdminCreateUser},
		{"POST", "/api/admin/users/invite", a.apiAdminInvite},
		{"GET", "/api/admin/users/{id}", a.apiAdminUserDetail},
		{"DELETE", "/api/admin/users/{id}", a.apiAdminDelete},
		{"POST", "/api/admin/users/{id}/ban", a.apiAdminBan},
		{"POST", "/api/admin/users/{id}/unban", a.apiAdminUnban},
		{"POST", "/api/admin/users/{id}/lock", a.apiAdminLock},
		{"POST", "/api/admin/users/{id}/unlock", a.apiAdminUnlock},
		{"PATCH", "/api/admin/users/{id}/metadata", a.apiAdminMetadata},
		{"PUT", "/api/admin/users/{id}/admin", a.apiAdminSetAdmin},
		{"DELETE", "/api/admin/users/{id}/sessions", a.apiAdminRevokeSessions},
		{"DELETE", "/api/admin/users/{id}/sessions/{session_id}", a.apiAdminRevokeSession},
		{"DELETE", "/api/admin/users/{id}/mfa", a.apiAdminResetMFA},
		{"DELETE", "/api/admin/users/{id}/passkeys/{passkey_id}", a.apiAdminRemovePasskey},
		{"POST", "/api/admin/users/{id}/identifiers/{identifier_id}/verify", a.apiAdminVerifyIdentifier},
		{"GET", "/api/admin/audit-log", a.apiAdminAuditLog},
		// Webhooks (webhooks.go)
		// Who may sign up: the waitlist, the administrators' page (waitlist.go, gate.go)
		{"GET", "/waitlist", a.waitlistPage},
		{"POST", "/waitlist", a.waitlistForm},
		{"POST", "/api/waitlist", a.apiWaitlist},
		{"GET", "/admin/sign-up", a.adminSignUpPage},
		{"POST", "/admin/sign-up", a.adminSignUpForm},
		{"POST", "/admin/sign-up/invite", a.adminSignUpInviteForm},
		{"POST", "/admin/sign-up/waitlist/{id}/approve", a.adminWaitlistDecideForm(true)},
		{"POST", "/admin/sign-up/waitlist/{id}/reject", a.adminWaitlistDecideForm(false)},
		// Impersonation (impersonation.go)
		{"POST", "/admin/users/{id}/impersonate", a.impersonateForm},
		{"POST", "/impersonation/end", a.endImpersonationForm},
		{"POST", "/api/impersonation/end", a.apiEndImpersonation},
		{"GET", "/admin/webhooks", a.webhooksPage},
		{"POST", "/admin/webhooks", a.webhookCreateForm},
		{"GET", "/admin/webhooks/{id}", a.webhookEndpointPage},
		{"POST", "/admin/webhooks/{id}/enabled", a.webhookEnabledForm},
		{"POST", "/admin/webhooks/{id}/rotate-secret", a.webhookRotateForm},
		{"POST", "/admin/webhooks/{id}/replay", a.webhookReplayForm},
		{"POST", "/admin/webhooks/{id}/delete", a.webhookDeleteForm},
		{"GET", "/api/webhooks/endpoints", a.apiWebhookEndpoints},
		{"POST", "/api/webhooks/endpoints", a.apiCreateWebhookEndpoint},
		{"GET", "/api/webhooks/endpoints/{id}", a.apiWebhookEndpoint},
		{"PATCH", "/api/webhooks/endpoints/{id}", a.apiUpdateWebhookEndpoint},
		{"DELETE", "/api/webhooks/endpoints/{id}", a.apiDeleteWebhookEndpoint},
		{"GET", "/api/webhooks/endpoints/{id}/secret", a.apiWebhookSecret},
		{"POST", "/api/webhooks/endpoints/{id}/rotate-secret", a.apiRotateWebhookSecret},
		{"GET", "/api/webhooks/endpoints/{id}/deliveries", a.apiWebhookDeliveries},
		{"POST", "/api/webhooks/endpoints/{id}/replay", a.apiReplayWebhooks},
		// The dev outbox and the API description (dev.go)
		{"GET", "/dev/mail", a.devMailPage},
		{"GET", "/api/openapi.json", a.apiOpenAPI},
	}
}

// formRedirect reads the redirect_url field or query parameter.
func formRedirect(r *http.Request) string {
	if v := r.PostFormValue("redirect_url"); v != "" {
		return v
	}
	return r.URL.Query().Get("redirect_url")
}

// signedIn returns the request's user or answers for it.
func (a *Server) signedIn(w http.ResponseWriter, r *http.Request) (*authState, bool, error) {
	st, err := a.lookup(r)
	if err != nil {
		return nil, false, err
	}
	if st == nil {
		a.unauthenticated(w, r)
		return nil, false, nil
	}
	return st, true, nil
}

// Organizations, invitations: the Invitations tab, sending an invitation
// (its mail is queued with it) and revoking one, and the invited person's
// side: the link's page, which leads them to sign in or up with the
// invited address, and accepting; as JSON, /api/orgs/{id}/invitations
// and POST /api/orgs/invitations/accept. To a signed-in user, an
// invitation sent to another address is an unknown one; trying tokens
// counts against the per-IP limit on codes.

package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// keyInvitation is the browser-session key of the invitation a link
// brought: the hash of its token, taken off the URL.
const keyInvitation = "invitation"

type invitationBody struct {
	Invitation core.Invitation `json:"invitation"`
}

// invitationsTab fills the Invitations tab.
func (a *Server) invitationsTab(ctx context.Context, d *ui.OrgProfile, st *authState, acc orgs.Access, names roleNames) error {
	invs, err := a.orgs.Invitations(ctx, st.user.ID, acc.Org.ID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		d.Invitations = append(d.Invitations, ui.InvitationView{ID: inv.ID, Email: inv.Email, RoleName: names.name(inv.Role),
			Status: inv.Status, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt})
	}
	return nil
}

func (a *Server) apiInvitations(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.orgs.Invitations(r.Context(), st.user.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Invitations []core.Invitation `json:"invitations"`
	}{list})
}

func (a *Server) orgInviteForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	in := orgs.InviteInput{Email: r.PostFormValue("email"), Role: r.PostFormValue("role")}
	res := orgFormResult{tab: "invitations", fields: true, prefix: "invite_", form: map[string]string{"invite_email": in.Email, "invite_role": in.Role}}
	inv, err := a.invite(r.Context(), st, orgID, in)
	if err != nil {
		return res, err
	}
	res.notice = "We sent an invitation to " + inv.Email + "."
	return res, nil
}

func (a *Server) apiInvite(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	inv, err := a.invite(r.Context(), st, r.PathValue("id"), orgs.InviteInput{Email: in.Email, Role: in.Role})
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, invitationBody{inv})
}

// invite sends an invitation mail, queued with the invitation.
func (a *Server) invite(ctx context.Context, st *authState, orgID string, in orgs.InviteInput) (core.Invitation, error) {
	inv, err := a.orgs.Invite(ctx, st.user, orgID, in, func(inv core.Invitation, org core.Org, token string) (*store.OutMail, error) {
		return a.newMail(mail.MsgOrgInvitation, inv.Email, mail.Data{
			Org: org.Name, Inviter: st.user.DisplayName(), Role: a.roleNames(ctx, org.ID).name(inv.Role),
			Link:      a.s.origin + a.s.Path + "/orgs/invitation?token=" + token,
			ExpiresIn: a.orgs.InvitationTTL(), Lang: a.mailLang(ctx, nil),
		})
	})
	if err != nil {
		return inv, err
	}
	a.dispatcher.Wake()
	return inv, nil
}

func (a *Server) orgRevokeForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "invitations"}
	inv, err := a.orgs.Revoke(r.Context(), st.user.ID, orgID, r.PostFormValue("invitation_id"))
	if err != nil {
		return res, err
	}
	res.notice = "The invitation of " + inv.Email + " was revoked."
	return res, nil
}

func (a *Server) apiRevokeInvitation(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	inv, err := a.orgs.Revoke(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, invitationBody{inv})
}

// orgInvitationPage takes an invitation token off the URL into the
// browser session (so it is not left in the address bar, history or a
// Referer) and shows what the invited person can do: accept, or sign in or
// up first with the invited address.
func (a *Server) orgInvitationPage(w http.ResponseWriter, r *http.Request) error {
	if token := r.URL.Query().Get("token"); token != "" {
		// Each token tried counts against the client's per-IP limit on
		// codes, as accepting does.
		if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
			return err
		}
		if hash := orgs.HashToken(token); hash != "" {
			a.sm.Put(r.Context(), keyInvitation, hash)
		}
		http.Redirect(w, r, a.s.Path+"/orgs/invitation", http.StatusSeeOther)
		return nil
	}
	if a.joinedByLink(w, r) {
		return nil
	}
	d, status, err := a.invitationData(r)
	if err != nil {
		return err
	}
	return a.render(w, status, "org-invitation", d)
}

// joinedByLink sends a signed-in user whose invitation link (kept in the
// browser session) they have already accepted on to the app: that is where
// signing up or in from the invitation page leads, once
// joinBrowserInvitation has accepted it. It reports whether it answered.
func (a *Server) joinedByLink(w http.ResponseWriter, r *http.Request) bool {
	ctx := r.Context()
	hash := a.sm.GetString(ctx, keyInvitation)
	if hash == "" {
		return false
	}
	st, err := a.lookup(r)
	if err != nil || st == nil {
		return false
	}
	inv, org, err := a.orgs.InvitationFor(ctx, st.user, hash)
	if !errors.Is(err, core.ErrUsed) || inv.AcceptedBy != st.user.ID {
		return false
	}
	a.sm.Remove(ctx, keyInvitation)
	if !a.sm.Exists(ctx, keyNotice) { // the welcome of joinBrowserInvitation, if it is still to be shown
		a.notice(r, "You are a member of "+org.Name+".")
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return true
}

// joinBrowserInvitation accepts, for a user who has just signed up or in,
// the invitation whose link was opened in this browser
// (orgInvitationPage keeps it in the browser session), when it was sent to
// their address: following an invitation link and then creating the
// account is accepting it, with no second "Join" click. The organization
// becomes active when the user may enter it. When the invitation cannot be
// accepted (another address, used, revoked, expired, a full organization),
// nothing happens here and the invitation page says why.
func (a *Server) joinBrowserInvitation(r *http.Request, st *authState) {
	ctx := r.Context()
	hash := a.sm.GetString(ctx, keyInvitation)
	if hash == "" {
		return
	}
	inv, _, err := a.orgs.Accept(ctx, st.user, hash)
	if err != nil {
		if httpx.Status(httpx.Public(err)) >= 500 {
			a.s.Logger.Error("embedauth: accept invitation at sign-in", "err", err)
		}
		return
	}
	a.forgetOrgMember(st.user.ID)
	name := "the organization"
	if acc, err := a.orgs.Access(ctx, st.user.ID, inv.OrgID); err == nil {
		name = acc.Org.Name
	}
	a.notice(r, "Welcome to "+name+".")
	if err := a.enterIfAllowed(r, st, inv.OrgID); err != nil {
		a.s.Logger.Error("embedauth: enter organization at sign-in", "err", err)
	}
}

// orgAcceptPendingForm accepts one of the invitations the org list page and
// the organization switcher show the signed-in user (by id: their verified
// address shows it is theirs, no link needed).
func (a *Server) orgAcceptPendingForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	acc, err := a.acceptPending(r, st, r.PostFormValue("invitation_id"))
	if err != nil {
		return err
	}
	a.notice(r, "Welcome to "+acc.Org.Name+".")
	http.Redirect(w, r, a.afterSignIn(formRedirect(r)), http.StatusSeeOther)
	return nil
}

func (a *Server) apiAcceptPending(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	acc, err := a.acceptPending(r, st, r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, orgAndMembership{acc.Org, acc.Membership})
}

// acceptPending accepts an invitation of orgs.Service.PendingInvitations
// and makes its organization active when the user may enter it.
func (a *Server) acceptPending(r *http.Request, st *authState, id string) (orgs.Access, error) {
	ctx := r.Context()
	inv, _, err := a.orgs.AcceptPending(ctx, st.user, id)
	if err != nil {
		return orgs.Access{}, err
	}
	a.forgetOrgMember(st.user.ID)
	if err := a.enterIfAllowed(r, st, inv.OrgID); err != nil {
		return orgs.Access{}, err
	}
	return a.orgs.Access(ctx, st.user.ID, inv.OrgID)
}

// pendingInvitationViews is what the org list page and the switcher show
// of the user's pending invitations.
func (a *Server) pendingInvitationViews(ctx context.Context, user core.User) ([]ui.PendingInvitationView, error) {
	list, err := a.orgs.PendingInvitations(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]ui.PendingInvitationView, 0, len(list))
	for _, p := range list {
		out = append(out, ui.PendingInvitationView{ID: p.Invitation.ID, OrgName: p.Organization.Name, Initials: orgInitials(p.Organization.Name),
			RoleName: a.roleNames(ctx, p.Organization.ID).name(p.Invitation.Role)})
	}
	return out, nil
}

func (a *Server) invitationData(r *http.Request) (ui.OrgInvitation, int, error) {
	ctx := r.Context()
	d := ui.OrgInvitation{Page: a.orgPage(r, "Join an organization"), State: "invalid", MinLength: a.s.PasswordMinLength,
		RedirectURL: a.s.Path + "/orgs/invitation"}
	hash := a.sm.GetString(ctx, keyInvitation)
	if hash == "" {
		d.Error = "This invitation link is not valid. Ask for a new invitation."
		return d, http.StatusNotFound, nil
	}
	st, err := a.lookup(r)
	if err != nil {
		return d, 0, err
	}
	var inv core.Invitation
	var org core.Org
	if st != nil {
		// Signed in, an invitation sent to another address is answered
		// as an unknown one: the page shows nothing of it.
		inv, org, err = a.orgs.InvitationFor(ctx, st.user, hash)
	} else {
		inv, org, err = a.orgs.Invitation(ctx, hash)
	}
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return d, 0, err
		}
		d.Error = e.Message
		if st != nil && errors.Is(e, core.ErrNotFound) {
			d.Error += " If it was sent to another of your addresses, sign out, then open the link again."
		}
		return d, httpx.Status(e), nil
	}
	d.OrgName, d.OrgInitials, d.Email = org.Name, orgInitials(org.Name), inv.Email
	d.RoleName = a.roleNames(ctx, org.ID).name(inv.Role)
	if inv.InviterID != "" {
		if u, err := a.db.User(ctx, inv.InviterID); err == nil {
			d.Inviter = u.DisplayName()
		}
	}
	switch {
	case st != nil: // InvitationFor checked it was sent to them
		d.State = "accept"
	default:
		// The link went to this address: saying whether it has an account
		// tells its holder nothing new.
		_, err := a.db.UserByEmail(ctx, inv.Email)
		switch {
		case err == nil:
			d.State = "sign-in"
		case errors.Is(err, core.ErrNotFound):
			d.State = "sign-up"
		default:
			return d, 0, err
		}
	}
	return d, http.StatusOK, nil
}

func (a *Server) orgInvitationForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	acc, err := a.acceptInvitation(r, st, a.sm.GetString(r.Context(), keyInvitation))
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		d, _, derr := a.invitationData(r)
		if derr != nil {
			return derr
		}
		if d.Error == "" { // the page's own reading of the invitation says it best
			d.Error = e.Message
		}
		if d.State == "accept" {
			d.State = "invalid"
		}
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
		}
		return a.render(w, httpx.Status(e), "org-invitation", d)
	}
	a.sm.Remove(r.Context(), keyInvitation)
	a.notice(r, "Welcome to "+acc.Org.Name+".")
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (a *Server) apiAcceptInvitation(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	acc, err := a.acceptInvitation(r, st, orgs.HashToken(in.Token))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, orgAndMembership{acc.Org, acc.Membership})
}

// acceptInvitation redeems the invitation whose token hashes to hash for
// the signed-in user, and makes its organization active when the user may
// enter it. It returns the user's new standing there.
func (a *Server) acceptInvitation(r *http.Request, st *authState, hash string) (orgs.Access, error) {
	ctx := r.Context()
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return orgs.Access{}, err
	}
	inv, _, err := a.orgs.Accept(ctx, st.user, hash)
	if err != nil {
		return orgs.Access{}, err
	}
	a.forgetOrgMember(st.user.ID)
	if err := a.enterIfAllowed(r, st, inv.OrgID); err != nil {
		return orgs.Access{}, err
	}
	return a.orgs.Access(ctx, st.user.ID, inv.OrgID)
}

package web

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/ui"
)

// orgInitials gives up to two letters for an organization's avatar.
func orgInitials(name string) string {
	var out []rune
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		r, _ := utf8.DecodeRuneInString(w)
		out = append(out, unicode.ToUpper(r))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "#"
	}
	return string(out)
}

// roleNames maps role keys to names for an organization (its own roles
// included), for pages.
type roleNames map[string]string

func (n roleNames) name(key string) string {
	if s, ok := n[key]; ok && s != "" {
		return s
	}
	return key
}

func (a *Server) roleNames(ctx context.Context, orgID string) roleNames {
	n := roleNames{}
	for _, r := range a.orgs.Roles().List() {
		n[r.Key] = r.Name
	}
	if orgID != "" {
		if custom, err := a.db.OrgRoles(ctx, orgID); err == nil {
			for _, r := range custom {
				n[r.Key] = r.Name
			}
		}
	}
	return n
}

func (a *Server) orgView(ctx context.Context, o core.Org, role string, active bool, names roleNames) ui.OrgView {
	if names == nil {
		names = a.roleNames(ctx, o.ID)
	}
	return ui.OrgView{ID: o.ID, Name: o.Name, Slug: o.Slug, LogoURL: o.LogoURL, Initials: orgInitials(o.Name), RequireMFA: o.RequireMFA,
		Role: role, RoleName: names.name(role), Active: active}
}

// activeOrgID is the id of the request's active organization ("" for none).
func (st *authState) activeOrgID() string {
	if st == nil || st.org == nil {
		return ""
	}
	return st.org.org.ID
}

// userOrgViews lists the user's organizations for the switcher and the
// list page.
func (a *Server) userOrgViews(ctx context.Context, st *authState) ([]ui.OrgView, error) {
	list, err := a.orgs.List(ctx, st.user.ID)
	if err != nil {
		return nil, err
	}
	static := a.roleNames(ctx, "")
	out := make([]ui.OrgView, 0, len(list))
	for _, om := range list {
		names := static
		if _, ok := static[om.Membership.Role]; !ok {
			names = a.roleNames(ctx, om.Org.ID)
		}
		out = append(out, a.orgView(ctx, om.Org, om.Membership.Role, om.Org.ID == st.activeOrgID(), names))
	}
	return out, nil
}

func (a *Server) suggestionViews(ctx context.Context, user core.User) ([]ui.SuggestionView, error) {
	list, err := a.orgs.Suggestions(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]ui.SuggestionView, 0, len(list))
	for _, s := range list {
		out = append(out, ui.SuggestionView{OrgID: s.Org.ID, Name: s.Org.Name, Initials: orgInitials(s.Org.Name), Domain: s.Domain,
			AutoJoin: s.EnrollmentMode == core.EnrollmentAutoInvite, Requested: s.Requested})
	}
	return out, nil
}

var modeNames = map[string]string{
	core.EnrollmentManual:      "Manual: invitations only",
	core.EnrollmentAutoInvite:  "Automatic invitation: join with one click",
	core.EnrollmentAutoSuggest: "Automatic suggestion: ask to join, an admin accepts",
}

var modeOptions = []ui.Option{
	{Value: core.EnrollmentManual, Label: modeNames[core.EnrollmentManual]},
	{Value: core.EnrollmentAutoInvite, Label: modeNames[core.EnrollmentAutoInvite]},
	{Value: core.EnrollmentAutoSuggest, Label: modeNames[core.EnrollmentAutoSuggest]},
}

// orgTabs are the tabs of the organization profile, in order.
var orgTabs = []struct{ key, label, perm string }{
	{"general", "General", ""},
	{"members", "Members", orgs.PermMembersRead},
	{"invitations", "Invitations", orgs.PermMembersManage},
	{"domains", "Domains", orgs.PermDomainsRead},
	{"roles", "Roles", ""},
}

// orgProfileData builds the organization profile for the tab asked (the
// first one when the member may not see it).
func (a *Server) orgProfileData(ctx context.Context, st *authState, acc orgs.Access, tab string, p ui.Page) (ui.OrgProfile, error) {
	p.Title = acc.Org.Name
	uid := st.user.ID
	catalog, err := a.orgs.Catalog(ctx, uid, acc.Org.ID)
	if err != nil {
		return ui.OrgProfile{}, err
	}
	names := roleNames{}
	sets := map[string]orgs.PermissionSet{}
	for _, r := range catalog.Roles {
		names[r.Key] = r.Name
		if s, ok := a.orgs.Roles().Set(r.Key); ok {
			sets[r.Key] = s
		} else {
			sets[r.Key] = orgs.NewPermissionSet(r.Permissions...)
		}
	}
	d := ui.OrgProfile{Page: p, Org: a.orgView(ctx, acc.Org, acc.Membership.Role, acc.Org.ID == st.activeOrgID(), names),
		CanManage: acc.Can(orgs.PermProfileManage), CanDelete: acc.Can(orgs.PermProfileDelete),
		CanManageMembers: acc.Can(orgs.PermMembersManage), CanManageDomains: acc.Can(orgs.PermDomainsManage),
		CanManageRoles: acc.Can(orgs.PermRolesManage), HasPassword: st.user.HasPassword, ModeOptions: modeOptions,
		Form: map[string]string{}}
	allowed := false
	for _, t := range orgTabs {
		if t.perm == "" || acc.Can(t.perm) {
			allowed = allowed || t.key == tab
			d.Tabs = append(d.Tabs, ui.OrgTab{Key: t.key, Label: t.label})
		}
	}
	if !allowed {
		tab = "general"
	}
	d.Tab = tab
	for i := range d.Tabs {
		d.Tabs[i].Active = d.Tabs[i].Key == tab
	}
	for _, r := range catalog.Roles {
		if acc.Permissions.Covers(sets[r.Key]) {
			d.RoleOptions = append(d.RoleOptions, ui.Option{Value: r.Key, Label: r.Name})
		}
	}
	switch tab {
	case "members":
		members, err := a.orgs.Members(ctx, uid, acc.Org.ID)
		if err != nil {
			return d, err
		}
		for _, m := range members {
			u := core.User{Name: m.Name, Email: m.Email}
			d.Members = append(d.Members, ui.MemberView{UserID: m.UserID, Name: m.Name, Email: m.Email, Initials: u.Initials(),
				Role: m.Role, RoleName: names.name(m.Role), JoinedAt: m.CreatedAt, You: m.UserID == uid,
				Manageable: d.CanManageMembers && acc.Permissions.Covers(sets[m.Role])})
		}
		if d.CanManageMembers {
			reqs, err := a.orgs.Requests(ctx, uid, acc.Org.ID)
			if err != nil {
				return d, err
			}
			for _, r := range reqs {
				d.Requests = append(d.Requests, ui.RequestView{ID: r.ID, Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt})
			}
		}
	case "invitations":
		invs, err := a.orgs.Invitations(ctx, uid, acc.Org.ID)
		if err != nil {
			return d, err
		}
		for _, inv := range invs {
			d.Invitations = append(d.Invitations, ui.InvitationView{ID: inv.ID, Email: inv.Email, RoleName: names.name(inv.Role),
				Status: inv.Status, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt})
		}
	case "domains":
		domains, err := a.orgs.Domains(ctx, uid, acc.Org.ID)
		if err != nil {
			return d, err
		}
		for _, dm := range domains {
			d.Domains = append(d.Domains, ui.DomainView{ID: dm.ID, Name: dm.Name, Mode: dm.EnrollmentMode, ModeName: modeNames[dm.EnrollmentMode],
				Verified: dm.Verified, AffiliationEmail: dm.AffiliationEmail, CodeSent: dm.CodeHash != ""})
		}
	case "roles":
		for _, r := range catalog.Roles {
			d.Roles = append(d.Roles, ui.RoleView{Key: r.Key, Name: r.Name, Description: r.Description, Permissions: r.Permissions,
				Source: r.Source, Editable: d.CanManageRoles && r.Source == core.SourceCustom})
		}
		for _, pm := range catalog.Permissions {
			d.Permissions = append(d.Permissions, ui.PermissionView{Key: pm.Key, Name: pm.Name, Description: pm.Description,
				Source: pm.Source, Editable: d.CanManageRoles && pm.Source == core.SourceCustom})
		}
	}
	return d, nil
}

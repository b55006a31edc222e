package ui

import "time"

// OrgView is an organization as pages and the switcher show it.
type OrgView struct {
	ID       string
	Name     string
	Slug     string
	LogoURL  string
	Initials string
	// Role and RoleName are the viewer's role in it.
	Role     string
	RoleName string
	Active   bool
	// RequireMFA says members need two-step verification to enter it.
	RequireMFA bool
}

// SuggestionView is an organization the viewer may join through the
// verified domain of their email.
type SuggestionView struct {
	OrgID    string
	Name     string
	Initials string
	Domain   string
	// AutoJoin is true for automatic invitation (join with one click) and
	// false for automatic suggestion (ask to join).
	AutoJoin  bool
	Requested bool
}

// PendingInvitationView is an invitation to an organization waiting for
// the viewer, accepted with one click.
type PendingInvitationView struct {
	ID       string
	OrgName  string
	Initials string
	RoleName string
}

// OrgList lists the viewer's organizations to switch between, the ones
// they may join, and a way to create one. RequireOrg sends browsers here.
type OrgList struct {
	Page
	Orgs        []OrgView
	Suggestions []SuggestionView
	Invitations []PendingInvitationView
	// Personal is true when no organization is active.
	Personal    bool
	RedirectURL string
}

// OrgNew is the CreateOrganization page.
type OrgNew struct {
	Page
	Name string
	Slug string
	// OrgLogoURL is the logo URL typed into the form. It is named apart
	// from Page.LogoURL, the app's logo in the header, so that user input
	// never takes its place.
	OrgLogoURL  string
	RedirectURL string
}

// OrgTab is one tab of the organization profile.
type OrgTab struct {
	Key    string
	Label  string
	Active bool
}

// MemberView is one member in the members tab.
type MemberView struct {
	UserID   string
	Name     string
	Email    string
	Initials string
	// ImageURL is the member's profile picture, "" for their initials.
	ImageURL string
	Role     string
	RoleName string
	JoinedAt time.Time
	You      bool
	// Manageable is true when the viewer may change this member's role
	// or remove them.
	Manageable bool
}

// InvitationView is one invitation in the invitations tab.
type InvitationView struct {
	ID        string
	Email     string
	RoleName  string
	Status    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// RequestView is a pending request to join.
type RequestView struct {
	ID        string
	Email     string
	Name      string
	CreatedAt time.Time
}

// DomainView is one domain in the domains tab.
type DomainView struct {
	ID               string
	Name             string
	Mode             string
	ModeName         string
	Verified         bool
	AffiliationEmail string
	CodeSent         bool
}

// RoleView is one role in the roles tab.
type RoleView struct {
	Key         string
	Name        string
	Description string
	Permissions []string
	Source      string
	// Editable is true for the organization's own roles when the viewer
	// manages roles.
	Editable bool
}

// Has reports whether the role holds the permission key.
func (r RoleView) Has(key string) bool {
	for _, p := range r.Permissions {
		if p == key {
			return true
		}
	}
	return false
}

// PermissionView is one permission in the roles tab.
type PermissionView struct {
	Key         string
	Name        string
	Description string
	Source      string
	Editable    bool
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// OrgProfile is the OrganizationProfile page: general settings, members,
// invitations, domains and roles, in tabs the viewer's role may see.
type OrgProfile struct {
	Page
	Org  OrgView
	Tab  string
	Tabs []OrgTab

	// What the viewer may do.
	CanManage        bool
	CanDelete        bool
	CanManageMembers bool
	CanManageDomains bool
	CanManageRoles   bool
	HasPassword      bool

	Members     []MemberView
	Invitations []InvitationView
	Requests    []RequestView
	Domains     []DomainView
	Roles       []RoleView
	Permissions []PermissionView
	// RoleOptions are the roles the viewer may grant.
	RoleOptions []Option
	// ModeOptions are the domain enrollment modes.
	ModeOptions []Option

	// Form holds the values of a form being shown again with an error.
	Form map[string]string
}

// OrgInvitation is the page an invitation's link leads to.
type OrgInvitation struct {
	Page
	OrgName     string
	OrgInitials string
	Email       string
	RoleName    string
	Inviter     string
	// State is what the page offers: "accept" (signed in as the invited
	// address), "mismatch" (signed in as someone else), "sign-in" (the
	// address has an account), "sign-up" (it has none) or "invalid".
	State       string
	SignedInAs  string
	RedirectURL string
	MinLength   int
}

// OrgSwitcher is the organization menu an app places in its own layout.
type OrgSwitcher struct {
	Base string
	// Active is the active organization, nil for the personal account.
	Active      *OrgView
	UserName    string
	UserEmail   string
	Initials    string
	Orgs        []OrgView
	Suggestions []SuggestionView
	Invitations []PendingInvitationView
	// RedirectURL is where a switch comes back to: the current page.
	RedirectURL string
	// Lang is the language of the switcher (see [Page]).
	Lang string
}

func (s OrgSwitcher) language() string { return s.Lang }

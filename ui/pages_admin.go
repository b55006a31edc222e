package ui

import "time"

// AdminNav is the tab bar of the admin pages; Active is "users", "audit"
// or "webhooks".
type AdminNav struct {
	Active string
}

// AdminUsers is the users table: search, filters, sort, one page of
// users, and the forms that create or invite a user.
type AdminUsers struct {
	Page
	Nav    AdminNav
	Search string
	// Org is the organization id or slug the table is limited to, as
	// typed, and OrgName that organization's name once found.
	Org     string
	OrgName string
	Filters []AdminOption
	Sorts   []AdminOption
	Users   []AdminUserRow
	// NextURL is the next page's link, empty on the last page; FirstURL
	// the first page's, empty on the first page.
	NextURL  string
	FirstURL string
	// Email and Name refill the create and invite forms after an error.
	Email string
	Name  string
}

// AdminOption is a filter checkbox or a sort choice.
type AdminOption struct {
	Value   string
	Label   string
	Checked bool
}

// AdminUserRow is one row of the users table.
type AdminUserRow struct {
	ID        string
	Email     string
	Name      string
	Initials  string
	CreatedAt time.Time
	// Badges are the states worth seeing at a glance: "banned", "locked",
	// "unverified", "MFA", "passkey", "admin".
	Badges []string
}

// AdminUser is one user's page: every field, and the actions on them.
type AdminUser struct {
	Page
	Nav         AdminNav
	ID          string
	Email       string
	Name        string
	Initials    string
	Verified    bool
	Banned      bool
	Admin       bool
	Self        bool
	LockedUntil *time.Time
	Failures    int
	HasPassword bool
	TOTP        bool
	SMSFactor   bool
	BackupCodes int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Identifiers []AdminIdentifier
	Passkeys    []AdminPasskey
	Sessions    []AdminSession
	Orgs        []AdminOrg
	Accounts    []AdminAccount
	// PublicMetadata, PrivateMetadata and UnsafeMetadata are indented JSON.
	PublicMetadata  string
	PrivateMetadata string
	UnsafeMetadata  string
	SecurityLog     []SecurityEntry
	Audit           []AdminAuditRow
	// Impersonate is set when impersonation is offered: the form posts to
	// Base+"/admin/users/{ID}/impersonate".
	Impersonate bool
}

// AdminIdentifier is an email address or phone number of the user.
type AdminIdentifier struct {
	ID       string
	Kind     string
	Value    string
	Primary  bool
	Verified bool
}

// AdminPasskey is one passkey of the user.
type AdminPasskey struct {
	ID         string
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// AdminSession is one live session of the user.
type AdminSession struct {
	ID           string
	Device       string
	IP           string
	AuthMethod   string
	CreatedAt    time.Time
	LastActiveAt time.Time
}

// AdminOrg is one membership of the user.
type AdminOrg struct {
	ID   string
	Name string
	Role string
}

// AdminAccount is one connected social account.
type AdminAccount struct {
	Provider string
	Email    string
}

// AdminAudit is the admin audit log page.
type AdminAudit struct {
	Page
	Nav     AdminNav
	Entries []AdminAuditRow
	NextURL string
}

// AdminAuditRow is one entry of the admin audit log.
type AdminAuditRow struct {
	Actor       string
	Action      string
	TargetID    string
	TargetEmail string
	Detail      string
	IP          string
	Device      string
	CreatedAt   time.Time
}

package core

import (
	"errors"
	"time"
)

// Organization event types, written to the events outbox in the same
// transaction as the change they describe.
const (
	EventOrganizationCreated            = "organization.created"
	EventOrganizationUpdated            = "organization.updated"
	EventOrganizationDeleted            = "organization.deleted"
	EventOrganizationMembershipCreated  = "organization.membership.created"
	EventOrganizationMembershipUpdated  = "organization.membership.updated"
	EventOrganizationMembershipDeleted  = "organization.membership.deleted"
	EventOrganizationInvitationCreated  = "organization.invitation.created"
	EventOrganizationInvitationAccepted = "organization.invitation.accepted"
	EventOrganizationInvitationRevoked  = "organization.invitation.revoked"
)

// Errors of organization rules that storage enforces inside its
// transactions, so that concurrent changes cannot break them.
var (
	// ErrLastAdmin means the change would leave an organization without an
	// admin: the last admin cannot leave, be removed or be demoted.
	ErrLastAdmin = errors.New("last admin")
	// ErrLimitReached means a configured limit (organizations per user,
	// members per organization) is reached.
	ErrLimitReached = errors.New("limit reached")
	// ErrAlreadyMember means the user (or the invited address) already
	// belongs to the organization.
	ErrAlreadyMember = errors.New("already a member")
	// ErrAlreadyInvited means the address has a pending invitation to the
	// organization.
	ErrAlreadyInvited = errors.New("already invited")
)

// The system roles every organization has.
const (
	// RoleAdmin holds every permission, and is the creator's role.
	RoleAdmin = "org:admin"
	// RoleMember is the default role of people who join.
	RoleMember = "org:member"
)

// Org is an organization: a team of users with roles.
type Org struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Slug is unique among organizations: lower-case letters, digits and
	// single hyphens, such as "acme-inc".
	Slug    string `json:"slug"`
	LogoURL string `json:"logo_url"`
	// CreatedBy is the id of the user who created it (empty once that user
	// is deleted).
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// RequireMFA makes the organization require two-step verification:
	// a member who has not set it up cannot make it their active
	// organization (it is not active for them while they have none).
	RequireMFA bool `json:"require_mfa"`
}

// Membership is a user's place in an organization.
type Membership struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	UserID    string    `json:"user_id"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Member is a membership with the member's public details, for lists.
type Member struct {
	Membership
	Email string `json:"email"`
	Name  string `json:"name"`
	// ImageVersion is the member's User.ImageVersion (their picture).
	ImageVersion int64 `json:"-"`
}

// Invitation statuses. A pending invitation past its expiry reads as
// expired.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired"
)

// Invitation asks one email address to join an organization with a role.
// Its token is mailed and stored only as a hash.
type Invitation struct {
	ID        string `json:"id"`
	OrgID     string `json:"org_id"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	InviterID string `json:"inviter_id"`
	// Status is one of the Invitation* constants.
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	AcceptedBy string     `json:"accepted_by,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	TokenHash  string     `json:"-"`
}

// StatusAt returns the invitation's status at now: a pending invitation
// past its expiry is expired.
func (i Invitation) StatusAt(now time.Time) string {
	if i.Status == InvitationPending && !now.Before(i.ExpiresAt) {
		return InvitationExpired
	}
	return i.Status
}

// Domain enrollment modes, as Clerk names them.
const (
	// EnrollmentManual: the domain is verified but nobody joins by it.
	EnrollmentManual = "manual_invitation"
	// EnrollmentAutoInvite: users with a verified email in the domain are
	// invited and join with one click.
	EnrollmentAutoInvite = "automatic_invitation"
	// EnrollmentAutoSuggest: such users are shown a suggestion to ask to
	// join, which an admin approves.
	EnrollmentAutoSuggest = "automatic_suggestion"
)

// Domain is an email domain an organization claims.
type Domain struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// Name is the lower-case domain, such as "example.com".
	Name           string `json:"name"`
	EnrollmentMode string `json:"enrollment_mode"`
	Verified       bool   `json:"verified"`
	// AffiliationEmail is the address the verification code was sent to.
	AffiliationEmail string     `json:"affiliation_email,omitempty"`
	VerifiedAt       *time.Time `json:"verified_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`

	CodeHash      string    `json:"-"`
	CodeExpiresAt time.Time `json:"-"`
	CodeAttempts  int       `json:"-"`
	CodeSends     int       `json:"-"`
}

// Membership request statuses.
const (
	RequestPending  = "pending"
	RequestAccepted = "accepted"
	RequestRejected = "rejected"
)

// MembershipRequest is a user's request to join an organization whose
// verified domain suggests it (automatic suggestion).
type MembershipRequest struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// Role is a named set of permissions. Keys look like "org:billing".
type Role struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
	// Source is "system" (org:admin, org:member), "config" (defined in the
	// app's Config) or "custom" (defined at run time for one organization).
	Source string `json:"source"`
}

// Permission is something a role may allow. Keys look like
// "org:invoices:write".
type Permission struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Source is "system", "config" or "custom", as for [Role].
	Source string `json:"source"`
}

// Sources of roles and permissions.
const (
	SourceSystem = "system"
	SourceConfig = "config"
	SourceCustom = "custom"
)

// SessionOrg is what a request knows of its session's active organization:
// the organization, the user's role in it and, for a role defined for that
// organization at run time, the role's permissions.
type SessionOrg struct {
	Org  Org
	Role string
	// CustomPermissions lists the permissions of a run-time role (nil for
	// system and configured roles, which the app knows).
	CustomPermissions []string
	// Custom reports whether Role is a run-time role of the organization.
	Custom bool
}

// OrgMembership is one of a user's organizations with their membership.
type OrgMembership struct {
	Org        Org        `json:"organization"`
	Membership Membership `json:"membership"`
}

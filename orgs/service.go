package orgs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
)

// Store is everything the organization rules need from storage: the
// small interfaces below, one for each part of the rules. M is the type of
// a queued message (mail rendered and sealed by the caller), written in the
// same transaction as the change that sends it.
//
// Lookups return [core.ErrNotFound] for an unknown record, and for a
// record of another organization than the one named: an id from one
// organization never finds anything in another. Writes check, inside their
// transaction, the rules that concurrent writers could otherwise break,
// returning the sentinels their comments name ([core.ErrLastAdmin],
// [core.ErrLimitReached], [core.ErrAlreadyMember], ...), and write the
// organization.* events of core in the same transaction.
type Store[M any] interface {
	OrgStore
	RoleStore
	InvitationStore[M]
	DomainStore[M]
	RequestStore
}

// OrgStore holds organizations, their memberships, and the organization a
// device session has active. Every part of the rules uses it: a member's
// standing in an organization is read from it.
type OrgStore interface {
	CreateOrg(ctx context.Context, o core.Org, maxPerUser int) (core.Org, core.Membership, error)
	Org(ctx context.Context, id string) (core.Org, error)
	UpdateOrg(ctx context.Context, o core.Org) (core.Org, error)
	DeleteOrg(ctx context.Context, id string) error
	UserOrgs(ctx context.Context, userID string) ([]core.OrgMembership, error)

	Membership(ctx context.Context, orgID, userID string) (core.Membership, error)
	Members(ctx context.Context, orgID string) ([]core.Member, error)
	AddMember(ctx context.Context, m core.Membership, maxMembers int) (core.Membership, error)
	SetMemberRole(ctx context.Context, orgID, userID, role string) (core.Membership, error)
	RemoveMember(ctx context.Context, orgID, userID string) (core.Membership, error)

	SetActiveOrg(ctx context.Context, sessionID, userID, orgID string) error
}

// RoleStore holds an organization's custom roles and permissions. Checks
// of a member's role read it too, for the roles the app did not configure.
type RoleStore interface {
	OrgRoles(ctx context.Context, orgID string) ([]core.Role, error)
	OrgPermissions(ctx context.Context, orgID string) ([]core.Permission, error)
	CreateOrgRole(ctx context.Context, orgID string, r core.Role) error
	UpdateOrgRole(ctx context.Context, orgID string, r core.Role) error
	DeleteOrgRole(ctx context.Context, orgID, key string) error
	CreateOrgPermission(ctx context.Context, orgID string, p core.Permission) error
	DeleteOrgPermission(ctx context.Context, orgID, key string) ([]string, error)
}

// InvitationStore holds invitations; creating one queues its mail.
type InvitationStore[M any] interface {
	CreateInvitation(ctx context.Context, inv core.Invitation, maxMembers, maxPerHour int, mail M) (core.Invitation, error)
	Invitation(ctx context.Context, orgID, id string) (core.Invitation, error)
	InvitationByToken(ctx context.Context, hash string) (core.Invitation, error)
	Invitations(ctx context.Context, orgID string) ([]core.Invitation, error)
	RevokeInvitation(ctx context.Context, orgID, id string) (core.Invitation, error)
	AcceptInvitation(ctx context.Context, id, userID string, maxMembers int) (core.Invitation, core.Membership, error)
	PendingInvitations(ctx context.Context, emailKey string) ([]core.Invitation, error)
}

// DomainStore holds an organization's email domains and their
// verification codes; sending a code queues its mail.
type DomainStore[M any] interface {
	CreateDomain(ctx context.Context, d core.Domain) (core.Domain, error)
	Domain(ctx context.Context, orgID, id string) (core.Domain, error)
	Domains(ctx context.Context, orgID string) ([]core.Domain, error)
	VerifiedDomains(ctx context.Context, name string) ([]core.Domain, error)
	SetDomainMode(ctx context.Context, orgID, id, mode string) (core.Domain, error)
	DeleteDomain(ctx context.Context, orgID, id string) error
	// SetDomainCode and VerifyDomain apply the one-time-code rule they
	// are given to the domain's code and write back what it returns, in
	// one transaction.
	SetDomainCode(ctx context.Context, orgID, id, email string, rule core.CodeRule, mail M) error
	VerifyDomain(ctx context.Context, orgID, id string, rule core.CodeRule) (core.Domain, error)
}

// RequestStore holds the requests to join an organization that users of
// its verified domains make.
type RequestStore interface {
	CreateMembershipRequest(ctx context.Context, orgID, userID string) (core.MembershipRequest, error)
	MembershipRequests(ctx context.Context, orgID string) ([]core.MembershipRequest, error)
	UserMembershipRequests(ctx context.Context, userID string) ([]core.MembershipRequest, error)
	DecideMembershipRequest(ctx context.Context, orgID, id string, accept bool, role string, maxMembers int) (core.MembershipRequest, *core.Membership, error)
}

// Config tunes a [Service]. The zero value works except for CodeKey,
// which domain verification needs.
type Config struct {
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// EmailKey is the form in which two addresses are compared (an
	// invitation's and its redeemer's). Default: lower case.
	EmailKey func(email string) string
	// CodeKey keys the hashes of domain verification codes (at least 32
	// bytes, kept outside the database), so the database alone does not
	// give a code away.
	CodeKey []byte
	// MaxOrgsPerUser is how many organizations one user may create (that
	// still exist). 0 means no limit.
	MaxOrgsPerUser int
	// MaxMembers is how many members, counting pending invitations, an
	// organization may have. 0 means no limit.
	MaxMembers int
	// InvitationTTL is how long an invitation can be accepted. Default 7
	// days.
	InvitationTTL time.Duration
	// CodeTTL is how long a domain verification code works. Default 10
	// minutes.
	CodeTTL time.Duration
	// DefaultRole is the role of people who join by a domain. Default
	// org:member.
	DefaultRole string
}

// Limits on domain verification codes, per domain, and on the mail an
// organization sends.
const (
	MaxCodeSends          = 5   // codes mailed before the domain must be added again
	MaxCodeAttempts       = 5   // wrong codes, across resends
	MaxInvitationsPerHour = 100 // invitations one organization sends in an hour
)

// Service applies the organization rules over a [Store]. It is safe for
// concurrent use.
type Service[M any] struct {
	// Each part of the rules reaches storage only through the small
	// interface it needs: service.go and members.go orgStore,
	// customroles.go roleStore, invitations.go inviteStore, domains.go
	// domainStore and requestStore. The access checks every part makes
	// read orgStore and roleStore.
	orgStore     OrgStore
	roleStore    RoleStore
	inviteStore  InvitationStore[M]
	domainStore  DomainStore[M]
	requestStore RequestStore
	roles        *Roles
	cfg          Config
}

// New returns a Service over store with the roles every organization has.
func New[M any](store Store[M], roles *Roles, cfg Config) *Service[M] {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EmailKey == nil {
		cfg.EmailKey = func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	}
	if cfg.InvitationTTL <= 0 {
		cfg.InvitationTTL = 7 * 24 * time.Hour
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 10 * time.Minute
	}
	if cfg.DefaultRole == "" {
		cfg.DefaultRole = core.RoleMember
	}
	return &Service[M]{orgStore: store, roleStore: store, inviteStore: store, domainStore: store, requestStore: store,
		roles: roles, cfg: cfg}
}

// Roles returns the system and configured roles.
func (s *Service[M]) Roles() *Roles { return s.roles }

// InvitationTTL is how long an invitation can be accepted
// (Config.InvitationTTL, default 7 days), for the mail that carries it.
func (s *Service[M]) InvitationTTL() time.Duration { return s.cfg.InvitationTTL }

// Access is a member's standing in an organization: what they may do there.
type Access struct {
	Org         core.Org
	Membership  core.Membership
	Permissions PermissionSet
}

// Can reports whether the member holds the permission.
func (a Access) Can(perm string) bool { return a.Permissions.Has(perm) }

// Access returns the user's standing in an organization. A user who is not
// a member gets the same [core.ErrNotFound] as for an unknown id, so ids
// of other organizations reveal nothing.
func (s *Service[M]) Access(ctx context.Context, userID, orgID string) (Access, error) {
	if orgID == "" || len(orgID) > 200 {
		return Access{}, errOrgNotFound
	}
	m, err := s.orgStore.Membership(ctx, orgID, userID)
	if errors.Is(err, core.ErrNotFound) {
		return Access{}, errOrgNotFound
	}
	if err != nil {
		return Access{}, err
	}
	org, err := s.orgStore.Org(ctx, orgID)
	if errors.Is(err, core.ErrNotFound) {
		return Access{}, errOrgNotFound
	}
	if err != nil {
		return Access{}, err
	}
	perms, err := s.roleSet(ctx, orgID, m.Role)
	if err != nil {
		return Access{}, err
	}
	return Access{Org: org, Membership: m, Permissions: perms}, nil
}

// Require returns the user's access to an organization like Access,
// refusing with a permission_denied error unless they hold perm.
func (s *Service[M]) Require(ctx context.Context, userID, orgID, perm string) (Access, error) {
	acc, err := s.Access(ctx, userID, orgID)
	if err != nil {
		return acc, err
	}
	if perm != "" && !acc.Can(perm) {
		return acc, errPermissionDenied
	}
	return acc, nil
}

// roleSet returns the permission set of a role in an organization, or the
// zero set for a role known nowhere.
func (s *Service[M]) roleSet(ctx context.Context, orgID, role string) (PermissionSet, error) {
	if set, ok := s.roles.Set(role); ok {
		return set, nil
	}
	custom, err := s.roleStore.OrgRoles(ctx, orgID)
	if err != nil {
		return PermissionSet{}, err
	}
	for _, r := range custom {
		if r.Key == role {
			return NewPermissionSet(r.Permissions...), nil
		}
	}
	return PermissionSet{}, nil
}

// knownRole returns the permission set of a role that exists in the
// organization, or an error naming field.
func (s *Service[M]) knownRole(ctx context.Context, orgID, role, field string) (PermissionSet, error) {
	if set, ok := s.roles.Set(role); ok {
		return set, nil
	}
	if roleKeyRE().MatchString(role) {
		custom, err := s.roleStore.OrgRoles(ctx, orgID)
		if err != nil {
			return PermissionSet{}, err
		}
		for _, r := range custom {
			if r.Key == role {
				return NewPermissionSet(r.Permissions...), nil
			}
		}
	}
	return PermissionSet{}, invalid(field, "unknown_role", fmt.Sprintf("%q is not a role of this organization.", truncate(role, 60)))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// OrgInput is what creating an organization takes. An empty Slug is
// derived from Name.
type OrgInput struct {
	Name    string
	Slug    string
	LogoURL string
}

// Create creates an organization with the user as its admin.
func (s *Service[M]) Create(ctx context.Context, user core.User, in OrgInput) (core.Org, core.Membership, error) {
	name, nameErr := CleanName(in.Name)
	derived := strings.TrimSpace(in.Slug) == ""
	slug := Slugify(name)
	var slugErr error
	if !derived {
		slug, slugErr = CleanSlug(in.Slug)
	} else if len(slug) < MinSlugLength {
		slug = "org-" + randomSuffix()
	}
	logo, logoErr := CleanLogoURL(in.LogoURL)
	if err := core.Combine(nameErr, slugErr, logoErr); err != nil {
		return core.Org{}, core.Membership{}, err
	}
	for try := 0; ; try++ {
		o, m, err := s.orgStore.CreateOrg(ctx, core.Org{Name: name, Slug: slug, LogoURL: logo, CreatedBy: user.ID}, s.cfg.MaxOrgsPerUser)
		switch {
		case errors.Is(err, core.ErrConflict) && derived && try < 3:
			// A slug made from the name is the app's guess, not the
			// user's choice: make it unique rather than refuse.
			slug = strings.TrimRight(truncateSlug(Slugify(name), MaxSlugLength-5), "-") + "-" + randomSuffix()
			continue
		case errors.Is(err, core.ErrConflict):
			return o, m, errSlugTaken
		case errors.Is(err, core.ErrLimitReached):
			return o, m, errOrgLimit
		}
		return o, m, err
	}
}

func truncateSlug(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

var suffixEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randomSuffix() string {
	b := make([]byte, 3)
	rand.Read(b)
	return suffixEncoding.EncodeToString(b)[:4]
}

// OrgUpdate lists the fields to change; nil fields stay as they are.
type OrgUpdate struct {
	Name    *string
	Slug    *string
	LogoURL *string
	// RequireMFA sets [core.Org].RequireMFA. Changing it is a sensitive
	// change: the caller checks it with [Service.CheckUpdate] first.
	RequireMFA *bool
}

// Update renames an organization or changes its slug or logo. It needs
// [PermProfileManage].
func (s *Service[M]) Update(ctx context.Context, userID, orgID string, up OrgUpdate) (core.Org, error) {
	acc, err := s.Require(ctx, userID, orgID, PermProfileManage)
	if err != nil {
		return core.Org{}, err
	}
	o := acc.Org
	var nameErr, slugErr, logoErr error
	if up.Name != nil {
		o.Name, nameErr = CleanName(*up.Name)
	}
	if up.Slug != nil {
		o.Slug, slugErr = CleanSlug(*up.Slug)
	}
	if up.LogoURL != nil {
		o.LogoURL, logoErr = CleanLogoURL(*up.LogoURL)
	}
	if err := core.Combine(nameErr, slugErr, logoErr); err != nil {
		return core.Org{}, err
	}
	if up.RequireMFA != nil {
		o.RequireMFA = *up.RequireMFA
	}
	o, err = s.orgStore.UpdateOrg(ctx, o)
	switch {
	case errors.Is(err, core.ErrConflict):
		return o, errSlugTaken
	case errors.Is(err, core.ErrNotFound):
		return o, errOrgNotFound
	}
	return o, err
}

// Delete deletes an organization. It needs [PermProfileDelete]; the caller
// confirms the user's identity first (a password today, reverification
// once it exists).
func (s *Service[M]) Delete(ctx context.Context, userID, orgID string) (core.Org, error) {
	acc, err := s.Require(ctx, userID, orgID, PermProfileDelete)
	if err != nil {
		return core.Org{}, err
	}
	err = s.orgStore.DeleteOrg(ctx, orgID)
	if errors.Is(err, core.ErrNotFound) {
		return acc.Org, errOrgNotFound
	}
	return acc.Org, err
}

// List returns the user's organizations with their memberships.
func (s *Service[M]) List(ctx context.Context, userID string) ([]core.OrgMembership, error) {
	return s.orgStore.UserOrgs(ctx, userID)
}

// SetActive makes an organization the active one of a device session of
// the user, or none (personal account) when orgID is empty. It does not
// apply the organization's two-step verification requirement: a caller
// acting for a user calls [Service.Enter].
func (s *Service[M]) SetActive(ctx context.Context, userID, sessionID, orgID string) (Access, error) {
	return s.setActive(ctx, userID, sessionID, orgID, nil)
}

// Enter makes an organization the active one of a device session of the
// user, or none when orgID is empty, like [Service.SetActive], and applies
// the organization's requirement: a user without two-step verification
// does not enter an organization that requires it (a refusal of kind
// [ErrMFARequired], whose message says why).
func (s *Service[M]) Enter(ctx context.Context, user core.User, sessionID, orgID string) (Access, error) {
	return s.setActive(ctx, user.ID, sessionID, orgID, func(acc Access) error {
		if acc.Org.RequireMFA && !user.TwoFactorEnabled {
			return errMFAToEnter(acc.Org)
		}
		return nil
	})
}

// setActive checks the user's access to orgID, then allowed (when not
// nil), then sets the session's active organization.
func (s *Service[M]) setActive(ctx context.Context, userID, sessionID, orgID string, allowed func(Access) error) (Access, error) {
	var acc Access
	if orgID != "" {
		var err error
		if acc, err = s.Access(ctx, userID, orgID); err != nil {
			return acc, err
		}
		if allowed != nil {
			if err := allowed(acc); err != nil {
				return acc, err
			}
		}
	}
	err := s.orgStore.SetActiveOrg(ctx, sessionID, userID, orgID)
	if errors.Is(err, core.ErrNotFound) {
		return acc, errOrgNotFound
	}
	return acc, err
}

// newToken returns 256 random bits, URL-safe, and the hash that is stored.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// MaxTokenLength is the longest string taken for an invitation token (a
// token is 43 characters), so that what a link or a request carries is
// not hashed whatever its size.
const MaxTokenLength = 128

// HashToken is how an invitation token is stored and looked up: the hex
// SHA-256 of the token. A string that cannot be a token, empty or longer
// than MaxTokenLength, gives "", which finds no invitation.
func HashToken(token string) string {
	if token == "" || len(token) > MaxTokenLength {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

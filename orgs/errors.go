package orgs

import (
	"fmt"

	"github.com/embedauth/auth/core"
)

// Errors of the rules in this package, beside the sentinels of core
// ([core.ErrNotFound], [core.ErrConflict], [core.ErrLastAdmin], ...).
var (
	// ErrForbidden means the member's role lacks a permission the action
	// needs, or the action would grant more than the member holds.
	ErrForbidden = core.ErrForbidden
	// ErrMFARequired means a user without two-step verification tried to
	// enter an organization that requires it (see [Service.Enter]).
	ErrMFARequired = fmt.Errorf("organization requires two-step verification: %w", core.ErrForbidden)
)

// PermissionDenied is the refusal of an action the member's role in the
// organization does not allow (Code "permission_denied"), for checks of
// the app's own permissions to read the same as this package's. Do not
// change it.
func PermissionDenied() *core.Error { return errPermissionDenied }

// codeMFARequired is the Code of the refusals about two-step verification
// an organization requires.
const codeMFARequired = "mfa_enrollment_required"

// errMFAToEnter refuses entering org to a user without two-step
// verification.
func errMFAToEnter(org core.Org) *core.Error {
	return refuse(ErrMFARequired, codeMFARequired, org.Name+" requires two-step verification. Set it up in your profile to enter it.")
}

func refuse(kind error, code, msg string) *core.Error { return core.Refuse(kind, code, msg) }

// invalid is a refusal of one input field.
func invalid(field, code, msg string) *core.Error { return core.Invalid(field, code, msg) }

var (
	errOrgNotFound        = refuse(core.ErrNotFound, "org_not_found", "That organization does not exist, or you are not a member of it.")
	errMemberNotFound     = refuse(core.ErrNotFound, "member_not_found", "That person is not a member of this organization.")
	errInvitationNotFound = refuse(core.ErrNotFound, "invitation_not_found", "That invitation does not exist.")
	errDomainNotFound     = refuse(core.ErrNotFound, "domain_not_found", "That domain is not one of this organization's.")
	errRoleNotFound       = refuse(core.ErrNotFound, "role_not_found", "That role is not one of this organization's custom roles.")
	errPermissionNotFound = refuse(core.ErrNotFound, "permission_not_found", "That permission is not one of this organization's custom permissions.")
	errRequestNotFound    = refuse(core.ErrNotFound, "request_not_found", "That request to join does not exist or was already answered.")

	errPermissionDenied = refuse(ErrForbidden, "permission_denied", "Your role in this organization does not allow this.")
	errEscalation       = refuse(ErrForbidden, "role_escalation", "You cannot grant or change a role with permissions you do not have yourself.")
	errNotEligible      = refuse(ErrForbidden, "not_eligible", "Your verified email address is not in a domain this organization lets join.")
	errOrgLimit         = refuse(core.ErrLimitReached, "org_limit_reached", "You have created as many organizations as this app allows.")
	errMemberLimit      = refuse(core.ErrLimitReached, "member_limit_reached", "This organization has as many members (and pending invitations) as this app allows.")
	errMFAYourself      = refuse(ErrForbidden, codeMFARequired, "Set up two-step verification for yourself before requiring it of members.")

	errSlugTaken        = &core.Error{Kind: core.ErrConflict, Code: "slug_taken", Field: "slug", Message: "That slug is taken. Choose another."}
	errAlreadyMember    = refuse(core.ErrAlreadyMember, "already_member", "That person is already a member of this organization.")
	errAlreadyInvited   = refuse(core.ErrAlreadyInvited, "already_invited", "That address already has a pending invitation. Revoke it to send a new one.")
	errLastAdmin        = refuse(core.ErrLastAdmin, "last_admin", "An organization needs at least one admin. Make someone else an admin first.")
	errRoleInUse        = refuse(core.ErrConflict, "role_in_use", "Members or pending invitations have this role. Give them another role first.")
	errRoleExists       = &core.Error{Kind: core.ErrConflict, Code: "role_exists", Field: "key", Message: "A role with that key exists already."}
	errPermissionExists = &core.Error{Kind: core.ErrConflict, Code: "permission_exists", Field: "key", Message: "A permission with that key exists already."}
	errDomainTaken      = &core.Error{Kind: core.ErrConflict, Code: "domain_taken", Field: "name", Message: "That domain is already added here, or verified by another organization."}
	errDomainVerified   = refuse(core.ErrConflict, "domain_already_verified", "That domain is verified already.")
	errRequestPending   = refuse(core.ErrConflict, "request_pending", "You have already asked to join. An admin will answer.")

	errInvitationUsed    = refuse(core.ErrUsed, "invitation_used", "This invitation has already been used.")
	errInvitationRevoked = refuse(core.ErrUsed, "invitation_revoked", "This invitation was revoked. Ask for a new one.")
	errInvitationExpired = refuse(core.ErrExpired, "invitation_expired", "This invitation has expired. Ask for a new one.")

	errTooManyInvitations = refuse(core.ErrRateLimited, "too_many_invitations", "This organization has sent many invitations in the last hour. Try again later.")
	errTooManyCodes       = refuse(core.ErrRateLimited, "too_many_codes", "We've sent several codes already. Check the inbox, or remove the domain and add it again later.")
	errNoCode             = invalid("code", "code_required", "Send a verification code first.")
)
